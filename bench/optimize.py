"""IDEAL end to end on four real tasks at equal budgets, from an empty memory ("cold") and from the priors that
the other tasks' cold runs wrote ("priors", leave one out: a task's own priors never reach it), with the
embedded models.

Per (task, answer mode, budget): the seed and the optimised prompt's test accuracy in both passes, how each run
started, how many candidate prompts it compared (scored on dev; in brackets, raced out), its reflections (run /
kept), and the small-model calls each pass needed to first reach the cold run's final dev score. The priors pass
of a budget uses the cold runs of that budget and answer mode.

    python bench/optimize.py [--tasks navigate trec sst2 liar] [--budgets 150 300] [--answers constrained]
                             [--no-priors] [--test 60]
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
from bench.results import DATA, machine, write_section
from idealprompt import Budget, Session, load_settings, optimize
from idealprompt.memory import Memory
from idealprompt.tasks import load_task

TASKS = Path(__file__).with_name("tasks")


def run(task, settings, budget: int, answers: str, memory: Memory) -> dict:
    started = time.perf_counter()
    result = optimize(
        task, session=Session(settings, budget=Budget(small_calls=budget)), memory=memory, answers=answers
    )
    return {"result": result, "minutes": (time.perf_counter() - started) / 60}


def calls_to_reach(result, dev: float) -> int | None:
    """Small-model calls until a candidate scored on the whole dev split first reached `dev`."""
    reached = [
        c["calls"] for c in result.candidates if c["dev"] is not None and c["dropped"] is None and c["dev"] >= dev
    ]
    return min(reached) if reached else None


def describe(found: dict | None) -> dict[str, str]:
    if found is None:
        return dict.fromkeys(("test", "start", "compared", "reflections", "calls", "minutes"), "-")
    r = found["result"]
    raced_out = sum(c["dropped"] is not None for c in r.candidates)
    return {
        "test": f"{r.optimized.test:.0%} ({r.optimized.test - r.seed.test:+.0%})",
        "start": r.initialisation,
        "compared": f"{r.candidates_scored} ({raced_out})",
        "reflections": f"{len(r.reflections)} / {sum(x.kept for x in r.reflections)}",
        "calls": str(r.usage["small"]["calls"]),
        "minutes": f"{found['minutes']:.1f}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="*", default=["navigate", "trec", "sst2", "liar"])
    parser.add_argument("--budgets", nargs="*", type=int, default=[150, 300])
    parser.add_argument("--answers", nargs="*", default=["constrained"])
    parser.add_argument("--no-priors", action="store_true", help="cold runs only")
    parser.add_argument("--test", type=int, default=60, help="test examples scored per task")
    parser.add_argument("--section", default="optimize", help="the RESULTS.md section to write")
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    settings = load_settings()
    tasks = {}
    for name in args.tasks:
        task = load_task(TASKS / f"{name}.yaml")
        tasks[name] = dataclasses.replace(task, test=task.test[: args.test])
    rows, gains = [], {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for answers in args.answers:
            for budget in args.budgets:
                cold, primed = {}, {}
                for name, task in tasks.items():
                    memory = Memory.open(folder / f"own-{name}-{answers}-{budget}")
                    cold[name] = run(task, settings, budget, answers, memory)
                    memory.priors.export(folder / f"{name}-{answers}-{budget}.jsonl")
                    memory.close()
                    print(name, answers, budget, "cold", describe(cold[name]), flush=True)
                for name, task in ({} if args.no_priors else tasks).items():
                    memory = Memory.open(folder / f"others-{name}-{answers}-{budget}")
                    for other in tasks:
                        if other != name:
                            memory.priors.import_file(folder / f"{other}-{answers}-{budget}.jsonl")
                    primed[name] = run(task, settings, budget, answers, memory)
                    memory.close()
                    print(name, answers, budget, "priors", describe(primed[name]), flush=True)
                for name in tasks:
                    a, b = cold[name], primed.get(name)
                    target = a["result"].optimized.dev
                    reach = [calls_to_reach(x["result"], target) if x else None for x in (a, b)]
                    da, db = describe(a), describe(b)
                    gains.setdefault((answers, budget, "cold"), []).append(
                        a["result"].optimized.test - a["result"].seed.test
                    )
                    if b is not None:
                        gains.setdefault((answers, budget, "priors"), []).append(
                            b["result"].optimized.test - b["result"].seed.test
                        )
                    rows.append(
                        f"| {a['result'].task} | {answers} | {budget} | {a['result'].seed.test:.0%} | {da['test']} | "
                        f"{db['test']} | {da['start']} / {db['start']} | {da['compared']} / {db['compared']} | "
                        f"{da['reflections']} / {db['reflections']} | {target:.2f}: {reach[0]} / "
                        f"{'-' if b is None else reach[1] or 'not reached'} | {da['calls']} / {db['calls']} | "
                        f"{da['minutes']} / {db['minutes']} |"
                    )
    means = "; ".join(
        f"{answers}, {budget} calls, {kind}: {statistics.fmean(g) * 100:+.1f} points"
        for (answers, budget, kind), g in gains.items()
    )
    write_section(
        args.section,
        f"""
## IDEAL end to end (`bench/optimize.py`)

Machine: {machine()}. Small (target) model {Session(settings).describe("small")}, large (optimizer and reflector)
{Session(settings).describe("large")}, greedy. Per task: 30 training and 20 dev examples, default options (beam 2,
patience 2, at most 6 rounds, a 4-expansion warm-up when no prior applies, the seed prompt's demonstrations
raced at the start), then the seed and the optimised prompt scored on {args.test} test examples under the same
answer mode. Seed prompts are deliberately plain (bench/tasks/*.yaml). Cold: an empty memory. Priors: a memory
holding the priors written by the other tasks' cold runs (same budget and answer mode), never the task's own.
Each pair of cells is cold / priors. "Compared": candidate prompts scored, on dev and by the warm-up on its
minibatch (in brackets: raced out before the whole dev split). "Reflections": run / kept. "Calls to reach": small-model calls until a candidate scored on the
whole dev split first reached the cold run's final dev score.

| task | answers | budget | seed test | cold test | priors test | started from | compared | reflections | calls to reach dev | small calls | minutes |
|---|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Mean test gain over the seed prompt: {means}.
""",
    )


if __name__ == "__main__":
    main()
