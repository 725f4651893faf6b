import json
from pathlib import Path

from typer.testing import CliRunner

from idealprompt.cli import app
from tests.conftest import UNUSED_PORT

TASK = Path(__file__).resolve().parents[2] / "examples" / "sports_understanding.yaml"


def test_warmup_prints_strategies_and_saves_the_tree(tmp_path):
    env = {"IDEALPROMPT_OLLAMA_HOST": UNUSED_PORT, "IDEALPROMPT_THREADS": "2", "COLUMNS": "200"}
    args = [
        "warmup",
        str(TASK),
        "--budget",
        "10",
        "--minibatch",
        "5",
        "--iterations",
        "1",
        "--memory",
        str(tmp_path / "memory"),
        "--out",
        str(tmp_path / "runs"),
    ]
    result = CliRunner(env=env).invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "strategies on sports_understanding, by mean gain" in result.output and "seed prompt" in result.output
    tree = json.loads((tmp_path / "runs" / "sports_understanding.tree.json").read_text())
    assert tree["nodes"][0]["prompt"] == "Is the sentence plausible?" and tree["nodes"][0]["reward"] is not None
    assert "written to" in result.output and (tmp_path / "runs" / "checkpoints.sqlite").is_file()
