"""IDEAL end to end on the real embedded models, on a tiny slice of a real task (BIG-Bench Hard, in examples/)."""

import json
from pathlib import Path

from typer.testing import CliRunner

from idealprompt import Session
from idealprompt.cli import app
from idealprompt.memory import Memory
from idealprompt.scoring.evaluate import Evaluator
from idealprompt.tasks import load_task
from tests.conftest import UNUSED_PORT

DATA = Path(__file__).resolve().parents[2] / "examples" / "data" / "bbh_sports_understanding.json"


def test_optimize_exports_a_prompt_that_scores_as_reported(real_settings, tmp_path):
    task_file = tmp_path / "tiny.yaml"
    task_file.write_text(
        "name: tiny_sports\ndescription: Decide whether a sentence about an athlete is plausible.\n"
        "seed_prompt: Is the sentence plausible?\nlabels: ['yes', 'no']\n"
        f"data: {{path: {DATA}, format: bbh}}\nsplit: {{train: 6, dev: 4, test: 4, seed: 1}}\n"
    )
    env = {"IDEALPROMPT_OLLAMA_HOST": UNUSED_PORT, "IDEALPROMPT_THREADS": "2", "COLUMNS": "200"}
    out, memory = tmp_path / "out", tmp_path / "memory"
    args = [
        "optimize",
        str(task_file),
        "--budget",
        "40",
        "--rounds",
        "1",
        "--warmup-iterations",
        "0",
        "--out",
        str(out),
        "--memory",
        str(memory),
    ]
    ran = CliRunner(env=env).invoke(app, args)
    assert ran.exit_code == 0, ran.output
    assert "seed vs optimised" in ran.output and "Optimised prompt" in ran.output

    result = json.loads((out / "result.json").read_text())
    prompt = (out / "prompt.txt").read_text().strip()
    assert prompt == result["prompt"].strip() and result["usage"]["small"]["calls"] <= 40
    # The exported prompt, used without the optimiser's state, scores what the result says.
    task = load_task(task_file)
    rescored = Evaluator.for_session(Session(real_settings), task).evaluate(prompt, task.test).score
    assert rescored == result["optimized"]["test"]
    stored = Memory.open(memory)
    assert stored.priors.get(result["prior_id"]).task.name == "tiny_sports"
    stored.close()
