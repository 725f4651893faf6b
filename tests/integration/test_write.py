"""SAG writing on the real embedded models: `idealprompt write` on an E2E input, and the three systems of the
writing benchmark on 3 E2E inputs (examples/data/e2e_test_slice.csv)."""

import json
from pathlib import Path

from typer.testing import CliRunner

from idealprompt import Session
from idealprompt.cli import app
from idealprompt.graphs.context import Writing
from idealprompt.notebench.data import load_e2e
from idealprompt.notebench.evaluate import evaluate_writing
from tests.conftest import UNUSED_PORT

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_write_streams_a_plan_and_a_checked_text(tmp_path):
    env = {"IDEALPROMPT_OLLAMA_HOST": UNUSED_PORT, "IDEALPROMPT_THREADS": "2", "COLUMNS": "200"}
    args = [
        "write",
        "--facts",
        str(EXAMPLES / "facts" / "the_wrestlers.txt"),
        "--style",
        "tablenotes",
        "--memory",
        str(tmp_path / "memory"),
        "--trace",
        str(tmp_path / "trace.sqlite"),
    ]
    ran = CliRunner(env=env).invoke(app, args)
    assert ran.exit_code == 0, ran.output
    plan, text = ran.stdout.split("\nText\n", 1)
    assert "The Wrestlers" in plan and len(text.split()) >= 5
    assert "fact check (slots):" in ran.stderr and "style consistency (tablenotes):" in ran.stderr
    assert (tmp_path / "trace.sqlite").is_file()


def test_three_systems_on_three_e2e_inputs(real_settings):
    examples = load_e2e(EXAMPLES / "data" / "e2e_test_slice.csv", limit=3)
    run = Writing.of(Session(real_settings), "neutral")
    scores = evaluate_writing(examples, run, systems=["small", "large", "plan+write"])
    assert [s.system for s in scores] == ["small", "large", "plan+write"]
    for s in scores:
        assert all(s.outputs) and 0 < s.rouge_l <= 100 and 0 <= s.bleu_4 <= 100
        assert s.facts_stated > 0 and all(c.method == "slots" for c in s.checks)
        assert 0 <= s.factuality <= 1 and 0 <= s.faithfulness <= 1 and 0 <= s.style <= 1 and s.seconds > 0
    usage = run.session.ledger.snapshot()
    assert usage["small"]["calls"] == 6 and usage["large"]["calls"] >= 6  # each system wrote each text once


def test_eval_style_prints_a_table_and_writes_a_report(tmp_path):
    env = {"IDEALPROMPT_OLLAMA_HOST": UNUSED_PORT, "IDEALPROMPT_THREADS": "2", "COLUMNS": "200"}
    report = tmp_path / "report.json"
    args = [
        "eval-style",
        str(EXAMPLES / "data" / "e2e_test_slice.csv"),
        "--limit",
        "2",
        "--systems",
        "small,plan+write",
        "--out",
        str(report),
        "--memory",
        str(tmp_path / "memory"),
    ]
    ran = CliRunner(env=env).invoke(app, args)
    assert ran.exit_code == 0, ran.output
    assert "| small |" in ran.stdout and "| plan+write |" in ran.stdout
    systems = json.loads(report.read_text())["systems"]
    assert [s["system"] for s in systems] == ["small", "plan+write"] and all(len(s["outputs"]) == 2 for s in systems)
