"""The run store: one SQLite file that lists every run (its command, folder, status and scores), its steps and
every model call of each step, for `idealprompt runs`, `trace`, `resume`, `fork` and `report`.

The steps of a graph and their state stay in the run's own LangGraph checkpoints (`checkpoints.sqlite` beside its
result); what is kept here is what a person reads: per step, the node, what it produced in a line or two, its
calls, tokens and seconds, and per call the messages sent and the answer received.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from idealprompt.errors import OutputError, RunNotFound

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
STATUSES = ("running", "done", "failed", "interrupted")
LISTED = "id, kind, task, folder, command, status, pid, budget, calls, best, scores, started, ended, parent"


class RunRecord(BaseModel):
    id: str
    kind: str  # optimize, warmup, write, eval-style
    task: str  # the task, style or dataset it ran on
    folder: str  # where its result, checkpoints and recorded calls are
    command: list[str]  # the command's arguments, absolute paths: what `resume` runs again
    status: str  # running, done, failed, interrupted (running, and its process is gone)
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
    """The run store in `folder` (made on first write); safe to share between the threads of one run."""

    def __init__(self, folder: Path | str):
        self.path = Path(folder) / FILE
        self._lock = threading.Lock()

    def start(
        self, run: str, *, kind: str, task: str, folder: Path, command: list[str], budget: int | None, parent=None
    ) -> None:
        """A run begins, or begins again (resumed): its earlier steps and calls are dropped, as its replay will
        record them anew."""
        with self._db() as db:
            db.execute("DELETE FROM steps WHERE run = ?", (run,))
            db.execute("DELETE FROM calls WHERE run = ?", (run,))
            db.execute(
                "INSERT INTO runs (id, kind, task, folder, command, status, pid, budget, started, parent) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = 'running', "
                "pid = excluded.pid, ended = NULL, calls = 0",
                (run, kind, task, str(folder), json.dumps(command), os.getpid(), budget, time.time(), parent),
            )

    def step(self, run: str, step: Step, calls: list[Call], small_calls: int) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO steps VALUES (?, ?, ?, ?, ?, ?)",
                (run, step.step, step.node, step.seconds, json.dumps(step.usage), json.dumps(step.summary)),
            )
            db.executemany(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                        c.cached,
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
        if not self.path.exists():
            return []
        with self._db() as db:
            return [self._record(row) for row in db.execute(f"SELECT {LISTED} FROM runs ORDER BY started DESC")]

    def get(self, run: str) -> RunRecord:
        """A run by its id, or by a prefix of it that no other run shares."""
        found = [r for r in self.runs() if r.id == run] or [r for r in self.runs() if r.id.startswith(run)]
        if len(found) != 1:
            many = f"{len(found)} runs start with {run!r}: give more of the id" if found else f"no run {run!r}"
            raise RunNotFound(f"{many} in {self.path} (`idealprompt runs` lists them)")
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
        query, args = "SELECT * FROM calls WHERE run = ?", [run]
        if step is not None:
            query, args = query + " AND step = ?", [run, str(step)]  # the column's affinity reads it as a number
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
        run, kind, task, folder, command, status, pid, budget, calls, best, scores, started, ended, parent = row
        if status == "running" and not _alive(pid):
            status = "interrupted"  # killed, or its machine went down: nothing could mark it
        return RunRecord(
            id=run,
            kind=kind,
            task=task,
            folder=folder,
            command=json.loads(command),
            status=status,
            budget=budget,
            calls=calls,
            best=best,
            scores=json.loads(scores),
            started=started,
            ended=ended,
            parent=parent,
        )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection per use, committed at the end: the store is shared by processes (a run, `idealprompt runs`)."""
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30)
                conn.executescript(SCHEMA)
            except (OSError, sqlite3.Error) as e:
                raise OutputError(f"{self.path}: cannot open the run store ({e})") from None
            with closing(conn):
                try:
                    yield conn
                    conn.commit()
                except sqlite3.Error as e:
                    raise OutputError(f"{self.path}: cannot write the run store ({e})") from None


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


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
