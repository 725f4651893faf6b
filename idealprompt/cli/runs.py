"""`idealprompt runs`, `trace`, `resume`, `fork` and `report`: the runs in the run store, read step by step, taken
up again after an interruption, branched from a step with another option, and drawn on one HTML page."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from idealprompt.cli.common import err, out
from idealprompt.config import load_settings
from idealprompt.errors import ConfigError
from idealprompt.runs import Call, RunRecord, RunStore, Step
from idealprompt.runs.store import on_this_machine

RunArgument = Annotated[str, typer.Argument(help="a run's id, or the start of it", metavar="RUN_ID")]


def _store() -> RunStore:
    return RunStore(load_settings().runs)


def runs(as_json: Annotated[bool, typer.Option("--json", help="one JSON object per run, for scripts")] = False):
    """The runs in the run store, the newest first: id, kind, task, status, best score, calls, start and end."""
    found = _store().runs()
    if as_json:
        for record in found:
            print(record.model_dump_json())
        return
    table = Table("id", "kind", "task", "status", "best", "calls", "started", "ended", title=_store().where)
    for r in found:
        best = "-" if r.best is None else f"{r.best:.3f}"
        calls = f"{r.calls}/{r.budget}" if r.budget else str(r.calls)
        table.add_row(r.id, r.kind, r.task, r.status, best, calls, _when(r.started), _when(r.ended))
    out.print(table)


def trace(
    run: RunArgument,
    step: Annotated[int | None, typer.Option(help="one step in full: every prompt sent and answer received")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the steps (and with --step its calls) as JSON")] = False,
):
    """A run as numbered steps: node, what it produced, its calls, tokens and seconds."""
    store = _store()
    record = store.get(run)
    steps = store.steps(record.id)
    if step is not None and not any(s.step == step for s in steps):
        raise ConfigError(f"run {record.id} has steps 1 to {len(steps)}, not {step}")
    shown = [s for s in steps if step is None or s.step == step]
    calls = store.calls(record.id, step) if step is not None else []
    if as_json:
        shown_json = {"run": record.model_dump(), "steps": [s.model_dump() for s in shown]}
        if step is not None:
            shown_json["calls"] = [c.model_dump() for c in calls]
        print(json.dumps(shown_json, ensure_ascii=False))
        return
    out.print(_heading(record, len(steps)), markup=False, highlight=False)
    for s in shown:
        out.print(_step_line(s), markup=False, highlight=False)
        for line in s.summary:
            out.print(f"      {line}", markup=False, highlight=False)
    for c in calls:
        _print_call(c)


def resume(run: RunArgument):
    """Continue an interrupted run: its recorded calls are replayed (no model is asked again, the budget counts
    them as before) up to where it stopped, then it goes on to the end, under the same id and folder."""
    record = _store().get(run)
    if record.status == "running":
        elsewhere = f" on {record.host} (only that machine can tell whether it stopped: resume it there)"
        raise ConfigError(f"run {record.id} is still running{'' if on_this_machine(record.host) else elsewhere}")
    if record.status == "done":
        raise ConfigError(f"run {record.id} is done: `idealprompt fork {record.id} --step N` runs it on otherwise")
    if not record.command:
        raise ConfigError(f"run {record.id} was started from Python: make the same call again there (README, Runs)")
    err.print(f"resuming {record.id} ({record.status}) in {record.folder}", markup=False, highlight=False)
    _run_again([*record.command, "--run-id", record.id])


def fork(
    run: RunArgument,
    step: Annotated[int, typer.Option(help="the step after which the fork goes its own way")],
    changes: Annotated[
        list[str] | None, typer.Option("--set", help="option=value from that step on, e.g. --set rounds=3")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="the fork's folder (default: beside the run's)")] = None,
):
    """A new run from a step of an optimisation: it replays the run to that step (from its recorded calls), changes
    the options there in the graph's state, and goes on (LangGraph's time travel)."""
    store = _store()
    record = store.get(run)
    if record.kind != "optimize" or not record.command:
        raise ConfigError(f"run {record.id} is a {record.kind} run from {_origin(record)}: only CLI optimisations fork")
    if record.parent is not None:
        raise ConfigError(f"run {record.id} is a fork of {record.parent}: fork that run instead")
    steps = store.steps(record.id)
    if not 1 <= step < len(steps):
        raise ConfigError(f"run {record.id} forks after one of its steps 1 to {len(steps) - 1}, not {step}")
    folder = out_dir or Path(record.folder).with_name(f"{Path(record.folder).name}-fork-{uuid.uuid4().hex[:6]}")
    command = _with_option(record.command, "--out", str(folder.resolve()))
    command += ["--fork-of", f"{record.id}@{step}"] + [w for c in changes or [] for w in ("--set", c)]
    err.print(f"forking {record.id} after step {step} ({steps[step - 1].node}) into {folder}", markup=False)
    _run_again(command)


def report(
    run: RunArgument,
    html: Annotated[Path, typer.Option(help="the HTML file to write (one page, needs no network to open)")],
):
    """One HTML page of a run: scores, the score curve, the strategy tree, the prompt's diff from the seed, the
    mistakes before and after, the steps and the ledger; for a writing run the plan, the text and its checks."""
    from idealprompt.report import write_report

    store = _store()
    record = store.get(run)
    write_report(record, store.steps(record.id), store.result(record.id), html)
    out.print(f"report of {record.id}: {html}", markup=False, highlight=False)


def _origin(record: RunRecord) -> str:
    return "the command line" if record.command else "Python"


def _run_again(command: list[str]) -> None:
    """Run an idealprompt command line in this process (as `idealprompt ...` would), keeping its exit code."""
    from typer.main import get_command

    from idealprompt.cli import app

    code = get_command(app).main(args=command, prog_name="idealprompt", standalone_mode=False)
    if isinstance(code, int) and code:
        raise typer.Exit(code)


def _with_option(command: list[str], option: str, value: str) -> list[str]:
    words = list(command)
    if option in words:
        words[words.index(option) + 1] = value
    else:
        words += [option, value]
    return words


def _when(stamp: float | None) -> str:
    return "-" if stamp is None else datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S")


def _heading(record: RunRecord, steps: int) -> str:
    budget = f" of {record.budget}" if record.budget else ""
    forked = f", forked from {record.parent}" if record.parent else ""
    return (
        f"run {record.id}: {record.kind} of {record.task}, {record.status}{forked}; {steps} steps, "
        f"{record.calls}{budget} small-model calls; folder {record.folder}"
    )


def _step_line(step: Step) -> str:
    used = []
    for role, u in step.usage.items():
        cached = f", {u['cached']} cached" if u.get("cached") else ""
        tokens = u.get("prompt_tokens", 0) + u.get("completion_tokens", 0)
        used.append(f"{role} {u.get('calls', 0)} calls{cached}, {tokens} tokens")
    return f"{step.step:>4}  {step.node:<11} {step.seconds:6.1f} s  {'; '.join(used) or 'no model call'}"


def _print_call(call: Call) -> None:
    cached = ", replayed" if call.cached else ""
    out.print(
        f"\n--- call {call.seq + 1} ({call.role}, {call.prompt_tokens} + {call.completion_tokens} tokens, "
        f"{call.seconds:.2f} s{cached})",
        markup=False,
        highlight=False,
    )
    for message in call.messages:
        out.print(f"[{message['type']}]\n{_text(message['content'])}", markup=False, highlight=False)
    out.print(f"[answer]\n{call.answer}", markup=False, highlight=False)


def _text(content) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(p.get("text", f"<{p.get('type', 'part')}>") if isinstance(p, dict) else str(p) for p in content)
