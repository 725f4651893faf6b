"""Runs read back through the CLI: `runs` lists them, `trace` shows their steps and every call of one, `fork`
takes another branch from a step, and `report` writes one HTML page that headless Chromium renders."""

import json
import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from idealprompt.cli import app
from tests.fake_openai_server import FakeOpenAIServer
from tests.unit.test_openai_compatible import _task_file, answer
from tests.unit.test_sag_graph import FAITHFUL, PLAN


def _cli(server, *args):
    return CliRunner().invoke(app, list(args), env=server.env())


@pytest.fixture
def optimised(offline_settings, tmp_path):
    """One scripted optimisation through the CLI, its run as `runs --json` lists it, and its server, still up."""
    task = _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4})
    with FakeOpenAIServer(answer) as server:
        ran = _cli(
            server,
            "optimize",
            task,
            "--budget",
            "60",
            "--no-memory",
            "--warmup-iterations",
            "0",
            "--out",
            str(tmp_path / "out"),
        )
        assert ran.exit_code == 0, ran.output
        [run] = [json.loads(line) for line in _cli(server, "runs", "--json").stdout.splitlines()]
        server.received.clear()
        yield run, tmp_path, server


def test_runs_lists_the_run_with_its_scores_and_calls(optimised):
    run, tmp_path, _ = optimised
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert run["kind"] == "optimize" and run["task"] == "reviews" and run["status"] == "done"
    assert run["best"] == result["optimized"]["dev"] == 1.0
    assert run["calls"] == result["usage"]["small"]["calls"] and run["budget"] == 60
    assert run["command"][:2] == ["optimize", str(tmp_path / "task.yaml")] and "--force" not in run["command"]


def test_trace_lists_the_steps_and_shows_every_call_of_one(optimised):
    run, _, server = optimised
    steps = _cli(server, "trace", run["id"][:14])
    assert steps.exit_code == 0, steps.output
    nodes = [line.split()[1] for line in steps.output.splitlines() if line[:4].strip().isdigit()]
    assert nodes[:3] == ["initialise", "score", "reflect"] and nodes[-2:] == ["test", "remember"]
    assert "stopped: a perfect dev score" in steps.output
    reflect = nodes.index("reflect") + 1
    one = _cli(server, "trace", run["id"], "--step", str(reflect))
    as_json = json.loads(_cli(server, "trace", run["id"], "--step", str(reflect), "--json").stdout)
    missing = _cli(server, "trace", run["id"], "--step", "99")
    assert "[system]" in one.output and "[answer]" in one.output and "[RULE]" in one.output
    assert {c["role"] for c in as_json["calls"]} == {"large"}  # the reflector's request and its proposal
    assert "not 99" in str(missing.exception)


def test_a_fork_with_another_option_takes_the_other_branch_and_replays_the_steps_before(optimised):
    run, tmp_path, server = optimised
    forked = _cli(server, "fork", run["id"], "--step", "1", "--set", "rounds=0", "--out", str(tmp_path / "fork"))
    assert forked.exit_code == 0, forked.output
    asked = len(server.received)
    fork = next(
        json.loads(line)
        for line in _cli(server, "runs", "--json").stdout.splitlines()
        if json.loads(line)["id"] != run["id"]
    )
    nodes = [
        line.split()[1] for line in _cli(server, "trace", fork["id"]).output.splitlines() if line[:4].strip().isdigit()
    ]
    step_one = json.loads(_cli(server, "trace", fork["id"], "--step", "1", "--json").stdout)["calls"]
    bad = _cli(server, "fork", run["id"], "--step", "1", "--set", "roundz=1")
    result = json.loads((tmp_path / "fork" / "result.json").read_text())
    assert fork["parent"] == f"{run['id']}@1" and nodes == ["initialise", "score", "test", "remember"]
    assert result["stopped"] == "0 rounds done" and "reflect" not in nodes
    assert step_one and all(c["cached"] for c in step_one)  # step 1 replayed from the run's recorded calls
    assert all(b["model"] == "small" for b in server.received[:asked])  # the fork's new calls: its scoring
    assert "roundz: not an option" in str(bad.exception)


def test_the_report_is_one_page_that_chromium_renders_with_every_section(optimised):
    run, tmp_path, server = optimised
    made = _cli(server, "report", run["id"], "--html", str(tmp_path / "report.html"))
    assert made.exit_code == 0, made.output
    page = (tmp_path / "report.html").read_text()
    assert not re.search(r"(src|href)=[\"']?(https?:|//)", page) and "<script" not in page  # nothing to fetch
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium here (.ci/run installs Debian's)")
    rendered = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", (tmp_path / "report.html").as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    for section in (
        "Scores",
        "Score curve",
        "Candidate tree",
        "Prompt: seed to optimised",
        "Mistakes on test, before and after",
        "Ledger",
        "Steps",
    ):
        assert f"<h2>{section}</h2>" in rendered, section
    assert rendered.count("<svg") >= 2 and "[RULE]" in rendered


def test_a_writing_run_is_listed_with_its_steps_and_its_page_shows_the_plan_and_text(offline_settings, tmp_path):
    facts = tmp_path / "facts.txt"
    facts.write_text("name[The Eagle], eatType[pub], area[riverside]")

    def writer(body: dict) -> str:
        if body["model"] == "large":
            return json.dumps({"facts": PLAN})
        return FAITHFUL

    with FakeOpenAIServer(writer) as server:
        wrote = _cli(server, "write", "--facts", str(facts), "--style", "tablenotes", "--memory", str(tmp_path / "m"))
        assert wrote.exit_code == 0, wrote.output
        [run] = [json.loads(line) for line in _cli(server, "runs", "--json").stdout.splitlines()]
        traced = _cli(server, "trace", run["id"]).output
        page = _cli(server, "report", run["id"], "--html", str(tmp_path / "write.html"))
    assert run["kind"] == "write" and run["status"] == "done" and FAITHFUL in traced
    assert "plan: The Eagle is a pub." in traced and f"text: {FAITHFUL}" in traced
    assert page.exit_code == 0, page.output
    shown = (tmp_path / "write.html").read_text()
    assert "<h2>Plan</h2>" in shown and FAITHFUL in shown and "Fact check" in shown


def test_progress_as_json_lines_for_machines_and_nothing_when_quiet(offline_settings, tmp_path):
    task = _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4})
    args = ["optimize", task, "--budget", "60", "--no-memory", "--warmup-iterations", "0"]
    with FakeOpenAIServer(answer) as server:
        logged = _cli(server, *args, "--out", str(tmp_path / "a"), "--log-json")
        quiet = _cli(server, *args, "--out", str(tmp_path / "b"), "--quiet")
    assert logged.exit_code == 0 == quiet.exit_code, logged.output + quiet.output
    events = [json.loads(line) for line in logged.stderr.splitlines() if line.startswith("{")]
    assert [e["step"] for e in events] == list(range(1, len(events) + 1)) and events[-1]["node"] == "remember"
    assert events[-1]["best"] == 1.0 and all(e["budget"] == 60 and e["calls"] <= 60 for e in events)
    assert any("#0 seed: dev 0.500" in line for e in events for line in e["lines"])
    assert "seed: dev" not in quiet.output and "ledger" not in quiet.output and "[RULE]" in quiet.stdout


def test_a_warmup_is_a_run_per_task_and_its_page_draws_the_strategy_tree(offline_settings, tmp_path):
    task = _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4})
    args = ["warmup", task, "--budget", "40", "--iterations", "2", "--minibatch", "4", "--memory", str(tmp_path / "m")]
    with FakeOpenAIServer(answer) as server:
        ran = _cli(server, *args, "--out", str(tmp_path / "w"))
        assert ran.exit_code == 0, ran.output
        [run] = [json.loads(line) for line in _cli(server, "runs", "--json").stdout.splitlines()]
        traced = _cli(server, "trace", run["id"]).output
        page = _cli(server, "report", run["id"], "--html", str(tmp_path / "w.html"))
    assert run["kind"] == "warmup" and run["status"] == "done" and run["command"][1] == task
    assert "evaluate" in traced and "#0   seed prompt: 0.500" in traced
    assert page.exit_code == 0, page.output
    shown = (tmp_path / "w.html").read_text()
    assert "<h2>Strategy tree</h2>" in shown and "#0 seed" in shown and "<svg" in shown
