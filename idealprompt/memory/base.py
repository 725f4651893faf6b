"""Typed records over a vector collection: add, get, list, delete, search by text, export and import JSON Lines."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Protocol, Self, TypeVar

import numpy as np
from pydantic import ValidationError

from idealprompt.errors import MemoryStoreError
from idealprompt.memory.records import SCHEMA_VERSION
from idealprompt.memory.store import VectorCollection
from idealprompt.userfiles import read_text


class Record(Protocol):
    """What every record type (`Prior`, `Exemplar`, `StyleCard`: pydantic models) has, that the memory reads."""

    id: str
    schema_version: int
    created: datetime

    @classmethod
    def model_validate(cls, obj: Any) -> Self: ...

    def model_dump_json(self) -> str: ...


R = TypeVar("R", bound=Record)
Embed = Callable[[list[str]], np.ndarray]


class RecordMemory(Generic[R]):
    """One kind of record in one collection. Subclasses say what text is embedded and which fields filter."""

    record_type: type[R]
    kind: str  # for messages: "prior", "exemplar"

    def __init__(self, collection: VectorCollection, embed: Embed, where: str):
        self._collection, self._embed, self._where = collection, embed, where

    def text(self, record: R) -> str:
        raise NotImplementedError

    def fields(self, record: R) -> dict[str, Any]:
        return {}

    # --- records ---------------------------------------------------------------------------------------------
    def add(self, *records: R) -> list[str]:
        """Store records (a record with an id already stored replaces it); each is written atomically."""
        if records:
            vectors = self._embed([self.text(r) for r in records])
            self._collection.upsert(
                ids=[r.id for r in records],
                vectors=vectors,
                records=[r.model_dump_json() for r in records],
                fields=[self.fields(r) | {"schema": r.schema_version} for r in records],
            )
        return [r.id for r in records]

    def get(self, record_id: str) -> R:
        record = self.find(record_id)
        if record is None:
            raise MemoryStoreError(f"no {self.kind} {record_id!r} in {self._where}")
        return record

    def find(self, record_id: str) -> R | None:
        found = self._collection.get([record_id])
        return self._decode(found[0][1]) if found else None

    def stored(self, ids: list[str]) -> set[str]:
        """Which of `ids` are stored."""
        return {record_id for record_id, _ in self._collection.get(ids)} if ids else set()

    def all(self, where: dict[str, Any] | None = None) -> list[R]:
        """Every record (those whose fields match `where`, when given), oldest first."""
        return sorted((self._decode(text) for _, text in self._collection.get(where=where)), key=lambda r: r.created)

    def delete(self, record_id: str) -> None:
        self.get(record_id)  # a clear error for an unknown id, rather than a silent no-op
        self._collection.delete([record_id])

    def __len__(self) -> int:
        return self._collection.count()

    def similar(self, text: str, k: int, where: dict[str, Any] | None = None) -> list[tuple[R, float]]:
        """The k records whose embedded text is closest to `text`, with cosine similarities, best first."""
        hits = self._collection.query(self._embed([text])[0], k, where)
        return [(self._decode(h.record), h.similarity) for h in hits]

    def _decode(self, text: str) -> R:
        data = json.loads(text)
        version = data.get("schema_version", SCHEMA_VERSION)
        if version > SCHEMA_VERSION:
            raise MemoryStoreError(
                f"a {self.kind} in {self._where} has schema {version}, newer than this idealprompt reads "
                f"({SCHEMA_VERSION}); upgrade idealprompt"
            )
        return self.record_type.model_validate(data)  # older schemas: migrations go here when there are any

    # --- sharing -----------------------------------------------------------------------------------------------
    def export(self, path: Path | str) -> int:
        """Write every record as one JSON line; the file appears whole or not at all."""
        path = Path(path)
        records = self.all()
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.writelines(r.model_dump_json() + "\n" for r in records)
        os.replace(tmp, path)
        return len(records)

    def import_file(self, path: Path | str) -> int:
        """Read records written by `export`; every line is checked before anything is written."""
        path = Path(path)
        lines = read_text(path, MemoryStoreError, "file to import").splitlines()
        return self.import_lines(lines, where=str(path))

    def import_lines(self, lines: list[str], *, where: str) -> int:
        """Records from JSON lines (`where` names their source in errors); all are checked before any is written."""
        records = list(self._parse(where, enumerate(lines, start=1)))
        self.add(*records)
        return len(records)

    def _parse(self, path: Path | str, lines: Iterable[tuple[int, str]]) -> Iterable[R]:
        for number, line in lines:
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                raise MemoryStoreError(f"{where}: not JSON ({e.msg}); nothing was imported") from None
            if not isinstance(data, dict):
                raise MemoryStoreError(f"{where}: expected a JSON object; nothing was imported")
            if data.get("schema_version", SCHEMA_VERSION) > SCHEMA_VERSION:
                raise MemoryStoreError(
                    f"{where}: schema {data['schema_version']} is newer than this idealprompt reads "
                    f"({SCHEMA_VERSION}); nothing was imported"
                )
            try:
                yield self.record_type.model_validate(data)
            except ValidationError as e:
                problems = "; ".join(f"field {'.'.join(map(str, err['loc']))!r}: {err['msg']}" for err in e.errors())
                raise MemoryStoreError(f"{where}: not a {self.kind} ({problems}); nothing was imported") from None
