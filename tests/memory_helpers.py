"""Shared by the memory tests: priors of distinct tasks, and Python run in a fresh, network-guarded process."""

import json
import subprocess
import sys
from pathlib import Path

from idealprompt.memory import Prior, StrategyStats, TaskDescriptor

REPO = Path(__file__).resolve().parents[1]

TASKS = {
    "sentiment": ("Classify movie reviews as positive or negative.", ["negative", "positive"]),
    "trec": ("Classify a question by the kind of answer it asks for.", ["description", "entity", "human", "location"]),
    "gsm8k": ("Solve grade-school math word problems; answer with the final number.", []),
}


def prior(task: str, model: str = "embedded:qwen2.5-coder-0.5b", **gains: float) -> Prior:
    description, labels = TASKS[task]
    return Prior(
        task=TaskDescriptor(name=task, description=description, labels=labels),
        model=model,
        strategies=[StrategyStats(strategy=s, visits=3, mean_reward=0.7, mean_gain=g) for s, g in gains.items()],
        dataset_size=30,
    )


def run_child(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `code` in a new interpreter that refuses the network; its last stdout line is parsed as JSON."""
    program = "import tests.no_network\n" + code
    return subprocess.run(
        [sys.executable, "-c", program, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=True
    )


def child_json(code: str, *args: str):
    return json.loads(run_child(code, *args).stdout.strip().splitlines()[-1])
