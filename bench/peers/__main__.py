"""IDEAL side by side with DSPy and GEPA: the same small model, tasks and budget, counted at the server.

Every system adapts the same small model to the same six tasks with the same budget of small-model calls, and is
scored on the same test examples. One llama.cpp server per model (the small target; the large model that proposes
and reflects) and one counting proxy in front of them, through which every system and every test call goes. Each
(task, system) run is appended to the results file as it ends (a failed one too, with its error); a rerun skips
what is done. After every run, and with --report alone, the report is rebuilt from the results file: tables in
bench/RESULTS.md (for the default results file; else a .md beside it) and a plot beside it (bench/peers.png).
Runs take hours on 2 cores.

    python -m bench.peers [--task trec,sst2 ...] [--system ideal,copro ...] [--budget 300]
        [--small qwen2.5-coder-0.5b] [--large qwen2.5-coder-1.5b] [--sizes 50 50 150] [--out bench/peers.jsonl]
    python -m bench.peers --report

Systems: seed, ideal, ideal-priors (run after `ideal` on the other tasks), copro, mipro-0shot, mipro-demos, gepa,
large-as-target; variants of IDEAL: ideal-redact, ideal-private, ideal-tools. Run from the repository root; needs the
bench extra: pip install -e '.[bench]'. A row's `command` reruns it once its line is taken out of the results file.
What each run printed, and the servers' logs, are in runs/peers/.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path

from bench.peers import report, runs
from bench.peers.proxy import Backend, CountingProxy
from bench.peers.servers import LlamaServer
from bench.peers.systems import SYSTEMS, Run, measure, system
from bench.peers.tasks import SIZES, TASKS, load
from bench.results import DATA, REPO, machine
from idealprompt import load_settings
from idealprompt.routes import catalog

RESULTS = Path(__file__).resolve().parents[1] / "peers.jsonl"
LOGS = REPO / "runs" / "peers"  # the servers' logs, and what each run printed


def names(values: list[str] | None, known: tuple[str, ...], what: str) -> list[str]:
    """Repeated and comma-separated choices, in the benchmark's order; all when none are given."""
    chosen = {v.strip() for value in values or [] for v in value.split(",") if v.strip()} or set(known)
    if unknown := chosen - set(known):
        sys.exit(f"unknown {what}: {', '.join(sorted(unknown))}; choose from {', '.join(known)}")
    return [k for k in known if k in chosen]


def command(args, task: str, system: str) -> str:
    out = "" if args.out == RESULTS else f" --out {args.out}"
    return (
        f"python -m bench.peers --task {task} --system {system} --budget {args.budget} --small {args.small} "
        f"--large {args.large} --sizes {' '.join(map(str, args.sizes))}{out}"
    )


@contextlib.contextmanager
def serving(small: str, large: str):
    """The servers and the proxy; one server when both roles have the same model. Yields (proxy, small, large),
    the names each role's model has at the proxy."""
    models_dir = load_settings().models_dir
    roles = {"small": small, "large": large}
    with contextlib.ExitStack() as stack:
        served: dict[str, LlamaServer] = {}
        for role, model in roles.items():
            if model not in served:
                gguf = catalog.gguf_path(catalog.lookup(model), models_dir)
                print(f"starting llama_cpp.server for {model} ({role})", flush=True)
                served[model] = stack.enter_context(LlamaServer(gguf, model, log=LOGS / f"{model}.log"))
        public = {role: f"{role}-{model}" for role, model in roles.items()}
        proxy = stack.enter_context(
            CountingProxy({public[role]: Backend(role, served[model].url, model) for role, model in roles.items()})
        )
        yield proxy, public["small"], public["large"]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__.splitlines()[0])
    parser.add_argument("--task", action="append", help=f"repeatable or comma-separated; default all: {TASKS}")
    parser.add_argument(
        "--system", action="append", help=f"repeatable or comma-separated; default all: {tuple(SYSTEMS)}"
    )
    parser.add_argument("--budget", type=int, default=300, help="small-model calls for each optimisation")
    parser.add_argument("--small", default="qwen2.5-coder-0.5b", help="the target model (idealprompt models)")
    parser.add_argument("--large", default="qwen2.5-coder-1.5b", help="the proposal and reflection model")
    parser.add_argument("--sizes", type=int, nargs=3, default=list(SIZES), metavar=("TRAIN", "DEV", "TEST"))
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file (JSON Lines)")
    parser.add_argument(
        "--report",
        action="store_true",
        help="only rebuild the report from the results file (its rows of the options given)",
    )
    args = parser.parse_args()
    args.out = args.out.resolve()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that a terminated batch stops its servers too
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    config = {"budget": args.budget, "small": args.small, "large": args.large, "sizes": args.sizes}

    def rebuild(_row=None) -> None:
        report.write(runs.latest(runs.read_rows(args.out), config), config, args.out, canonical=args.out == RESULTS)

    if not args.report:
        tasks, systems = names(args.task, TASKS, "task"), names(args.system, tuple(SYSTEMS), "system")
        # System by system, so that every task's `ideal` run has left its priors before any `ideal-priors` run.
        pairs = [(t, s) for s in systems for t in tasks]
        if runs.pending(pairs, args.out, config):
            with serving(args.small, args.large) as (proxy, small, large):

                def run_one(task: str, name: str) -> dict:
                    run = Run(
                        task,
                        load(task, tuple(args.sizes)),
                        name,
                        args.budget,
                        proxy,
                        small,
                        large,
                        args.out.with_suffix(".priors"),
                    )
                    # What the frameworks print (COPRO prints whole prompts) goes to a log, apart from progress.
                    with (LOGS / f"{task}-{name}.log").open("w") as log, contextlib.redirect_stdout(log):
                        return {"machine": machine(), **measure(run, system(name))}

                runs.run_pending(
                    pairs, run_one, args.out, config=config, command=lambda t, s: command(args, t, s), after=rebuild
                )
    rebuild()
    print(
        f"report: {'bench/RESULTS.md' if args.out == RESULTS else args.out.with_suffix('.md')}, "
        f"{args.out.with_suffix('.png')}"
    )


if __name__ == "__main__":
    main()
