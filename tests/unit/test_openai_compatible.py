"""A whole optimisation through the CLI against an OpenAI-compatible server on 127.0.0.1, as a user without the
embedded extra runs it: both roles on `openai:` routes, nothing in process."""

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import yaml
from typer.testing import CliRunner

from idealprompt.cli import app
from idealprompt.errors import OutputError
from tests.fake_openai_server import FakeOpenAIServer

REPO = Path(__file__).resolve().parents[2]
CLI = "import tests.no_network\nfrom idealprompt.cli import main\nmain()"
POSITIVE = ["a delight", "warm and funny", "pure joy", "a triumph", "sharp and witty", "a gem", "moving", "uplifting"]
NEGATIVE = ["dull", "a tedious mess", "forgettable", "a chore", "lifeless", "clumsy", "a slog", "hollow"]


def answer(body: dict) -> str:
    """The small model reads 'positive' everywhere until the prompt holds a rule; the large model proposes it."""
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    if body["model"] == "small":
        if "[RULE]" in system:
            return "positive" if user in POSITIVE else "negative"
        return "positive"
    schema = json.dumps((body.get("response_format") or {}).get("schema") or {})
    if "task_description" in schema:  # the reflector's structured answer
        return json.dumps(
            {
                "diagnosis": "negatives read as positive",
                "label_definitions": [],
                "task_description": "Classify the review's sentiment. [RULE]",
            }
        )
    return json.dumps({"prompt": "Classify the review's sentiment, carefully."})  # the optimizer's


def _task_file(tmp_path, split: dict) -> str:
    examples = [{"input": t, "target": "positive"} for t in POSITIVE] + [
        {"input": t, "target": "negative"} for t in NEGATIVE
    ]
    task = {
        "name": "reviews",
        "description": "Classify film reviews by sentiment.",
        "seed_prompt": "Classify.",
        "labels": ["positive", "negative"],
        "data": {"format": "inline", "examples": examples},
        "split": split | {"seed": 0},
    }
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(task))
    return str(tmp_path / "task.yaml")


def _optimize(server, *args):
    env = server.env()
    return CliRunner().invoke(app, ["optimize", *args, "--no-memory"], env=env)


def test_an_optimisation_against_an_openai_compatible_server(offline_settings, tmp_path):
    task = _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4})
    with FakeOpenAIServer(answer) as server:
        ran = _optimize(server, task, "--budget", "60", "--out", str(tmp_path / "out"))
    assert ran.exit_code == 0, ran.output
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["optimized"]["dev"] == 1.0 and result["optimized"]["test"] == 1.0 > result["seed"]["test"]
    assert "[RULE]" in (tmp_path / "out" / "prompt.txt").read_text()
    small = [b for b in server.received if b["model"] == "small"]
    assert small and all(b.get("grammar") for b in small)  # a compatible server is sent the answer grammar
    assert result["usage"]["small"]["calls"] <= 60


def test_reflector_tools_from_the_command_line_reach_the_server_as_tools(offline_settings, tmp_path):
    task = _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4})
    with FakeOpenAIServer(answer) as server:
        args = ["--budget", "60", "--warmup-iterations", "0", "--reflector-tools", "2"]
        ran = _optimize(server, task, *args, "--out", str(tmp_path / "out"))
    assert ran.exit_code == 0, ran.output
    offered = [[t["function"]["name"] for t in body["tools"]] for body in server.received if body.get("tools")]
    assert offered and set(offered[0]) == {"show_bad_cases", "evaluate_draft", "Reflection"}
    assert json.loads((tmp_path / "out" / "result.json").read_text())["optimized"]["dev"] == 1.0


def test_a_task_without_a_test_split_and_model_text_with_markup(offline_settings, tmp_path):
    """The end of a run must not crash: no test split gives no test scores; a prompt with rich markup prints."""

    def markup(body: dict) -> str:
        if body["model"] == "large" and "task_description" in json.dumps(body.get("response_format") or {}):
            return json.dumps({"diagnosis": "d", "label_definitions": [], "task_description": "Be [/b] bold. [RULE]"})
        return answer(body)

    task = _task_file(tmp_path, {"train": 8, "dev": 8, "test": 0})
    with FakeOpenAIServer(markup) as server:
        ran = _optimize(server, task, "--budget", "80", "--warmup-iterations", "0", "--out", str(tmp_path / "out"))
    assert ran.exit_code == 0, ran.output
    assert "Be [/b] bold. [RULE]" in ran.output and "the task has no test split" in ran.output
    assert json.loads((tmp_path / "out" / "result.json").read_text())["optimized"]["test"] is None


def test_a_run_that_scored_nothing_exits_1(offline_settings, tmp_path):
    task = _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4})
    with FakeOpenAIServer(answer) as server:
        ran = _optimize(server, task, "--budget", "1", "--out", str(tmp_path / "out"))
    assert ran.exit_code == 1 and "nothing was scored" in ran.output


def test_an_earlier_result_is_not_overwritten_without_force(offline_settings, tmp_path):
    task = _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "result.json").write_text('{"earlier": true}')
    with FakeOpenAIServer(answer) as server:
        refused = _optimize(server, task, "--budget", "20", "--out", str(tmp_path / "out"))
        assert isinstance(refused.exception, OutputError) and "pass --force to replace it" in str(refused.exception)
        assert server.received == []  # refused before any work
        assert (tmp_path / "out" / "result.json").read_text() == '{"earlier": true}'
        forced = _optimize(server, task, "--budget", "20", "--out", str(tmp_path / "out"), "--force")
    assert forced.exit_code == 0, forced.output
    assert "earlier" not in json.loads((tmp_path / "out" / "result.json").read_text())


def test_a_run_killed_mid_way_and_resumed_pays_for_no_call_twice(offline_settings, tmp_path):
    """SIGKILL during the reflection; `idealprompt resume` replays the calls the killed run recorded and ends as a
    run that was never interrupted, with the same ledger. Only the request in flight at the kill (the reflector's,
    never answered) is asked again."""
    task, reflecting, blocked = (
        _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4}),
        threading.Event(),
        threading.Event(),
    )

    def stalls(body: dict) -> str:
        if "task_description" in json.dumps(body.get("response_format") or {}) and not reflecting.is_set():
            reflecting.set()
            blocked.wait(60)  # the killed run never gets this answer
        return answer(body)

    args = ["optimize", task, "--budget", "60", "--no-memory", "--out", str(tmp_path / "out")]
    env = os.environ | {"IDEALPROMPT_CONCURRENCY": "1", "PYTHONPATH": str(REPO)}
    with FakeOpenAIServer(stalls) as server:
        env |= server.env()
        child = subprocess.Popen([sys.executable, "-c", CLI, *args], env=env, cwd=tmp_path)
        assert reflecting.wait(120), "the run never reached the reflection"
        child.send_signal(signal.SIGKILL)
        child.wait()
        blocked.set()
        before = [json.dumps(b, sort_keys=True) for b in server.received]
        kill_at = len(before)
        assert kill_at > 10 and not (tmp_path / "out" / "result.json").exists()
        env = server.env() | {"IDEALPROMPT_CONCURRENCY": "1"}
        [killed] = [
            json.loads(line) for line in CliRunner().invoke(app, ["runs", "--json"], env=env).stdout.splitlines()
        ]
        assert killed["status"] == "interrupted"
        again = CliRunner().invoke(app, ["resume", killed["id"]], env=env)
        after = [json.dumps(b, sort_keys=True) for b in server.received[kill_at:]]
        resumed_run = CliRunner().invoke(app, ["trace", killed["id"]], env=env).output
    assert again.exit_code == 0, again.output
    assert "resuming: the calls recorded in" in again.output and "done" in resumed_run.splitlines()[0]
    assert set(after) & set(before) == {before[-1]}  # only the unanswered request is sent again
    with FakeOpenAIServer(answer) as server:  # the same run, never interrupted
        whole = _optimize(server, task, "--budget", "60", "--out", str(tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output
    resumed, uninterrupted = (json.loads((tmp_path / d / "result.json").read_text()) for d in ("out", "whole"))
    for key in ("prompt", "seed", "optimized", "stopped", "candidates"):
        assert resumed[key] == uninterrupted[key], key
    for role in ("small", "large"):  # the replayed calls count as they did: the budget is not spent twice
        assert resumed["usage"][role]["calls"] == uninterrupted["usage"][role]["calls"], role
    assert resumed["usage"]["small"]["cached"] + resumed["usage"]["large"]["cached"] == kill_at - 1
    assert len(before) - 1 + len(after) == len(server.received)  # the calls of one run, one of them asked twice
