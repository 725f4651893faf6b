"""What the commands share: the consoles, the session and memory they open, progress, and the ledger table."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from idealprompt.config import Settings, load_settings, location
from idealprompt.errors import ConfigError, OutputError
from idealprompt.runs import Journal, RunStore
from idealprompt.session import Session

MemoryOption = Annotated[
    str | None,
    typer.Option(
        "--memory",
        help="the memory folder, or a Chroma server's http:// URL (default: the `memory` setting, IDEALPROMPT_MEMORY)",
    ),
]
TrustCodeOption = Annotated[
    bool, typer.Option("--trust-code", help="load a task whose metric is a module:function (it runs that code)")
]
RunIdOption = Annotated[str | None, typer.Option(hidden=True, help="the run's id (`idealprompt resume` gives it)")]
NOT_REPEATED = {"force", "run_id"}  # options `resume` must not run again: --force would delete what it replays
CALLS = "calls.sqlite"  # every model call of a CLI run, beside its result: what a rerun after a kill replays
out = Console(soft_wrap=True)  # long paths and routes stay whole, to be copied
err = Console(stderr=True, soft_wrap=True)


class CountProgress:
    """A progress callback `(done, total)`: a bar shown from the first count to the last, so that another live
    display (a trainer's bar) may follow it."""

    def __init__(self, what: str, *columns) -> None:
        self.what, self.columns = what, columns or (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        self._bar: Progress | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = Progress(self.what, *self.columns, console=err)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=total)
        self._bar.update(self._task, completed=done)
        if done >= total:
            self._bar.stop()
            self._bar = None


class AssemblyProgress(CountProgress):
    """Joining an embedded model from its packages (seconds to a minute, once)."""

    def __init__(self) -> None:
        super().__init__("joining model parts", BarColumn(), DownloadColumn(), TimeRemainingColumn())


def open_session(**routes: str | None) -> Session:
    """The session of the settings, with the routes of some roles given on the command line (`small=...`)."""
    settings = load_settings()
    given = {role: spec for role, spec in routes.items() if spec}
    for role, spec in given.items():
        if ":" not in spec:
            raise ConfigError(f"--{role} {spec!r} is not a route: write provider:model, e.g. embedded:NAME")
    return Session(settings.model_copy(update=given) if given else settings, progress=AssemblyProgress())


def open_memory(where: str | None, *, create: bool = False):
    """The memory store; only commands that write may create it (a mistyped --memory should not look empty)."""
    from idealprompt.memory import Memory

    return Memory.open(None if where is None else location(where), create=create)


def refuse_overwrite(path: Path, force: bool) -> None:
    """Stop before any work when `path` holds an earlier result and `--force` was not given."""
    if path.exists() and not force:
        raise OutputError(f"{path} holds an earlier result: pass --force to replace it, or choose another --out")


def recording_calls(settings: Settings, out_dir: Path, *, force: bool) -> Settings:
    """`settings` with every model call recorded in `out_dir/calls.sqlite` (unless a `replay_cache` is set), so that
    the same command run again after an interruption replays what was asked (counted in the budget as before) and
    pays for none of it again; `--force` starts afresh."""
    if settings.replay_cache is not None:
        return settings
    calls = out_dir / CALLS
    if force:
        for path in (calls, calls.with_name(f"{CALLS}-wal"), calls.with_name(f"{CALLS}-shm")):
            path.unlink(missing_ok=True)
    elif calls.exists():
        err.print(f"resuming: the calls recorded in {calls} by an interrupted run are replayed, not paid again")
    return settings.model_copy(update={"replay_cache": calls})


def print_ledger(session: Session) -> None:
    table = Table("role", "calls", "cached", "prompt tokens", "completion tokens", "seconds", title="ledger")
    for role, u in session.ledger.snapshot().items():
        table.add_row(
            role, *(str(u[k]) for k in ("calls", "cached", "prompt_tokens", "completion_tokens")), f"{u['seconds']:.1f}"
        )
    err.print(table)


def command_line(ctx: typer.Context, **overrides) -> list[str]:
    """The running command's arguments, rebuilt from what click parsed (paths made absolute) with some parameters
    set otherwise (`overrides`, by name), for `resume`."""
    words: list[str] = []
    if ctx.parent is not None and (config := ctx.parent.params.get("config")) is not None:
        words += ["--config", _word(config)]
    words.append(ctx.info_name or ctx.command.name or "")
    for param in ctx.command.params:
        value = overrides.get(param.name or "", ctx.params.get(param.name or ""))
        if value is None or param.name in NOT_REPEATED:
            continue
        values = list(value) if param.multiple or param.nargs == -1 else [value]
        if param.param_type_name == "argument":
            words += [_word(v) for v in values]
        elif getattr(param, "is_flag", False):
            if value or param.secondary_opts:
                words.append(param.opts[0] if value else param.secondary_opts[0])
        else:
            for v in values:
                words += [param.opts[0], _word(v)]
    return words


def _word(value) -> str:
    if isinstance(value, Path):
        return str(value.resolve())
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


@contextmanager
def recorded_run(store: RunStore, run: str, **started) -> Iterator[Journal]:
    """A run started in the store (`RunStore.start`'s arguments) and its journal; it is marked failed, or
    interrupted (Ctrl-C), if the run raises, and the caller marks how it ended otherwise."""
    store.start(run, **started)
    try:
        yield Journal()
    except KeyboardInterrupt:
        store.finish(run, "interrupted")
        raise
    except BaseException:
        store.finish(run, "failed")
        raise


QuietOption = Annotated[bool, typer.Option("--quiet", help="print only the result and errors")]
LogJsonOption = Annotated[bool, typer.Option("--log-json", help="progress as one JSON object per step, on stderr")]


class RunProgress:
    """How a long run shows itself going: a live bar (phase, round, best dev score so far, small-model calls used
    of the budget, time left) under the lines each step prints; or, for machines, one JSON object per step; or,
    `quiet`, nothing."""

    def __init__(self, budget: int | None, *, measure: str = "best dev", quiet: bool = False, log_json: bool = False):
        self.budget, self.measure, self.quiet, self.log_json = budget, measure, quiet, log_json
        self._bar: Progress | None = None
        if not (quiet or log_json):
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            self._bar = Progress(*columns, console=err, transient=True)
            self._task = self._bar.add_task("starting", total=budget)

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()

    def step(self, step: int, node: str, lines: list[str], *, calls: int, phase: str, best: float | None) -> None:
        if self.log_json:
            record = {"step": step, "node": node, "phase": phase, "calls": calls, "budget": self.budget, "best": best}
            print(json.dumps(record | {"lines": lines}, ensure_ascii=False), file=sys.stderr, flush=True)
        elif self._bar is not None:
            for line in lines:
                err.print(f"  {line}", markup=False, highlight=False)
            shown = "-" if best is None else f"{best:.3f}"
            self._bar.update(self._task, completed=calls, description=f"{phase} · {self.measure} {shown} · calls")
