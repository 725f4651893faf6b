"""Imported first by child processes of the tests: any connection or lookup beyond this machine raises, and is
written to the file NO_NETWORK_LOG names (if set), so that an attempt a library swallows is still seen.

pytest-socket guards the test process itself; a child process is guarded by importing this module first.
Native code (onnxruntime's telemetry) bypasses Python sockets, so tests also check ORT_DISABLE_TELEMETRY.
"""

import os
import socket

LOCAL = {None, "localhost", "127.0.0.1", "::1", ""}
_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo


def _refuse(what: str) -> None:
    if log := os.environ.get("NO_NETWORK_LOG"):
        with open(log, "a", encoding="utf-8") as f:
            f.write(what + "\n")
    raise RuntimeError(what)


def _guarded_connect(self, address):
    if self.family != socket.AF_UNIX and address[0] not in LOCAL:
        _refuse(f"network access attempted: {address}")
    return _connect(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host not in LOCAL:
        _refuse(f"network lookup attempted: {host}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.getaddrinfo = _guarded_getaddrinfo
