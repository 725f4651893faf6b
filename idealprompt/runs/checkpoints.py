"""Where a run keeps its trace (LangGraph's checkpoints of its state, a thread per run, named by the run's id):
beside its run store. With the store in a folder, a SQLite file in the run's result folder; with the store in a
PostgreSQL database, that database, so that every worker reads and resumes every run's.

A full disk or a read-only folder under `checkpoints.sqlite` raised SQLite's bare error from deep inside LangGraph;
here it is an OutputError that names the trace and says what is kept (every step checkpointed before it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver

from idealprompt.errors import OutputError
from idealprompt.routes import shown_url
from idealprompt.runs.databases import CONNECT_SECONDS, import_psycopg, is_database, one_line

FILE = "checkpoints.sqlite"


def trace_location(runs: Path | str, folder: Path) -> Path | str:
    """Where a run's trace goes, given the `runs` setting and the run's result folder: the run store's database,
    or the SQLite file in the folder."""
    return runs if is_database(runs) else folder / FILE


@contextmanager
def open_trace(where: Path | str) -> Iterator[NamedTrace]:
    """A checkpointer writing to `where`: a PostgreSQL database's URL, or a SQLite file (made with its folder)."""
    if is_database(where):
        with _postgres(str(where)) as saver:
            yield saver
        return
    path = Path(where)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False)  # LangGraph's own setting: threads share it
    except (OSError, sqlite3.Error) as e:
        raise OutputError(f"{path}: cannot open the run's trace ({e})") from None
    with closing(conn):
        yield TraceSaver(conn, path)


class NamedTrace(BaseCheckpointSaver):
    """A checkpointer whose write errors (`errors`) are OutputErrors naming its trace (`where`)."""

    where: str
    errors: tuple[type[Exception], ...]

    def put(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().put(*args, **kwargs)
        except self.errors as e:
            raise self._failed(e) from None

    def put_writes(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().put_writes(*args, **kwargs)
        except self.errors as e:
            raise self._failed(e) from None

    def _failed(self, error: Exception) -> OutputError:
        return OutputError(
            f"{self.where}: cannot write the run's trace ({one_line(error)}); the steps before it are kept"
        )


class TraceSaver(NamedTrace, SqliteSaver):
    errors = (sqlite3.Error,)

    def __init__(self, conn: sqlite3.Connection, path: Path):
        super().__init__(conn)
        self.path, self.where = path, str(path)


@contextmanager
def _postgres(url: str) -> Iterator[NamedTrace]:
    """LangGraph's PostgreSQL checkpointer on `url`, its tables made or migrated (`setup`) once per opening."""
    psycopg = import_psycopg()
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row

    class PostgresTrace(NamedTrace, PostgresSaver):
        errors = (psycopg.Error,)
        where = shown_url(url)

    try:
        # PostgresSaver.from_conn_string's settings: it reads rows as dicts and prepares no statement
        conn = psycopg.connect(
            url, autocommit=True, prepare_threshold=0, row_factory=dict_row, connect_timeout=CONNECT_SECONDS
        )
    except psycopg.Error as e:
        raise OutputError(f"{shown_url(url)}: cannot open the run's trace ({one_line(e)})") from None
    with closing(conn):
        saver = PostgresTrace(conn)
        try:
            saver.setup()
        except psycopg.Error:  # another worker set up a new database at the same moment: it is made now
            try:
                saver.setup()
            except psycopg.Error as e:
                raise OutputError(f"{saver.where}: cannot set up the run's trace ({one_line(e)})") from None
        yield saver
