"""DSPy's optimisers (COPRO, MIPROv2 without and with demos) and GEPA (`dspy.GEPA`), set up as their documentation
suggests for a single-predictor program, each held to the budget through its own knobs.

The program is one `dspy.Predict` over the signature text -> answer, seeded with the task's plain seed prompt as
its instructions; on a number task (GSM8K) text -> reasoning, answer, the signature `dspy.ChainOfThought` gives its
predictor and DSPy's own GSM8K tutorial uses (without it the 0.5B writes its working into the answer field, or only
a guessed number: the seed instruction scored 2% on dev that way, 17% on test as a plain chat call). The answer is a `str` field whose description lists the labels (not a Literal type), so an
answer outside them is read by the task's parser as IDEAL's is, instead of failing DSPy's; the metric is the
test's: `task.parse`, then `task.example_score`. DSPy's default ChatAdapter is used as users get it, and it asks
again in JSON when it cannot parse an answer: that extra call is why no DSPy row is marked `capped_exactly`; the
knobs' own count at one call per example is kept as `planned_calls`, the proxy's as `small_calls`.
"""

from __future__ import annotations

import os

# litellm (under DSPy) fetches a price list from the internet at first use unless told to read its own copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import dspy
from dspy.teleprompt.mipro_optimizer_v2 import AUTO_RUN_SETTINGS

from bench.peers.systems import Outcome, Run, best_so_far
from idealprompt.tasks import Example, Task

ADAPTER_TOKENS = 32  # room for the ChatAdapter's markers: [[ ## answer ## ]] ... [[ ## completed ## ]]
LARGE_TOKENS = 1024  # proposals and reflections; the servers' context is 4096 tokens
THREADS = 4  # requests in flight, as idealprompt's default `concurrency`
# A refused request (past the cap) must lower a candidate's score, not end the optimiser: DSPy stops after 10 errors.
MAX_ERRORS = 10**6
DEMO_SUCCESS_RATE = 0.5  # assumed share of training examples the small model bootstraps into a demo


class TaskProgram(dspy.Module):
    """The single-predictor program every optimiser starts from."""

    def __init__(self, signature):
        super().__init__()
        self.predict = dspy.Predict(signature)

    def forward(self, text: str):
        return self.predict(text=text)


def signature(task: Task):
    if task.answer == "label":
        answer = f"one of: {', '.join(task.labels)}"
    else:
        answer = "a single number" if task.answer == "number" else "the answer"
    fields = {"text": (str, dspy.InputField()), "answer": (str, dspy.OutputField(desc=answer))}
    shape = dspy.Signature(fields, task.seed_prompt)
    # ChainOfThought's own extension (its `predict` is a Predict over this), kept a Predict so every system's
    # program has the same one predictor to read instructions and demos from.
    return shape.prepend("reasoning", dspy.OutputField(desc="${reasoning}"), str) if task.answer == "number" else shape


def examples(items: list[Example]) -> list[dspy.Example]:
    return [dspy.Example(text=e.text, answer=e.target, gold=e).with_inputs("text") for e in items]


def read(task: Task, gold: dspy.Example, prediction) -> tuple[str | None, float]:
    parsed = task.parse(getattr(prediction, "answer", None))
    return parsed, task.example_score(parsed, gold.gold)


def small_lm(run: Run, phase: str) -> dspy.LM:
    """The small model, greedy. Not retried: past the cap the proxy's refusal is final, and DSPy's backoff would
    spend 7 s on each (a server on 127.0.0.1 has no other failure worth retrying)."""
    return dspy.LM(
        f"openai/{run.small}",
        api_base=run.url(phase),
        api_key="none",
        temperature=0,
        max_tokens=run.task.answer_tokens + ADAPTER_TOKENS,
        cache=False,
        num_retries=0,
    )


def large_lm(run: Run) -> dspy.LM:
    """The large model at temperature 1.0, as GEPA's documentation recommends for reflection (COPRO and MIPROv2
    set their own temperature on each proposal)."""
    return dspy.LM(
        f"openai/{run.large}",
        api_base=run.url("optimize"),
        api_key="none",
        temperature=1.0,
        max_tokens=LARGE_TOKENS,
        cache=False,
    )


def outcome(run: Run, program, settings: dict, curve=(), **notes) -> Outcome:
    """The compiled program run through its adapter on the test client, as its users would run it."""
    tester = small_lm(run, "test")

    def answer(example: Example) -> str | None:
        with dspy.context(lm=tester):
            return program(text=example.text).answer

    predictor = program.predict
    demos = [{"text": d.get("text"), "answer": d.get("answer")} for d in predictor.demos]
    return Outcome(
        answer,
        predictor.signature.instructions,
        capped_exactly=False,
        settings=settings,
        curve=list(curve),
        notes={"demos": demos, **notes},
    )


def copro(run: Run) -> Outcome:
    """COPRO scores every candidate instruction on the whole trainset: the budget buys budget // |train| scorings,
    spent as `breadth` candidates per round for `depth` rounds (breadth >= 2, COPRO's own minimum). It has no
    validation set: it selects on the training split it scores, and the dev split goes unused."""
    small, large = small_lm(run, "optimize"), large_lm(run)
    train = examples(run.task.train)
    scorings = run.budget // len(train)
    breadth = max(2, scorings // 2)
    depth = max(1, scorings // breadth)

    def metric(gold, prediction, trace=None):
        return read(run.task, gold, prediction)[1]

    optimizer = dspy.COPRO(prompt_model=large, metric=metric, breadth=breadth, depth=depth)
    with dspy.context(lm=small, max_errors=MAX_ERRORS):
        compiled = optimizer.compile(
            TaskProgram(signature(run.task)),
            trainset=train,
            eval_kwargs={"num_threads": THREADS, "display_progress": False},
        )
    return outcome(
        run,
        compiled,
        {"breadth": breadth, "depth": depth, "trainset": len(train)},
        planned_calls=breadth * depth * len(train),
    )


def mipro_zero_shot(run: Run) -> Outcome:
    return _mipro(run, demos=0)


def mipro_demos(run: Run) -> Outcome:
    return _mipro(run, demos=4)  # MIPROv2's defaults: up to 4 bootstrapped and 4 labelled demos


def _mipro(run: Run, *, demos: int) -> Outcome:
    """MIPROv2 with `auto` off, so that the trials fit the budget. Its "light" preset's candidates (6); no
    minibatches, as its presets choose for a dev set of 50 or fewer, so a trial scores the whole dev split.

    Calls: bootstrapping demos (zero-shot too: they inform the proposals), one call per training example until a
    set has its demos, for every candidate set but the zero-shot and labelled-only ones; then the default program
    and each trial on the whole dev split. Bootstrapping depends on the model's accuracy, so it is estimated."""
    small, large = small_lm(run, "optimize"), large_lm(run)
    train, dev = examples(run.task.train), examples(run.task.dev)
    candidates = AUTO_RUN_SETTINGS["light"]["n"]
    per_set = demos or 3  # zero-shot bootstraps 3 demos per set for the proposer (MIPROv2's constant)
    bootstrap = round((candidates - 2) * per_set / DEMO_SUCCESS_RATE)
    trials = max(1, (run.budget - bootstrap) // len(dev) - 1)

    def metric(gold, prediction, trace=None):
        return read(run.task, gold, prediction)[1]

    optimizer = dspy.MIPROv2(
        metric=metric,
        prompt_model=large,
        task_model=small,
        max_bootstrapped_demos=demos,
        max_labeled_demos=demos,
        auto=None,
        num_candidates=candidates,
        num_threads=THREADS,
        max_errors=MAX_ERRORS,
    )
    with dspy.context(lm=small, max_errors=MAX_ERRORS):
        compiled = optimizer.compile(
            TaskProgram(signature(run.task)), trainset=train, valset=dev, num_trials=trials, minibatch=False
        )
    logs = getattr(compiled, "trial_logs", {}) or {}
    curve = best_so_far(
        (t.get("total_eval_calls_so_far"), t["full_eval_score"] / 100)  # Evaluate's percentages
        for t in logs.values()
        if t.get("full_eval_score") is not None
    )
    settings = {
        "num_candidates": candidates,
        "num_trials": trials,
        "minibatch": False,
        "max_bootstrapped_demos": demos,
        "max_labeled_demos": demos,
    }
    return outcome(run, compiled, settings, curve, planned_calls=bootstrap + (trials + 1) * len(dev))


def gepa(run: Run) -> Outcome:
    """dspy.GEPA as its documentation recommends: a metric that returns feedback with the score
    (`dspy.Prediction(score, feedback)`), a strong reflection model at temperature 1.0, the budget as
    `max_metric_calls`, the rest left at its defaults (reflection minibatch 3, Pareto selection, merge on).
    GEPA checks the budget between iterations, and an iteration may score the whole dev split: not exact."""
    small, large = small_lm(run, "optimize"), large_lm(run)
    train, dev = examples(run.task.train), examples(run.task.dev)

    def metric(gold, prediction, trace=None, pred_name=None, pred_trace=None):
        parsed, score = read(run.task, gold, prediction)
        if score >= 1:
            return dspy.Prediction(score=score, feedback=f"Correct: the answer is {gold.answer}.")
        shown = "nothing readable" if parsed is None else repr(parsed)
        return dspy.Prediction(
            score=score,
            feedback=f"Incorrect: the expected answer is {gold.answer}, but the answer given reads as {shown}.",
        )

    optimizer = dspy.GEPA(
        metric=metric, max_metric_calls=run.budget, reflection_lm=large, num_threads=THREADS, track_stats=True
    )
    with dspy.context(lm=small, max_errors=MAX_ERRORS):
        compiled = optimizer.compile(TaskProgram(signature(run.task)), trainset=train, valset=dev)
    found = compiled.detailed_results
    curve = best_so_far(zip(found.discovery_eval_counts, found.val_aggregate_scores, strict=True))
    settings = {
        "max_metric_calls": run.budget,
        "reflection_lm_temperature": 1.0,
        "feedback_metric": True,
        "defaults": "reflection_minibatch_size 3, candidate_selection pareto, use_merge, round_robin",
    }
    return outcome(
        run, compiled, settings, curve, candidates=len(found.candidates), metric_calls=found.total_metric_calls
    )
