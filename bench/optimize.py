"""IDEAL end to end on four real tasks: seed versus optimised test accuracy at equal budget, without priors and
with priors learnt on the other three tasks (leave one out), with the embedded models.

Pass 1, without priors: each task is optimised from an empty memory (so `optimize` falls back to a short warm-up,
as it does for a user with a new memory); each run writes its priors to a memory of its own. Pass 2, with priors:
each task is optimised again from a memory holding the priors of the other three tasks' pass-1 runs, never its
own. Priors transfer is read as the small-model calls each pass needed to first reach pass 1's best dev score.

    python bench/optimize.py [--tasks navigate trec sst2 liar] [--budget 150] [--test 60]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import DATA, machine, write_section  # noqa: E402
from idealprompt import Budget, Session, load_settings, optimize  # noqa: E402
from idealprompt.memory import Memory  # noqa: E402
from idealprompt.tasks import load_task  # noqa: E402

TASKS = Path(__file__).with_name("tasks")


def run(task, settings, budget: int, memory: Memory) -> dict:
    started = time.perf_counter()
    result = optimize(task, session=Session(settings, budget=Budget(small_calls=budget)), memory=memory)
    return {"result": result, "minutes": (time.perf_counter() - started) / 60}


def calls_to_reach(result, dev: float) -> int | None:
    """Small-model calls until a scored candidate first reached `dev` on the dev split."""
    reached = [c["calls"] for c in result.candidates if c["dev"] is not None and c["dev"] >= dev]
    return min(reached) if reached else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=["navigate", "trec", "sst2", "liar"])
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--test", type=int, default=60, help="test examples scored per task")
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    settings = load_settings()
    tasks = {}
    for name in args.tasks:
        task = load_task(TASKS / f"{name}.yaml")
        tasks[name] = dataclasses.replace(task, test=task.test[: args.test])
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        plain, primed = {}, {}
        for name, task in tasks.items():
            memory = Memory.open(folder / f"own-{name}")
            plain[name] = run(task, settings, args.budget, memory)
            memory.priors.export(folder / f"{name}.jsonl")
            memory.close()
            print(name, "without priors", plain[name]["result"].seed.test, plain[name]["result"].optimized.test,
                  flush=True)
        for name, task in tasks.items():
            memory = Memory.open(folder / f"others-{name}")
            for other in tasks:
                if other != name:
                    memory.priors.import_file(folder / f"{other}.jsonl")
            primed[name] = run(task, settings, args.budget, memory)
            memory.close()
            print(name, "with priors", primed[name]["result"].optimized.test, flush=True)
    rows, gains = [], {"plain": [], "primed": []}
    for name in tasks:
        a, b = plain[name]["result"], primed[name]["result"]
        gains["plain"].append(a.optimized.test - a.seed.test)
        gains["primed"].append(b.optimized.test - b.seed.test)
        target = a.optimized.dev
        reach_a, reach_b = calls_to_reach(a, target), calls_to_reach(b, target)
        rows.append(
            f"| {a.task} | {a.seed.test:.0%} | {a.optimized.test:.0%} ({gains['plain'][-1]:+.0%}) | "
            f"{b.optimized.test:.0%} ({gains['primed'][-1]:+.0%}) | {a.initialisation} | "
            f"{b.initialisation} | {target:.2f}: {reach_a} / {reach_b if reach_b is not None else 'not reached'} | "
            f"{a.usage['small']['calls']} / {b.usage['small']['calls']} | "
            f"{plain[name]['minutes']:.1f} / {primed[name]['minutes']:.1f} |"
        )
    mean = {k: statistics.fmean(v) for k, v in gains.items()}
    write_section("optimize", f"""
## IDEAL end to end (`bench/optimize.py`)

Machine: {machine()}. Small (target) model {Session(settings).describe('small')}, large (optimizer and reflector)
{Session(settings).describe('large')}, greedy. Per task: 30 training and 20 dev examples, a budget of
{args.budget} small-model calls for the optimisation (default options: beam 2, patience 2, at most 6 rounds, a
4-expansion warm-up when no prior applies), then the seed and the optimised prompt scored on {args.test} test
examples. Seed prompts are deliberately plain (bench/tasks/*.yaml). "Without priors": an empty memory (the
optimiser falls back to a short warm-up). "With priors": a memory holding the priors written by the other tasks'
runs without priors. "Calls to reach": small-model calls until a candidate first reached the dev score that the
run without priors ended with (without / with priors).

| task | seed test | optimised, without priors | optimised, with priors | initialised (without) | initialised (with) | calls to reach dev | small calls (without / with) | minutes (without / with) |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Mean test gain over the seed prompt: {mean['plain'] * 100:+.1f} points without priors, {mean['primed'] * 100:+.1f}
points with priors (target: +10 points).
""")


if __name__ == "__main__":
    main()
