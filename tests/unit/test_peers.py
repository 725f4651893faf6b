"""bench/peers' harness, offline: the counting proxy in front of fake OpenAI-compatible servers, a system stopped at
its budget, the report written from a results file alone, and a rerun that skips what is done."""

import json
import sys

import openai
import pytest

from bench.peers import report, runs
from bench.peers.proxy import Backend, CountingProxy
from bench.peers.systems import Outcome, Run, chat, measure, seed, system
from idealprompt.tasks import Task
from tests.fake_openai_server import FakeOpenAIServer


@pytest.fixture
def served():
    """A small and a large fake model behind one counting proxy."""
    with (
        FakeOpenAIServer("Yes", model="small-m", prompt_tokens=11, completion_tokens=3) as small,
        FakeOpenAIServer("a new prompt", model="large-m", prompt_tokens=100, completion_tokens=40) as large,
        CountingProxy(
            {"small": Backend("small", small.url, "small-m"), "large": Backend("large", large.url, "large-m")}
        ) as proxy,
    ):
        yield proxy, small, large


def ask(proxy, client: str, model: str, **extra):
    api = openai.OpenAI(base_url=proxy.url(client), api_key="none", max_retries=0)
    return api.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}], **extra)


def tiny_task(targets: list[str]) -> Task:
    examples = [{"input": f"question {i}", "target": t} for i, t in enumerate(targets)]
    return Task.from_dict(
        {
            "name": "tiny",
            "description": "Answer yes or no.",
            "seed_prompt": "Answer.",
            "labels": ["Yes", "No"],
            "data": {"format": "inline", "examples": examples},
            "split": {"train": 2, "dev": 2, "test": len(targets) - 4, "seed": 0},
        }
    )


def test_the_proxy_counts_requests_and_tokens_per_client_and_model(served):
    proxy, small, large = served
    ask(proxy, "trec/copro/optimize", "small")
    ask(proxy, "trec/copro/optimize", "small")
    ask(proxy, "trec/copro/optimize", "large")
    ask(proxy, "trec/copro/test", "small")

    optimised = proxy.usage("trec/copro/optimize")
    assert (optimised["small"].calls, optimised["small"].tokens) == (2, 2 * 14)
    assert (optimised["large"].calls, optimised["large"].tokens) == (1, 140)
    assert proxy.usage("trec/copro/test")["small"].calls == 1
    assert proxy.usage("trec/copro/")["small"].calls == 3
    assert proxy.usage("trec/ideal/")["small"].calls == 0
    assert len(small.received) == 3 and len(large.received) == 1
    assert {b["model"] for b in small.received} == {"small-m"}  # each server is asked by its own alias


def test_the_proxy_passes_limits_and_n_the_way_llama_cpp_honours_them(served):
    proxy, small, large = served
    ask(proxy, "c", "small", max_completion_tokens=7)  # DSPy 3.4 sends only this, which llama.cpp ignores
    assert small.received[-1]["max_tokens"] == 7

    reply = ask(proxy, "c", "large", n=3)  # COPRO's proposals: llama.cpp answers one choice whatever n is
    assert [c.index for c in reply.choices] == [0, 1, 2]
    assert len(large.received) == 3 and all(b["n"] == 1 for b in large.received)
    assert proxy.usage("c")["large"].calls == 3


def test_a_client_past_its_cap_is_refused_and_the_refusal_recorded(served):
    proxy, small, _ = served
    proxy.cap("gepa/optimize", small_calls=2)
    ask(proxy, "gepa/optimize", "small")
    ask(proxy, "gepa/optimize", "small")
    with pytest.raises(openai.RateLimitError, match="budget exhausted"):
        ask(proxy, "gepa/optimize", "small")
    ask(proxy, "gepa/optimize", "large")  # the cap is on small-model calls only
    ask(proxy, "gepa/test", "small")  # and on this client only

    usage = proxy.usage("gepa/optimize")
    assert (usage["small"].calls, usage["small"].refused, usage["large"].calls) == (2, 1, 1)
    assert len(small.received) == 3  # the refused request never reached the server


def test_a_system_is_stopped_at_its_budget_and_scored_on_test_by_the_proxy(served, tmp_path):
    proxy, small, _ = served
    task = tiny_task(["Yes", "No", "Yes", "No", "Yes", "Yes", "No", "Yes"])  # the fake always answers Yes

    def greedy(run: Run) -> Outcome:
        """A system that would call the small model forever."""
        call = chat(run.url("optimize"), run.small, "Answer.", max_tokens=4)
        try:
            while True:
                call(task.train[0])
        except openai.RateLimitError:
            pass
        return seed(run)

    run = Run("tiny", task, "greedy", 5, proxy, "small", "large", tmp_path)
    row = measure(run, greedy)

    assert (row["small_calls"], row["small_refused"], row["cap_hit"]) == (5, 1, True)
    expected = sum(e.target == "Yes" for e in task.test) / len(task.test)
    assert row["test_accuracy"] == pytest.approx(expected)
    assert row["test_calls"] == len(task.test) and row["test_failures"] == 0
    assert len(small.received) == 5 + len(task.test)
    assert small.received[-1]["messages"][0] == {"role": "system", "content": "Answer."}
    assert small.received[-1]["max_tokens"] == task.answer_tokens


def test_non_dspy_systems_do_not_import_dspy():
    system("seed"), system("ideal"), system("large-as-target")
    assert "bench.peers.dspy_systems" not in sys.modules


def result(task: str, name: str, accuracy: float, **extra) -> dict:
    return {
        "task": task,
        "system": name,
        "config": CONFIG,
        "test_accuracy": accuracy,
        "small_calls": 290,
        "small_refused": 0,
        "large_tokens": 12_000,
        "seconds": 600.0,
        "capped_exactly": name.startswith("ideal"),
        "framework_overhead": 0.1 if name.startswith("ideal") else None,
        "curve": [[50, 0.5], [200, 0.7]],
        "command": f"python -m bench.peers --task {task} --system {name}",
        **extra,
    }


CONFIG = {"budget": 300, "small": "s", "large": "l", "sizes": [50, 50, 150]}
SYSTEMS = ["seed", "ideal", "copro", "gepa", "large-as-target"]


def test_the_table_and_the_plot_are_written_from_the_results_file(tmp_path):
    results = tmp_path / "peers.jsonl"
    for task, base in [("trec", 0.4), ("sst2", 0.6)]:
        for i, name in enumerate(SYSTEMS):
            runs.append_row(results, result(task, name, base + 0.05 * i))
    runs.append_row(
        results,
        {
            "task": "sst2",
            "system": "mipro-0shot",
            "config": CONFIG,
            "seconds": 60.0,
            "error": "RuntimeError: the server died",
        },
    )
    runs.append_row(results, result("trec", "copro", 0.9, config={**CONFIG, "budget": 20}))  # another run's

    report.write(runs.latest(runs.read_rows(results), CONFIG), CONFIG, results, canonical=False)

    text = (tmp_path / "peers.md").read_text()
    for name in [*SYSTEMS, "mipro-0shot"]:
        assert f"| {name} |" in text
    assert "### trec" in text and "### sst2" in text
    assert "failed: RuntimeError: the server died" in text
    assert "| copro | 50.0% | +10.0 |" in text  # trec: seed 40%, copro 50%; not the budget-20 row
    assert "| gepa | 2 | 65.0% | +15.0 points | 2 |" in text  # the best on the small model on both tasks
    png = tmp_path / "peers.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_a_rerun_skips_the_runs_done_and_retries_the_failed(tmp_path):
    results = tmp_path / "peers.jsonl"
    called, failures = [], ["the server died"]

    def run_one(task, name):
        called.append((task, name))
        if name == "copro" and failures:
            raise RuntimeError(failures.pop())
        return {"test_accuracy": 0.5, "small_calls": 10, "large_tokens": 0}

    pairs = [("trec", "seed"), ("trec", "copro"), ("sst2", "seed")]
    options = {"config": CONFIG, "command": lambda t, s: f"{t} {s}", "say": lambda line: None}
    first = runs.run_pending(pairs, run_one, results, **options)
    assert called == pairs and "error" in first[1]
    assert json.loads(results.read_text().splitlines()[1])["error"] == "RuntimeError: the server died"

    called.clear()
    second = runs.run_pending(pairs, run_one, results, **options)
    assert called == [("trec", "copro")] and "error" not in second[0]

    called.clear()
    assert runs.run_pending(pairs, run_one, results, **options) == [] and called == []
    runs.run_pending(pairs[:1], run_one, results, **{**options, "config": {**CONFIG, "budget": 20}})
    assert called == [("trec", "seed")]  # another budget is another run


def test_privacy_variants_are_compared_with_ideal_and_win_nothing(tmp_path):
    results = tmp_path / "peers.jsonl"
    for name, accuracy in [
        ("seed", 0.4),
        ("ideal", 0.7),
        ("copro", 0.6),
        ("ideal-redact", 0.7),
        ("ideal-private", 0.8),
    ]:
        runs.append_row(results, result("trec", name, accuracy))
    report.write(runs.latest(runs.read_rows(results), CONFIG), CONFIG, results, canonical=False)
    text = (tmp_path / "peers.md").read_text()
    assert "| ideal | 1 | 70.0% | +30.0 points | 1 |" in text  # the best contender, private's 80% aside
    assert "| ideal-private | 1 | 80.0% | +40.0 points | privacy variant |" in text
    assert "| trec | 70.0% | 70.0% (+0.0) | 80.0% (+10.0) | 290, 12,000 (290, 12,000) |" in text


def test_ideal_private_sends_no_example_to_the_large_server(served, tmp_path):
    proxy, small, large = served
    task = tiny_task(["Yes", "No", "Yes", "No", "Yes", "No"])
    row = measure(Run("tiny", task, "ideal-private", 20, proxy, "small", "large", tmp_path), system("ideal-private"))
    assert row["small_calls"] <= 20 and large.received  # the large model was asked, and saw no example
    assert not any(e.text in json.dumps(large.received) for e in [*task.train, *task.dev, *task.test])
    assert any(e.text in json.dumps(small.received) for e in task.train)  # the small one answered them


def test_a_task_only_one_system_has_run_counts_no_win(tmp_path):
    results = tmp_path / "peers.jsonl"
    for task, name, accuracy in [("trec", "seed", 0.4), ("trec", "ideal", 0.7), ("gsm8k", "seed", 0.2)]:
        runs.append_row(results, result(task, name, accuracy))
    report.write(runs.latest(runs.read_rows(results), CONFIG), CONFIG, results, canonical=False)
    text = (tmp_path / "peers.md").read_text()
    assert "| seed | 2 | 30.0% | +0.0 points | 0 |" in text  # gsm8k, where the seed ran alone, is no win
    assert "| ideal | 1 | 70.0% | +30.0 points | 1 |" in text


def test_dspy_reasons_before_a_number_and_answers_a_label_directly():
    """Last in this file: it imports DSPy, which test_non_dspy_systems_do_not_import_dspy must not see."""
    pytest.importorskip("dspy")
    from bench.peers.dspy_systems import signature

    examples = [{"input": f"{i} + 1?", "target": str(i + 1)} for i in range(5)]
    number = Task.from_dict(
        {
            "name": "sums",
            "description": "Add one.",
            "seed_prompt": "Add.",
            "answer": "number",
            "data": {"format": "inline", "examples": examples},
            "split": {"train": 2, "dev": 2, "test": 1, "seed": 0},
        }
    )
    assert list(signature(number).output_fields) == ["reasoning", "answer"]
    label = signature(tiny_task(["Yes", "No"] * 3))
    assert list(label.output_fields) == ["answer"]
    assert "Yes, No" in label.output_fields["answer"].json_schema_extra["desc"]
