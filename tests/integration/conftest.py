"""Integration tests run the real embedded models; the servers they need are started here, on 127.0.0.1."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from idealprompt.config import Settings
from idealprompt.routes import catalog
from tests.conftest import UNUSED_PORT
from tests.ollama_server import OllamaProtocolServer

SMALL = "qwen2.5-coder-0.5b"


def pytest_collection_modifyitems(items):
    for item in items:
        if "integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    """The real models folder (joined once per machine), nothing else from the environment."""
    return Settings(
        ollama_host=UNUSED_PORT,
        openai_api_key=None,
        openai_base_url=None,
        large=None,
        small=None,
        threads=2,
        max_tokens=128,
    )


@pytest.fixture(scope="session")
def small_gguf(real_settings) -> str:
    return str(catalog.gguf_path(catalog.lookup(SMALL), real_settings.models_dir))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(proc: subprocess.Popen, url: str, log: Path, what: str, seconds: float) -> None:
    """Until `url` answers 200; a server that exits or takes longer fails the test with the end of its log."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{what} did not start: {log.read_text()[-3000:]}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def llama_server(small_gguf, tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on the small model, as a user would run it."""
    port = _free_port()
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        small_gguf,
        "--model_alias",
        "local-small",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "2",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log.open("w"))  # a file: a pipe would fill up
    url = f"http://127.0.0.1:{port}/v1"
    wait_until_up(proc, f"{url}/models", log, "llama_cpp.server", seconds=60)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def ollama_server(small_gguf):
    with OllamaProtocolServer(small_gguf, "qwen2.5-coder:0.5b") as server:
        yield server
