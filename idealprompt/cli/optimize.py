"""`idealprompt optimize TASK`: IDEAL end to end, with the optimised prompt written as text and JSON."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from idealprompt.accounting import Budget
from idealprompt.cli.common import (
    AssemblyProgress,
    MemoryOption,
    TrustCodeOption,
    err,
    open_memory,
    out,
    print_ledger,
    recording_calls,
    refuse_overwrite,
)
from idealprompt.config import load_settings
from idealprompt.graphs.context import Optimization
from idealprompt.graphs.ideal import IdealOptions, build_ideal_graph
from idealprompt.ideal import OptimizeResult
from idealprompt.runstore import open_trace
from idealprompt.search.beam import Beam
from idealprompt.session import Session
from idealprompt.strategies import StrategyPool
from idealprompt.tasks import load_task
from idealprompt.tasks.output import Mode

DEFAULTS = IdealOptions()  # the options' defaults live there, once


def optimize(
    task_file: Annotated[Path, typer.Argument(help="a task file (YAML or JSON)", metavar="TASK")],
    budget: Annotated[
        int, typer.Option(min=1, help="small-model calls for the optimisation (test scoring is apart)")
    ] = 300,
    large_tokens: Annotated[int | None, typer.Option(help="large-model tokens (default: no limit)")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="where prompt.txt, result.json and the trace go")] = Path(
        "runs/optimize"
    ),
    rounds: Annotated[int, typer.Option(help="reflection rounds at most")] = DEFAULTS.rounds,
    beam: Annotated[int, typer.Option(help="candidates kept between rounds")] = DEFAULTS.beam_width,
    patience: Annotated[
        int, typer.Option(help="rounds without a better dev score before stopping")
    ] = DEFAULTS.patience,
    warmup_iterations: Annotated[
        int, typer.Option(help="a short warm-up when no prior applies; 0: none")
    ] = DEFAULTS.warmup_iterations,
    answers: Annotated[
        Mode | None,
        typer.Option(
            help="constrained: answers held to the labels or a number; free: the parser reads them (default: the "
            "task file's, else constrained for labels)"
        ),
    ] = None,
    strategies: Annotated[Path | None, typer.Option(help="a YAML/JSON file of strategies added to the pool")] = None,
    use_memory: Annotated[bool, typer.Option("--use-memory/--no-memory", help="read and write priors")] = True,
    force: Annotated[bool, typer.Option("--force", help="replace an earlier result in --out")] = False,
    trust_code: TrustCodeOption = False,
    memory: MemoryOption = None,
):
    """Optimise a task's prompt for the small model: priors or warm-up, then reflection on its mistakes."""
    refuse_overwrite(out_dir / "result.json", force)
    settings = recording_calls(load_settings(), out_dir, force=force)
    task = load_task(task_file, trust_code=trust_code or settings.trust_code)
    task = task if answers is None else dataclasses.replace(task, answers=answers)
    pool = StrategyPool.builtin() if strategies is None else StrategyPool.builtin().extended_from(strategies)
    options = IdealOptions(rounds=rounds, beam_width=beam, patience=patience, warmup_iterations=warmup_iterations)
    run_id = f"ideal-{task.name}-{uuid.uuid4().hex[:8]}"
    session = Session(
        settings,
        budget=Budget(small_calls=budget, large_tokens=large_tokens),
        progress=AssemblyProgress(),
        run=run_id,
    )
    run = Optimization(session, task, pool, memory=open_memory(memory, create=True) if use_memory else None)
    err.print(
        f"[bold]{task.name}[/]: {len(task.train)} train / {len(task.dev)} dev / {len(task.test)} test examples; "
        f"small {session.describe('small')}, large {session.describe('large')}; "
        f"budget {budget} small-model calls; {task.output.mode} answers"
    )
    err.print(session.privacy(), markup=False, highlight=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open_trace(out_dir / "checkpoints.sqlite") as checkpointer:
        graph = build_ideal_graph(checkpointer)
        config, progress = {"configurable": {"thread_id": run_id}}, _Progress(run)
        for update in graph.stream({"options": options.model_dump()}, config, context=run, stream_mode="updates"):
            for node, values in update.items():
                progress(node, values or {})
        state = graph.get_state(config).values
    result = OptimizeResult.from_state(state, run, run_id)
    prompt_path, result_path = result.write(out_dir)
    out.print(_scores(result))
    out.print(f"[bold]Optimised prompt[/] ({prompt_path}):")
    out.print(result.prompt, markup=False, highlight=False)
    out.print(
        f"initialisation: {result.initialisation}; stopped: {result.stopped}; result: {result_path}; "
        f"trace: thread {run_id} in {out_dir / 'checkpoints.sqlite'}",
        markup=False,
        highlight=False,
    )
    if result.prior_id:
        out.print(f"prior {result.prior_id} written to memory")
    print_ledger(session)
    if result.optimized.dev is None:
        err.print("[red]nothing was scored[/]: the optimised prompt is the seed prompt, unscored")
        raise typer.Exit(1)


class _Progress:
    """One line per step worth seeing: how the prompt started, each scored candidate, and notes."""

    def __init__(self, run: Optimization):
        self.run = run
        self.pending: list[int] = []

    def __call__(self, node: str, values: dict) -> None:
        for note in values.get("notes", []):
            err.print(f"  [yellow]note[/]: {escape(note)}")
        if values.get("pending"):
            self.pending = values["pending"]
        if node == "score" and "beam" in values:
            beam = Beam.model_validate(values["beam"])
            calls = self.run.session.ledger.snapshot().get("small", {}).get("calls", 0)
            for c in (beam.get(i) for i in self.pending if beam.get(i).dev is not None):
                if c.dropped is not None:
                    verdict = f"[dim]raced out after {c.dropped} dev examples[/]"
                else:
                    verdict = "[green]kept[/]" if c.id in beam.kept else "[dim]not kept[/]"
                err.print(
                    f"  #{c.id} {escape(c.origin)}: dev {c.dev:.3f}  {verdict}  [dim]{calls} small-model calls[/]"
                )
            if "initialisation" in values:
                err.print(f"  starting from: {escape(values['initialisation'])}")


def _scores(result: OptimizeResult) -> Table:
    table = Table("prompt", "train", "dev", "test", title=f"{result.task}: seed vs optimised")
    for name, s in (("seed", result.seed), ("optimised", result.optimized)):
        table.add_row(name, *(f"{v:.3f}" if v is not None else "-" for v in (s.train, s.dev, s.test)))
    return table
