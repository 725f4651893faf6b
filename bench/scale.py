"""Evaluation throughput in this process against Ray actors (a local cluster on loopback), and the driver's cost
per dispatched call.

Per configuration, in a fresh process: the seed prompt of examples/sports_understanding.yaml answers `--calls`
training examples with the embedded 0.5B (constrained answers), after one untimed call per actor that loads the
model. Threads per model: 2 in process and with one actor; 1 per actor with two (this machine has two cores).
The driver's cost per call is the wall time of the same evaluation against actors that answer at once (a model
whose `_generate` returns a fixed answer), divided by the calls: Ray's dispatch, the ledger and the evaluator, with
no model at all. From it: how many workers one driver keeps busy = seconds per model call / driver seconds per call.

    python bench/scale.py [--calls 40]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
CONFIGS = {"in process": (None, 1, 2), "ray, 1 actor": ("local", 1, 2), "ray, 2 actors": ("local", 2, 1)}


def worker(config: str, calls: int) -> dict:
    import dataclasses

    from idealprompt import Session, load_settings
    from idealprompt.scoring.evaluate import Evaluator
    from idealprompt.tasks import load_task

    address, actors, threads = CONFIGS[config]
    task = load_task(BENCH.parent / "examples" / "sports_understanding.yaml")
    pool = (task.train + task.dev + task.test)[: calls + actors]
    task = dataclasses.replace(task, answers="constrained")
    session = Session(load_settings(ray=address, ray_actors=actors, threads=threads))
    evaluator = Evaluator.for_session(session, task)
    evaluator.evaluate(task.seed_prompt, pool[:actors])  # loads the model in each actor: not timed
    started = time.perf_counter()
    result = evaluator.evaluate(task.seed_prompt, pool[actors:])
    seconds = time.perf_counter() - started
    return {"config": config, "calls": result.calls, "seconds": seconds, "calls_per_second": result.calls / seconds}


def dispatch(calls: int) -> dict:
    """The driver's cost per call: two actors whose model answers at once."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult

    from idealprompt.accounting import Ledger
    from idealprompt.routes.actors import on_actors

    class Instant(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "instant"

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            return ChatResult(generations=[ChatGeneration(message=AIMessage("yes"))])

    ledger = Ledger()
    model = on_actors(Instant(), "local", 2, name="instant").model_copy(
        update={"callbacks": [ledger.callback("small")]}
    )
    model.batch([f"warm {i}" for i in range(4)], {"max_concurrency": 2})
    started = time.perf_counter()
    model.batch([f"example {i}" for i in range(calls)], {"max_concurrency": 2})
    seconds = time.perf_counter() - started
    return {"config": "dispatch", "calls": calls, "seconds": seconds, "per_call": seconds / calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        found = dispatch(args.calls * 5) if args.worker == "dispatch" else worker(args.worker, args.calls)
        print(json.dumps(found))
        return
    rows = {}
    for config in [*CONFIGS, "dispatch"]:
        command = [sys.executable, __file__, "--worker", config, "--calls", str(args.calls)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows[config] = json.loads(done.stdout.strip().splitlines()[-1])
        print(config, rows[config], flush=True)
    base = rows["in process"]["seconds"] / rows["in process"]["calls"]
    lines = [
        "| configuration | calls | seconds | calls/s | seconds per call | vs in process |",
        "|---|---|---|---|---|---|",
    ]
    for config in CONFIGS:
        r = rows[config]
        per = r["seconds"] / r["calls"]
        lines.append(
            f"| {config} | {r['calls']} | {r['seconds']:.1f} | {r['calls_per_second']:.2f} | {per:.3f} | "
            f"{per / base - 1:+.1%} |"
        )
    driver = rows["dispatch"]["per_call"]
    lines += [
        "",
        f"Driver's cost per dispatched call (two actors that answer at once, {rows['dispatch']['calls']} calls): "
        f"{driver * 1000:.1f} ms. At {base:.3f} s a model call, one driver keeps about {base / driver:.0f} "
        "workers busy.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
