"""The task file and `Task`: what a prompt is optimised for (a small labelled dataset, an output space, a metric).

A task file is YAML (.yaml, .yml) or JSON (.json):

    name: navigate
    description: Decide whether following a list of moves returns you to the starting point.
    seed_prompt: Answer the question.
    answer: label                 # label | number | text; default label when labels are given
    labels: ["Yes", "No"]         # required for label tasks (or taken from data.label_names); quote yes/no in YAML
    metric: accuracy              # accuracy | macro_f1 | exact_match | numeric_match | rouge_l | "module:function"
                                  # default: accuracy (label), numeric_match (number); required for text
    answer_tokens: 64             # most tokens the small model may answer with; default 64 (label), 256 otherwise
    answers: constrained          # constrained | scored (labels) | free (idealprompt.tasks.output); default
                                  # constrained for labels, free for numbers (reasoning first) and text
    data:                         # ONE source, split below ...
      path: data/bbh_navigate.json    # relative to the task file; ~ and ${VARS} are expanded
      format: bbh                 # see idealprompt.tasks.loaders; inferred from .jsonl .json .csv .tsv
      input: text                 # field name, or a list of names joined as "name: value" lines (default input)
      target: label               # field name of the reference (default target)
      solution: working           # field name of a worked solution, shown in demonstrations when answers are free
      label_names: [negative, positive]   # maps integer label ids in the data to names
      conflicts: error            # an input given twice with different targets: error (default) | drop (every copy);
                                  # per split, also an input already in a later split: error | drop (left out here)
    split: {train: 30, dev: 20, test: 50, seed: 0}   # test may be "rest"; dev defaults to 0, test to rest

    # ... or one source per split; `split` then caps each (a seeded sample) and may be left out:
    data: {train: {path: train.jsonl}, dev: {path: dev.jsonl}, test: {path: test.jsonl}}
    # ... or examples inline:
    data: {format: inline, examples: [{input: "2 + 2?", target: "4"}]}

Splits are reproducible and disjoint: the examples of one source (exact duplicates dropped, the first kept; an
input with two different targets is an error unless `conflicts: drop`) are shuffled with random.Random(seed) and
cut in order train, dev, test; so a larger test never changes train or dev.
Sources given per split are checked against each other: an input in two of them is an error naming both rows, or
with `conflicts: drop` on the earlier split's source it is left out there (a test set stays whole).

Targets are checked when the task loads: a label must be one of `labels` (after `label_names`), a number is
kept canonical ("1,234.0" -> "1234"), a text must not be empty. Every mistake raises `TaskError` naming the file,
the field, and for data the line.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from idealprompt.errors import TaskError
from idealprompt.tasks.answers import Answer, canonical_number, parse_answer
from idealprompt.tasks.loaders import Example, Row, Source, example_id, quoted_strings, read_rows
from idealprompt.tasks.metrics import Metric, make_metric, runs_code
from idealprompt.tasks.output import Mode, OutputSpace, unwrap
from idealprompt.userfiles import read_text, read_yaml

SPLITS = ("train", "dev", "test")
DEFAULT_METRIC = {"label": "accuracy", "number": "numeric_match"}
# Labels: one constrained token decides, several times faster and no less accurate on the bench tasks (bench/
# RESULTS.md, engine). Numbers: arithmetic wants its reasoning written first, so they default to free.
DEFAULT_ANSWERS: dict[str, Mode] = {"label": "constrained", "number": "free", "text": "free"}
METRIC_NEEDS = {"macro_f1": "label", "numeric_match": "number"}  # metrics that make sense for one answer kind


class Split(BaseModel):
    model_config = ConfigDict(extra="forbid")

    train: int | None = None
    dev: int | None = None
    test: int | Literal["rest"] | None = None
    seed: int = 0

    @field_validator("train", "dev", "test", "seed", mode="before")
    @classmethod
    def _whole(cls, value: Any, info) -> Any:
        if value is None or (info.field_name == "test" and value == "rest"):
            return value
        smallest = {"train": 1, "seed": None}.get(info.field_name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or (smallest is not None and value < smallest):
            what = {1: "a positive integer", 0: "an integer >= 0", None: "an integer"}[smallest]
            raise ValueError(f"must be {what}" + (' or "rest"' if info.field_name == "test" else ""))
        return value


class TaskFile(BaseModel):
    """The fields of a task file, before its data is read."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    seed_prompt: str
    answer: Literal["label", "number", "text"] | None = None
    labels: list[str] = []
    metric: str | None = None
    answer_tokens: int | None = None
    answers: Mode | None = None
    data: dict[str, Any]
    split: Split | None = None

    @field_validator("name", "description")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("labels", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return quoted_strings(value)

    @field_validator("answer_tokens")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be a positive integer")
        return value


@dataclass(frozen=True, eq=False)  # eq=False: a task is compared and hashed by identity, as lists cannot be hashed
class Task:
    """A loaded task: its texts, output space and metric, and its examples split three ways."""

    name: str
    description: str
    seed_prompt: str
    answer: Answer
    labels: list[str]
    metric: Metric
    answer_tokens: int
    train: list[Example] = field(repr=False)
    dev: list[Example] = field(repr=False)
    test: list[Example] = field(repr=False)
    source: Path | None = None
    answers: Mode = "free"

    @property
    def output(self) -> OutputSpace:
        """The output space, and how the small model is held to it."""
        return OutputSpace(self.answer, tuple(self.labels), self.answers if self.answer != "text" else "free")

    def parse(self, raw: str | None) -> str | None:
        """The model's raw answer in the form of the targets, or None when it cannot be read (scored wrong)."""
        return parse_answer(None if raw is None else unwrap(raw), answer=self.answer, labels=self.labels)

    def score(self, predictions: list[str | None], examples: list[Example]) -> float:
        """The metric over a batch of parsed predictions, in [0, 1]."""
        return self.metric.score(predictions, [e.target for e in examples])

    def example_score(self, prediction: str | None, example: Example) -> float:
        return self.metric.example_score(prediction, example.target)

    @classmethod
    def from_dict(
        cls, data: dict, *, base: Path | None = None, source: Path | None = None, trust_code: bool = False
    ) -> Task:
        """A task from the fields of a task file; relative data paths are resolved against `base` (the task
        file's folder, else the working directory). `trust_code`: a `module:function` metric may be imported
        (which runs that module's code); without it, such a task is an error."""
        where = str(source) if source is not None else "task"
        if not isinstance(data, dict):
            found = "an empty file" if data is None else type(data).__name__
            raise TaskError(f"{where}: expected a mapping of fields (name, description, ...), found {found}")
        base = Path(base) if base is not None else (Path(source).parent if source is not None else Path.cwd())
        spec = _validate(TaskFile, data, where, "")
        return _build(spec, where=where, base=base, source=source, trust_code=trust_code)


def load_task(path: str | Path, *, trust_code: bool = False) -> Task:
    """The task in a YAML or JSON task file; `trust_code` as for `Task.from_dict`."""
    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise TaskError(f"{path}: a task file is .yaml, .yml or .json")
    text = read_text(path, TaskError, "task file")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else read_yaml(text)
    except json.JSONDecodeError as e:
        raise TaskError(f"{path}:{e.lineno}: not JSON ({e.msg})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise TaskError(f"{path}{line}: not YAML ({getattr(e, 'problem', None) or e})") from None
    return Task.from_dict(data, base=path.parent, source=path, trust_code=trust_code)


# --- validation -------------------------------------------------------------------------------------------------
def _validate(model: type[BaseModel], data: Any, where: str, prefix: str):
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
            loc = loc.lstrip(".")
            if err["type"] == "extra_forbidden":
                known = _fields_at(model, err["loc"][:-1])
                problem = "unknown field" + (f"; known: {', '.join(known)}" if known else "")
            elif err["type"] == "missing":
                problem = "required"
            elif err["type"] == "value_error":
                problem = str(err["ctx"]["error"])
            else:
                shown = repr(err.get("input"))
                problem = f"{err['msg']} (got {shown[:60] + '...' if len(shown) > 60 else shown})"
            problems.append(f"field {loc!r}: {problem}")
        raise TaskError(f"{where}: " + "; ".join(problems)) from None


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names of the model nested at `loc` (split -> Split), for an unknown-field message."""
    for part in loc:
        info = model.model_fields.get(part) if isinstance(part, str) else None
        nested = [t for t in (info.annotation, *get_args(info.annotation)) if isinstance(t, type)] if info else []
        found = next((t for t in nested if issubclass(t, BaseModel)), None)
        if found is None:
            return []
        model = found
    return list(model.model_fields)


def _build(spec: TaskFile, *, where: str, base: Path, source: Path | None, trust_code: bool) -> Task:
    per_split = bool(spec.data) and set(spec.data) <= set(SPLITS)
    sources = (
        {name: _validate(Source, value, where, f"data.{name}") for name, value in spec.data.items()}
        if per_split
        else {"": _validate(Source, spec.data, where, "data")}
    )

    answer = spec.answer or ("label" if spec.labels or _label_names(sources) else None)
    if answer is None:
        raise TaskError(f"{where}: field 'answer': required when no labels are given (label, number or text)")
    labels = list(spec.labels) or (_label_names(sources) if answer == "label" else [])
    if answer == "label" and not labels:
        raise TaskError(f"{where}: field 'labels': required for answer: label")
    if answer != "label" and labels:
        raise TaskError(f"{where}: field 'labels': only for answer: label (this task's answer is {answer})")
    if len(set(labels)) != len(labels) or not all(label.strip() for label in labels):
        raise TaskError(f"{where}: field 'labels': must be distinct and not empty, found {labels}")

    metric_name = spec.metric or DEFAULT_METRIC.get(answer)
    if metric_name is None:
        raise TaskError(
            f"{where}: field 'metric': required for answer: text (exact_match, rouge_l, or your own 'module:function')"
        )
    if METRIC_NEEDS.get(metric_name, answer) != answer:
        raise TaskError(f"{where}: field 'metric': {metric_name} needs answer: {METRIC_NEEDS[metric_name]}")
    if spec.answers == "constrained" and answer == "text":
        raise TaskError(f"{where}: field 'answers': constrained needs answer: label or number (a text is free)")
    if spec.answers == "scored" and answer != "label":
        raise TaskError(f"{where}: field 'answers': scored needs answer: label (it scores the labels)")
    if runs_code(metric_name) and not trust_code:
        raise TaskError(
            f"{where}: field 'metric': {metric_name!r} imports module {metric_name.split(':')[0]!r}, which runs its "
            "code; if you trust it, pass --trust-code (or set trust_code = true, or load_task(..., trust_code=True))"
        )
    metric = make_metric(metric_name, labels=labels, base=base, where=f"{where}: field 'metric'")

    def examples(name: str, src: Source) -> dict[str, tuple[Row, Example]]:
        rows = read_rows(src, base=base, task=where, field=f"data.{name}" if name else "data")
        return _unique(rows, [_example(row, answer, labels) for row in rows], src.conflicts)

    if per_split:
        if "train" not in sources:
            raise TaskError(f"{where}: field 'data.train': required when data is given per split")
        split = spec.split or Split()
        read = _disjoint({name: examples(name, sources[name]) for name in SPLITS if name in sources}, sources)
        parts = {name: _capped(name, read.get(name), split, where) for name in SPLITS}
    else:
        parts = _cut([e for _, e in examples("", sources[""]).values()], spec.split, where)

    return Task(
        name=spec.name,
        description=spec.description,
        seed_prompt=spec.seed_prompt,
        answer=answer,
        labels=labels,
        metric=metric,
        answer_tokens=spec.answer_tokens or (64 if answer == "label" else 256),
        answers=spec.answers or DEFAULT_ANSWERS[answer],
        source=source,
        **parts,
    )


def _label_names(sources: dict[str, Source]) -> list[str]:
    return next((list(s.label_names) for s in sources.values() if s.label_names), [])


def _example(row: Row, answer: str, labels: list[str]) -> Example:
    target = row.target.strip()
    if answer == "label" and target not in labels:
        hint = " (YAML reads unquoted yes/no as true/false: quote them)" if target in ("true", "false") else ""
        raise TaskError(f"{row.where}: target {row.target!r} is not one of labels {labels}{hint}")
    if answer == "number":
        number = canonical_number(target)
        if number is None:
            raise TaskError(f"{row.where}: target {row.target!r} is not a number")
        target = number
    if not target:
        raise TaskError(f"{row.where}: empty target")
    return Example.new(text=row.text, target=target, images=row.images, solution=row.solution)


def _unique(rows: list[Row], examples: list[Example], conflicts: str) -> dict[str, tuple[Row, Example]]:
    """Exact duplicates dropped, the first kept: a duplicate could land in two splits and leak the answer. The
    same input with another target is an error (which one is right is for the data's owner to say), or with
    `conflicts: drop` every copy of it is left out. By the input's digest, with the row each example came from."""
    first: dict[str, tuple[Row, Example]] = {}  # by the input's digest: its text and its images' bytes
    conflicting = set()
    for row, e in zip(rows, examples, strict=True):
        key = example_id(e.text, "", e.images)
        there, kept = first.setdefault(key, (row, e))
        if kept.target != e.target:
            if conflicts == "error":
                raise TaskError(
                    f"{row.where}: the same input as {there.where} with another target ({e.target!r}, there "
                    f"{kept.target!r}): correct one of them, or set conflicts: drop on the data to leave it out"
                )
            conflicting.add(key)
    return {key: kept for key, kept in first.items() if key not in conflicting}


def _disjoint(
    splits: dict[str, dict[str, tuple[Row, Example]]], sources: dict[str, Source]
) -> dict[str, list[Example]]:
    """Sources given per split, checked against each other: an input in two splits would score a prompt on an
    answer it was shown. It is an error naming both rows, or, with `conflicts: drop` on the earlier split's source
    (train before dev before test), left out there and kept in the later split, so a test set stays whole."""
    later: dict[str, tuple[str, Row]] = {}  # input digest -> (split, row) of the latest split holding it
    kept: dict[str, list[Example]] = {}
    for name in reversed(SPLITS):
        if name not in splits:
            continue
        kept[name] = []
        for key, (row, example) in splits[name].items():
            if key not in later:
                later[key] = (name, row)
                kept[name].append(example)
            elif sources[name].conflicts == "error":
                there, other = later[key]
                raise TaskError(
                    f"{row.where}: the same input as {other.where} (data.{there}): an input in two splits leaks "
                    f"its answer; remove one, or set conflicts: drop on data.{name} to leave it out there"
                )
    return kept


# --- splitting --------------------------------------------------------------------------------------------------
def _cut(examples: list[Example], split: Split | None, where: str) -> dict[str, list[Example]]:
    if split is None:
        raise TaskError(
            f"{where}: field 'split': required when data is one source, e.g. "
            "split: {train: 30, dev: 20, test: rest, seed: 0}"
        )
    if split.train is None:
        raise TaskError(f"{where}: field 'split.train': required")
    dev = split.dev or 0
    test = split.test if isinstance(split.test, int) else len(examples) - split.train - dev  # None or "rest"
    if split.train + dev + max(test, 0) > len(examples) or test < 0:
        rest = split.test in (None, "rest")
        asked = f"{'at least ' if rest else ''}{split.train + dev + max(test, 0)}"
        raise TaskError(
            f"{where}: field 'split': asks for {asked} examples (train {split.train} + dev {dev} + "
            f"test {'rest' if rest else test}) but the data has {len(examples)} distinct examples"
        )
    shuffled = list(examples)
    random.Random(split.seed).shuffle(shuffled)
    return {
        "train": shuffled[: split.train],
        "dev": shuffled[split.train : split.train + dev],
        "test": shuffled[split.train + dev : split.train + dev + test],
    }


def _capped(name: str, examples: list[Example] | None, split: Split, where: str) -> list[Example]:
    cap = getattr(split, name)
    if examples is None:
        if cap not in (None, 0, "rest"):
            raise TaskError(f"{where}: field 'split.{name}': there is no data.{name} source to take {cap} from")
        return []
    if cap in (None, "rest"):
        return examples
    if cap > len(examples):
        raise TaskError(
            f"{where}: field 'split.{name}': asks for {cap} examples but data.{name} has "
            f"{len(examples)} distinct examples"
        )
    return random.Random(split.seed).sample(examples, cap)
