"""`idealprompt train sft | self-improve | dpo STYLE`: train the small stylist (needs the `train` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from idealprompt.cli.common import CountProgress, MemoryOption, err, open_memory, open_session, out, refuse_overwrite
from idealprompt.errors import StyleError
from idealprompt.scoring.facts import Mode
from idealprompt.styles import Style, builtin_styles, read_corpus

app = typer.Typer(
    help="Train the small stylist: style SFT, self-improvement, content DPO (needs the train extra).",
    no_args_is_help=True,
)

OutOption = Annotated[Path, typer.Option("--out", help="the folder this step writes")]
FromOption = Annotated[Path, typer.Option("--from", help="the folder of the step to start from")]
StepsOption = Annotated[int, typer.Option(help="optimiser steps")]
ResumeOption = Annotated[bool, typer.Option("--resume", help="go on from the last checkpoint in --out")]
ForceOption = Annotated[bool, typer.Option("--force", help="replace an earlier result in --out")]
SaveOption = Annotated[int, typer.Option("--save-every", help="steps between checkpoints")]
MergedOption = Annotated[
    bool, typer.Option("--merged", help="also write the merged model (a Hugging Face folder, float16)")
]


@app.command("sft")
def sft_command(
    style: Annotated[str, typer.Argument(help="a style in the memory, a built-in one, or a new one with --corpus")],
    out_dir: OutOption,
    corpus: Annotated[
        Path | None, typer.Option(help="texts in the style (.jsonl with 'text' and optional 'neutral', or text)")
    ] = None,
    description: Annotated[str | None, typer.Option(help="the style's description, for a new style")] = None,
    base: Annotated[
        str | None, typer.Option(help="a catalog model, a GGUF file or a Hugging Face folder (default: the small one)")
    ] = None,
    steps: StepsOption = 60,
    batch_size: Annotated[int, typer.Option(help="pairs per step")] = 4,
    learning_rate: Annotated[float, typer.Option(help="AdamW's learning rate")] = 2e-4,
    rank: Annotated[int, typer.Option(help="LoRA rank")] = 16,
    save_every: SaveOption = 20,
    resume: ResumeOption = False,
    merged: MergedOption = False,
    force: ForceOption = False,
    memory: MemoryOption = None,
):
    """Style SFT: a LoRA adapter on the small model, from the style's texts (their neutral sides written by the
    large model when the corpus has none)."""
    from idealprompt.train import require

    require()
    from idealprompt.train.data import check_corpus
    from idealprompt.train.jobs import sft_job
    from idealprompt.train.trainer import Base, Options

    _fresh(out_dir, resume, force)
    chosen = _style(style, corpus, description, memory)
    check_corpus(chosen)  # before the base model is found (joined on first use) or the planner runs
    session = open_session()
    found = Base.of(base or session.settings.embedded_small, session.settings.models_dir)
    options = Options(steps, batch_size, learning_rate, rank, 2 * rank, save_every, resume=resume, merged=merged)
    planner = None if chosen.neutral else session.data_model("large")
    if planner is not None:
        err.print(f"{len(chosen.exemplars)} texts without neutral versions: {session.describe('large')} writes them")
    err.print(f"style SFT of {escape(found.name)} on {chosen.name!r}")
    _summary(sft_job(chosen, found, out_dir, options, planner=planner, progress=CountProgress("neutral versions")))


@app.command("self-improve")
def improve_command(
    start: FromOption,
    out_dir: OutOption,
    style: Annotated[
        str | None, typer.Argument(help="the style to train on (default: the one the step in --from was trained on)")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="candidates per input")] = 4,
    min_style: Annotated[float, typer.Option(help="the least style score a kept candidate has")] = 0.5,
    check: Annotated[
        str,
        typer.Option(
            help="the fact check: entities (names, numbers, dates), cheap (lexical) or full (with the large model)"
        ),
    ] = "entities",
    steps: StepsOption = 20,
    save_every: SaveOption = 10,
    resume: ResumeOption = False,
    merged: MergedOption = False,
    force: ForceOption = False,
    memory: MemoryOption = None,
):
    """One self-improvement round: the trained stylist writes k candidates per input; the most stylish faithful
    one above --min-style becomes a training pair; the adapter trains on further."""
    from idealprompt.train import require

    require()
    from idealprompt.graphs.context import Writing
    from idealprompt.routes import Route, make_chat_model
    from idealprompt.train.jobs import improve_job, served
    from idealprompt.train.trainer import Options

    modes: dict[str, Mode] = {"entities": "entities", "cheap": "cheap", "full": "full"}
    if check not in modes:
        raise typer.BadParameter("entities, cheap or full", param_hint="--check")
    mode = modes[check]
    _fresh(out_dir, resume, force)
    chosen = _trained_style(style, start, memory)
    session = open_session()
    writing = Writing.of(session, chosen)
    assert writing.scorer is not None  # Writing sets it
    trained = improve_job(
        writing.style,
        start,
        out_dir,
        Options(steps, save_every=save_every, resume=resume, merged=merged),
        stylist=make_chat_model(Route(f"embedded:{served(start)}"), session.settings),
        scorer=writing.scorer,
        checker=session.data_model("large") if mode == "full" else None,
        check_mode=mode,
        k=k,
        min_style=min_style,
        progress=CountProgress("candidates"),
    )
    _summary(trained)


@app.command("dpo")
def dpo_command(
    start: FromOption,
    out_dir: OutOption,
    style: Annotated[
        str | None, typer.Argument(help="the style to train on (default: the one the step in --from was trained on)")
    ] = None,
    candidates: Annotated[
        Path | None, typer.Option(help="a self-improvement round's candidates.jsonl (default: --from's own)")
    ] = None,
    steps: StepsOption = 20,
    learning_rate: Annotated[float, typer.Option(help="AdamW's learning rate")] = 5e-5,
    save_every: SaveOption = 10,
    resume: ResumeOption = False,
    merged: MergedOption = False,
    force: ForceOption = False,
    memory: MemoryOption = None,
):
    """Content DPO: faithful texts preferred over hallucinated ones (the stylist's own flagged candidates, and
    corrupted copies of the style's texts)."""
    from idealprompt.train import require

    require()
    from idealprompt.train.jobs import dpo_job
    from idealprompt.train.trainer import Options

    _fresh(out_dir, resume, force)
    chosen = _trained_style(style, start, memory)
    options = Options(steps, 2, learning_rate, save_every=save_every, resume=resume, merged=merged)
    _summary(dpo_job(chosen, start, out_dir, options, candidates=candidates))


def _style(name: str, corpus: Path | None, description: str | None, memory: str | None) -> Style:
    """A built-in or stored style, its texts replaced by `corpus` if given; or a new one from `corpus`."""
    known = name in builtin_styles() or memory is not None
    if corpus is None:
        if name in builtin_styles() and memory is None:
            return builtin_styles()[name]
        return open_memory(memory).style(name)
    texts, neutral = read_corpus(corpus)
    if known:
        base = builtin_styles()[name] if memory is None else open_memory(memory).style(name)
        return base.model_copy(update={"exemplars": texts, "neutral": neutral})
    if not description:
        raise StyleError(f"style {name!r} is new: give its --description (what a writer of it should do)")
    return Style(name=name, description=description, exemplars=texts, neutral=neutral)


def _trained_style(name: str | None, start: Path, memory: str | None) -> Style:
    """The style a later step trains on: the one recorded in the step it starts from, unless another is named."""
    from idealprompt.train.jobs import started_from, style_of

    started_from(start)
    if name is None:
        return style_of(start)
    return _style(name, None, None, memory)


def _fresh(folder: Path, resume: bool, force: bool) -> None:
    """An output folder holds one step: another run there needs --resume (go on) or --force (start afresh)."""
    if not resume:
        from idealprompt.train.trainer import SUMMARY  # after `require()`: it imports transformers

        refuse_overwrite(folder / SUMMARY, force)


def _summary(trained) -> None:
    losses = trained.losses
    err.print(
        f"{trained.kind}: {trained.steps} steps on {trained.rows} rows in {trained.seconds / 60:.1f} min, "
        f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, peak memory {trained.peak_memory_mb / 1024:.1f} GiB"
        if losses
        else f"{trained.kind}: no step was trained"
    )
    if trained.extra.get("round"):
        r = trained.extra["round"]
        err.print(
            f"round: {r['kept']} of {r['inputs']} inputs kept a candidate; style {r['style']:.2f}, "
            f"faithful {r['faithful']:.0%} of {r['candidates']} candidates"
        )
    for what, path in trained.files.items():
        out.print(f"{what}: {path}")
    if "gguf" in trained.files:
        out.print(
            f"serve it: idealprompt write --small embedded:{trained.files['gguf']} ...  (Ollama: ollama create "
            f"stylist -f {trained.files['modelfile']})"
        )
