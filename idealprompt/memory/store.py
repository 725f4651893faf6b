"""The one seam for vector storage: a small collection interface, and Chroma behind it, in a folder or on a server.

A folder: Chroma's PersistentClient keeps each collection's vector index in memory and is meant for one process. Several
processes (a warm-up in one terminal, an optimisation in another) may share a memory folder, so every operation
takes a file lock (filelock's reader/writer lock: shared to read, exclusive to write; no fcntl), and a process
reloads its client when another has written since (a generation counter beside the data): no process writes over
records it has not seen, and each reads what the others wrote. Every write of a
record is one Chroma (SQLite) transaction, so a crash mid-write leaves the store readable.

A server (`chroma run`, at an http(s):// URL): a team's shared memory. The server serialises writes and holds the
one index, so its store takes no lock and reloads nothing; the vectors are computed here, as for a folder.
"""

from __future__ import annotations

import os
import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import urlsplit

import numpy as np
from filelock import ReadWriteLock

from idealprompt.config import MEMORY_SERVERS
from idealprompt.errors import MemoryStoreError

if TYPE_CHECKING:
    from chromadb.api.client import Client

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SCHEMA_KEY = "idealprompt_schema"
GENERATION_FILE = ".idealprompt.generation"  # beside the data: how many writes the store has seen
MARKERS = "idealprompt-markers"  # on a server: the collection whose metadata holds the markers
CONNECT_SECONDS = 2.0  # to reach a server at open: Chroma's HTTP client would wait forever on a silent host


@dataclass(frozen=True)
class Hit:
    id: str
    similarity: float  # cosine similarity, 1 = same direction
    record: str  # the record's JSON


class VectorCollection(Protocol):
    """What the memory needs of a vector store: records as JSON, searchable by vector, filterable by fields."""

    def upsert(self, ids: list[str], vectors: np.ndarray, records: list[str], fields: list[dict[str, Any]]) -> None: ...

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]: ...

    def get(self, ids: list[str] | None = None, where: dict[str, Any] | None = None) -> list[tuple[str, str]]: ...

    def delete(self, ids: list[str]) -> None: ...

    def count(self) -> int: ...


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def open_store(where: Path | str, schema: int, *, create: bool = True) -> Store:
    """The process's one store for a folder or a server's URL: Chroma shares one client per folder within a
    process, and only the last holder's close drops a stale index, so two stores on one folder could not reload.
    `create` is for folders, where a mistyped path would read as an empty store; a server's URL that names no
    server fails to connect instead, and a collection the server lacks yet reads as empty, as in a new folder."""
    server = isinstance(where, str) and where.startswith(MEMORY_SERVERS)
    key = str(where).rstrip("/") if server else str(Path(where).expanduser().absolute())
    if not server and not create and not Path(key).exists():
        raise MemoryStoreError(f"no memory store at {key}: nothing was written there yet (check --memory)")
    with _stores_lock:
        if key not in _stores:
            _stores[key] = ChromaServerStore(key, schema) if server else ChromaStore(key, schema)
        return _stores[key]


def _is_store(path: Path) -> bool:
    """Whether a folder already holds a store (Chroma's database, or our generation counter)."""
    return (path / "chroma.sqlite3").exists() or (path / GENERATION_FILE).exists()


class Store(ABC):
    """Named collections in Chroma, checked for our schema. A subclass says how its client is opened and how an
    operation holds the store (`locked`), and where it keeps a marker. Use `open_store`."""

    def __init__(self, where: str, schema: int):
        self.where, self.schema = where, schema  # `where`: the folder or the URL, for messages
        self._client: Client | None = None
        self._collections: dict[str, Any] = {}

    def collection(self, name: str) -> ChromaCollection:
        return ChromaCollection(self, name)

    @abstractmethod
    def locked(self, *, write: bool) -> AbstractContextManager[None]: ...

    @abstractmethod
    def mark(self, name: str, value: str) -> None:
        """Keep a small marker in the store (the built-in pack's version, say)."""

    @abstractmethod
    def marked(self, name: str) -> str | None: ...

    def chroma(self, name: str):
        """The Chroma collection `name`; call inside `locked`."""
        if name not in self._collections:
            try:
                collection = self._opened().get_or_create_collection(
                    name, embedding_function=None, metadata={"hnsw:space": "cosine", SCHEMA_KEY: self.schema}
                )
            except Exception as e:
                raise MemoryStoreError(f"memory store {self.where}: cannot open collection {name!r}: {e}") from None
            found = (collection.metadata or {}).get(SCHEMA_KEY)
            if found is None:
                raise MemoryStoreError(f"memory store {self.where}: collection {name!r} was not written by idealprompt")
            if found > self.schema:
                raise MemoryStoreError(
                    f"memory store {self.where}: collection {name!r} has schema {found}, newer than this idealprompt "
                    f"reads ({self.schema}); upgrade idealprompt"
                )
            self._collections[name] = collection
        return self._collections[name]

    def max_batch(self) -> int:
        return self._opened().get_max_batch_size()

    def _opened(self) -> Client:
        if self._client is None:
            raise RuntimeError(f"memory store {self.where}: use it inside `locked`, which opens it")
        return self._client

    def close(self) -> None:
        with _stores_lock:
            _stores.pop(self.where, None)
        if self._client is not None:
            self._client.close()
            self._client = None
        self._collections.clear()


class ChromaStore(Store):
    """A persistent Chroma folder, safe to share between processes."""

    def __init__(self, path: Path | str, schema: int):
        self.path = Path(path).expanduser()
        super().__init__(str(self.path), schema)
        if self.path.exists() and not self.path.is_dir():
            raise MemoryStoreError(f"memory store {self.path} is a file, not a folder: pass a folder with --memory")
        if self.path.is_dir() and not _is_store(self.path) and any(self.path.iterdir()):
            # `--memory ""` or a mistyped path must not scatter a store among someone's files.
            raise MemoryStoreError(
                f"{self.path.absolute()} holds other files and no memory store: "
                "pass a new or empty folder with --memory"
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise MemoryStoreError(f"cannot create memory store {self.path}: {e.strerror}") from None
        self._lock = ReadWriteLock(self.path / ".idealprompt.rwlock", is_singleton=False)
        self._generation_file = self.path / GENERATION_FILE
        self._thread_lock = threading.RLock()
        self._seen = -1

    @contextmanager
    def locked(self, *, write: bool) -> Iterator[None]:
        """Hold the store for one operation: shared to read, exclusive to write; reload if another process wrote."""
        with self._thread_lock, self._lock.write_lock() if write else self._lock.read_lock():
            if self._generation() != self._seen:
                self._reopen()
            try:
                yield
            except BaseException:
                self._seen = -1  # the client may hold what failed to reach disk: reopen before the next use
                raise
            if write:
                self._seen = self._generation() + 1
                tmp = self._generation_file.with_suffix(".tmp")
                tmp.write_text(str(self._seen))
                os.replace(tmp, self._generation_file)

    def mark(self, name: str, value: str) -> None:
        (self.path / f".idealprompt.{name}").write_text(value)

    def marked(self, name: str) -> str | None:
        marker = self.path / f".idealprompt.{name}"
        return marker.read_text() if marker.exists() else None

    def _generation(self) -> int:
        try:
            return int(self._generation_file.read_text() or 0)
        except FileNotFoundError:
            return 0

    def _reopen(self) -> None:
        import chromadb
        from chromadb.config import Settings

        if self._client is not None:
            self._client.close()  # the last reference in this process: Chroma drops its stale in-memory index
        self._collections.clear()
        database = self.path / "chroma.sqlite3"
        if database.exists() and database.stat().st_size == 0:  # SQLite would open it as a new, empty store
            raise MemoryStoreError(
                f"memory store {self.path}: its database {database.name} is empty (0 bytes), so its records are "
                "lost: restore the folder from a backup, or pass a new folder with --memory"
            )
        try:
            # Annotated as the ClientAPI interface, but a Client, the class that has `close`.
            self._client = cast(
                "Client",
                chromadb.PersistentClient(
                    path=str(self.path), settings=Settings(anonymized_telemetry=False, allow_reset=False)
                ),
            )
            self._client.heartbeat()
        except Exception as e:
            raise MemoryStoreError(f"memory store {self.path} is not readable as a Chroma store: {e}") from None
        self._seen = self._generation()

    def close(self) -> None:
        with self._thread_lock:
            super().close()
            self._seen = -1


class ChromaServerStore(Store):
    """A Chroma server (`chroma run`) that a team shares; it is connected to at once, so a wrong URL fails here."""

    def __init__(self, url: str, schema: int):
        super().__init__(url, schema)
        self._client = self._connect()

    @contextmanager
    def locked(self, *, write: bool) -> Iterator[None]:
        """Nothing to hold: the server orders the writes, and every read asks it anew."""
        if self._client is None:  # closed, then used again
            self._client = self._connect()
        try:
            yield
        except BaseException:
            self._collections.clear()  # a collection dropped on the server since: look it up again next time
            raise

    def mark(self, name: str, value: str) -> None:
        with self.locked(write=True):
            markers = self._markers()
            markers.modify(metadata={**(markers.metadata or {}), name: value})  # modify replaces all the metadata

    def marked(self, name: str) -> str | None:
        with self.locked(write=False):
            return (self._markers().metadata or {}).get(name)

    def _markers(self):
        return self._opened().get_or_create_collection(MARKERS, embedding_function=None)

    def _connect(self) -> Client:
        import chromadb
        from chromadb.config import Settings

        url = urlsplit(self.where)
        try:
            host, ssl = url.hostname or "localhost", url.scheme == "https"
            port = url.port or (443 if ssl else 80)
        except ValueError as e:  # a port that is not a number
            raise MemoryStoreError(f"memory server {self.where}: {e}; pass http://HOST:PORT with --memory") from None
        try:
            socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
        except OSError as e:
            raise MemoryStoreError(
                f"no memory server answers at {self.where} ({e.strerror or e}): start one with `chroma run --host "
                f"127.0.0.1 --port {port} --path FOLDER`, or check --memory (IDEALPROMPT_MEMORY)"
            ) from None
        try:
            return cast(
                "Client",
                chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=Settings(anonymized_telemetry=False)),
            )
        except Exception as e:  # something else listens there
            raise MemoryStoreError(f"memory server {self.where} is not a Chroma server: {e}") from None


class ChromaCollection:
    def __init__(self, store: Store, name: str):
        self.store, self.name = store, name

    def upsert(self, ids: list[str], vectors: np.ndarray, records: list[str], fields: list[dict[str, Any]]) -> None:
        with self.store.locked(write=True):
            collection = self.store.chroma(self.name)
            step = self.store.max_batch()
            for i in range(0, len(ids), step):
                j = i + step
                metadatas = [f | {"record": r} for f, r in zip(fields[i:j], records[i:j], strict=True)]
                try:
                    collection.upsert(ids=ids[i:j], embeddings=vectors[i:j], metadatas=metadatas)
                except Exception as e:  # a full disk, a read-only folder, a server gone: Chroma's error
                    raise MemoryStoreError(
                        f"memory store {self.store.where}: cannot write to {self.name!r} ({e}); {i} of {len(ids)} "
                        "records were stored before it, and writing them again is safe"
                    ) from None

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Hit]:
        with self.store.locked(write=False):
            collection = self.store.chroma(self.name)
            n = min(k, collection.count())
            if n == 0:
                return []
            found = collection.query(
                query_embeddings=[vector], n_results=n, where=where, include=["metadatas", "distances"]
            )
        return [
            Hit(id=i, similarity=1.0 - d, record=m["record"])
            for i, d, m in zip(found["ids"][0], found["distances"][0], found["metadatas"][0], strict=True)
        ]

    def get(self, ids: list[str] | None = None, where: dict[str, Any] | None = None) -> list[tuple[str, str]]:
        with self.store.locked(write=False):
            found = self.store.chroma(self.name).get(ids=ids, where=where, include=["metadatas"])
        return [(i, m["record"]) for i, m in zip(found["ids"], found["metadatas"], strict=True)]

    def delete(self, ids: list[str]) -> None:
        with self.store.locked(write=True):
            self.store.chroma(self.name).delete(ids=ids)

    def count(self) -> int:
        with self.store.locked(write=False):
            return self.store.chroma(self.name).count()
