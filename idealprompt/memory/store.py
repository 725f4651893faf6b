"""The one seam for vector storage: a small collection interface, and Chroma behind it by default.

Chroma's PersistentClient keeps each collection's vector index in memory and is meant for one process. Several
processes (a warm-up in one terminal, an optimisation in another) may share a memory folder, so every operation
takes a file lock (filelock's reader/writer lock: shared to read, exclusive to write; no fcntl), and a process
reloads its client when another has written since (a generation counter beside the data): no process writes over
records it has not seen, and each reads what the others wrote. Every write of a
record is one Chroma (SQLite) transaction, so a crash mid-write leaves the store readable.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np
from filelock import ReadWriteLock

from idealprompt.errors import MemoryStoreError

if TYPE_CHECKING:
    from chromadb.api.client import Client

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SCHEMA_KEY = "idealprompt_schema"
GENERATION_FILE = ".idealprompt.generation"  # beside the data: how many writes the store has seen


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


_stores: dict[Path, ChromaStore] = {}
_stores_lock = threading.Lock()


def open_store(path: Path | str, schema: int, *, create: bool = True) -> ChromaStore:
    """The process's one store for a folder: Chroma shares one client per folder within a process, and only
    the last holder's close drops a stale index, so two stores on one folder could not reload."""
    key = Path(path).expanduser().absolute()
    if not create and not key.exists():
        raise MemoryStoreError(f"no memory store at {key}: nothing was written there yet (check --memory)")
    with _stores_lock:
        if key not in _stores:
            _stores[key] = ChromaStore(key, schema)
        return _stores[key]


def _is_store(path: Path) -> bool:
    """Whether a folder already holds a store (Chroma's database, or our generation counter)."""
    return (path / "chroma.sqlite3").exists() or (path / GENERATION_FILE).exists()


class ChromaStore:
    """Named collections in one persistent Chroma folder, safe to share between processes. Use `open_store`."""

    def __init__(self, path: Path | str, schema: int):
        self.path, self.schema = Path(path).expanduser(), schema
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
        self._client: Client | None = None
        self._seen = -1
        self._collections: dict[str, Any] = {}

    def collection(self, name: str) -> ChromaCollection:
        return ChromaCollection(self, name)

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

    def chroma(self, name: str):
        """The Chroma collection `name`; call inside `locked`."""
        if name not in self._collections:
            try:
                collection = self._opened().get_or_create_collection(
                    name, embedding_function=None, metadata={"hnsw:space": "cosine", SCHEMA_KEY: self.schema}
                )
            except Exception as e:
                raise MemoryStoreError(f"memory store {self.path}: cannot open collection {name!r}: {e}") from None
            found = (collection.metadata or {}).get(SCHEMA_KEY)
            if found is None:
                raise MemoryStoreError(f"memory store {self.path}: collection {name!r} was not written by idealprompt")
            if found > self.schema:
                raise MemoryStoreError(
                    f"memory store {self.path}: collection {name!r} has schema {found}, newer than this idealprompt "
                    f"reads ({self.schema}); upgrade idealprompt"
                )
            self._collections[name] = collection
        return self._collections[name]

    def max_batch(self) -> int:
        return self._opened().get_max_batch_size()

    def _opened(self) -> Client:
        if self._client is None:
            raise RuntimeError(f"memory store {self.path}: use it inside `locked`, which opens it")
        return self._client

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
        with _stores_lock:
            _stores.pop(self.path, None)
        with self._thread_lock:
            if self._client is not None:
                self._client.close()
                self._client = None
                self._collections.clear()
                self._seen = -1


class ChromaCollection:
    def __init__(self, store: ChromaStore, name: str):
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
                except Exception as e:  # a full disk, a read-only folder: SQLite's error, or Chroma's around it
                    raise MemoryStoreError(
                        f"memory store {self.store.path}: cannot write to {self.name!r} ({e}); {i} of {len(ids)} "
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
