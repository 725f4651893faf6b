"""IDEAL Stage 1 (warm-up) on three real tasks: test accuracy of the seed prompt and of the best prompt the search
found, at a budget of small-model calls, with the embedded models; and what the evaluator's hot path costs.

Each task (bench/tasks/*.yaml: BBH navigate, TREC, SST-2; 30 training and 100 test examples) gets a fresh session
whose budget caps the search's small-model calls; the search scores prompts on a 20-example minibatch of the
training split. The seed prompt and the best prompt are then scored on the test split (outside the budget). No
prior from memory is used (a fresh, empty memory per task), so each search starts from a seeded order.

Evaluator costs: seconds per small-model call when requests share the prompt as a prefix (grouped by prompt, as
the evaluator sends them) versus alternating between two prompts, which defeats llama.cpp's prefix cache; and
how many calls memoisation saved during the searches.

    python bench/warmup.py [--tasks navigate trec sst2] [--budget 300] [--minibatch 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import DATA, machine, write_section
from idealprompt import Budget, Session, load_settings
from idealprompt.graphs.context import Optimization
from idealprompt.graphs.warmup import build_warmup_graph
from idealprompt.memory import Memory
from idealprompt.scoring.evaluate import Evaluator
from idealprompt.search.tree import StrategyTree
from idealprompt.tasks import load_task

TASKS = Path(__file__).with_name("tasks")
PREFIX_EXAMPLES = 10


def search(task, settings, budget: int, minibatch: int) -> dict:
    session = Session(settings, budget=Budget(small_calls=budget))
    with tempfile.TemporaryDirectory() as folder:
        memory = Memory.open(Path(folder) / "memory")
        run = Optimization(session, task, memory=memory)
        started, final = time.perf_counter(), {}
        for final in build_warmup_graph().stream(
            {"options": {"minibatch": minibatch}}, context=run, stream_mode="values"
        ):
            if final.get("tree") and final["tree"]["nodes"][0]["reward"] is not None:  # progress, per state
                tree = StrategyTree.model_validate(final["tree"])
                print(
                    f"  {task.name}: {len(tree.evaluated())} prompts scored, best {tree.best().reward}, "
                    f"{run.evaluator.calls} calls, {time.perf_counter() - started:.0f} s",
                    end="\r",
                    flush=True,
                )
        seconds = time.perf_counter() - started
        memory.close()
    tree = StrategyTree.model_validate(final["tree"])
    evaluated = tree.evaluated()
    asked = len(evaluated) * min(minibatch, len(task.train))
    usage = session.ledger.snapshot()
    return {
        "tree": tree,
        "seconds": seconds,
        "usage": usage,
        "saved": asked - run.evaluator.calls,
        "stopped": final.get("stopped", ""),
    }


def test_scores(task, settings, tree: StrategyTree) -> tuple[float, float]:
    evaluator = Evaluator.for_session(Session(settings), task)
    seed = evaluator.evaluate(tree.root.prompt, task.test).score
    best = evaluator.evaluate(tree.best().prompt, task.test).score
    return seed, best


def prefix_reuse(task, settings, tree: StrategyTree) -> tuple[float, float]:
    """Seconds per call, grouped by prompt versus alternating prompts, on the same requests."""
    model = Evaluator.for_session(Session(settings), task)
    prompts = [tree.root.prompt, tree.best().prompt if tree.best() is not tree.root else tree.nodes[-1].prompt]
    examples = task.test[:PREFIX_EXAMPLES]
    grouped = [(p, e) for p in prompts for e in examples]
    alternating = [(p, e) for e in examples for p in prompts]
    timings = {}
    for name, order in (("grouped", grouped), ("alternating", alternating), ("grouped again", grouped)):
        started = time.perf_counter()
        for prompt, example in order:
            model.model.invoke(model.messages(prompt, example))
        timings[name] = (time.perf_counter() - started) / len(order)
    return (timings["grouped"] + timings["grouped again"]) / 2, timings["alternating"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=["navigate", "trec", "sst2"])
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--minibatch", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    settings = load_settings()
    rows, prefix_rows, gains = [], [], []
    for name in args.tasks:
        task = load_task(TASKS / f"{name}.yaml")
        found = search(task, settings, args.budget, args.minibatch)
        tree = found["tree"]
        seed, best = test_scores(task, settings, tree)
        gains.append(best - seed)
        grouped, alternating = prefix_reuse(task, settings, tree)
        small, large = found["usage"].get("small", {}), found["usage"].get("large", {})
        path = " > ".join(tree.strategies_of(tree.best())) or "(the seed prompt)"
        rows.append(
            f"| {task.name} | {seed:.0%} | {best:.0%} | {best - seed:+.0%} | {path} | {tree.root.reward:.2f} -> "
            f"{tree.best().reward:.2f} | {len(tree.evaluated())} | {small.get('calls', 0)} | {found['saved']} | "
            f"{large.get('calls', 0)} / {large.get('tokens', 0):,} | {found['seconds'] / 60:.1f} |"
        )
        prefix_rows.append(f"| {task.name} | {grouped:.2f} | {alternating:.2f} | {alternating / grouped - 1:+.0%} |")
        print(rows[-1], prefix_rows[-1], f"stopped: {found['stopped']}", sep="\n", flush=True)
    mean_gain = sum(gains) / len(gains)
    write_section(
        "warmup",
        f"""
## IDEAL warm-up (`bench/warmup.py`)

Machine: {machine()}. Small (target) model {Session(settings).describe("small")}, large (optimizer)
{Session(settings).describe("large")}, greedy. Per task: 30 training examples, a {args.minibatch}-example minibatch
for the search's rewards, a budget of {args.budget} small-model calls for the search, then the seed prompt and
the best prompt of the tree scored on 100 held-out test examples. Empty memory (no priors). Seed prompts are
deliberately plain (bench/tasks/*.yaml). "Calls saved" = minibatch answers the evaluator's memo gave without a
call (prompts reached twice).

| task | seed test acc | best test acc | gain | best path | minibatch reward | prompts scored | small calls | calls saved | large calls / tokens | search min |
|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Mean test gain over the seed prompt: {mean_gain * 100:+.1f} points.

Evaluator hot path: seconds per small-model call on {PREFIX_EXAMPLES} test examples x 2 prompts (the seed and
the best), sent grouped by prompt (as the evaluator does: the prompt is a shared prefix that llama.cpp keeps in
its KV cache) or alternating between the prompts (each request re-evaluates its prompt).

| task | grouped s/call | alternating s/call | cost of losing the prefix |
|---|---|---|---|
{chr(10).join(prefix_rows)}
""",
    )


if __name__ == "__main__":
    main()
