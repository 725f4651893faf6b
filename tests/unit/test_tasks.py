"""Tasks: the example task files, every data format, answer parsing, metrics, and the errors on bad files."""

import json
import sys
from pathlib import Path

import pytest

from idealprompt.errors import TaskError
from idealprompt.tasks import Example, Task, load_task, make_metric, parse_answer

EXAMPLES = Path(__file__).parents[2] / "examples"
# A PNG's signature and end marker are enough: the loader checks an image is whole, and never decodes it.
PNG, PNG_END = bytes.fromhex("89504e470d0a1a0a"), b"IEND\xaeB`\x82"


def half_credit(prediction, target):
    """A user metric for the tests: full credit when right, half when answered at all."""
    return 1.0 if prediction == target else 0.5 if prediction is not None else 0.0


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def task_file(tmp_path: Path, body: dict, name: str = "task.json") -> Path:
    fields = {"name": "t", "description": "A test task.", "seed_prompt": "Answer."} | body
    return write(tmp_path / name, json.dumps(fields))


# --- the shipped examples ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "answer", "labels"),
    [("navigate", "label", ["Yes", "No"]), ("sports_understanding", "label", ["yes", "no"]), ("gsm8k", "number", [])],
)
def test_each_example_loads_with_disjoint_reproducible_splits(name, answer, labels):
    task = load_task(EXAMPLES / f"{name}.yaml")
    assert (task.answer, task.labels) == (answer, labels)
    assert (len(task.train), len(task.dev), len(task.test)) == (30, 20, 50)
    ids = [e.id for e in task.train + task.dev + task.test]
    assert len(set(ids)) == 100  # disjoint
    again = load_task(EXAMPLES / f"{name}.yaml")
    assert [e.id for e in again.train + again.dev + again.test] == ids  # same examples, same order
    targets = {e.target for e in task.train + task.dev + task.test}
    assert targets <= set(labels) if labels else all(e.isdigit() for e in targets)
    assert sum(map(task.seed_prompt.count, ".?!")) == 1  # one plain sentence
    assert task.description and task.source == EXAMPLES / f"{name}.yaml"


def test_example_slices_are_small_and_licensed():
    for path in (EXAMPLES / "data").iterdir():
        assert path.stat().st_size < 100_000, path
    assert "MIT License" in (EXAMPLES / "data" / "LICENSE-bbh").read_text()
    assert "OpenAI" in (EXAMPLES / "data" / "LICENSE-gsm8k").read_text()
    assert len(json.loads((EXAMPLES / "data" / "bbh_navigate.json").read_text())["examples"]) == 120


def test_gsm8k_targets_are_the_numbers_after_the_marks():
    task = load_task(EXAMPLES / "gsm8k.yaml")
    janet = next(e for e in task.train + task.dev + task.test if e.text.startswith("Janet"))
    assert janet.target == "18" and task.answer_tokens == 256 and task.metric.name == "numeric_match"


def test_a_larger_test_split_changes_neither_train_nor_dev(tmp_path):
    lines = "".join(json.dumps({"input": f"q{i}", "target": "a"}) + "\n" for i in range(40))
    write(tmp_path / "d.jsonl", lines)
    small = Task.from_dict(_text_task("d.jsonl", {"train": 5, "dev": 5, "test": 10}), base=tmp_path)
    rest = Task.from_dict(_text_task("d.jsonl", {"train": 5, "dev": 5, "test": "rest"}), base=tmp_path)
    assert (small.train, small.dev) == (rest.train, rest.dev) and rest.test[:10] == small.test
    assert len(rest.test) == 30
    other = Task.from_dict(_text_task("d.jsonl", {"train": 5, "dev": 5, "seed": 1}), base=tmp_path)
    assert [e.id for e in other.train] != [e.id for e in small.train]


def _text_task(path: str, split: dict, **data) -> dict:
    return {
        "name": "t",
        "description": "d",
        "seed_prompt": "s",
        "answer": "text",
        "metric": "exact_match",
        "data": {"path": path, **data},
        "split": split,
    }


# --- data formats -----------------------------------------------------------------------------------------------
def _all(task: Task) -> list[Example]:
    return task.train + task.dev + task.test


def test_jsonl_with_fields_joined_and_label_names(tmp_path):
    write(tmp_path / "d.jsonl", '{"q": "a", "ctx": "b", "label": 1}\n\n{"q": "c", "ctx": "d", "label": 0}\n')
    task = load_task(
        task_file(
            tmp_path,
            {
                "data": {"path": "d.jsonl", "input": ["q", "ctx"], "target": "label", "label_names": ["neg", "pos"]},
                "split": {"train": 1, "dev": 0, "test": "rest"},
            },
        )
    )
    assert task.labels == ["neg", "pos"] and task.answer == "label"  # labels from label_names
    assert sorted((e.text, e.target) for e in _all(task)) == [("q: a\nctx: b", "pos"), ("q: c\nctx: d", "neg")]


def test_jsonl_lines_split_at_newlines_only(tmp_path):
    write(tmp_path / "d.jsonl", json.dumps({"input": "one\u2028line", "target": "x"}, ensure_ascii=False) + "\r\n")
    task = Task.from_dict(_text_task("d.jsonl", {"train": 1}), base=tmp_path)
    assert task.train[0].text == "one\u2028line"


def test_json_list(tmp_path):
    write(tmp_path / "d.json", json.dumps([{"input": "x", "target": "1,000"}, {"input": "y", "target": 2.50}]))
    task = load_task(
        task_file(tmp_path, {"answer": "number", "data": {"path": "d.json"}, "split": {"train": 1, "test": 1}})
    )
    assert sorted(e.target for e in _all(task)) == ["1000", "2.5"] and task.metric.name == "numeric_match"


@pytest.mark.parametrize(("suffix", "sep"), [(".csv", ","), (".tsv", "\t")])
def test_tables_with_headers(tmp_path, suffix, sep):
    rows = ["text|label", "good film|positive", "bad film|negative", "fine|positive"]
    if suffix == ".csv":
        rows[1] = '"good, film"|positive'
    else:
        rows[3] = 'a "fine|positive'  # TSV has no quoting: the quote is text
    write(tmp_path / f"d{suffix}", "\n".join(r.replace("|", sep) for r in rows) + "\n")
    task = load_task(
        task_file(
            tmp_path,
            {
                "labels": ["positive", "negative"],
                "metric": "macro_f1",
                "data": {"path": f"d{suffix}", "input": "text", "target": "label"},
                "split": {"train": 2, "dev": 1, "test": 0},
            },
        )
    )
    texts = {e.text for e in _all(task)}
    assert len(task.test) == 0 and len(texts) == 3
    assert {"good, film", "fine"} <= texts if suffix == ".csv" else {"good film", 'a "fine'} <= texts


def test_evoprompt_tsv_maps_label_ids(tmp_path):
    write(tmp_path / "dev.txt", "a great film .\t1\nwhat a waste\tof time .\t0\n")
    task = load_task(
        task_file(
            tmp_path,
            {
                "labels": ["negative", "positive"],
                "split": {"train": 2},
                "data": {"path": "dev.txt", "format": "evoprompt", "label_names": ["negative", "positive"]},
            },
        )
    )
    assert sorted((e.text, e.target) for e in task.train) == [
        ("a great film .", "positive"),
        ("what a waste\tof time .", "negative"),
    ]


def test_bbh_multiple_choice(tmp_path):
    examples = [{"input": f"Q{i}\nOptions:\n(A) x\n(B) y", "target": ["(A)", "(B)"][i % 2]} for i in range(4)]
    write(tmp_path / "d.json", json.dumps({"canary": "c", "examples": examples}))
    task = load_task(
        task_file(
            tmp_path,
            {
                "labels": ["(A)", "(B)"],
                "data": {"path": "d.json", "format": "bbh"},
                "split": {"train": 2, "dev": 1, "test": 1},
            },
        )
    )
    assert {e.target for e in _all(task)} == {"(A)", "(B)"} and task.parse("The answer is B.") == "(B)"


def test_gsm8k(tmp_path):
    write(
        tmp_path / "g.jsonl",
        json.dumps({"question": "2+2?", "answer": "2+2=<<2+2=4>>4\n#### 4"})
        + "\n"
        + json.dumps({"question": "Big?", "answer": "so\n#### 1,200"})
        + "\n",
    )
    task = load_task(
        task_file(tmp_path, {"answer": "number", "split": {"train": 2}, "data": {"path": "g.jsonl", "format": "gsm8k"}})
    )
    assert sorted((e.text, e.target) for e in task.train) == [("2+2?", "4"), ("Big?", "1200")]
    assert sorted(e.solution for e in task.train) == ["2+2=4", "so"]  # the working, without the calculator's marks


def test_a_solution_field_is_read_and_left_out_of_the_id(tmp_path):
    rows = [{"q": "3*3?", "a": "9", "how": " three threes are 9 "}, {"q": "1+1?", "a": "2", "how": "one and one"}]
    data = {"format": "inline", "input": "q", "target": "a", "solution": "how", "examples": rows}
    spec = {"name": "sums", "description": "Add.", "seed_prompt": "Add.", "answer": "number", "split": {"train": 2}}
    task, plain = Task.from_dict(spec | {"data": data}), Task.from_dict(spec | {"data": data | {"solution": None}})
    by_text = {e.text: e for e in task.train}
    assert by_text["3*3?"].solution == "three threes are 9" and by_text["1+1?"].solution == "one and one"
    assert {e.id for e in task.train} == {e.id for e in plain.train} and {e.solution for e in plain.train} == {""}


def test_inline_examples_with_images(tmp_path):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "cat.png").write_bytes(PNG + b"cat" + PNG_END)
    task = Task.from_dict(
        {
            "name": "inline",
            "description": "d",
            "seed_prompt": "s",
            "labels": ["cat", "dog"],
            "data": {
                "format": "inline",
                "examples": [
                    {"input": "What is it?", "target": "cat", "images": ["pics/cat.png"]},
                    {"input": "And this?", "target": "dog"},
                ],
            },
            "split": {"train": 1, "dev": 1},
        },
        base=tmp_path,
    )
    pictured = next(e for e in _all(task) if e.images)
    assert pictured.images == ((tmp_path / "pics" / "cat.png").resolve(),) and pictured.images[0].is_absolute()
    assert task.source is None


def test_easy_vqa_folder_without_decoding_images(tmp_path):
    folder = tmp_path / "vqa"
    write(
        folder / "questions.json",
        json.dumps([["what shape?", "circle", 0], ["what shape?", "circle", 1], ["is it red?", "yes", 1]]),
    )
    (folder / "images").mkdir()
    (folder / "images" / "0.png").write_bytes(PNG + b"0" + PNG_END)
    (folder / "images" / "1.png").write_bytes(PNG + b"1" + PNG_END)
    task = load_task(
        task_file(
            tmp_path,
            {
                "answer": "text",
                "metric": "exact_match",
                "split": {"train": 3},
                "data": {"path": "vqa", "format": "easy_vqa"},
            },
        )
    )
    assert len({e.id for e in task.train}) == 3  # the same question on two images is two examples
    assert {e.images for e in task.train} == {((folder / "images" / f"{i}.png").resolve(),) for i in (0, 1)}


def test_sources_per_split_are_capped_by_a_seeded_sample(tmp_path):
    for name, n in (("train", 10), ("test", 6)):
        write(
            tmp_path / f"{name}.jsonl",
            "".join(json.dumps({"input": f"{name}{i}", "target": "t"}) + "\n" for i in range(n)),
        )
    data = {"train": {"path": "train.jsonl"}, "test": {"path": "test.jsonl"}}
    task = Task.from_dict(_text_task("", {"train": 4}) | {"data": data}, base=tmp_path)
    assert (len(task.train), len(task.dev), len(task.test)) == (4, 0, 6)
    assert [e.id for e in task.train] == [
        e.id for e in Task.from_dict(_text_task("", {"train": 4}) | {"data": data}, base=tmp_path).train
    ]


def test_duplicates_are_dropped_so_they_cannot_leak_across_splits(tmp_path):
    write(tmp_path / "d.jsonl", '{"input": "same", "target": "a"}\n' * 3 + '{"input": "other", "target": "a"}\n')
    task = Task.from_dict(_text_task("d.jsonl", {"train": 1, "test": "rest"}), base=tmp_path)
    assert len(task.train) + len(task.test) == 2


def test_an_input_with_two_targets_is_an_error_naming_both_lines_or_is_dropped_when_asked(tmp_path):
    rows = ['{"input": "same", "target": "a"}', '{"input": "other", "target": "a"}', '{"input": "same", "target": "b"}']
    write(tmp_path / "d.jsonl", "\n".join(rows * 2) + "\n")
    with pytest.raises(
        TaskError, match=r"d.jsonl:3: the same input as .*d.jsonl:1 with another target \('b', there 'a'\)"
    ):
        Task.from_dict(_text_task("d.jsonl", {"train": 1, "test": "rest"}), base=tmp_path)
    task = Task.from_dict(_text_task("d.jsonl", {"train": 1, "test": "rest"}, conflicts="drop"), base=tmp_path)
    assert [e.text for e in task.train + task.test] == ["other"]  # neither copy of "same": which is right is unknown


def test_an_input_in_two_split_sources_is_an_error_or_is_left_out_of_the_earlier_split(tmp_path):
    write(tmp_path / "train.jsonl", '{"input": "kept", "target": "a"}\n{"input": "leak", "target": "a"}\n')
    write(tmp_path / "test.jsonl", '{"input": "t", "target": "a"}\n{"input": "leak", "target": "b"}\n')
    data = {"train": {"path": "train.jsonl"}, "test": {"path": "test.jsonl"}}
    with pytest.raises(TaskError, match=r"train.jsonl:2: the same input as .*test.jsonl:2 \(data.test\)"):
        Task.from_dict(_text_task("", {}) | {"data": data}, base=tmp_path)
    data["train"]["conflicts"] = "drop"
    task = Task.from_dict(_text_task("", {}) | {"data": data}, base=tmp_path)
    assert [e.text for e in task.train] == ["kept"]
    assert [(e.text, e.target) for e in task.test] == [("t", "a"), ("leak", "b")]  # the test set stays whole


def test_paths_expand_variables(tmp_path, monkeypatch):
    write(tmp_path / "elsewhere" / "d.jsonl", '{"input": "x", "target": "y"}\n')
    monkeypatch.setenv("TASK_DATA", str(tmp_path / "elsewhere"))
    task = Task.from_dict(_text_task("${TASK_DATA}/d.jsonl", {"train": 1}), base=Path("/nonexistent"))
    assert task.train[0].text == "x"


# --- parsing answers --------------------------------------------------------------------------------------------
YES_NO = ["Yes", "No"]
CHOICES = ["(A)", "(B)", "(C)", "(D)"]
NLI = ["entailment", "not_entailment"]


@pytest.mark.parametrize(
    ("raw", "labels", "expected"),
    [
        ("Yes", YES_NO, "Yes"),
        ("no.", YES_NO, "No"),
        ("**No**", YES_NO, "No"),
        ('"yes"', YES_NO, "Yes"),
        ("Answer: Yes", YES_NO, "Yes"),
        ("Label: no", YES_NO, "No"),
        ("```\nNo\n```", YES_NO, "No"),
        ("The answer is no.", YES_NO, "No"),
        (
            "Let's see. Yes, the first move goes forward, but no, it does not come back. So the answer is No.",
            YES_NO,
            "No",
        ),
        ("Step 1 returns, yes. Step 2 does not, no. Overall: yes", YES_NO, "Yes"),  # no statement: the last one
        ("Answer: No, because the moves never cancel out; yes would need 3 more steps.", YES_NO, "No"),
        ("I am not sure.", YES_NO, None),
        ("", YES_NO, None),
        ("(B)", CHOICES, "(B)"),
        ("B", CHOICES, "(B)"),
        ("B)", CHOICES, "(B)"),
        ("option C", CHOICES, "(C)"),
        ("the answer is (B).", CHOICES, "(B)"),
        ("The answer is D", CHOICES, "(D)"),
        ("(A) 12/11/1937 is wrong because a day was skipped; (C) 01/04/1938 is right.", CHOICES, "(C)"),
        ("It is a hard one.", CHOICES, None),  # the article "a" is not option (A)
        ("(E)", CHOICES, None),
        ("not_entailment", NLI, "not_entailment"),
        ("This is not entailment.", NLI, "not_entailment"),  # the longer label wins, and "_" matches a space
        ("entailment", NLI, "entailment"),
        ("Answer: not_entailment. The entailment would need more.", NLI, "not_entailment"),
        ("No, the answer is not Yes.", YES_NO, "No"),  # a negated mention names no label
        ("It isn't (B); the answer is not (A) either, so (C).", CHOICES, "(C)"),
        ("The answer is not entailment.", NLI, "not_entailment"),  # a label that begins with "not" stays one
    ],
)
def test_label_answers(raw, labels, expected):
    assert parse_answer(raw, answer="label", labels=labels) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#### 18", "18"),
        ("She makes 9 * 2 = $<<9*2=18>>18 a day.\n#### 18", "18"),
        ("$1,234.00", "1234"),
        ("The answer is 42. Check: 40 + 2 = 42 over 3 days.", "42"),
        ("16 - 3 - 4 = 9 eggs, so 9 * 2 = 18 dollars.", "18"),
        ("It drops to -5 degrees.", "-5"),
        ("Answer: 0.50", "0.5"),
        ("18.", "18"),
        ("She ate 3/4 of it.", "0.75"),  # a fraction is its value, not its denominator
        ("It costs 1,23 euros.", "1.23"),  # a decimal comma
        ("Divide by zero: 1/0", None),
        ("I cannot tell.", None),
    ],
)
def test_number_answers(raw, expected):
    assert parse_answer(raw, answer="number") == expected


def test_text_answers():
    assert parse_answer("  Answer: How are you doing? ", answer="text") == "How are you doing?"
    assert parse_answer("   ", answer="text") is None
    assert parse_answer(None, answer="text") is None


# --- metrics ----------------------------------------------------------------------------------------------------
def test_macro_f1_against_a_hand_checked_confusion():
    # a: TP 1, FP 1, FN 1 -> F1 1/2;  b: TP 1, FP 1, FN 1 (the unreadable one) -> 1/2;  c: TP 1, FN 1 -> 2/3.
    targets = ["a", "a", "b", "b", "c", "c"]
    predictions = ["a", "b", "b", None, "c", "a"]
    metric = make_metric("macro_f1", labels=["a", "b", "c"])
    assert metric.score(predictions, targets) == pytest.approx((0.5 + 0.5 + 2 / 3) / 3)
    assert [metric.example_score(p, t) for p, t in zip(predictions, targets, strict=True)] == [1, 0, 1, 0, 1, 0]
    assert make_metric("accuracy").score(predictions, targets) == pytest.approx(0.5)


def test_exact_and_numeric_match():
    exact, numeric = make_metric("exact_match"), make_metric("numeric_match")
    assert exact.example_score("  The  Eiffel tower. ", "the eiffel Tower") == 1.0
    assert exact.example_score("Eiffel", "the eiffel tower") == 0.0 and exact.example_score(None, "x") == 0.0
    assert numeric.example_score("1,234.0", "1234") == 1.0 and numeric.example_score("18.0000001", "18") == 1.0
    assert numeric.example_score("18.01", "18") == 0.0 and numeric.example_score(None, "18") == 0.0


def test_rouge_l_by_hand_and_against_rouge_score():
    from rouge_score import rouge_scorer

    rouge = make_metric("rouge_l")
    # LCS of "the cat sat on the mat" and "the cat is on the mat" is 5 tokens of 6 each: P = R = F = 5/6.
    assert rouge.example_score("the cat is on the mat", "the cat sat on the mat") == pytest.approx(5 / 6)
    direct = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True).score("dogs were running", "the dog runs")
    assert rouge.example_score("the dog runs", "dogs were running") == pytest.approx(direct["rougeL"].fmeasure)
    assert rouge.score(["the cat is on the mat", None], ["the cat sat on the mat", "x"]) == pytest.approx(5 / 12)


def test_a_user_metric_by_module_and_function(tmp_path):
    metric = make_metric("tests.unit.test_tasks:half_credit")
    assert metric.score(["a", "b", None, "d"], ["a", "a", "a", "d"]) == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    write(tmp_path / "my_task_metric_7.py", "def score(prediction, target):\n    return prediction == target\n")
    path = task_file(
        tmp_path,
        {
            "answer": "text",
            "metric": "my_task_metric_7:score",
            "data": {"format": "inline", "examples": [{"input": "i", "target": "o"}]},
            "split": {"train": 1},
        },
    )
    with pytest.raises(TaskError, match=r"field 'metric': 'my_task_metric_7:score' imports .* pass --trust-code"):
        load_task(path)  # a task file's code runs only when its loader says so
    assert "my_task_metric_7" not in sys.modules
    task = load_task(path, trust_code=True)
    assert task.example_score("o", task.train[0]) == 1.0 and str(tmp_path) not in sys.path


def test_task_scores_batches_with_unreadable_answers_wrong():
    task = load_task(EXAMPLES / "navigate.yaml")
    raw = [f"So the answer is {e.target}." for e in task.dev[:3]] + ["I don't know"]
    assert task.score([task.parse(r) for r in raw], task.dev[:4]) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="no examples"):
        task.score([], [])


def test_a_metric_out_of_range_is_refused():
    metric = make_metric("tests.unit.test_tasks:_too_much")
    with pytest.raises(TaskError, match=r"returned 2.0 .* \[0, 1\]"):
        metric.score(["a"], ["a"])


def _too_much(prediction, target):
    return 2.0


def _exits(prediction, target):
    raise SystemExit(3)


def test_a_user_metric_that_exits_is_an_error_not_a_silent_end(tmp_path):
    with pytest.raises(TaskError, match=r"metric tests.unit.test_tasks:_exits: exited \(SystemExit 3\)"):
        make_metric("tests.unit.test_tasks:_exits").score(["a"], ["a"])
    write(tmp_path / "exits_on_import_5.py", "import sys\nsys.exit(1)\n")
    spec = {"answer": "text", "metric": "exits_on_import_5:score", "split": {"train": 1}}
    spec["data"] = {"format": "inline", "examples": [{"input": "i", "target": "o"}]}
    with pytest.raises(TaskError, match=r"cannot import 'exits_on_import_5' .*SystemExit: 1"):
        load_task(task_file(tmp_path, spec), trust_code=True)


# --- bad task files ---------------------------------------------------------------------------------------------
@pytest.fixture
def data(tmp_path):
    write(tmp_path / "d.jsonl", '{"text": "a", "label": "yes"}\n{"text": "b"}\n')
    write(tmp_path / "ok.jsonl", "".join(json.dumps({"text": f"t{i}", "label": "yes"}) + "\n" for i in range(5)))
    return tmp_path


def _label_task(**changes) -> dict:
    body = {
        "labels": ["yes", "no"],
        "data": {"path": "ok.jsonl", "input": "text", "target": "label"},
        "split": {"train": 2, "dev": 1, "test": 2},
    }
    return body | changes


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_label_task(split={"train": 0}), r"task.json: field 'split.train': must be a positive integer"),
        (_label_task(split={"train": "many"}), r"task.json: field 'split.train': must be a positive integer"),
        (_label_task(split={"train": 2, "test": "all"}), r"field 'split.test': .* or \"rest\""),
        (
            _label_task(data={"path": "d.jsonl", "input": "text", "target": "label"}),
            r"d.jsonl:2: missing field 'label'",
        ),
        (_label_task(data={"path": "missing.jsonl"}), r"task.json: field 'data.path': no such file /.*missing.jsonl"),
        (_label_task(metric="f2"), r"field 'metric': unknown metric 'f2'; known: accuracy, .*macro_f1"),
        (_label_task(metric="numeric_match"), r"field 'metric': numeric_match needs answer: number"),
        (_label_task(metric="no_such_module_x:f"), r"field 'metric': cannot import 'no_such_module_x'"),
        (_label_task(metric="tests.unit.test_tasks:nothing"), r"has no function 'nothing'"),
        (
            _label_task(data={"path": "ok.jsonl", "format": "parquet"}),
            r"field 'data.format': unknown format 'parquet'; known: jsonl, json, csv",
        ),
        (_label_task(labels=["no", "maybe"]), r"ok.jsonl:1: target 'yes' is not one of labels \['no', 'maybe'\]"),
        (
            _label_task(split={"train": 3, "dev": 2, "test": 4}),
            r"field 'split': asks for 9 examples .* the data has 5 distinct examples",
        ),
        (_label_task(labels=[True, False]), r"field 'labels': YAML reads unquoted yes/no"),
        (_label_task(labels=[]), r"field 'answer': required when no labels"),
        (_label_task(answer="label", labels=[]), r"field 'labels': required for answer: label"),
        (_label_task(answer="number"), r"field 'labels': only for answer: label"),
        (_label_task(answer="text", labels=[]), r"field 'metric': required for answer: text"),
        (_label_task(colour="blue"), r"field 'colour': unknown field; known: name, description"),
        (_label_task(split={"train": 1, "size": 3}), r"field 'split.size': unknown field; known: train, dev, test"),
        (_label_task(split=None), r"field 'split': required when data is one source"),
        (
            _label_task(data={"path": "ok.jsonl", "label_names": ["no", "yes"], "input": "text", "target": "label"}),
            r"ok.jsonl:1: field 'label': 'yes' is not a label id",
        ),
        (
            _label_task(data={"train": {"path": "ok.jsonl", "input": "text", "target": "label"}}, split={"train": 9}),
            r"field 'split.train': asks for 9 examples but data.train has 5",
        ),
        (_label_task(data={"dev": {"path": "ok.jsonl"}}), r"field 'data.train': required when data is given per"),
        (_label_task(data={"path": "ok.jsonl", "input": "text", "target": "nope"}), r"ok.jsonl:1: missing field"),
        (
            _label_task(data={"path": "ok.jsonl", "format": "bbh", "input": "text"}),
            r"field 'data.input': format bbh has fixed fields",
        ),
        (_label_task(data={"format": "inline", "examples": [1]}), r"field 'data.examples\[0\]': Input should be"),
        (
            _label_task(data={"format": "inline", "examples": [{"input": "x", "target": True}]}),
            r"data.examples\[0\]: target 'true' is not one of labels .* quote them",
        ),
        (_label_task(data=5), r"field 'data': Input should be a valid dictionary"),
        (_label_task(data={"train": 5}), r"field 'data.train': Input should be a valid dictionary"),
        (_label_task(labels="yes"), r"field 'labels': Input should be a valid list"),
        (_label_task(answer_tokens=0), r"field 'answer_tokens': must be a positive integer"),
        (_label_task(data={"path": "ok.jsonl", "input": []}), r"field 'data.input': must be a field name or a non"),
        ({"name": ""} | _label_task(), r"field 'name': must not be empty"),
    ],
)
def test_bad_task_files_name_the_file_and_field(data, body, message):
    with pytest.raises(TaskError, match=message):
        load_task(task_file(data, body), trust_code=True)  # trusted, so that a metric's own errors show


def test_bad_data_files_name_the_line(tmp_path):
    cases = {
        "bad.jsonl": ('{"input": "a", "target": "yes"}\n{"input": oops}\n', {}, r"bad.jsonl:2: not JSON"),
        "g.jsonl": ('{"question": "q", "answer": "42"}\n', {"format": "gsm8k"}, r"g.jsonl:1: .*'answer' has no '####"),
        "n.jsonl": ('{"input": "q", "target": "forty"}\n', {}, r"n.jsonl:1: target 'forty' is not a number"),
        "b.json": ('{"examples": []}', {}, r"b.json: expected a JSON list of objects; .*format: bbh"),
        "t.csv": ("text,label\nx,1\n", {}, r"t.csv:1: no column 'input'; the header has \['text', 'label'\]"),
        "w.csv": ("input,target\nx,1,2\n", {}, r"w.csv:2: 3 fields, but the header has 2"),
        "e.txt": ("no tab here\n", {"format": "evoprompt"}, r"e.txt:1: expected text<TAB>label_id"),
        "u.dat": ("x", {}, r"cannot tell the format of u.dat"),
        "l.jsonl": ('{"input": "q", "target": 3}\n', {"label_names": ["a", "b"]}, r"l.jsonl:1: .*id 3 is out of range"),
    }
    for name, (content, extra, message) in cases.items():
        write(tmp_path / name, content)
        with pytest.raises(TaskError, match=message):
            load_task(task_file(tmp_path, {"answer": "number", "data": {"path": name, **extra}, "split": {"train": 1}}))


def test_easy_vqa_without_an_image_names_the_question(tmp_path):
    write(tmp_path / "vqa" / "questions.json", '[["what?", "circle", 7]]')
    (tmp_path / "vqa" / "images").mkdir()
    with pytest.raises(TaskError, match=r"questions.json: \[0\]: no image .*7.png"):
        load_task(
            task_file(
                tmp_path,
                {
                    "answer": "text",
                    "metric": "exact_match",
                    "split": {"train": 1},
                    "data": {"path": "vqa", "format": "easy_vqa"},
                },
            )
        )


def test_unreadable_task_files(tmp_path):
    write(tmp_path / "broken.yaml", "name: t\ndata: [unclosed\n")
    with pytest.raises(TaskError, match=r"broken.yaml:\d+: not YAML"):
        load_task(tmp_path / "broken.yaml")
    write(tmp_path / "list.yaml", "- name: t\n")
    with pytest.raises(TaskError, match=r"list.yaml: expected a mapping of fields"):
        load_task(tmp_path / "list.yaml")
    with pytest.raises(TaskError, match=r"a task file is .yaml, .yml or .json"):
        load_task(tmp_path / "task.toml")
    with pytest.raises(TaskError, match=r"nothing.yaml: no such task file"):
        load_task(tmp_path / "nothing.yaml")
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(TaskError, match=r"folder.yaml: cannot read the task file: Is a directory"):
        load_task(tmp_path / "folder.yaml")
    (tmp_path / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(TaskError, match=r"latin1.yaml: the task file is not UTF-8 text .*save it as UTF-8"):
        load_task(tmp_path / "latin1.yaml")


def test_unquoted_yaml_yes_no_is_explained(tmp_path):
    write(tmp_path / "d.jsonl", '{"input": "q", "target": "yes"}\n')
    write(
        tmp_path / "t.yaml",
        "name: t\ndescription: d\nseed_prompt: s\nlabels: [yes, no]\ndata: {path: d.jsonl}\nsplit: {train: 1}\n",
    )
    with pytest.raises(TaskError, match=r"t.yaml: field 'labels': YAML reads unquoted yes/no/true/false as booleans"):
        load_task(tmp_path / "t.yaml")


def test_a_missing_file_with_variables_in_its_path_never_shows_their_values(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_DIR", "sk-live-do-not-print")
    task = {
        "name": "t",
        "description": "d",
        "seed_prompt": "s",
        "labels": ["a", "b"],
        "data": {"path": "${SECRET_DIR}/data.jsonl"},
    }
    (tmp_path / "task.json").write_text(json.dumps(task))
    with pytest.raises(TaskError, match=r"no such file: \$\{SECRET_DIR\}/data.jsonl") as caught:
        load_task(tmp_path / "task.json")
    assert "sk-live" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty, not an image"),
        (b"<html>not found</html>", "is not a PNG, JPEG, GIF, WebP or BMP image"),
        (PNG + b"cut short in the middle of a copy", "is a cut-short PNG"),
        (b"\xff\xd8\xff\xe0 cut short", "is a cut-short JPEG"),
    ],
)
def test_an_empty_corrupt_or_cut_short_image_names_its_row(tmp_path, content, message):
    (tmp_path / "x.png").write_bytes(content)
    data = {"format": "inline", "examples": [{"input": "What?", "target": "cat", "images": ["x.png"]}] * 2}
    spec = {"name": "t", "description": "d", "seed_prompt": "s", "labels": ["cat"], "data": data}
    with pytest.raises(TaskError, match=rf"examples\[0\]: field 'images': .*x.png {message}"):
        Task.from_dict(spec | {"split": {"train": 1, "dev": 1}}, base=tmp_path)
