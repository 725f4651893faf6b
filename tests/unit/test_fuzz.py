"""Fuzzing with hypothesis: the parsers of model output and of users' files never raise an unexpected exception on
any input, and stay fast on long inputs (a regular expression that backtracks would not)."""

import contextlib
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from idealprompt.errors import TaskError
from idealprompt.routes.privacy import Redactor
from idealprompt.structured import parse
from idealprompt.tasks import Task
from idealprompt.tasks.answers import canonical_number, parse_answer
from idealprompt.userfiles import read_yaml

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LABELS = ["Yes", "No", "(A)", "(B)", "not_entailment", "entailment"]
# Text made of what the parsers look for, so that hypothesis reaches their branches, not only plain noise.
PIECES = st.sampled_from(
    [
        *LABELS,
        "the answer is",
        "Answer:",
        "not",
        "no,",
        " ",
        "\n",
        "(",
        ")",
        "-",
        ".",
        ",",
        "/",
        "1",
        "9",
        "0.5",
        "1,234",
        "$",
        "%",
        "e5",
        "So",
        "**",
        "{",
        "}",
        '"',
        ":",
        "[",
        "]",
    ]
)
MODEL_TEXT = st.one_of(st.text(max_size=300), st.lists(PIECES, max_size=60).map("".join))


class Verdict(BaseModel):
    label: str
    confidence: float


@FUZZ
@given(MODEL_TEXT)
def test_answers_parse_to_a_label_a_number_or_none(raw):
    label = parse_answer(raw, answer="label", labels=LABELS)
    assert label is None or label in LABELS
    number = parse_answer(raw, answer="number")
    assert number is None or canonical_number(number) == number
    assert isinstance(parse_answer(raw, answer="text"), str | type(None))


@FUZZ
@given(MODEL_TEXT)
def test_structured_answers_validate_or_raise_value_error(raw):
    try:
        value = parse(raw, Verdict)
    except ValueError:
        return
    assert isinstance(value, Verdict)


def values(data):
    """The values of a document, its mappings' keys left out: what reading keys as written must not change."""
    if isinstance(data, dict):
        return sorted((values(v) for v in data.values()), key=repr)
    if isinstance(data, list):
        return [values(v) for v in data]
    return data


DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@FUZZ
@given(DOCUMENTS)
def test_users_yaml_reads_the_values_pyyaml_reads_or_names_a_key_given_twice(data):
    text = yaml.safe_dump(data)
    try:
        read = read_yaml(text)
    except yaml.YAMLError as e:  # True and "true", 1 and "1": one key once read as written
        assert "is given twice" in str(e)
        return
    assert values(read) == values(yaml.safe_load(text))


@FUZZ
@given(st.text(max_size=400))
def test_any_text_as_yaml_is_read_or_a_yaml_error(text):
    with contextlib.suppress(yaml.YAMLError):
        read_yaml(text)


TASK_FIELDS = ["name", "description", "seed_prompt", "labels", "answer", "data", "split", "metric", "answers"]
TASK_VALUES = st.one_of(
    st.none(),
    st.text(max_size=10),
    st.integers(-2, 5),
    st.lists(st.text(max_size=5), max_size=3),
    st.just({"format": "inline", "examples": [{"input": "a", "target": "Yes"}]}),
    st.just({"train": 1, "test": "rest"}),
)


@FUZZ
@given(st.dictionaries(st.sampled_from([*TASK_FIELDS, "answer_tokens", "extra"]), TASK_VALUES, max_size=9))
def test_a_task_file_of_any_shape_loads_or_is_a_task_error(data):
    with contextlib.suppress(TaskError):
        Task.from_dict(data)


@pytest.mark.parametrize(
    "raw",
    [
        "Yes " * 20_000,
        "(" * 20_000 + "A",
        "1," * 20_000 + "5",
        "not " * 20_000 + "Yes",
        "So the answer is " * 5_000,
        "-" * 20_000 + "1e" * 5_000,
    ],
)
def test_long_model_answers_parse_without_backtracking(raw):
    # Quadratic or worse work on these takes minutes; linear, milliseconds. The bound tells the two apart only.
    started = time.perf_counter()
    parse_answer(raw, answer="label", labels=LABELS)
    parse_answer(raw, answer="number")
    Redactor().redact(raw)
    assert time.perf_counter() - started < 20
