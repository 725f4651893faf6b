"""The small model on Ray actors (a local cluster on loopback), the real 0.5B in each: the same answers as in this
process, replayed from the same cache, the budget and the ledger exact at the driver, a killed actor replaced."""

import dataclasses
import json
import os
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idealprompt import Budget, Session
from idealprompt.cli import app
from idealprompt.cli.common import CALLS
from idealprompt.errors import BudgetExhausted
from idealprompt.runs import RunStore
from idealprompt.scoring.evaluate import Evaluator
from idealprompt.tasks import load_task
from tests.fake_openai_server import FakeOpenAIServer
from tests.unit.test_openai_compatible import answer
from tests.unit.test_optimize_many import _tasks

ray = pytest.importorskip("ray")

TASK = Path(__file__).resolve().parents[2] / "examples" / "sports_understanding.yaml"
OTHER = "Is the sentence plausible for a sports fan? Answer yes or no."


@pytest.fixture(scope="module")
def cluster():
    yield
    ray.shutdown()


@pytest.fixture
def task():
    task = load_task(TASK)
    return dataclasses.replace(task, dev=task.dev[:8])


def _served(session: Session) -> int:
    pool = session.model("small").pool
    return sum(ray.get([a.served.remote() for a in pool.actors]))


def test_actors_answer_as_this_process_and_replay_its_cache(real_settings, cluster, task, tmp_path):
    cache = tmp_path / "calls.sqlite"
    here = real_settings.model_copy(update={"replay_cache": cache, "threads": 1})
    local = Evaluator.for_session(Session(here), task).evaluate(task.seed_prompt, task.dev)

    actors = Session(here.model_copy(update={"ray": "local", "ray_actors": 2}))
    assert actors.concurrency("small") == 2
    replayed = Evaluator.for_session(actors, task).evaluate(task.seed_prompt, task.dev)
    assert [p.answer for p in replayed.predictions] == [p.answer for p in local.predictions]
    assert actors.ledger.snapshot()["small"]["cached"] == len(task.dev)  # every answer came from the cache

    fresh = Evaluator.for_session(actors, task).evaluate(OTHER, task.dev)  # not in the cache: the actors answer
    again = Evaluator.for_session(Session(real_settings.model_copy(update={"threads": 1})), task).evaluate(
        OTHER, task.dev
    )
    assert [p.answer for p in fresh.predictions] == [p.answer for p in again.predictions]
    assert _served(actors) == actors.ledger.snapshot()["small"]["calls"] - len(task.dev) == len(task.dev)


def test_the_budget_is_reserved_at_the_driver(real_settings, cluster, task):
    settings = real_settings.model_copy(update={"ray": "local", "ray_actors": 2, "threads": 1})
    session = Session(settings, budget=Budget(small_calls=3))
    before = _served(session)
    with pytest.raises(BudgetExhausted):
        Evaluator.for_session(session, task).evaluate("Answer yes or no: plausible?", task.dev)
    assert session.ledger.snapshot()["small"]["calls"] == 3
    assert _served(session) - before == 3  # what the actors answered is what the ledger let through


def test_a_killed_actor_is_replaced_and_its_request_retried(real_settings, cluster, task):
    settings = real_settings.model_copy(update={"ray": "local", "ray_actors": 2, "threads": 1})
    session = Session(settings)
    prompt = "Decide whether the sports sentence is plausible."
    expected = Evaluator.for_session(Session(real_settings.model_copy(update={"threads": 1})), task).evaluate(
        prompt, task.dev
    )
    victim = session.model("small").pool.actors[0]
    killer = threading.Timer(1.0, lambda: ray.kill(victim, no_restart=False))
    killer.start()
    result = Evaluator.for_session(session, task).evaluate(prompt, task.dev)
    killer.join()
    assert all(p.error is None for p in result.predictions)
    assert [p.answer for p in result.predictions] == [p.answer for p in expected.predictions]
    assert session.ledger.snapshot()["small"]["calls"] == len(task.dev)  # a retried request is counted once


def test_several_tasks_as_ray_tasks_replay_in_this_process(offline_settings, cluster, tmp_path):
    """`optimize A B --ray local`: each task a Ray task (the scripted server answers both roles, so no actor is
    needed); what one recorded, replayed here, gives its result again without a single new call."""
    films, books = _tasks(tmp_path, "films", "books")
    with FakeOpenAIServer(answer) as server:
        env = server.env()
        args = [films, books, "--budget", "60", "--ray", "local", "--no-memory", "--out", str(tmp_path / "out")]
        ran = CliRunner().invoke(app, ["optimize", *args], env=env)
        assert ran.exit_code == 0, ran.output
        runs = {r.task: r for r in RunStore(offline_settings.runs).runs()}
        assert {r.status for r in runs.values()} == {"done"} and set(runs) == {"films", "books"}
        assert all(0 < r.calls <= 60 for r in runs.values())
        with closing(sqlite3.connect(offline_settings.runs / "runs.sqlite")) as db:
            pids = {pid for (pid,) in db.execute("SELECT pid FROM runs")}
        assert len(pids) == 2 and os.getpid() not in pids  # each task ran in a Ray worker of its own
        on_ray = json.loads((tmp_path / "out" / "films" / "result.json").read_text())

        here = tmp_path / "here"
        here.mkdir()
        for recorded in (tmp_path / "out" / "films").glob(f"{CALLS}*"):  # with its write-ahead log
            shutil.copy(recorded, here)
        asked = len(server.received)
        again = CliRunner().invoke(
            app, ["optimize", films, "--budget", "60", "--no-memory", "--out", str(here)], env=env
        )
        assert again.exit_code == 0, again.output
        assert len(server.received) == asked  # every answer replayed
    replayed = json.loads((here / "result.json").read_text())
    assert replayed["prompt"] == on_ray["prompt"] and replayed["optimized"] == on_ray["optimized"]
