"""`idealprompt optimize TASK TASK...`: several tasks, each optimised as `optimize TASK` would, into a folder of
its own under `--out`; one after another in this process, or with `--ray` as Ray tasks at once, whose small-model
calls go to the cluster's shared actors.

A Ray task is one task's whole optimisation in a Ray worker (`optimize_one`, the same code as a single task): its
budget, ledger, replay cache and run record are its own, as in a process of its own, and this process only hands
the tasks out, follows their progress in the run store and prints what came out. Tasks ask for no CPU of their own
(`num_cpus=0`): the actors hold the CPUs that answer the small model, which does nearly all of the work, and
`--parallel` bounds how many tasks, each with a large model of its own, run at once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from idealprompt.cli.common import command_line, err, out, refuse_overwrite
from idealprompt.cli.optimize import Job, optimize_one
from idealprompt.config import Settings, location
from idealprompt.errors import ConfigError, IdealpromptError
from idealprompt.ideal import OptimizeResult, new_run_id
from idealprompt.runs import RunStore
from idealprompt.tasks import load_task

POLL_SECONDS = 1.0  # how often the run store is read for the tasks' progress


def optimize_many(
    ctx: typer.Context, job: Job, task_files: list[Path], settings: Settings, *, parallel: int, quiet: bool
) -> None:
    """Every task of `task_files` optimised as `job` says, each into `job.out_dir / <file's stem>`; exits 1 if
    any did not come out."""
    jobs = _jobs(ctx, job, task_files)
    if settings.ray:
        outcomes = _on_ray(jobs, _portable(settings), parallel=parallel, quiet=quiet)
    else:
        outcomes = [_here(j, settings, quiet=quiet) for j in jobs]
    out.print(_table(jobs, outcomes, RunStore(settings.runs)))
    for line in _where(jobs, outcomes):
        out.print(line, markup=False, highlight=False)
    if any(not isinstance(o, OptimizeResult) or o.optimized.dev is None for o in outcomes):
        raise typer.Exit(1)


def _jobs(ctx: typer.Context, job: Job, task_files: list[Path]) -> list[Job]:
    """A job per task file, checked before any work: every file loads, no two share a folder, none would
    overwrite an earlier result."""
    if job.run_id or job.fork_of:
        raise ConfigError("--run-id and --fork-of name one run: give one task file with them")
    stems = [f.stem for f in task_files]
    if repeated := sorted({s for s in stems if stems.count(s) > 1}):
        raise ConfigError(f"several task files are named {', '.join(repeated)}: each task needs a folder in --out")
    jobs = []
    for file in task_files:
        task = load_task(file, trust_code=job.trust_code)  # bad input stops all of them here, not one mid-run
        folder = job.out_dir / file.stem
        refuse_overwrite(folder / "result.json", job.force)
        memory = job.memory if job.memory is None else str(_absolute(location(job.memory)))
        jobs.append(
            dataclasses.replace(
                job,
                task_file=file.resolve(),
                out_dir=folder.resolve(),
                strategies=None if job.strategies is None else job.strategies.resolve(),
                memory=memory,
                run_id=new_run_id(task.name),  # given here, so that progress is followed
                command=command_line(ctx, task_files=[file], out_dir=folder),  # `resume` runs this task alone
            )
        )
    return jobs


def _here(job: Job, settings: Settings, *, quiet: bool) -> OptimizeResult | Exception:
    """One task in this process; a failure of any kind is its outcome (its run is marked failed), as in a Ray
    task, and the next task still runs."""
    try:
        return optimize_one(job, settings, quiet=quiet, log_json=False)
    except Exception as e:
        err.print(f"[red]{job.task_file.name} failed[/]: {_said(e)}", highlight=False)
        return e


def _on_ray(jobs: list[Job], settings: Settings, *, parallel: int, quiet: bool) -> list[OptimizeResult | Exception]:
    import ray

    from idealprompt.routes.actors import connect

    connect(settings.ray or "")
    # A task that fails is not retried by Ray: retried with --force it would delete the calls it recorded, while
    # `idealprompt resume` replays them.
    remote = ray.remote(num_cpus=0, max_retries=0)(_optimize_remote)
    store, waiting = RunStore(settings.runs), list(range(len(jobs)))  # jobs by their place in the list
    running: dict = {}  # Ray's reference -> the job's place
    outcomes: dict[int, OptimizeResult | Exception] = {}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), disable=quiet
    ) as progress:
        bars = [progress.add_task(f"{j.task_file.stem} (waiting)", total=j.budget) for j in jobs]
        while waiting or running:
            while waiting and len(running) < parallel:
                at = waiting.pop(0)
                running[remote.remote(jobs[at], settings)] = at
                progress.update(bars[at], description=jobs[at].task_file.stem)
            done, _ = ray.wait(list(running), num_returns=1, timeout=POLL_SECONDS)
            for ref in done:
                at = running.pop(ref)
                try:
                    outcomes[at] = ray.get(ref)
                except ray.exceptions.RayTaskError as e:
                    outcomes[at] = e.as_instanceof_cause()
                except ray.exceptions.RayError as e:  # the worker died
                    outcomes[at] = e
            calls = {r.id: r.calls for r in store.runs()}
            for job, bar in zip(jobs, bars, strict=True):
                progress.update(bar, completed=calls.get(job.run_id or "", 0))
    for at, job in enumerate(jobs):
        if isinstance(outcome := outcomes[at], Exception):
            err.print(f"[red]{job.task_file.name} failed[/]: {_said(outcome)}", highlight=False)
    return [outcomes[at] for at in range(len(jobs))]


def _optimize_remote(job: Job, settings: Settings) -> OptimizeResult:
    """In a Ray worker: the task, quietly (its printing would go to the worker's log)."""
    return optimize_one(job, settings, quiet=True, log_json=False)


def _said(error: Exception) -> str:
    return str(error) if isinstance(error, IdealpromptError) else f"{type(error).__name__}: {error}"


def _portable(settings: Settings) -> Settings:
    """The settings with their folders absolute: a Ray worker does not run in this process's directory."""
    fields = {name: _absolute(value) for name, value in settings if isinstance(value, Path)}
    return settings.model_copy(update=fields)


def _absolute(where: Path | str) -> Path | str:
    return where.resolve() if isinstance(where, Path) else where


def _table(jobs: list[Job], outcomes: list, store: RunStore) -> Table:
    table = Table("task", "seed dev", "optimised dev", "optimised test", "small calls", title="optimised")
    calls = {r.id: r.calls for r in store.runs()}
    for job, outcome in zip(jobs, outcomes, strict=True):
        scored = isinstance(outcome, OptimizeResult)
        scores = (outcome.seed.dev, outcome.optimized.dev, outcome.optimized.test) if scored else (None,) * 3
        shown = [f"{v:.3f}" if v is not None else "-" for v in scores]
        table.add_row(job.task_file.stem, *shown, str(calls.get(job.run_id or "", "-")))
    return table


def _where(jobs: list[Job], outcomes: list) -> list[str]:
    return [
        f"{job.task_file.stem}: {job.out_dir / 'result.json'}"
        if isinstance(outcome, OptimizeResult)
        else f"{job.task_file.stem}: failed ({type(outcome).__name__}); `idealprompt resume {job.run_id}` goes on"
        for job, outcome in zip(jobs, outcomes, strict=True)
    ]
