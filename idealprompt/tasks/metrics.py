"""Metrics: how a batch of parsed predictions is scored against the references, in [0, 1].

A prediction is what `parse_answer` returned: None means the answer could not be read, and always scores 0.
Built-ins, by the name a task file gives them:

- `accuracy`: the prediction equals the target (both stripped); the mean over examples.
- `macro_f1`: scikit-learn's F1 averaged over the task's labels (`average="macro"`, `zero_division=0`, so a label
  with no predictions and no examples counts 0); unreadable predictions count as wrong. Per example: correctness.
- `exact_match`: equal after normalising both (casefold, collapse whitespace, strip surrounding punctuation).
- `numeric_match`: equal as numbers ("1,234.0" == "1234"), within 1e-6.
- `rouge_l`: rouge-score's ROUGE-L F-measure (Porter stemming; its tokenizer keeps only ASCII letters and digits,
  so it suits English text), the mean over examples.
- `"module:function"`: your own `function(prediction: str | None, target: str) -> float` in [0, 1], scored per
  example and averaged. The module is imported from `sys.path`, else from the task file's folder: loading such
  a task file runs that module's code, so a task file may name one only when its loader trusts code
  (`--trust-code`, the `trust_code` setting, `load_task(..., trust_code=True)`).
"""

from __future__ import annotations

import importlib
import numbers
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from idealprompt.errors import TaskError
from idealprompt.tasks.answers import canonical_number

PerExample = Callable[[str | None, str], float]
Corpus = Callable[[Sequence[str | None], Sequence[str]], float]


@dataclass(frozen=True)
class Metric:
    """A named score: per example, and over a batch (the mean of per-example scores unless `corpus` is given)."""

    name: str
    per_example: PerExample = field(repr=False)
    corpus: Corpus | None = field(default=None, repr=False)

    def example_score(self, prediction: str | None, target: str) -> float:
        try:
            value = self.per_example(prediction, target)
        except SystemExit as e:  # a user's metric that exits would end the run without a word
            raise TaskError(f"metric {self.name}: exited (SystemExit {e.code}) on prediction {prediction!r}") from None
        if not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:  # numpy scalars too; True counts 1
            raise TaskError(
                f"metric {self.name}: returned {value!r} for prediction {prediction!r}; "
                "a metric must return a number in [0, 1]"
            )
        return float(value)

    def score(self, predictions: Sequence[str | None], targets: Sequence[str]) -> float:
        """The batch score in [0, 1]. An empty batch is refused: it has no score, and 0 would hide the mistake."""
        if len(predictions) != len(targets):
            raise ValueError(f"{len(predictions)} predictions for {len(targets)} targets")
        if not targets:
            raise ValueError(f"metric {self.name}: no examples to score")
        if self.corpus is not None:
            return float(self.corpus(predictions, targets))
        return sum(self.example_score(p, t) for p, t in zip(predictions, targets, strict=True)) / len(targets)


# --- built-ins --------------------------------------------------------------------------------------------------
def _accuracy(prediction: str | None, target: str) -> float:
    return float(prediction is not None and prediction.strip() == target.strip())


_PUNCTUATION = "\"'`.,;:!?()[]{}<>*_-“”‘’"


def normalise(text: str) -> str:
    """The form `exact_match` compares: casefolded, whitespace collapsed, surrounding punctuation stripped."""
    return " ".join(text.casefold().split()).strip(_PUNCTUATION + " ")


def _exact_match(prediction: str | None, target: str) -> float:
    return float(prediction is not None and normalise(prediction) == normalise(target))


def _numeric_match(prediction: str | None, target: str) -> float:
    if prediction is None:
        return 0.0
    p, t = canonical_number(prediction), canonical_number(target)
    return float(p is not None and t is not None and abs(float(p) - float(t)) <= 1e-6)


@cache
def _rouge_scorer():
    from rouge_score import rouge_scorer  # imported on first use: it pulls in nltk and scipy (about a second)

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def _rouge_l(prediction: str | None, target: str) -> float:
    if prediction is None:
        return 0.0
    return _rouge_scorer().score(target, prediction)["rougeL"].fmeasure


_UNREADABLE = "\x00unreadable"  # stands for None in macro-F1: not a label, so it is never a true positive


def _macro_f1(labels: Sequence[str]) -> Corpus:
    def corpus(predictions: Sequence[str | None], targets: Sequence[str]) -> float:
        from sklearn.metrics import f1_score  # imported on first use: scikit-learn takes about a second

        predicted = [_UNREADABLE if p is None else p for p in predictions]
        return float(f1_score(list(targets), predicted, labels=list(labels), average="macro", zero_division=0))

    return corpus


_SIMPLE: dict[str, PerExample] = {
    "accuracy": _accuracy,
    "exact_match": _exact_match,
    "numeric_match": _numeric_match,
    "rouge_l": _rouge_l,
}
BUILTIN = (*_SIMPLE, "macro_f1")
_CALLABLE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def runs_code(spec: str) -> bool:
    """Whether a metric name is a `module:function`: the user's code, imported when the task loads."""
    return bool(_CALLABLE.match(spec))


def make_metric(spec: str, *, labels: Sequence[str] = (), base: Path | None = None, where: str = "metric") -> Metric:
    """The metric a task file names; `where` prefixes errors ("task.yaml: field 'metric'")."""
    if spec in _SIMPLE:
        return Metric(spec, _SIMPLE[spec])
    if spec == "macro_f1":
        return Metric(spec, _accuracy, _macro_f1(tuple(labels)))
    if not _CALLABLE.match(spec):
        raise TaskError(f"{where}: unknown metric {spec!r}; known: {', '.join(BUILTIN)}, or 'module:function'")
    return Metric(spec, _import_callable(spec, base=base, where=where))


def _import_callable(spec: str, *, base: Path | None, where: str) -> PerExample:
    module_name, function_name = spec.split(":")
    try:
        module = _import(module_name, base)
    except (Exception, SystemExit) as e:  # a user's module may fail in any way on import; say which and why
        why = f"{type(e).__name__}: {e}"
        raise TaskError(f"{where}: cannot import {module_name!r} for metric {spec!r}: {why}") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise TaskError(f"{where}: module {module_name!r} has no function {function_name!r}")
    return function


def _import(module_name: str, base: Path | None):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if base is None or e.name != module_name.split(".")[0]:
            raise
    sys.path.insert(0, str(base))  # a metric kept next to its task file
    try:
        return importlib.import_module(module_name)
    finally:
        sys.path.remove(str(base))
