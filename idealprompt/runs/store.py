"""The run store: the database that lists every run (its command, folder, status and scores), its steps and
every model call of each step, for `idealprompt runs`, `trace`, `resume`, `fork` and `report`. It is one SQLite
file in a folder, or a PostgreSQL database (`postgresql://...`) that every worker of a team shares.

The steps of a graph and their state stay in the run's LangGraph checkpoints (`checkpoints.trace_location`); what
is kept here is what a person reads: per step, the node, what it produced in a line or two, its calls, tokens and
seconds, and per call the messages sent and the answer received.

The SQL is written once, in SQLite's spelling; `databases.Connection` gives PostgreSQL its own.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from idealprompt.errors import OutputError, RunNotFound
from idealprompt.routes import shown_url
from idealprompt.runs.databases import CONNECT_SECONDS, Connection, import_psycopg, is_database, one_line

FILE = "runs.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    task TEXT NOT NULL,
    folder TEXT NOT NULL,
    command TEXT NOT NULL,
    status TEXT NOT NULL,
    pid INTEGER,
    host TEXT,
    budget INTEGER,
    calls INTEGER NOT NULL DEFAULT 0,
    best REAL,
    scores TEXT NOT NULL DEFAULT '{}',
    started REAL NOT NULL,
    ended REAL,
    parent TEXT,
    result TEXT
);
CREATE TABLE IF NOT EXISTS steps (
    run TEXT NOT NULL,
    step INTEGER NOT NULL,
    node TEXT NOT NULL,
    seconds REAL NOT NULL,
    usage TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (run, step)
);
CREATE TABLE IF NOT EXISTS calls (
    run TEXT NOT NULL,
    step INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    messages TEXT NOT NULL,
    answer TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    cached INTEGER NOT NULL,
    PRIMARY KEY (run, step, seq)
);
"""
# An upsert that SQLite (3.24 and later) and PostgreSQL both read.
SAVE_STEP = (
    "INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run, step) DO UPDATE SET node = excluded.node, "
    "seconds = excluded.seconds, usage = excluded.usage, summary = excluded.summary"
)
SAVE_CALL = (
    "INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run, step, seq) DO UPDATE SET "
    "role = excluded.role, messages = excluded.messages, answer = excluded.answer, "
    "prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, "
    "seconds = excluded.seconds, cached = excluded.cached"
)
HOST = socket.gethostname()
STATUSES = ("running", "done", "failed", "interrupted")
LISTED = "id, kind, task, folder, command, status, pid, host, budget, calls, best, scores, started, ended, parent"


class RunRecord(BaseModel):
    id: str
    kind: str  # optimize, warmup, write, eval-style
    task: str  # the task, style or dataset it ran on
    folder: str  # where its result, checkpoints and recorded calls are
    command: list[str]  # the command's arguments, absolute paths: what `resume` runs again
    status: str  # running, done, failed, interrupted (running, and its process is gone)
    host: str | None  # the machine it ran on (None: a store made before hosts were kept)
    budget: int | None
    calls: int  # small-model calls used
    best: float | None  # the best dev score (optimize, warmup) or style score (write)
    scores: dict[str, Any]
    started: float
    ended: float | None
    parent: str | None  # the run a fork started from, and its step: "RUN@STEP"


class Step(BaseModel):
    step: int
    node: str
    seconds: float
    usage: dict[str, dict[str, Any]]  # per role: calls, cached, prompt_tokens, completion_tokens, seconds
    summary: list[str]  # what it produced, a line each


class Call(BaseModel):
    step: int
    seq: int
    role: str
    messages: list[dict[str, Any]]  # {"type": "system"|"human"|"ai", "content": ...}
    answer: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cached: bool


class RunStore:
    """The run store in `where`: a folder (its SQLite file made on first write) or a PostgreSQL database's URL
    (its tables made on first use); safe to share between the threads of one run."""

    def __init__(self, where: Path | str):
        self.url = str(where) if is_database(where) else None
        self.path = None if self.url else Path(where) / FILE
        self.where = shown_url(self.url) if self.url else str(self.path)  # as it may be printed
        self._lock = threading.Lock()
        self._made = False  # the tables, by this store

    def start(
        self, run: str, *, kind: str, task: str, folder: Path, command: list[str], budget: int | None, parent=None
    ) -> None:
        """A run begins, or begins again (resumed): its earlier steps and calls are dropped, as its replay will
        record them anew."""
        with self._db() as db:
            db.execute("DELETE FROM steps WHERE run = ?", (run,))
            db.execute("DELETE FROM calls WHERE run = ?", (run,))
            db.execute(
                "INSERT INTO runs (id, kind, task, folder, command, status, pid, host, budget, started, parent) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = 'running', "
                "pid = excluded.pid, host = excluded.host, ended = NULL, calls = 0",
                (run, kind, task, str(folder), json.dumps(command), os.getpid(), HOST, budget, time.time(), parent),
            )

    def step(self, run: str, step: Step, calls: list[Call], small_calls: int) -> None:
        with self._db() as db:
            db.execute(
                SAVE_STEP,
                (run, step.step, step.node, step.seconds, json.dumps(step.usage), json.dumps(step.summary)),
            )
            db.executemany(
                SAVE_CALL,
                [
                    (
                        run,
                        c.step,
                        c.seq,
                        c.role,
                        json.dumps(c.messages, ensure_ascii=False),
                        c.answer,
                        c.prompt_tokens,
                        c.completion_tokens,
                        c.seconds,
                        int(c.cached),  # PostgreSQL keeps no bool in an INTEGER column
                    )
                    for c in calls
                ],
            )
            db.execute("UPDATE runs SET calls = ? WHERE id = ?", (small_calls, run))

    def finish(
        self, run: str, status: str, *, best: float | None = None, scores: dict | None = None, result: Any = None
    ) -> None:
        """How a run ended; `result` (JSON-able: an OptimizeResult's dump, a search tree) is what its report draws."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._db() as db:
            db.execute(
                "UPDATE runs SET status = ?, ended = ?, best = COALESCE(?, best), scores = ?, result = ? WHERE id = ?",
                (status, time.time(), best, json.dumps(scores or {}), _json(result), run),
            )

    def result(self, run: str) -> Any:
        """What the run produced, as `finish` was given it; None if it did not end."""
        with self._db() as db:
            row = db.execute("SELECT result FROM runs WHERE id = ?", (run,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def runs(self) -> list[RunRecord]:
        """Every run, the newest first."""
        if self.path is not None and not self.path.exists():
            return []
        with self._db() as db:
            return [self._record(row) for row in db.execute(f"SELECT {LISTED} FROM runs ORDER BY started DESC")]

    def get(self, run: str) -> RunRecord:
        """A run by its id, or by a prefix of it that no other run shares."""
        found = [r for r in self.runs() if r.id == run] or [r for r in self.runs() if r.id.startswith(run)]
        if len(found) != 1:
            many = f"{len(found)} runs start with {run!r}: give more of the id" if found else f"no run {run!r}"
            raise RunNotFound(f"{many} in {self.where} (`idealprompt runs` lists them)")
        return found[0]

    def steps(self, run: str) -> list[Step]:
        with self._db() as db:
            rows = db.execute(
                "SELECT step, node, seconds, usage, summary FROM steps WHERE run = ? ORDER BY step", (run,)
            )
            return [
                Step(step=s, node=n, seconds=t, usage=json.loads(u), summary=json.loads(m)) for s, n, t, u, m in rows
            ]

    def calls(self, run: str, step: int | None = None) -> list[Call]:
        args: tuple[str | int, ...]
        query, args = "SELECT * FROM calls WHERE run = ?", (run,)
        if step is not None:
            query, args = query + " AND step = ?", (run, step)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY step, seq", args).fetchall()
        return [
            Call(
                step=s,
                seq=q,
                role=r,
                messages=json.loads(m),
                answer=a,
                prompt_tokens=p,
                completion_tokens=c,
                seconds=t,
                cached=bool(k),
            )
            for _, s, q, r, m, a, p, c, t, k in rows
        ]

    def _record(self, row: tuple) -> RunRecord:
        run, kind, task, folder, command, status, pid, host, budget, calls, best, scores, started, ended, parent = row
        # Killed, or its machine went down: nothing could mark it. Only a process of this machine can be looked
        # at; a run of another stays `running` here (its own machine shows it interrupted).
        if status == "running" and on_this_machine(host) and not _alive(pid):
            status = "interrupted"
        return RunRecord(
            id=run,
            kind=kind,
            task=task,
            folder=folder,
            command=json.loads(command),
            status=status,
            host=host,
            budget=budget,
            calls=calls,
            best=best,
            scores=json.loads(scores),
            started=started,
            ended=ended,
            parent=parent,
        )

    @contextmanager
    def _db(self) -> Iterator[Connection]:
        """A connection per use, committed at the end: the store is shared by processes (a run, `idealprompt runs`)."""
        errors = self._errors()
        with self._lock:
            try:
                db = self._open()
            except errors as e:
                raise OutputError(f"{self.where}: cannot open the run store ({one_line(e)})") from None
            with closing(db.conn):
                try:
                    yield db
                    db.conn.commit()
                except errors as e:
                    raise OutputError(f"{self.where}: cannot write the run store ({one_line(e)})") from None
            self._made = True

    def _open(self) -> Connection:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = Connection(sqlite3.connect(self.path, timeout=30), postgres=False)
        else:
            db = Connection(import_psycopg().connect(self.url, connect_timeout=CONNECT_SECONDS), postgres=True)
        if not self._made:
            db.create(SCHEMA)
            db.add_column("runs", "host", "TEXT")  # stores made before it
        return db

    def _errors(self) -> tuple[type[Exception], ...]:
        """What the database raises; OSError: a folder that cannot be made."""
        return (OSError, sqlite3.Error if self.url is None else import_psycopg().Error)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def on_this_machine(host: str | None) -> bool:
    """Whether a run's process ran here (a run of a store made before hosts were kept is taken as one)."""
    return host in (None, HOST)


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
