"""llama-cpp-python's OpenAI-compatible server on 127.0.0.1, one process per model, started as
tests/integration/conftest.py starts it and as a user would run it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

READY_SECONDS = 120  # a 1.5B GGUF loads in ~1.5 s idle; much longer while another process holds both cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    def __init__(self, gguf: Path | str, alias: str, *, log: Path, context: int = 4096, threads: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.command = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--model_alias",
            alias,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(context),
            "--n_threads",
            str(threads),
        ]
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> LlamaServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as log:  # a file, not a pipe: a pipe nobody reads fills up and blocks the server
            self._process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + READY_SECONDS
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(
                    f"llama_cpp.server did not start ({' '.join(self.command)}):\n{self.log.read_text()[-2000:]}"
                )
            time.sleep(0.3)
        return self

    def __exit__(self, *exc) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/v1/models", timeout=1).status_code == 200
        except httpx.TransportError:
            return False
