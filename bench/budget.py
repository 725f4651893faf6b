"""What a budget of small-model calls buys: IDEAL end to end on the bench tasks with constrained and with free
answers, at 150 and 300 calls, from an empty memory, with the embedded models.

Per run: the seed and the optimised prompt's test accuracy, how the run started, how many candidate prompts were
compared (scored on dev, raced out or not), how many reflections ran and were kept (with their dev gains), and
the calls, tokens and minutes spent. The same tasks, splits and 60 test examples as `bench/optimize.py`, whose
recorded 150-call table is the engine before racing and constrained answers.

    python bench/budget.py [--tasks navigate trec sst2 liar] [--budgets 150 300] [--answers constrained free]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import DATA, machine, write_section  # noqa: E402
from idealprompt import Budget, Session, load_settings, optimize  # noqa: E402
from idealprompt.tasks import load_task  # noqa: E402

TASKS = Path(__file__).with_name("tasks")


def run(task, settings, budget: int, answers: str) -> dict:
    started = time.perf_counter()
    result = optimize(task, session=Session(settings, budget=Budget(small_calls=budget)), answers=answers)
    return {"result": result, "minutes": (time.perf_counter() - started) / 60}


def row(name: str, answers: str, budget: int, found: dict) -> str:
    r = found["result"]
    raced_out = sum(c["dropped"] is not None for c in r.candidates)
    kept = [x for x in r.reflections if x.kept]
    gains = ", ".join(f"{x.dev - x.parent_dev:+.2f}" for x in kept) or "-"
    large = r.usage.get("large", {})
    return (f"| {name} | {answers} | {budget} | {r.seed.test:.0%} | {r.optimized.test:.0%} "
            f"({r.optimized.test - r.seed.test:+.0%}) | {r.initialisation} | {r.candidates_scored} ({raced_out}) | "
            f"{r.rounds} | {len(r.reflections)} / {len(kept)} ({gains}) | {r.usage['small']['calls']} | "
            f"{large.get('calls', 0)} / {large.get('tokens', 0):,} | {found['minutes']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=["navigate", "trec", "sst2", "liar"])
    parser.add_argument("--budgets", nargs="*", type=int, default=[150, 300])
    parser.add_argument("--answers", nargs="*", default=["constrained", "free"])
    parser.add_argument("--test", type=int, default=60, help="test examples scored per task")
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    settings = load_settings()
    rows, gains = [], {}
    for name in args.tasks:
        task = load_task(TASKS / f"{name}.yaml")
        task = dataclasses.replace(task, test=task.test[: args.test])
        for answers in args.answers:
            for budget in args.budgets:
                found = run(task, settings, budget, answers)
                r = found["result"]
                gains.setdefault((answers, budget), []).append(r.optimized.test - r.seed.test)
                rows.append(row(task.name, answers, budget, found))
                print(rows[-1], flush=True)
    means = "; ".join(f"{answers} at {budget} calls {statistics.fmean(g) * 100:+.1f} points"
                      for (answers, budget), g in gains.items())
    write_section("budget", f"""
## What a budget buys (`bench/budget.py`)

Machine: {machine()}. Small (target) model {Session(settings).describe('small')}, large (optimizer and reflector)
{Session(settings).describe('large')}, greedy. Per task: 30 training and 20 dev examples, an empty memory, default
options (beam 2, patience 2, at most 6 rounds, a 4-expansion warm-up, demonstrations of the seed prompt raced at
the start), then the seed and the optimised prompt scored on {args.test} test examples (the seed prompt under the
same answer mode). "Compared": candidate prompts scored on dev (in brackets: raced out before the whole split).
"Reflections": run / kept (the kept ones' dev gains over their parents).

| task | answers | budget | seed test | optimised test | started from | compared (raced out) | rounds | reflections | small calls | large calls / tokens | minutes |
|---|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Mean test gain over the seed prompt: {means}.
""")


if __name__ == "__main__":
    main()
