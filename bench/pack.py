"""Builds the built-in prior pack (idealprompt/memory/pack/): IDEAL end to end on public tasks that no benchmark
evaluates (bench/pack_tasks/*.yaml), for the default target model, one shared memory growing task by task as a
user's would; its priors are exported without example inputs (only the tasks' descriptions and labels travel,
so no dataset text ships in the package), with a manifest of how they were made.

    python bench/pack.py [--budget 200] [--version 1]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import DATA
from idealprompt import Budget, Session, load_settings, optimize
from idealprompt.memory import Memory
from idealprompt.tasks import load_task

TASKS = Path(__file__).with_name("pack_tasks")
PACK = Path(__file__).resolve().parents[1] / "idealprompt" / "memory" / "pack"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=200, help="small-model calls per task")
    parser.add_argument("--version", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    settings = load_settings()
    files = sorted(TASKS.glob("*.yaml"))
    with tempfile.TemporaryDirectory() as folder:
        memory = Memory.open(Path(folder) / "memory")
        for file in files:
            started = time.perf_counter()
            result = optimize(
                load_task(file), session=Session(settings, budget=Budget(small_calls=args.budget)), memory=memory
            )
            print(
                f"{result.task}: dev {result.seed.dev:.2f} -> {result.optimized.dev:.2f} "
                f"({result.initialisation}; {time.perf_counter() - started:.0f} s)",
                flush=True,
            )
        priors = memory.priors.all()
        memory.close()
    PACK.mkdir(parents=True, exist_ok=True)
    lines = []
    for prior in sorted(priors, key=lambda p: (p.task.name, p.created)):
        prior.task.examples = []
        lines.append(prior.model_dump_json())
    (PACK / "priors.jsonl").write_text("\n".join(lines) + "\n")
    session = Session(settings)
    manifest = {
        "version": args.version,
        "made": datetime.date.today().isoformat(),
        "target": session.describe("small"),
        "large": session.describe("large"),
        "tasks": [load_task(f).name for f in files],
        "budget": args.budget,
        "priors": len(lines),
        "command": f"python bench/pack.py --budget {args.budget} --version {args.version}",
        "note": "task descriptions and labels only: no example inputs from the datasets",
    }
    (PACK / "pack.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{len(lines)} priors written to {PACK}")


if __name__ == "__main__":
    main()
