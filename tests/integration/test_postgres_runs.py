"""Runs in a PostgreSQL database, as a team shares one: the run store's tables and every run's checkpoints there,
so that a run one process started and another listed is resumed by a third. A PostgreSQL 15 is started for the
session on 127.0.0.1 (no model runs: a scripted OpenAI-compatible server answers)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from typer.testing import CliRunner

from idealprompt.cli import app
from idealprompt.errors import OutputError
from idealprompt.runs import RunStore, Step, open_trace
from idealprompt.runs.store import Call
from tests.fake_openai_server import FakeOpenAIServer
from tests.unit.test_openai_compatible import CLI, REPO, _task_file, answer

BIN = Path("/usr/lib/postgresql/15/bin")  # Debian's postgresql-15; elsewhere the first initdb on PATH
USER = "idealprompt"


def _postgres_bin(name: str) -> str | None:
    return str(BIN / name) if (BIN / name).exists() else shutil.which(name)


def _as_owner(*command: str) -> list[str]:
    """PostgreSQL refuses to run as root: root runs it as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A PostgreSQL server of its own, listening on 127.0.0.1 only; its URL, without a database."""
    pytest.importorskip("psycopg", reason="the PostgreSQL run store's driver (psycopg) is not installed")
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install postgresql-15)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("as root, PostgreSQL runs as the `postgres` user, and runuser is missing")
    root = Path(tempfile.mkdtemp(prefix="idealprompt-pg-"))  # not pytest's tmp: its folders are closed to others
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()
    subprocess.run(
        _as_owner(initdb, "-D", str(data), "-A", "trust", "-U", USER, "--no-sync", "-E", "UTF8", "--locale=C"),
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"  # the socket in its own folder
    started = subprocess.run(
        _as_owner(pg_ctl, "start", "-w", "-D", str(data), "-l", str(root / "log"), "-o", options),
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:
        pytest.fail(f"PostgreSQL did not start: {started.stdout}{(root / 'log').read_text()[-2000:]}")
    try:
        yield f"postgresql://{USER}@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_owner(pg_ctl, "stop", "-m", "fast", "-D", str(data)), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def database(postgres) -> str:
    """A new database on the server, for one test: its URL, with a password that is not needed (trust)."""
    import psycopg

    name = f"runs_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.replace(f"{USER}@", f"{USER}:hunter2@") + f"/{name}"


def test_the_store_keeps_runs_steps_and_calls_in_postgresql_to_the_sub_second(database, tmp_path):
    store = RunStore(database)
    assert store.runs() == [] and "hunter2" not in store.where
    before = time.time()
    started = dict(kind="optimize", task="t", folder=tmp_path, command=["optimize", "t.yaml"], budget=10)
    store.start("ideal-t-aaaa", **started)
    store.start("ideal-t-bbbb", **started)
    call = Call(
        step=1,
        seq=0,
        role="small",
        messages=[{"type": "human", "content": "héllo"}],
        answer="positive",
        prompt_tokens=3,
        completion_tokens=1,
        seconds=0.25,
        cached=True,
    )
    step = Step(step=1, node="score", seconds=0.5, usage={"small": {"calls": 1}}, summary=["#0 seed: dev 0.500"])
    store.step("ideal-t-aaaa", step, [call], small_calls=1)
    store.step("ideal-t-aaaa", step.model_copy(update={"node": "reflect"}), [call], small_calls=2)  # replaced
    store.finish("ideal-t-aaaa", "done", best=0.75, scores={"seed": 0.5}, result={"prompt": "p"})
    again = RunStore(database)  # another worker's view
    first, second = again.get("ideal-t-a"), again.get("ideal-t-b")
    assert [r.id for r in again.runs()] == ["ideal-t-bbbb", "ideal-t-aaaa"] and second.status == "running"
    assert (
        first.status == "done" and first.best == 0.75 and first.calls == 2 and first.command == ["optimize", "t.yaml"]
    )
    assert 0 <= first.started - before < 1 and 0 < second.started - first.started < 1  # not rounded to minutes
    assert again.steps("ideal-t-aaaa") == [step.model_copy(update={"node": "reflect"})]
    assert (
        again.calls("ideal-t-aaaa") == again.calls("ideal-t-aaaa", 1) == [call] and again.calls("ideal-t-aaaa", 2) == []
    )
    assert again.result("ideal-t-aaaa") == {"prompt": "p"}


class Count(TypedDict):
    n: int


def test_a_run_s_checkpoints_are_read_by_another_worker_and_a_write_error_names_the_database(database, monkeypatch):
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import OperationalError

    graph = StateGraph(Count)
    graph.add_node("one", lambda s: {"n": s["n"] + 1})
    graph.add_edge(START, "one")
    graph.add_edge("one", END)
    config = {"configurable": {"thread_id": "ideal-t-aaaa"}}
    with open_trace(database) as saver:
        graph.compile(checkpointer=saver).invoke({"n": 0}, config)
    with open_trace(database) as other:
        assert other.get_tuple(config).checkpoint["channel_values"]["n"] == 1

    def fails(self, *args, **kwargs):
        raise OperationalError("the server closed the connection")

    monkeypatch.setattr(PostgresSaver, "put", fails)
    with (
        open_trace(database) as saver,
        pytest.raises(OutputError, match=r"\*\*\*@127.0.0.1:\d+/runs_\w+: cannot write"),
    ):
        graph.compile(checkpointer=saver).invoke({"n": 0}, {"configurable": {"thread_id": "other"}})


def test_a_run_started_by_one_process_is_resumed_by_another_and_ends_as_if_never_interrupted(
    database, offline_settings, tmp_path
):
    """Process 1 is killed during the reflection; process 2 lists it from the database as interrupted and resumes
    it, replaying the calls process 1 recorded; the result is an uninterrupted run's."""
    task, reflecting, blocked = (
        _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4}),
        threading.Event(),
        threading.Event(),
    )

    def stalls(body: dict) -> str:
        if "task_description" in json.dumps(body.get("response_format") or {}) and not reflecting.is_set():
            reflecting.set()
            blocked.wait(60)  # process 1 never gets this answer
        return answer(body)

    env = os.environ | {"IDEALPROMPT_RUNS": database, "IDEALPROMPT_CONCURRENCY": "1", "PYTHONPATH": str(REPO)}
    args = ["optimize", task, "--budget", "60", "--no-memory", "--out", str(tmp_path / "out")]
    with FakeOpenAIServer(stalls) as server:
        env |= server.env()
        first = subprocess.Popen([sys.executable, "-c", CLI, *args], env=env, cwd=tmp_path)
        assert reflecting.wait(120), "process 1 never reached the reflection"
        first.send_signal(signal.SIGKILL)
        first.wait()
        blocked.set()
        before = [json.dumps(b, sort_keys=True) for b in server.received]
        assert not (tmp_path / "out" / "result.json").exists()

        def cli(*words: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-c", CLI, *words], env=env, cwd=tmp_path, capture_output=True, text=True
            )

        [killed] = [json.loads(line) for line in cli("runs", "--json").stdout.splitlines()]
        resumed = cli("resume", killed["id"])
        after = [json.dumps(b, sort_keys=True) for b in server.received[len(before) :]]
    assert killed["status"] == "interrupted"
    assert resumed.returncode == 0, resumed.stderr
    assert set(after) & set(before) == {before[-1]}  # only the request process 1 never got answered is asked again
    assert "resuming: the calls recorded in" in resumed.stderr and "***@127.0.0.1" in resumed.stdout  # its trace
    assert not (tmp_path / "out" / "checkpoints.sqlite").exists()  # its checkpoints are in the database
    with open_trace(database) as trace:
        assert trace.get_tuple({"configurable": {"thread_id": killed["id"]}}) is not None
    with FakeOpenAIServer(answer) as server:  # the same run, never interrupted
        whole = CliRunner().invoke(
            app, [*args[:-1], str(tmp_path / "whole")], env=server.env() | {"IDEALPROMPT_RUNS": database}
        )
    assert whole.exit_code == 0, whole.output
    listed = {r.id: r for r in RunStore(database).runs()}
    assert len(listed) == 2 and {r.status for r in listed.values()} == {"done"}
    out, uninterrupted = (json.loads((tmp_path / d / "result.json").read_text()) for d in ("out", "whole"))
    for key in ("prompt", "seed", "optimized", "stopped", "candidates"):
        assert out[key] == uninterrupted[key], key
    assert listed[killed["id"]].best == uninterrupted["optimized"]["dev"]
