"""Runs kept: a write error under the run's checkpoints (a full disk) names the file, and the steps checkpointed
before it stay readable; the run store lists runs and their steps, and the journal puts each call under its step."""

import sqlite3
import subprocess
import sys
from contextlib import closing
from typing import TypedDict

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from idealprompt.errors import OutputError, RunNotFound
from idealprompt.runs import Journal, RunStore, Step, follow, open_trace, trace_location
from idealprompt.runs.databases import postgres_sql
from idealprompt.runs.store import HOST, SAVE_CALL, SCHEMA
from idealprompt.session import Session
from tests.fakes import ScriptedChatModel


class Count(TypedDict):
    n: int


def _graph(checkpointer):
    graph = StateGraph(Count)
    graph.add_node("one", lambda s: {"n": s["n"] + 1})
    graph.add_node("two", lambda s: {"n": s["n"] + 1})
    graph.add_edge(START, "one")
    graph.add_edge("one", "two")
    graph.add_edge("two", END)
    return graph.compile(checkpointer=checkpointer)


def test_a_full_disk_under_the_trace_names_the_file_and_keeps_the_steps_before(tmp_path, monkeypatch):
    path, real, puts = tmp_path / "run" / "checkpoints.sqlite", SqliteSaver.put, []

    def fills_up(self, *args, **kwargs):
        puts.append(1)
        if len(puts) == 3:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SqliteSaver, "put", fills_up)
    config = {"configurable": {"thread_id": "t"}}
    with open_trace(path) as saver:
        with pytest.raises(OutputError, match=r"checkpoints.sqlite: cannot write the run's trace \(database or disk"):
            _graph(saver).invoke({"n": 0}, config)
        kept = list(saver.list(config))
    assert [c.metadata["step"] for c in kept] == [0, -1]  # the input and the first step: it resumes from there
    assert kept[0].checkpoint["channel_values"]["n"] == 0


def test_a_trace_that_cannot_be_opened_is_named(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with (
        pytest.raises(OutputError, match=r"file/checkpoints.sqlite: cannot open the run's trace"),
        open_trace(tmp_path / "file" / "checkpoints.sqlite"),
    ):
        pass


# --- the run store and its journal --------------------------------------------------------------------------
def test_the_store_lists_runs_newest_first_finds_a_prefix_and_marks_a_dead_run_interrupted(tmp_path):
    store = RunStore(tmp_path)
    started = dict(kind="optimize", task="t", folder=tmp_path, command=["optimize", "t.yaml"], budget=10)
    store.start("ideal-t-aaaa", **started)
    store.finish("ideal-t-aaaa", "done", best=0.75, scores={"seed": 0.5})
    store.start("ideal-t-bbbb", **started)
    with sqlite3.connect(store.path) as db:  # as if its process had been killed: nothing marked it
        db.execute("UPDATE runs SET pid = ? WHERE id = 'ideal-t-bbbb'", (_dead_pid(),))
    listed = store.runs()
    assert [r.id for r in listed] == ["ideal-t-bbbb", "ideal-t-aaaa"]
    assert [r.status for r in listed] == ["interrupted", "done"] and listed[1].best == 0.75
    assert store.get("ideal-t-a").id == "ideal-t-aaaa"
    with pytest.raises(RunNotFound, match="2 runs start with 'ideal-t'"):
        store.get("ideal-t")
    with pytest.raises(RunNotFound, match="no run 'nope'"):
        store.get("nope")


def test_a_run_of_another_machine_is_not_judged_by_this_machines_processes(tmp_path):
    """A shared store (PostgreSQL) lists runs of every worker: a pid is looked at only on the machine it ran on."""
    store = RunStore(tmp_path)
    store.start("elsewhere", kind="optimize", task="t", folder=tmp_path, command=["optimize"], budget=10)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE runs SET pid = ?, host = 'worker-7'", (_dead_pid(),))
    record = store.get("elsewhere")
    assert record.status == "running" and record.host == "worker-7"


def test_a_store_made_before_hosts_were_kept_gets_the_column(tmp_path):
    old = SCHEMA.replace("    host TEXT,\n", "")
    with closing(sqlite3.connect(tmp_path / "runs.sqlite")) as db:
        db.executescript(old)
        db.execute(
            "INSERT INTO runs (id, kind, task, folder, command, status, pid, started) "
            "VALUES ('old', 'optimize', 't', '.', '[]', 'running', ?, 0)",
            (_dead_pid(),),
        )
        db.commit()
    store = RunStore(tmp_path)
    assert store.get("old").status == "interrupted" and store.get("old").host is None  # judged here, as before
    store.start("new", kind="optimize", task="t", folder=tmp_path, command=[], budget=1)
    assert store.get("new").host == HOST and store.get("new").status == "running"


def test_a_run_started_again_drops_its_earlier_steps_and_keeps_its_start(tmp_path):
    store = RunStore(tmp_path)
    started = dict(kind="write", task="s", folder=tmp_path, command=["write"], budget=None)
    store.start("r", **started)
    store.step("r", Step(step=1, node="plan", seconds=0.1, usage={}, summary=["a"]), [], small_calls=0)
    first = store.get("r").started
    store.start("r", **started)
    assert store.steps("r") == [] and store.get("r").started == first and store.get("r").status == "running"


class Plan(TypedDict, total=False):
    text: str
    answer: str


def test_the_journal_records_each_call_under_its_node_and_role_with_a_subgraph_under_its_node(offline_settings):
    small = ScriptedChatModel(script=["inner answer", "outer answer"])
    session = Session(offline_settings, models={"small": small})

    def ask(state: Plan) -> Plan:
        return {"answer": session.model("small").invoke(state["text"]).content}

    inner = StateGraph(Plan)
    inner.add_node("ask", ask)
    inner.add_edge(START, "ask")
    outer = StateGraph(Plan)
    outer.add_node("search", inner.compile())
    outer.add_node("reply", ask)
    outer.add_edge(START, "search")
    outer.add_edge("search", "reply")
    store, journal = RunStore(offline_settings.runs), Journal()
    store.start("r", kind="optimize", task="t", folder=offline_settings.runs, command=[], budget=None)
    updates = outer.compile().stream({"text": "hello"}, {"callbacks": [journal]}, stream_mode="updates")
    steps = list(
        follow(
            updates,
            store=store,
            run="r",
            journal=journal,
            usage=session.ledger.snapshot,
            summary=lambda node, values: [f"{node}: {values.get('answer')}"],
        )
    )
    assert [(s, n, lines) for s, n, _, lines in steps] == [
        (1, "search", ["search: inner answer"]),
        (2, "reply", ["reply: outer answer"]),
    ]
    recorded = store.steps("r")
    assert [s.usage["small"]["calls"] for s in recorded] == [1, 1]
    calls = store.calls("r")
    assert [(c.step, c.role, c.answer) for c in calls] == [(1, "small", "inner answer"), (2, "small", "outer answer")]
    assert calls[0].messages == [{"type": "human", "content": "hello"}] and store.get("r").calls == 2


# --- in a PostgreSQL database (tests/integration/test_postgres_runs.py runs one) -------------------------------
def test_the_store_s_sql_is_written_once_and_postgresql_reads_it_with_its_placeholders_and_8_byte_floats(tmp_path):
    assert postgres_sql("SELECT * FROM calls WHERE run = ? AND step = ?") == (
        "SELECT * FROM calls WHERE run = %s AND step = %s"
    )
    assert "started DOUBLE PRECISION NOT NULL" in postgres_sql(SCHEMA) and "REAL" not in postgres_sql(SCHEMA)
    assert "INSERT OR" not in SAVE_CALL and postgres_sql(SAVE_CALL).count("%s") == 10
    url = "postgresql://team@db.example:5432/runs"
    assert trace_location(url, tmp_path) == url  # the runs' checkpoints go where their store is
    assert trace_location(tmp_path / "runs", tmp_path / "out") == tmp_path / "out" / "checkpoints.sqlite"


def test_a_database_that_does_not_answer_is_named_with_its_password_hidden():
    pytest.importorskip("psycopg", reason="the PostgreSQL run store's driver is not installed")
    url, named = "postgresql://team:hunter2@127.0.0.1:9/runs", r"postgresql://\*\*\*@127.0.0.1:9/runs: cannot open"
    with pytest.raises(OutputError, match=named) as store:  # the discard port: refused at once
        RunStore(url).runs()
    with pytest.raises(OutputError, match=named) as trace, open_trace(url):
        pass
    assert "Connection refused" in str(store.value) and "hunter2" not in str(store.value) + str(trace.value)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
