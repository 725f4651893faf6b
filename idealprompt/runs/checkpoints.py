"""Where a run keeps its trace: LangGraph's SQLite checkpointer, whose write errors name the file.

A full disk or a read-only folder under `checkpoints.sqlite` raised SQLite's bare error from deep inside LangGraph;
here it is an OutputError that names the file and says what is kept (every step checkpointed before it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from idealprompt.errors import OutputError


class TraceSaver(SqliteSaver):
    def __init__(self, conn: sqlite3.Connection, path: Path):
        super().__init__(conn)
        self.path = path

    def put(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().put(*args, **kwargs)
        except sqlite3.Error as e:
            raise self._failed(e) from None

    def put_writes(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().put_writes(*args, **kwargs)
        except sqlite3.Error as e:
            raise self._failed(e) from None

    def _failed(self, error: sqlite3.Error) -> OutputError:
        return OutputError(f"{self.path}: cannot write the run's trace ({error}); the steps before it are kept")


@contextmanager
def open_trace(path: Path) -> Iterator[TraceSaver]:
    """A checkpointer writing to the SQLite file `path` (made with its folder if missing)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False)  # LangGraph's own setting: threads share it
    except (OSError, sqlite3.Error) as e:
        raise OutputError(f"{path}: cannot open the run's trace ({e})") from None
    with closing(conn):
        yield TraceSaver(conn, path)
