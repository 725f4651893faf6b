"""`idealprompt warmup TASK...`: IDEAL's reinforcement warm-up, writing what it learns to memory as priors."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from idealprompt.accounting import Budget
from idealprompt.cli.common import (
    AssemblyProgress,
    LogJsonOption,
    MemoryOption,
    QuietOption,
    RunIdOption,
    RunProgress,
    TrustCodeOption,
    command_line,
    err,
    open_memory,
    out,
    print_ledger,
    recorded_run,
    recording_calls,
    refuse_overwrite,
)
from idealprompt.config import load_settings
from idealprompt.errors import OutputError
from idealprompt.graphs.context import Optimization
from idealprompt.graphs.warmup import build_warmup_graph
from idealprompt.memory.records import StrategyStats
from idealprompt.runs import Journal, RunStore, follow, open_trace, trace_location
from idealprompt.search.tree import SearchOptions, StrategyTree
from idealprompt.session import Session
from idealprompt.strategies import StrategyPool
from idealprompt.tasks import load_task
from idealprompt.userfiles import write_text


def warmup(
    ctx: typer.Context,
    tasks: Annotated[list[Path], typer.Argument(help="task files (YAML or JSON)", metavar="TASK...")],
    budget: Annotated[int, typer.Option(min=1, help="small-model calls per task")] = 300,
    large_tokens: Annotated[int | None, typer.Option(help="large-model tokens per task (default: no limit)")] = None,
    depth: Annotated[int, typer.Option(help="strategies in a row at most")] = 3,
    width: Annotated[int, typer.Option(help="children per node before the search goes deeper")] = 3,
    minibatch: Annotated[int, typer.Option(help="training examples each prompt is scored on")] = 20,
    exploration: Annotated[float, typer.Option(help="UCT exploration weight")] = 1.0,
    iterations: Annotated[int | None, typer.Option(help="expansions at most (default: budget or tree end)")] = None,
    seed: Annotated[int, typer.Option(help="orders the strategies not ranked by priors")] = 0,
    strategies: Annotated[Path | None, typer.Option(help="a YAML/JSON file of strategies added to the pool")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="where trees and checkpoints go")] = Path("runs/warmup"),
    force: Annotated[bool, typer.Option("--force", help="replace earlier trees in --out")] = False,
    trust_code: TrustCodeOption = False,
    memory: MemoryOption = None,
    quiet: QuietOption = False,
    log_json: LogJsonOption = False,
    run_id: RunIdOption = None,
):
    """Search strategy sequences for each task (UCT), print the strategies by mean gain, and store the priors.
    Each task is a run of its own in the run store."""
    settings = load_settings()
    trusted = trust_code or settings.trust_code
    loaded = [load_task(path, trust_code=trusted) for path in tasks]  # every file is checked before any model runs
    if run_id is not None and len(loaded) != 1:
        raise typer.BadParameter("a resumed warm-up is one task's", param_hint="--run-id")
    for task in loaded:
        refuse_overwrite(out_dir / f"{task.name}.tree.json", force)
    settings = recording_calls(settings, out_dir, force=force)
    pool = StrategyPool.builtin() if strategies is None else StrategyPool.builtin().extended_from(strategies)
    options = SearchOptions(
        max_depth=depth, width=width, minibatch=minibatch, exploration=exploration, iterations=iterations, seed=seed
    )
    store = open_memory(memory, create=True)
    runs = RunStore(settings.runs)
    out_dir.mkdir(parents=True, exist_ok=True)
    trees = []
    with open_trace(trace_location(settings.runs, out_dir)) as checkpointer:
        graph = build_warmup_graph(checkpointer)
        for path_in, task in zip(tasks, loaded, strict=True):
            thread = run_id or f"warmup-{task.name}-{uuid.uuid4().hex[:8]}"
            started = dict(kind="warmup", task=task.name, folder=out_dir.resolve(), budget=budget)
            with recorded_run(runs, thread, command=command_line(ctx, tasks=[path_in]), **started) as journal:
                session = Session(
                    settings,
                    budget=Budget(small_calls=budget, large_tokens=large_tokens),
                    progress=AssemblyProgress(),
                    run=thread,
                )
                run = Optimization(session, task, pool, memory=store)
                if not quiet:
                    err.print(
                        f"[bold]{task.name}[/]: {len(task.train)} training examples, small "
                        f"{session.describe('small')}, large {session.describe('large')}, budget {budget} small-model "
                        f"calls; run {thread}"
                    )
                    err.print(session.privacy(), markup=False, highlight=False)
                checkpointer.delete_thread(thread)  # a resumed run replays its calls and checkpoints anew
                with RunProgress(budget, measure="best reward", quiet=quiet, log_json=log_json) as progress:
                    final = _run(graph, run, options, thread, runs, journal, progress)
                tree = StrategyTree.model_validate(final["tree"])
                path = out_dir / f"{task.name}.tree.json"
                write_text(path, tree.model_dump_json(indent=2), OutputError, "search tree")
            reward = tree.best().reward if tree.evaluated() else None
            status, scores = "done" if reward is not None else "failed", {"seed": tree.root.reward}
            runs.finish(thread, status, best=reward, scores=scores, result=tree.model_dump(mode="json"))
            if tree.evaluated():
                best = tree.best()
                out.print(
                    f"[bold]{task.name}[/]: seed prompt {tree.root.reward:.3f}, best {best.reward:.3f} "
                    f"({' > '.join(tree.strategies_of(best)) or 'the seed prompt'}); "
                    f"stopped: {final.get('stopped')}"
                )
            else:
                out.print(f"[bold]{task.name}[/]: nothing was scored; stopped: {final.get('stopped')}")
            out.print(_strategy_table(tree.strategy_stats(), f"strategies on {task.name}, by mean gain"))
            out.print(f"tree: {path}; trace: thread {thread} in {checkpointer.where}")
            if final.get("prior_id"):
                out.print(f"prior {final['prior_id']} written to {store.store.where}")
            if not quiet:
                print_ledger(session)
            trees.append(tree)
    if len(trees) > 1:
        out.print(_strategy_table(_pooled(trees), f"strategies over {len(trees)} tasks, by mean gain"))
    if not all(tree.evaluated() for tree in trees):
        raise typer.Exit(1)  # a task's search scored nothing


def _run(graph, run: Optimization, options: SearchOptions, thread: str, store: RunStore, journal: Journal, progress):
    """Stream the search, recording its steps, one line per scored prompt, and return the final state."""
    config = {"configurable": {"thread_id": thread}, "callbacks": [journal]}
    updates = graph.stream({"options": options.model_dump()}, config, context=run, stream_mode="updates")
    usage, summary = run.session.ledger.snapshot, _Summary(run)
    for step, node, _, lines in follow(updates, store=store, run=thread, journal=journal, usage=usage, summary=summary):
        progress.step(step, node, lines, calls=summary.calls(), phase="search", best=summary.best)
    return graph.get_state(config).values


class _Summary:
    """What a step of the search produced: the prompt it scored, with its gain over its parent, and notes."""

    def __init__(self, run: Optimization):
        self.run, self.pending = run, None
        self.best: float | None = None

    def calls(self) -> int:
        return self.run.session.ledger.snapshot().get("small", {}).get("calls", 0)

    def __call__(self, node: str, values: dict) -> list[str]:
        lines = [f"note: {note}" for note in values.get("notes", [])]
        if "pending" in values and values["pending"] is not None:
            self.pending = values["pending"]
        if node == "evaluate" and "tree" in values and self.pending is not None:
            tree = StrategyTree.model_validate(values["tree"])
            scored = tree.node(self.pending)
            gain = "" if scored.parent is None else f" ({tree.gain(scored):+.3f})"
            path = " > ".join(tree.strategies_of(scored)) or "seed prompt"
            lines.append(f"#{scored.id:<3} {path}: {scored.reward:.3f}{gain}   ({self.calls()} small-model calls)")
            self.best = scored.reward if self.best is None else max(self.best, scored.reward)
        return lines


def _strategy_table(stats: list[StrategyStats], title: str) -> Table:
    table = Table("strategy", "visits", "mean reward", "mean gain", title=title)
    for s in stats:
        table.add_row(s.strategy, str(s.visits), f"{s.mean_reward:.3f}", f"{s.mean_gain:+.3f}")
    return table


def _pooled(trees: list[StrategyTree]) -> list[StrategyStats]:
    """Each strategy's statistics over several trees: visits summed, means averaged over the tasks (each task
    counts once)."""
    by_name: dict[str, list[StrategyStats]] = defaultdict(list)
    for tree in trees:
        for s in tree.strategy_stats():
            by_name[s.strategy].append(s)
    pooled = [
        StrategyStats(
            strategy=name,
            visits=sum(s.visits for s in stats),
            mean_reward=statistics.fmean(s.mean_reward for s in stats),
            mean_gain=statistics.fmean(s.mean_gain for s in stats),
        )
        for name, stats in by_name.items()
    ]
    return sorted(pooled, key=lambda s: (-s.mean_gain, s.strategy))
