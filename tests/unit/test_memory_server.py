"""The memory on a Chroma server, without one: a URL opens a server store as written, and a URL where nothing
listens fails at open, at once, saying how to start a server. tests/integration/test_chroma_server.py runs one."""

import time

import pytest

from idealprompt.errors import MemoryStoreError
from idealprompt.memory import Memory
from idealprompt.memory.store import ChromaServerStore, open_store
from tests.conftest import UNUSED_PORT


class FakeClient:
    def close(self):
        pass


def test_a_url_opens_one_server_store_and_no_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ChromaServerStore, "_connect", lambda self: FakeClient())
    store = Memory.open("http://127.0.0.1:8000", create=False).store
    assert isinstance(store, ChromaServerStore) and store.where == "http://127.0.0.1:8000"  # not folded to http:/
    assert open_store("http://127.0.0.1:8000/", schema=1) is store  # one per URL in a process
    store.close()
    assert list(tmp_path.iterdir()) == []


def test_a_url_where_no_server_listens_fails_at_open_saying_how_to_start_one():
    url = f"http://{UNUSED_PORT}"
    started = time.monotonic()
    with pytest.raises(MemoryStoreError, match=rf"no memory server answers at {url} .*`chroma run --host 127.0.0.1"):
        Memory.open(url)
    assert time.monotonic() - started < 1.5
    with pytest.raises(MemoryStoreError, match=r"http://127.0.0.1:port: .*pass http://HOST:PORT"):
        Memory.open("http://127.0.0.1:port")
