"""The benchmark's tasks: six task files of bench/tasks, each cut into the same train / dev / test sizes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from idealprompt.tasks import Task

FOLDER = Path(__file__).resolve().parents[1] / "tasks"
TASKS = ("trec", "sst2", "liar", "navigate", "sports_understanding", "gsm8k")
SIZES = (50, 50, 150)  # train, dev, test; sports_understanding has 248 distinct examples: 148 test


def load(name: str, sizes: tuple[int, int, int] = SIZES) -> Task:
    """The task file `name`, its split replaced by `sizes` (seed 0; test as large as the data allows), so that
    the task files keep the sizes the other benchmarks use."""
    path = FOLDER / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    train, dev, test = sizes
    data["split"] = {"train": train, "dev": dev, "test": "rest", "seed": 0}
    task = Task.from_dict(data, base=path.parent, source=path)
    return dataclasses.replace(task, test=task.test[:test])  # the rest comes after train and dev, which stay put
