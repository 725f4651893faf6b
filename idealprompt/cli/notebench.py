"""`idealprompt eval-style DATASET`: writing systems side by side, scored NoteBench-style."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from idealprompt.cli.common import (
    MemoryOption,
    RunIdOption,
    command_line,
    err,
    open_memory,
    open_session,
    out,
    print_ledger,
    recorded_run,
    refuse_overwrite,
)
from idealprompt.errors import OutputError
from idealprompt.notebench.data import load_dataset
from idealprompt.notebench.evaluate import SYSTEMS, evaluate_writing, table, writing_for
from idealprompt.runs import RunStore
from idealprompt.userfiles import write_text


def eval_style(
    ctx: typer.Context,
    dataset: Annotated[
        Path,
        typer.Argument(exists=True, help="an E2E .csv, an image-caption folder, or a .jsonl of {facts, references}"),
    ],
    style: Annotated[str, typer.Option(help="the target style (caption folders: humorous or romantic)")] = "neutral",
    systems: Annotated[str, typer.Option(help=f"comma-separated, from: {', '.join(SYSTEMS)}")] = ",".join(SYSTEMS[:3]),
    limit: Annotated[int | None, typer.Option(help="the first N examples")] = None,
    judge: Annotated[
        bool,
        typer.Option(
            "--judge/--no-judge",
            help="check free-text facts with the large model (--no-judge: the lexical check alone)",
        ),
    ] = (True),
    out_file: Annotated[Path | None, typer.Option("--out", help="a JSON file for scores and every output")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an earlier --out file")] = False,
    memory: MemoryOption = None,
    run_id: RunIdOption = None,
):
    """Score the small model alone, the large model alone and plan+write on a dataset: ROUGE-L, BLEU-4,
    hallucinated facts (unsupported, contradicted), style consistency and time."""
    if out_file is not None:
        refuse_overwrite(out_file, force)
    chosen = [s.strip() for s in systems.split(",") if s.strip()]
    if unknown := set(chosen) - set(SYSTEMS):
        raise typer.BadParameter(f"unknown {sorted(unknown)}; choose from {', '.join(SYSTEMS)}", param_hint="--systems")
    examples = load_dataset(dataset, style=style, limit=limit)
    session = open_session()
    run = writing_for(dataset, style, session, open_memory(memory, create=True) if not dataset.is_dir() else None)
    err.print(
        f"{len(examples)} examples, style [bold]{style}[/]; small {session.describe('small')}, large "
        f"{session.describe('large')}"
    )
    err.print(session.privacy(), markup=False, highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    runs, run_id = RunStore(session.settings.runs), run_id or f"notebench-{style}-{uuid.uuid4().hex[:8]}"
    folder = (out_file.parent if out_file else Path()).resolve()
    started = dict(kind="eval-style", task=f"{dataset.name} ({style})", folder=folder, budget=None)
    with recorded_run(runs, run_id, command=command_line(ctx), **started), Progress(*columns, console=err) as bar:
        tasks = {s: bar.add_task(s, total=len(examples)) for s in chosen}
        scores = evaluate_writing(
            examples,
            run,
            systems=chosen,
            judge=judge,
            progress=lambda system, done, _: bar.update(tasks[system], completed=done),
        )
    runs.finish(run_id, "done", scores={s.system: s.model_dump(exclude={"outputs", "checks"}) for s in scores})
    out.print(table(scores), markup=False)
    if out_file:
        report = {"dataset": str(dataset), "style": style, "systems": [s.model_dump() for s in scores]}
        write_text(out_file, json.dumps(report, indent=2, ensure_ascii=False) + "\n", OutputError, "report")
        err.print(f"scores and outputs: {out_file}")
    print_ledger(session)
