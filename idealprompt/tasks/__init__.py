"""Tasks: what a prompt is optimised for. A small labelled dataset split three ways, an output space, a metric.

    task = load_task("examples/navigate.yaml")
    prediction = task.parse(raw_answer)            # a label, a canonical number, a text, or None
    task.score([prediction, ...], task.dev)        # in [0, 1]; None counts as wrong

The task file format: `idealprompt.tasks.spec`; data formats: `loaders`; answer parsing: `answers`; metrics:
`metrics`. This package imports nothing of ours but `idealprompt.errors`, so any layer may use it.
"""

from idealprompt.tasks.answers import canonical_number, parse_answer
from idealprompt.tasks.loaders import FORMATS, Example
from idealprompt.tasks.metrics import BUILTIN as METRICS
from idealprompt.tasks.metrics import Metric, make_metric
from idealprompt.tasks.spec import Task, load_task

__all__ = [
    "FORMATS",
    "METRICS",
    "Example",
    "Metric",
    "Task",
    "canonical_number",
    "load_task",
    "make_metric",
    "parse_answer",
]
