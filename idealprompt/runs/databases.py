"""The two databases runs are kept in, and the few ways they differ: SQLite, a file in a folder (the default), and
PostgreSQL, a server at a `postgresql://` URL that every worker of a team reaches. The run store's SQL is written
once, in SQLite's spelling with `?` placeholders; a `Connection` hands PostgreSQL its own.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from idealprompt.config import DATABASES
from idealprompt.errors import OutputError

CONNECT_SECONDS = 10  # a database behind a firewall that drops packets fails here, not after minutes
# Workers starting at once on a new database would race to create the tables (PostgreSQL then raises a unique
# violation in its catalog): the first takes this lock, the others find the tables made.
SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('idealprompt runs'));"


def is_database(where: Path | str) -> bool:
    """Whether the `runs` setting names a PostgreSQL database (a URL) rather than a folder."""
    return isinstance(where, str) and where.startswith(DATABASES)


class Connection:
    """A SQLite or PostgreSQL (psycopg) connection that takes the store's SQL as written."""

    def __init__(self, conn: Any, *, postgres: bool):
        self.conn, self.postgres = conn, postgres

    def create(self, schema: str) -> None:
        if self.postgres:
            self.conn.execute(SCHEMA_LOCK + postgres_sql(schema))  # the lock is held to the end of the transaction
        else:
            self.conn.executescript(schema)

    def add_column(self, table: str, column: str, kind: str) -> None:
        """`column` added to a table made before it had one (after `create`, in the same transaction)."""
        if self.postgres:
            self.conn.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
            return
        if column in {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}:
            return
        try:
            self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        except sqlite3.OperationalError as e:  # another process added it in between
            if "duplicate column" not in str(e):
                raise

    def execute(self, sql: str, args: tuple | list = ()) -> Any:
        cursor = self.conn.cursor()
        cursor.execute(postgres_sql(sql) if self.postgres else sql, args)
        return cursor

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        self.conn.cursor().executemany(postgres_sql(sql) if self.postgres else sql, rows)


def postgres_sql(sql: str) -> str:
    """SQLite's SQL as PostgreSQL reads it: its driver's `%s` placeholders, and 8-byte floats (PostgreSQL's REAL
    is 4 bytes: a timestamp would be rounded to minutes)."""
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql.replace("?", "%s"))


def import_psycopg() -> Any:
    """PostgreSQL's driver, needed only by runs kept there."""
    try:
        import psycopg
    except ImportError:
        raise OutputError(
            "a PostgreSQL run store needs psycopg and langgraph-checkpoint-postgres: "
            "pip install 'idealprompt[postgres]'"
        ) from None
    return psycopg


def one_line(error: Exception) -> str:
    """A database's error in one line (libpq's span several)."""
    return " ".join(str(error).split())
