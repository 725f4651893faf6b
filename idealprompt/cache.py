"""Replay cache: model calls stored in SQLite, keyed by (route, messages, parameters).

It plugs into LangChain's own cache hook (`BaseChatModel.cache`), so every call through a role's model is looked up
before it is made: a run repeated with the same cache replays exactly, and tests become deterministic. A replayed
answer carries `response_metadata["cached"] = True`, which the ledger counts.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.messages import message_to_dict, messages_from_dict
from langchain_core.outputs import ChatGeneration, Generation

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    route TEXT NOT NULL,
    prompt TEXT NOT NULL,
    params TEXT NOT NULL,
    answer TEXT NOT NULL,
    created REAL NOT NULL
)
"""


class ReplayCache(BaseCache):
    """One route's view of a shared SQLite cache file."""

    def __init__(self, path: Path | str, route: str):
        self.path, self.route = Path(path), route
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers and a writer in other processes do not block
        self._db.execute(SCHEMA)
        self._lock = threading.Lock()

    def _key(self, prompt: str, llm_string: str) -> str:
        return hashlib.sha256("\x1f".join((self.route, llm_string, prompt)).encode()).hexdigest()

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        with self._lock:
            row = self._db.execute(
                "SELECT answer FROM calls WHERE key = ?", (self._key(prompt, llm_string),)
            ).fetchone()
        return None if row is None else _loads(row[0])

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        row = (self._key(prompt, llm_string), self.route, prompt, llm_string, _dumps(return_val), time.time())
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?, ?, ?)", row)

    def clear(self, **kwargs) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM calls WHERE route = ?", (self.route,))

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM calls WHERE route = ?", (self.route,)).fetchone()[0]

    def close(self) -> None:
        self._db.close()


def _dumps(generations: Sequence[Generation]) -> str:
    out = []
    for g in generations:
        entry = {"text": g.text, "info": g.generation_info}
        if isinstance(g, ChatGeneration):
            entry["message"] = message_to_dict(g.message)
        out.append(entry)
    return json.dumps(out)


def _loads(text: str) -> list[Generation]:
    generations: list[Generation] = []
    for entry in json.loads(text):
        if "message" not in entry:
            generations.append(Generation(text=entry["text"], generation_info=entry["info"]))
            continue
        (message,) = messages_from_dict([entry["message"]])
        message.response_metadata["cached"] = True
        generations.append(ChatGeneration(message=message, generation_info=entry["info"]))
    return generations
