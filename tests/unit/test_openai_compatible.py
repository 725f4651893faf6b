"""A whole optimisation through the CLI against an OpenAI-compatible server on 127.0.0.1, as a user without the
embedded extra runs it: both roles on `openai:` routes, nothing in process."""

import json

import yaml
from typer.testing import CliRunner

from idealprompt.cli import app
from tests.fake_openai_server import FakeOpenAIServer

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


def test_an_optimisation_against_an_openai_compatible_server(offline_settings, tmp_path):
    examples = [{"input": t, "target": "positive"} for t in POSITIVE] + [
        {"input": t, "target": "negative"} for t in NEGATIVE
    ]
    task = {
        "name": "reviews",
        "description": "Classify film reviews by sentiment.",
        "seed_prompt": "Classify.",
        "labels": ["positive", "negative"],
        "data": {"format": "inline", "examples": examples},
        "split": {"train": 6, "dev": 6, "test": 4, "seed": 0},
    }
    (tmp_path / "task.yaml").write_text(yaml.safe_dump(task))
    with FakeOpenAIServer(answer) as server:
        env = {
            "OPENAI_BASE_URL": f"{server.url}/v1",
            "IDEALPROMPT_SMALL": "openai:small",
            "IDEALPROMPT_LARGE": "openai:large",
        }
        ran = CliRunner().invoke(
            app,
            ["optimize", str(tmp_path / "task.yaml"), "--budget", "60", "--no-memory", "--out", str(tmp_path / "out")],
            env=env,
        )
    assert ran.exit_code == 0, ran.output
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["optimized"]["dev"] == 1.0 and result["optimized"]["test"] == 1.0 > result["seed"]["test"]
    assert "[RULE]" in (tmp_path / "out" / "prompt.txt").read_text()
    small = [b for b in server.received if b["model"] == "small"]
    assert small and all(b.get("grammar") for b in small)  # a compatible server is sent the answer grammar
    assert result["usage"]["small"]["calls"] <= 60
