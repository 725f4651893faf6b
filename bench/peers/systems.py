"""The systems compared, and the one way each is scored: its optimised program, run on the test split as its users
would run it, through the counting proxy, read with the task's own parser and scored with the task's metric.

Each system is a function `(Run) -> Outcome`: it optimises (its requests go to the run's `optimize` client, capped
at the budget) and returns a caller for one test example (whose requests go to the `test` client, not capped).
Here: the seed prompt, IDEAL cold and IDEAL with priors, the large model as the target, and IDEAL cold in the
privacy modes `redact` and `private` (what privacy costs); the DSPy and GEPA
optimisers are in `bench.peers.dspy_systems`, imported only when one of them runs.
"""

from __future__ import annotations

import dataclasses
import importlib
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import openai

from bench.peers.proxy import CountingProxy
from idealprompt.tasks import Example, Task

TEST_CONCURRENCY = 4  # requests in flight, as idealprompt's default `concurrency`
SERVER_TIMEOUT = 1800.0  # seconds a request may take: queued at a 2-core server behind others, then generated


@dataclass
class Run:
    """One (task, system) run: the task, the budget, and the names of the models behind the proxy."""

    name: str  # the task's name in this benchmark (its task file's stem)
    task: Task
    system: str
    budget: int  # small-model calls for the optimisation
    proxy: CountingProxy
    small: str
    large: str
    priors: Path  # the folder where each task's `ideal` run leaves its priors, for `ideal-priors`

    def client(self, phase: str) -> str:
        return f"{self.name}/{self.system}/{phase}"

    def url(self, phase: str) -> str:
        return self.proxy.url(self.client(phase))


@dataclass
class Outcome:
    """A system's optimised program, ready for the test split."""

    answer: Callable[[Example], str | None]  # the raw answer to one test example, as its users would get it
    prompt: str  # the system message or instructions it ended with
    capped_exactly: bool  # whether its own knobs keep it within the budget whatever the model answers
    settings: dict = field(default_factory=dict)  # the knobs it ran with
    curve: list[list[float]] = field(default_factory=list)  # [small calls, best dev score so far], as it counts
    notes: dict = field(default_factory=dict)  # anything else worth keeping in the row


def measure(run: Run, system: Callable[[Run], Outcome]) -> dict:
    """Run a system and score its program on test; every count comes from the proxy."""
    run.proxy.cap(run.client("optimize"), small_calls=run.budget)
    started = time.perf_counter()
    outcome = system(run)
    optimised = time.perf_counter()
    scores, failures = score_test(run.task, outcome.answer)
    tested = time.perf_counter()
    spent, tests = run.proxy.usage(run.client("optimize")), run.proxy.usage(run.client("test"))
    optimise_seconds = optimised - started
    busy = run.proxy.busy_seconds(run.client("optimize"))
    return {
        "test_accuracy": statistics.fmean(scores),
        "test_examples": len(scores),
        "test_failures": failures,
        "small_calls": spent["small"].calls,
        "small_refused": spent["small"].refused,
        "cap_hit": spent["small"].refused > 0,
        "large_calls": spent["large"].calls,
        "large_tokens": spent["large"].tokens,
        "errors": spent["small"].errors + spent["large"].errors,
        "test_calls": tests["small"].calls + tests["large"].calls,
        "test_tokens": tests["small"].tokens + tests["large"].tokens,
        "optimise_seconds": round(optimise_seconds, 1),
        "test_seconds": round(tested - optimised, 1),
        # The share of the optimisation's wall time in which no model request was in flight: the framework's own.
        "framework_overhead": round(1 - busy / optimise_seconds, 3) if spent["small"].calls else None,
        "capped_exactly": outcome.capped_exactly,
        "prompt": outcome.prompt,
        "settings": outcome.settings,
        "curve": outcome.curve,
        **outcome.notes,
    }


def score_test(task: Task, answer: Callable[[Example], str | None]) -> tuple[list[float], int]:
    """Per test example, the metric of the parsed answer (a failed request is a wrong answer); and the failures."""

    def one(example: Example) -> tuple[float, bool]:
        try:
            raw, failed = answer(example), False
        except Exception:  # a request the server or the framework could not complete: scored wrong, and counted
            raw, failed = None, True
        return task.example_score(task.parse(raw), example), failed

    with ThreadPoolExecutor(TEST_CONCURRENCY) as pool:
        results = list(pool.map(one, task.test))
    return [score for score, _ in results], sum(failed for _, failed in results)


def chat(url: str, model: str, system: str, *, max_tokens: int, grammar: str | None = None):
    """A plain chat call per example, as a user without any framework would make it."""
    client = openai.OpenAI(base_url=url, api_key="none", timeout=SERVER_TIMEOUT)
    extra = {"max_tokens": max_tokens} | ({"grammar": grammar} if grammar else {})

    def answer(example: Example) -> str | None:
        reply = client.chat.completions.create(
            model=model,
            temperature=0,
            extra_body=extra,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": example.text}],
        )
        return reply.choices[0].message.content

    return answer


def best_so_far(points) -> list[list[float]]:
    """(calls, score) pairs as a rising curve: at each call count, the best score reached until then."""
    curve, best = [], float("-inf")
    for calls, score in sorted((c, s) for c, s in points if c is not None and s is not None):
        if score > best:
            best = score
            curve.append([calls, score])
    return curve


# --- the systems ------------------------------------------------------------------------------------------------
def seed(run: Run) -> Outcome:
    prompt = run.task.seed_prompt
    return Outcome(chat(run.url("test"), run.small, prompt, max_tokens=run.task.answer_tokens), prompt, True)


def large_as_target(run: Run) -> Outcome:
    """The reference row: how far the adapted small model is from a model 3x its size under the seed prompt."""
    prompt = run.task.seed_prompt
    return Outcome(chat(run.url("test"), run.large, prompt, max_tokens=run.task.answer_tokens), prompt, True)


@contextmanager
def _scratch_memory() -> Iterator:
    """An empty memory in a temporary folder, closed and removed after."""
    from idealprompt.memory import Memory

    with tempfile.TemporaryDirectory() as folder:
        memory = Memory.open(Path(folder) / "memory")
        try:
            yield memory
        finally:
            memory.close()


def ideal(run: Run) -> Outcome:
    """IDEAL from an empty memory; the priors it writes are kept for the other tasks' `ideal-priors` runs."""
    with _scratch_memory() as memory:
        result = _optimize(run, memory)
        run.priors.mkdir(parents=True, exist_ok=True)
        memory.priors.export(run.priors / f"{run.name}.jsonl")
    return _ideal_outcome(run, result, priors_from=[])


def ideal_priors(run: Run) -> Outcome:
    """IDEAL from a memory holding the priors of the other tasks' `ideal` runs, never this task's own."""
    others = sorted(p for p in run.priors.glob("*.jsonl") if p.stem != run.name)
    if not others:
        raise RuntimeError(f"no priors from other tasks in {run.priors}: run --system ideal on them first")
    with _scratch_memory() as memory:
        for path in others:
            memory.priors.import_file(path)
        result = _optimize(run, memory)
    return _ideal_outcome(run, result, priors_from=[p.stem for p in others])


def ideal_tools(run: Run) -> Outcome:
    """As `ideal` (an empty memory, whose priors are not kept), the reflector calling its tools for up to 3 turns
    before it proposes: whether tools help at the same budget."""
    from idealprompt.graphs.ideal import IdealOptions

    with _scratch_memory() as memory:
        result = _optimize(run, memory, options=IdealOptions(reflector_tools=3))
    return _ideal_outcome(run, result, priors_from=[])


def ideal_redact(run: Run) -> Outcome:
    """As `ideal`, in privacy mode `redact`, the large server counted as remote: the cost of redaction."""
    return _ideal_outcome(run, _private_optimize(run, "redact"), priors_from=[])


def ideal_private(run: Run) -> Outcome:
    """As `ideal`, in privacy mode `private`, the large server counted as remote: the reflector sees no example,
    only statistics and the small model's descriptions of mistakes (which count in the small budget)."""
    return _ideal_outcome(run, _private_optimize(run, "private"), priors_from=[])


def _private_optimize(run: Run, mode: str):
    from idealprompt.routes import privacy

    real = privacy.host_of
    large = f"openai:{run.large}"

    def host_of(spec, settings):  # the large server on 127.0.0.1 stands in for a remote API
        return "remote-large.invalid" if spec == large else real(spec, settings)

    with tempfile.TemporaryDirectory() as folder, mock.patch.object(privacy, "host_of", host_of):
        return _optimize(run, None, privacy=mode, audit_log=Path(folder) / "audit.jsonl")


def _optimize(run: Run, memory, options=None, **settings_given):
    from idealprompt import Budget, Session, load_settings, optimize

    settings = load_settings(
        large=f"openai:{run.large}",
        small=f"openai:{run.small}",
        openai_base_url=run.url("optimize"),
        openai_api_key=None,
        replay_cache=None,
        timeout=SERVER_TIMEOUT,
        **settings_given,
    )
    session = Session(settings, budget=Budget(small_calls=run.budget))
    # The test split is emptied: the optimiser never sees it, and its own test scores are not used.
    return optimize(dataclasses.replace(run.task, test=[]), session=session, memory=memory, options=options)


def _ideal_outcome(run: Run, result, *, priors_from: list[str]) -> Outcome:
    # Fields of newer OptimizeResults; an older one answered freely within the task's token limit.
    answers = getattr(result, "answers", "free")
    grammar = getattr(result, "answer_grammar", None) if answers == "constrained" else None
    tokens = getattr(result, "answer_tokens", None) or run.task.answer_tokens
    return Outcome(
        chat(run.url("test"), run.small, result.prompt, max_tokens=tokens, grammar=grammar),
        result.prompt,
        capped_exactly=True,  # its session refuses a small-model call past the budget before sending it
        settings={"budget": result.budget, "memory": f"priors of {', '.join(priors_from)}" if priors_from else "empty"},
        # A candidate raced out early has a dev score over a few examples only: not a point of the curve.
        curve=best_so_far((c.get("calls"), c.get("dev")) for c in result.candidates if c.get("dropped") is None),
        notes={
            "initialisation": result.initialisation,
            "stopped": result.stopped,
            "answers": answers,
            "candidates_scored": result.candidates_scored,
            "reflection_rounds": result.rounds,
            "reflections": len(result.reflections),
            "kept_reflection_gains": [round(r.dev - r.parent_dev, 3) for r in result.reflections if r.kept],
            "answer_tokens": tokens,
            "grammar": grammar is not None,
            "priors_from": priors_from,
            "ledger_small_calls": result.usage.get("small", {}).get("calls"),
        },
    )


# --- the registry -----------------------------------------------------------------------------------------------
SYSTEMS = {
    "seed": seed,
    "ideal": ideal,
    "ideal-priors": ideal_priors,
    "copro": "copro",
    "mipro-0shot": "mipro_zero_shot",
    "mipro-demos": "mipro_demos",
    "gepa": "gepa",
    "large-as-target": large_as_target,
    "ideal-redact": ideal_redact,
    "ideal-private": ideal_private,
    "ideal-tools": ideal_tools,
}


def system(name: str) -> Callable[[Run], Outcome]:
    """The function of a system; those of `bench.peers.dspy_systems` are imported on first use (they need dspy)."""
    found = SYSTEMS[name]
    if callable(found):
        return found
    try:
        module = importlib.import_module("bench.peers.dspy_systems")
    except ImportError as e:
        raise RuntimeError(f"{name} needs dspy and gepa: pip install -e '.[bench]' ({e})") from e
    return getattr(module, found)
