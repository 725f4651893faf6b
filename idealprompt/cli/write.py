"""`idealprompt write` and `idealprompt style ...`: style-aligned writing, and the styles it writes in."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

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
)
from idealprompt.errors import StyleError
from idealprompt.facts import load_facts
from idealprompt.graphs.sag import WriteOptions
from idealprompt.runs import Recorder, RunStore, is_database, open_trace
from idealprompt.sag import stream_write
from idealprompt.styles import Style, builtin_styles, read_corpus
from idealprompt.userfiles import read_text

app = typer.Typer(help="The writing styles in the memory.", no_args_is_help=True)


def write(
    ctx: typer.Context,
    facts: Annotated[Path, typer.Option(help="the facts: JSON/YAML key-values, an E2E MR, or free text")],
    style: Annotated[str, typer.Option(help="a style in the memory, or a built-in one")] = "neutral",
    instruction: Annotated[str | None, typer.Option(help="what to write (default: a short text of the facts)")] = None,
    exemplars: Annotated[int, typer.Option(help="exemplars of the style shown to the writer")] = 1,
    check: Annotated[bool, typer.Option("--check/--no-check", help="check the text's facts against the input")] = True,
    revisions: Annotated[int, typer.Option(help="rewrites of a text whose facts the check finds wrong")] = 1,
    stylist_tools: Annotated[
        int, typer.Option(min=0, help="tool calls the stylist makes on a draft before it writes; 0: none")
    ] = 0,
    trace: Annotated[
        Path | None,
        typer.Option(help="a SQLite file to keep the run's trace in (default: a PostgreSQL run store's database)"),
    ] = None,
    small: Annotated[
        str | None, typer.Option(help="the stylist's route, e.g. embedded:runs/stylist/sft/stylist.lora.gguf")
    ] = None,
    large: Annotated[str | None, typer.Option(help="the planner's route (default: the `large` setting)")] = None,
    memory: MemoryOption = None,
    run_id: RunIdOption = None,
):
    """Write the facts in a style: the large model plans the content, the small model writes it (streamed)."""
    found = load_facts(facts)
    store = open_memory(memory, create=True)
    session = open_session(small=small, large=large)
    err.print(f"style [bold]{style}[/]; planner {session.describe('large')}, writer {session.describe('small')}")
    err.print(session.privacy(), markup=False, highlight=False)
    options = WriteOptions(exemplars=exemplars, check=check, revisions=revisions, stylist_tools=stylist_tools)
    kept = trace or (
        session.settings.runs if is_database(session.settings.runs) else None
    )  # a folder keeps one only where --trace says
    checkpointer = open_trace(kept) if kept else None
    runs, run_id = RunStore(session.settings.runs), run_id or f"sag-{style}-{uuid.uuid4().hex[:8]}"
    folder = (trace.parent if trace else Path()).resolve()
    started = dict(kind="write", task=style, folder=folder, budget=None)
    with (
        checkpointer or contextlib.nullcontext() as saver,
        recorded_run(runs, run_id, command=command_line(ctx), **started) as journal,
    ):
        if saver is not None:
            saver.delete_thread(run_id)  # a resumed run writes anew: its earlier drafts would add to its new ones
        events = stream_write(
            found,
            style=style,
            instruction=instruction,
            session=session,
            memory=store,
            options=options,
            checkpointer=saver,
            run_id=run_id,
            config={"callbacks": [journal]},
            steps=True,
        )
        steps = Recorder(runs, run_id, journal, session.ledger.snapshot)
        for kind, value in events:
            if kind == "step":
                node, update = value
                steps.step(node, _summary(node, update))
            elif kind == "plan":
                out.print("[bold]Plan[/]\n" + "\n".join(f"- {escape(fact)}" for fact in value))
            elif kind == "draft":
                out.print("\n[bold]Text[/]" if value == 1 else f"\n[bold]Rewrite {value - 1}[/] (facts corrected)")
            elif kind == "token":
                out.print(value, end="", markup=False, highlight=False)
            elif kind == "text":
                out.print()
            elif kind == "check":
                _print_check(value)
            elif kind == "result":
                result = value
    status, scores = "done" if result.text else "failed", {"style": result.style_score}
    runs.finish(run_id, status, best=result.style_score, scores=scores, result=result.model_dump(mode="json"))
    for note in result.notes:
        err.print(f"[yellow]note[/]: {escape(note)}")
    if result.stopped:
        err.print(f"[red]stopped[/]: {result.stopped}")
    if result.style_score is not None:
        err.print(f"style consistency ({style}): {result.style_score:.2f}")
    if saver is not None:
        err.print(f"trace: thread {result.run_id} in {saver.where}")
    print_ledger(session)


def _summary(node: str, update: dict) -> list[str]:
    """What a step of the writing graph produced, a line each, for `idealprompt trace`."""
    lines = [f"note: {note}" for note in update.get("notes", [])]
    if update.get("plan"):
        lines += [f"plan: {fact}" for fact in update["plan"]]
    if update.get("drafts"):
        lines.append(f"text: {update['drafts'][-1]}")
    if check := update.get("check"):
        wrong = len(check.get("contradicted", [])) + len(check.get("unsupported", []))
        lines.append(f"fact check ({check.get('method')}): {wrong} wrong")
    if update.get("style_score") is not None:
        lines.append(f"style consistency {update['style_score']:.2f}")
    return lines


def _print_check(check: dict) -> None:
    if check["method"] == "none":
        return
    wrong = [f"contradicted: {f}" for f in check["contradicted"]]
    wrong += [f"not in the input: {f}" for f in check["unsupported"]]
    stated = len(check["supported"]) + len(check["contradicted"]) + len(check["unsupported"])
    err.print(
        f"fact check ({check['method']}): {stated} facts stated, {len(wrong)} wrong"
        + (f", {len(check['omitted'])} left out" if check["omitted"] else "")
    )
    for line in wrong:
        err.print(f"  [red]{escape(line)}[/]")


@app.command("add")
def style_add(
    name: Annotated[str, typer.Argument(help="the style's name (lower case, digits, '_', '-', '.')")],
    corpus: Annotated[
        Path,
        typer.Option(
            help='texts in the style: .jsonl with a "text" field (and optionally '
            '"neutral", the same facts stated plainly), or plain text, one per '
            "line (or per blank-line-separated block)"
        ),
    ],
    description: Annotated[
        str | None, typer.Option(help="the style, in a sentence or two a writer can follow (needed for a new style)")
    ] = None,
    prompt_file: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="the writer's instruction, e.g. an optimised prompt.txt"),
    ] = None,
    memory: MemoryOption = None,
):
    """Add a style, or more texts to one, in the memory."""
    store = open_memory(memory, create=True)
    known = store.styles.find(name)
    if description is None and known is None:
        raise StyleError(f"style {name!r} is new: give --description")
    prompt = (
        read_text(prompt_file, StyleError, "prompt file").strip() if prompt_file else (known.prompt if known else "")
    )
    texts, neutral = read_corpus(corpus)
    style = Style(
        name=name, description=description or known.description, exemplars=texts, neutral=neutral, prompt=prompt
    )
    added = store.add_style(style, source=str(corpus))
    out.print(f"style {name}: {added} new texts ({len(style.exemplars) - added} already stored) in {store.store.where}")


@app.command("list")
def style_list(memory: MemoryOption = None):
    """The styles in the memory, and the built-in ones."""
    store = open_memory(memory, create=True)
    table = Table("style", "texts", "prompt", "description")
    cards = {card.id: card for card in store.styles.all()}
    for name in sorted(cards | builtin_styles()):
        card = cards.get(name)
        texts = len(store.exemplars.all(where={"style": name})) if card else len(builtin_styles()[name].exemplars)
        description = card.description if card else builtin_styles()[name].description
        table.add_row(
            name + ("" if card else " (built in)"), str(texts), "optimised" if card and card.prompt else "", description
        )
    out.print(table)
