"""The three training steps as jobs on folders: each reads what it needs (the style, the step it starts from),
trains, and leaves in its folder what the next step and the routes read. `idealprompt train` and bench/train.py
run these.

    sft/           style.json, data.jsonl, adapter/, stylist.lora.gguf, Modelfile, train.json
    self-improve/  style.json, candidates.jsonl (every candidate, scored and checked), data.jsonl, adapter/, ...
    dpo/           style.json, pairs.jsonl, adapter/, ... train.json

style.json is the style trained on, its texts paired with the neutral sides trained on (the planner's, for a
corpus of styled texts only), so the later steps and `write` need no corpus.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from idealprompt.errors import TrainError
from idealprompt.facts import Facts
from idealprompt.scoring.facts import Mode, check_facts
from idealprompt.scoring.style import StyleScorer
from idealprompt.styles import Style
from idealprompt.train import data, improve, pairs
from idealprompt.train.trainer import ADAPTER, GGUF, SUMMARY, Base, Options, Trained, preflight

DATA, CANDIDATES, PAIRS, STYLE = "data.jsonl", "candidates.jsonl", "pairs.jsonl", "style.json"
Progress = Callable[[int, int], None]


def sft_job(
    style: Style,
    base: Base,
    out: Path,
    options: Options,
    *,
    planner: BaseChatModel | None = None,
    progress: Progress | None = None,
) -> Trained:
    """Style SFT on the style's corpus (its neutral sides written by `planner` when it has none). What can be
    checked is checked before the planner writes anything or the base loads; a resumed step reuses its data."""
    from idealprompt.train.sft import sft

    data.check_corpus(style)
    preflight(base, out)
    if options.resume and (out / DATA).is_file():
        rows = data.read_rows(out / DATA)
    else:
        rows = [data.row(style, p) for p in data.style_pairs(style, planner, progress)]
        data.write_rows(out / DATA, rows)
    trained_on = [data.pair_of(r) for r in rows]
    _record_style(
        out,
        style.model_copy(
            update={"exemplars": [p.text for p in trained_on], "neutral": [p.neutral for p in trained_on]}
        ),
    )
    return sft(base, rows, out, options)


def improve_job(
    style: Style,
    start: Path,
    out: Path,
    options: Options,
    *,
    stylist: BaseChatModel,
    scorer: StyleScorer,
    checker: BaseChatModel | None,
    check_mode: Mode = "entities",
    k: int = 4,
    min_style: float = 0.5,
    progress: Progress | None = None,
) -> Trained:
    """One self-improvement round from the step in `start`: `stylist` serves that step's adapter; the candidates
    it keeps are added to that step's data and its adapter is trained on further."""
    from idealprompt.train.sft import sft

    before = started_from(start)
    rows = data.read_rows(start / DATA)
    inputs = data.inputs_of(rows)

    def problems(neutral: str, text: str) -> list[str]:
        return check_facts(Facts.parse(neutral), text, model=checker, mode=check_mode).problems()

    started = time.monotonic()
    if options.resume and (out / CANDIDATES).is_file():  # an interrupted round: its candidates are paid for
        found = _read_candidates(out / CANDIDATES)
    else:
        found = improve.improve_round(
            stylist, style, inputs, scorer, problems, k=k, min_style=min_style, seed=options.seed, progress=progress
        )
        _write_candidates(out / CANDIDATES, found)
    generated = time.monotonic() - started
    _record_style(out, style)
    rows += [data.row(style, p) for p in found.new_pairs()]
    data.write_rows(out / DATA, rows)
    trained = sft(Base.of_record(before.base), rows, out, options, start=start / ADAPTER)
    trained.kind = "self-improve"
    trained.extra = {"round": found.stats(), "generation_seconds": generated, "from": str(start)}
    trained.save()
    return trained


def dpo_job(style: Style, start: Path, out: Path, options: Options, *, candidates: Path | None = None) -> Trained:
    """Content DPO from the step in `start`: pairs from the checked candidates of a self-improvement round
    (`candidates`, by default the start's own when it has them) and from corruption of the style's texts."""
    from idealprompt.train.dpo import dpo

    before = started_from(start)
    pairs_of_style = [data.pair_of(r) for r in data.read_rows(start / DATA)]
    found = candidates or (start / CANDIDATES if (start / CANDIDATES).is_file() else None)
    own = pairs.own_output_pairs(style, _read_candidates(found)) if found else []
    rows = own + pairs.corruption_pairs(style, pairs_of_style, seed=options.seed)
    data.write_rows(out / PAIRS, rows)
    _record_style(out, style)
    trained = dpo(Base.of_record(before.base), rows, out, start / ADAPTER, options)
    trained.extra = {"own_output_pairs": len(own), "corruption_pairs": len(rows) - len(own), "from": str(start)}
    trained.save()
    return trained


def started_from(folder: Path) -> Trained:
    """The summary of a finished step, which the next step starts from."""
    path = folder / SUMMARY
    if not path.is_file() or not (folder / ADAPTER).is_dir():
        raise TrainError(f"{folder}: not a finished training step (no {SUMMARY} and {ADAPTER}/); train it first")
    summary = json.loads(path.read_text(encoding="utf-8"))
    return Trained(**summary | {"out": folder})


def style_of(folder: Path) -> Style:
    """The style a step was trained on."""
    path = folder / STYLE
    if not path.is_file():
        raise TrainError(f"{folder}: no {STYLE} (a step trained before it was recorded): name the style")
    return Style.model_validate_json(path.read_text(encoding="utf-8"))


def served(folder: Path) -> Path:
    """The adapter GGUF an `embedded:` route serves a step by."""
    if not (folder / GGUF).is_file():
        raise TrainError(f"{folder}: no {GGUF} (a base given as a Hugging Face folder has no GGUF adapter)")
    return folder / GGUF


def _record_style(out: Path, style: Style) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / STYLE).write_text(style.model_dump_json(indent=1), encoding="utf-8")


def _write_candidates(path: Path, found: improve.Round) -> None:
    kept = {pair.neutral: chosen.text for pair, chosen in found.kept}
    data.write_rows(
        path,
        (
            {
                "neutral": pair.neutral,
                "reference": pair.text,
                "candidates": [{"text": c.text, "style": c.style, "problems": list(c.problems)} for c in found_],
                "kept": kept.get(pair.neutral),
            }
            for pair, found_ in found.candidates
        ),
    )


def _read_candidates(path: Path) -> improve.Round:
    found = improve.Round()
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        candidates = [improve.Candidate(c["text"], c["style"], tuple(c["problems"])) for c in row["candidates"]]
        pair = data.Pair(row["neutral"], row["reference"])
        found.candidates.append((pair, candidates))
        found.kept += [(pair, c) for c in candidates if c.text == row.get("kept")][:1]
    return found
