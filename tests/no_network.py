"""Imported first by child processes of the tests: any connection or lookup beyond this machine raises.

pytest-socket guards the test process itself; a child process is guarded by importing this module first.
Native code (onnxruntime's telemetry) bypasses Python sockets, so tests also check ORT_DISABLE_TELEMETRY.
"""

import socket

LOCAL = {None, "localhost", "127.0.0.1", "::1", ""}
_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo


def _guarded_connect(self, address):
    if self.family != socket.AF_UNIX and address[0] not in LOCAL:
        raise RuntimeError(f"network access attempted: {address}")
    return _connect(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host not in LOCAL:
        raise RuntimeError(f"network lookup attempted: {host}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.getaddrinfo = _guarded_getaddrinfo
