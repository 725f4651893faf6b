"""`idealprompt optimize TASK`: IDEAL end to end, with the optimised prompt written as text and JSON."""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from idealprompt.accounting import Budget
from idealprompt.cli.common import (
    CALLS,
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
from idealprompt.config import Settings, load_settings
from idealprompt.errors import ConfigError
from idealprompt.graphs.context import Optimization
from idealprompt.graphs.ideal import IdealOptions, build_ideal_graph
from idealprompt.ideal import OptimizeResult, new_run_id
from idealprompt.runs import RunStore, follow, open_trace, trace_location
from idealprompt.search.beam import Beam
from idealprompt.session import Session
from idealprompt.strategies import StrategyPool
from idealprompt.tasks import load_task
from idealprompt.tasks.output import Mode

DEFAULTS = IdealOptions()  # the options' defaults live there, once


def optimize(
    ctx: typer.Context,
    task_files: Annotated[
        list[Path], typer.Argument(help="one task file (YAML or JSON), or several", metavar="TASK...")
    ],
    budget: Annotated[
        int, typer.Option(min=1, help="small-model calls for each task's optimisation (test scoring is apart)")
    ] = 300,
    large_tokens: Annotated[int | None, typer.Option(help="large-model tokens (default: no limit)")] = None,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", help="where prompt.txt, result.json and the trace go (several tasks: a folder each in it)"
        ),
    ] = Path("runs/optimize"),
    rounds: Annotated[int, typer.Option(help="reflection rounds at most")] = DEFAULTS.rounds,
    beam: Annotated[int, typer.Option(help="candidates kept between rounds")] = DEFAULTS.beam_width,
    patience: Annotated[
        int, typer.Option(help="rounds without a better dev score before stopping")
    ] = DEFAULTS.patience,
    warmup_iterations: Annotated[
        int, typer.Option(help="a short warm-up when no prior applies; 0: none")
    ] = DEFAULTS.warmup_iterations,
    reflector_tools: Annotated[
        int, typer.Option(min=0, help="turns in which the reflector may call its tools before it proposes; 0: none")
    ] = DEFAULTS.reflector_tools,
    optimizer_tools: Annotated[
        int, typer.Option(min=0, help="turns in which the optimizer may call its tools before it rewrites; 0: none")
    ] = DEFAULTS.optimizer_tools,
    answers: Annotated[
        Mode | None,
        typer.Option(
            help="constrained: answers held to the labels or a number; scored: the likeliest label, scored by "
            "log-probability on the embedded route (elsewhere as constrained); free: the parser reads them "
            "(default: the task file's, else constrained for labels)"
        ),
    ] = None,
    strategies: Annotated[Path | None, typer.Option(help="a YAML/JSON file of strategies added to the pool")] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            help="answer the small model on Ray actors, and run several tasks as Ray tasks: local (a cluster in this "
            "process), auto (`ray start`'s), or an address; IDEALPROMPT_RAY_ACTORS actors (default 2)"
        ),
    ] = None,
    parallel: Annotated[
        int, typer.Option(min=1, help="with --ray and several tasks: how many run at once (each holds a large model)")
    ] = 2,
    use_memory: Annotated[bool, typer.Option("--use-memory/--no-memory", help="read and write priors")] = True,
    force: Annotated[bool, typer.Option("--force", help="replace an earlier result in --out")] = False,
    trust_code: TrustCodeOption = False,
    memory: MemoryOption = None,
    quiet: QuietOption = False,
    log_json: LogJsonOption = False,
    run_id: RunIdOption = None,
    fork_of: Annotated[
        str | None, typer.Option(hidden=True, help="RUN@STEP: replay that run to STEP, then go on")
    ] = None,
    changes: Annotated[list[str] | None, typer.Option("--set", hidden=True, help="option=value from --fork-of")] = None,
):
    """Optimise a task's prompt for the small model: priors or warm-up, then reflection on its mistakes. Several
    tasks run one after another, or, with --ray, as Ray tasks at once."""
    settings = load_settings(**({"ray": ray} if ray else {}))
    options = IdealOptions(
        rounds=rounds,
        beam_width=beam,
        patience=patience,
        warmup_iterations=warmup_iterations,
        reflector_tools=reflector_tools,
        optimizer_tools=optimizer_tools,
    )
    job = Job(
        task_file=task_files[0],
        out_dir=out_dir,
        budget=budget,
        large_tokens=large_tokens,
        options=options,
        answers=answers,
        strategies=strategies,
        use_memory=use_memory,
        memory=memory,
        trust_code=trust_code or settings.trust_code,
        force=force,
        run_id=run_id,
        fork_of=fork_of,
        changes=changes or [],
        command=command_line(ctx),
    )
    if len(task_files) > 1:
        from idealprompt.cli.many import optimize_many

        optimize_many(ctx, job, task_files, settings, parallel=parallel, quiet=quiet)
        return
    result = optimize_one(job, settings, quiet=quiet, log_json=log_json)
    if result.optimized.dev is None:
        err.print("[red]nothing was scored[/]: the optimised prompt is the seed prompt, unscored")
        raise typer.Exit(1)


@dataclass(frozen=True)
class Job:
    """One task's optimisation as the command asked for it: plain data, so that it travels to a Ray worker."""

    task_file: Path
    out_dir: Path
    budget: int
    large_tokens: int | None
    options: IdealOptions
    answers: Mode | None
    strategies: Path | None
    use_memory: bool
    memory: str | None
    trust_code: bool
    force: bool
    run_id: str | None
    fork_of: str | None
    changes: list[str]
    command: list[str]  # what `resume` runs again


def optimize_one(job: Job, settings: Settings, *, quiet: bool, log_json: bool) -> OptimizeResult:
    """One task optimised, its result written to `job.out_dir` and its run finished in the run store."""
    refuse_overwrite(job.out_dir / "result.json", job.force)
    store = RunStore(settings.runs)
    fork, began = _fork(store, job.fork_of, job.changes, job.out_dir), _began(store, job.run_id, job.fork_of)
    settings = recording_calls(settings, job.out_dir, force=job.force)
    task = load_task(job.task_file, trust_code=job.trust_code)
    task = task if job.answers is None else dataclasses.replace(task, answers=job.answers)
    pool = StrategyPool.builtin() if job.strategies is None else StrategyPool.builtin().extended_from(job.strategies)
    budget, out_dir = job.budget, job.out_dir
    run_id = job.run_id or new_run_id(task.name)
    started = dict(kind="optimize", task=task.name, folder=out_dir.resolve(), budget=budget, parent=job.fork_of)
    with recorded_run(store, run_id, command=job.command, **started) as journal:
        session = Session(
            settings,
            budget=Budget(small_calls=budget, large_tokens=job.large_tokens),
            progress=AssemblyProgress(),
            run=run_id,
        )
        memory_store = open_memory(job.memory, create=True) if job.use_memory else None
        run = Optimization(session, task, pool, memory=memory_store, priors_before=began)
        if not quiet:
            err.print(
                f"[bold]{task.name}[/]: {len(task.train)} train / {len(task.dev)} dev / {len(task.test)} test "
                f"examples; small {session.describe('small')}, large {session.describe('large')}; "
                f"budget {budget} small-model calls; {task.output.mode} answers"
            )
            err.print(session.privacy(), markup=False, highlight=False)
            err.print(f"run {run_id}: `idealprompt trace {run_id}` shows its steps", markup=False, highlight=False)
        out_dir.mkdir(parents=True, exist_ok=True)
        with open_trace(trace_location(settings.runs, out_dir)) as checkpointer:
            graph = build_ideal_graph(checkpointer)
            checkpointer.delete_thread(run_id)  # a resumed run replays its calls and checkpoints its steps anew
            config = {"configurable": {"thread_id": run_id}, "callbacks": [journal]}
            updates = _stream(graph, {"options": job.options.model_dump()}, config, run, fork)
            usage, summary = session.ledger.snapshot, _Summary(run)
            steps = follow(updates, store=store, run=run_id, journal=journal, usage=usage, summary=summary)
            with RunProgress(budget, quiet=quiet, log_json=log_json) as progress:
                for step, node, _, lines in steps:
                    progress.step(step, node, lines, calls=summary.calls(), phase=summary.phase, best=summary.best)
            state = graph.get_state(config).values
        result = OptimizeResult.from_state(state, run, run_id)
        prompt_path, result_path = result.write(out_dir)
    scores = {"seed": result.seed.model_dump(), "optimized": result.optimized.model_dump()}
    status = "done" if result.optimized.dev is not None else "failed"
    store.finish(run_id, status, best=result.optimized.dev, scores=scores, result=result.model_dump(mode="json"))
    out.print(_scores(result))
    out.print(f"[bold]Optimised prompt[/] ({prompt_path}):")
    out.print(result.prompt, markup=False, highlight=False)
    out.print(
        f"initialisation: {result.initialisation}; stopped: {result.stopped}; result: {result_path}; "
        f"trace: thread {run_id} in {checkpointer.where}",
        markup=False,
        highlight=False,
    )
    if result.prior_id:
        out.print(f"prior {result.prior_id} written to memory")
    if not quiet:
        print_ledger(session)
    return result


def _stream(graph, inputs: dict, config: dict, run: Optimization, fork: tuple[int, dict] | None):
    """The graph's updates; for a fork, those of the run it forks replayed (its calls are recorded) up to the step,
    then, with the options changed in the state there (LangGraph's time travel), those of the run going on."""
    if fork is None:
        yield from graph.stream(inputs, config, context=run, stream_mode="updates")
        return
    step, changes = fork
    for done, update in enumerate(graph.stream(inputs, config, context=run, stream_mode="updates", durability="sync")):
        yield update
        if done + 1 == step:
            break
    options = IdealOptions.model_validate({**graph.get_state(config).values["options"], **changes})
    graph.update_state(config, {"options": options.model_dump(), "notes": [f"forked here: {_changed(changes)}"]})
    yield from graph.stream(None, config, context=run, stream_mode="updates")


def _began(store: RunStore, run_id: str | None, fork_of: str | None) -> datetime | None:
    """When the run resumed, or the run forked, first started (a fork's, its first ancestor's): it reads the
    memory as it was then, so that what it replays asks what was asked."""
    first = run_id if run_id is not None and any(r.id == run_id for r in store.runs()) else fork_of
    if first is None:
        return None
    record = store.get(first.partition("@")[0])
    while record.parent is not None:
        record = store.get(record.parent.partition("@")[0])
    return datetime.fromtimestamp(record.started, UTC)


def _fork(store: RunStore, fork_of: str | None, changes: list[str], out_dir: Path) -> tuple[int, dict] | None:
    """The step a fork starts from and the options it changes; the forked run's recorded calls are copied into
    `out_dir`, so that replaying it to that step costs nothing."""
    if fork_of is None:
        if changes:
            raise ConfigError("--set changes a fork's options: give --fork-of RUN@STEP too")
        return None
    source, _, step = fork_of.rpartition("@")
    if not step.isdigit():
        raise ConfigError(f"--fork-of {fork_of}: write RUN@STEP, e.g. {source or 'RUN'}@3")
    wanted = dict(change.partition("=")[::2] for change in changes)
    if unknown := set(wanted) - set(IdealOptions.model_fields):
        raise ConfigError(
            f"--set {', '.join(sorted(unknown))}: not an option; options: {', '.join(IdealOptions.model_fields)}"
        )
    try:
        IdealOptions.model_validate(wanted)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in e.errors())
        raise ConfigError(f"--set: {problems}") from None
    calls = out_dir / CALLS
    if not calls.exists():  # a resumed fork has its own
        _copy_sqlite(Path(store.get(source).folder) / CALLS, calls)
    return int(step), wanted


def _copy_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _changed(changes: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in changes.items()) or "nothing changed"


class _Summary:
    """What a step produced, a line each: how the prompt started, each scored candidate, and notes. Printed as the
    run goes, and kept in the run store for `idealprompt trace`."""

    def __init__(self, run: Optimization):
        self.run = run
        self.pending: list[int] = []
        self.round, self.phase = 0, "starting"
        self.best: float | None = None

    def calls(self) -> int:
        return self.run.session.ledger.snapshot().get("small", {}).get("calls", 0)

    def __call__(self, node: str, values: dict) -> list[str]:
        lines = [f"note: {note}" for note in values.get("notes", [])]
        self.round = values.get("round", self.round)
        self.phase = f"{node}, round {self.round}"
        if "beam" in values and (kept := Beam.model_validate(values["beam"])).kept:
            self.best = kept.best().dev
        if values.get("pending"):
            self.pending = values["pending"]
            if node != "score" and "beam" in values:
                beam = Beam.model_validate(values["beam"])
                lines += [f"#{i} {beam.get(i).origin}: proposed" for i in self.pending]
        if node == "score" and "beam" in values:
            beam = Beam.model_validate(values["beam"])
            for c in (beam.get(i) for i in self.pending if beam.get(i).dev is not None):
                if c.dropped is not None:
                    verdict = f"raced out after {c.dropped} dev examples"
                else:
                    verdict = "kept" if c.id in beam.kept else "not kept"
                lines.append(f"#{c.id} {c.origin}: dev {c.dev:.3f}  {verdict}  ({c.calls} small-model calls)")
            if "initialisation" in values:
                lines.append(f"starting from: {values['initialisation']}")
        if values.get("stopped"):
            lines.append(f"stopped: {values['stopped']}")
        if test := values.get("test"):
            lines.append("test: " + ", ".join(f"{k} {v:.3f}" for k, v in test.items() if v is not None))
        return lines


def _scores(result: OptimizeResult) -> Table:
    table = Table("prompt", "train", "dev", "test", title=f"{result.task}: seed vs optimised")
    for name, s in (("seed", result.seed), ("optimised", result.optimized)):
        table.add_row(name, *(f"{v:.3f}" if v is not None else "-" for v in (s.train, s.dev, s.test)))
    return table
