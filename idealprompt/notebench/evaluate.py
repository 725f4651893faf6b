"""Writing systems side by side on one dataset, scored NoteBench-style.

Systems (all given the same instruction and the style's name and description):
- `small`: the small model alone, from the instruction and the facts to the text, in one prompt;
- `large`: the large model alone, the same prompt;
- `plan+write`: SAG, the large model plans and the small model writes in the style, with exemplars of the style;
- `plan+write+check`: SAG with its fact check, and one rewrite of a text that gets a fact wrong;
- `plan+write+tools`: SAG without the check loop, the stylist calling one of its tools (fact check, style score,
  exemplars) on a draft `TOOL_TURNS` times before it writes the text.

Scores: ROUGE-L and BLEU-4 against the references (`overlap`); hallucination per stated fact, as factuality
(facts the input does not support) and faithfulness (facts the input contradicts), by slot matching for key-value
inputs and for free text by the combined check of `scoring.facts` (the large model's per-claim verdicts with the
lexical signal; the judge is then one of the systems under test, which the report says), or by the lexical
signal alone with `judge=False`; omission (input slots the text leaves out, slot inputs only); style
consistency (`scoring.style`); and the wall time of generation alone, per text.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from idealprompt.agents import stylist
from idealprompt.errors import BudgetExhausted, PrivacyError, StyleError
from idealprompt.graphs.context import Writing
from idealprompt.graphs.sag import WriteOptions, build_sag_graph
from idealprompt.memory import Memory
from idealprompt.notebench.data import CAPTION_DESCRIPTIONS, CAPTION_STYLES, WritingExample, caption_corpus
from idealprompt.notebench.overlap import bleu_4, rouge_l
from idealprompt.prompts.writing import INSTRUCTION
from idealprompt.scoring.facts import FactCheck, Mode, check_facts
from idealprompt.scoring.style import StyleScorer
from idealprompt.session import Session
from idealprompt.styles import Style

SYSTEMS = ("small", "large", "plan+write", "plan+write+check", "plan+write+tools")
TOOL_TURNS = 1  # one call on a draft, then the text: the stylist's own counterpart of one check
EXEMPLARS_KEPT = 500  # of a large corpus: plenty to find close ones; embedding all 6,000 captions takes minutes
Progress = Callable[[str, int, int], None]  # (system, done, total)


def writing_for(dataset: Path | str, style: str, session: Session, memory: Memory | None = None) -> Writing:
    """The writing context a dataset is evaluated in: for an image-caption folder, its style from the folder's
    train corpus, scored against the other caption style; otherwise a style from the memory or a built-in one,
    scored against the built-in styles."""
    if not Path(dataset).is_dir():
        return Writing.of(session, style, memory)
    corpora = {name: caption_corpus(dataset, style=name) for name in CAPTION_STYLES}
    if style not in corpora:
        raise StyleError(f"caption styles are {', '.join(corpora)}, not {style!r}")
    texts = corpora[style]
    kept = random.Random(0).sample(texts, EXEMPLARS_KEPT) if len(texts) > EXEMPLARS_KEPT else texts
    chosen = Style(name=style, description=CAPTION_DESCRIPTIONS[style], exemplars=kept)
    return Writing(session, chosen, scorer=StyleScorer(corpora))


class SystemScores(BaseModel):
    system: str
    examples: int
    rouge_l: float = Field(description="0-100")
    bleu_4: float = Field(description="0-100")
    factuality: float | None = Field(description="unsupported facts / stated facts; None: nothing was checked")
    faithfulness: float | None = Field(description="contradicted facts / stated facts")
    facts_stated: int
    omission: float | None = Field(description="input slots left out / input slots (slot inputs only)")
    style: float = Field(description="mean probability of the target style, 0-1")
    seconds: float = Field(description="generation wall time per text")
    outputs: list[str]
    checks: list[FactCheck]


def generate(system: str, example: WritingExample, run: Writing, instruction: str, graph=None) -> str:
    """One system's text for one example ("" if the budget ran out); `graph`: a compiled SAG graph to reuse."""
    if system in ("small", "large"):
        messages = stylist.direct_messages(run.style, example.facts, instruction)
        try:
            return stylist.write(run.session.model(system), messages)
        except BudgetExhausted:
            return ""
    tools = TOOL_TURNS if system == "plan+write+tools" else 0
    options = WriteOptions(check=system == "plan+write+check", revisions=1, stylist_tools=tools)
    inputs = {"facts": example.facts.model_dump(), "instruction": instruction, "options": options.model_dump()}
    drafts = (graph or build_sag_graph()).invoke(inputs, context=run).get("drafts", [])
    return drafts[-1] if drafts else ""


def evaluate_writing(
    examples: Sequence[WritingExample],
    run: Writing,
    *,
    systems: Sequence[str] = SYSTEMS[:3],
    instruction: str = INSTRUCTION,
    judge: bool = True,
    check_mode: Mode = "full",
    progress: Progress | None = None,
) -> list[SystemScores]:
    """Every system on every example, scored. `judge`: check free-text facts with the large model too (without
    it, by the lexical signal alone: the cheap mode); `check_mode` "entities": names, numbers and dates only."""
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        raise ValueError(f"unknown systems {sorted(unknown)}: choose from {', '.join(SYSTEMS)}")
    if "large" in systems and run.session.private:
        raise PrivacyError("privacy private: the large system would send the facts to the remote large route")
    scores, graph = [], build_sag_graph()
    for system in systems:
        outputs, seconds = [], 0.0
        for done, example in enumerate(examples, 1):
            started = time.perf_counter()
            outputs.append(generate(system, example, run, instruction, graph))
            seconds += time.perf_counter() - started
            if progress:
                progress(system, done, len(examples))
        judge_model = run.session.data_model("large") if judge else None
        checks = [
            check_facts(e.facts, text, model=judge_model, lexicon=run.lexicon, mode=check_mode)
            if text
            else FactCheck(method="none")
            for e, text in zip(examples, outputs, strict=True)
        ]
        scores.append(_score(system, examples, outputs, checks, run, seconds))
    return scores


def _score(system, examples, outputs, checks, run: Writing, seconds: float) -> SystemScores:
    checked = [c for c in checks if c.method != "none"]
    stated = sum(c.stated for c in checked)
    slots = sum(len(e.facts.slots) for e, c in zip(examples, checks, strict=True) if c.method == "slots")
    omitted = sum(len(c.omitted) for c in checks if c.method == "slots")
    references = [e.references for e in examples]
    assert run.scorer is not None  # Writing.__post_init__ sets it
    return SystemScores(
        system=system,
        examples=len(examples),
        rouge_l=rouge_l(outputs, references),
        bleu_4=bleu_4(outputs, references),
        factuality=sum(len(c.unsupported) for c in checked) / stated if stated else None,
        faithfulness=sum(len(c.contradicted) for c in checked) / stated if stated else None,
        facts_stated=stated,
        omission=omitted / slots if slots else None,
        style=run.scorer.consistency(outputs, run.style.name),
        seconds=seconds / max(len(examples), 1),
        outputs=outputs,
        checks=checks,
    )


def table(scores: Sequence[SystemScores]) -> str:
    """A Markdown table, one row per system."""

    def share(x: float | None) -> str:
        return "-" if x is None else f"{x:.1%}"

    rows = [
        "| system | ROUGE-L | BLEU-4 | unsupported facts | contradicted facts | facts stated | slots left out "
        "| style | s/text |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows += [
        f"| {s.system} | {s.rouge_l:.1f} | {s.bleu_4:.1f} | {share(s.factuality)} | {share(s.faithfulness)} | "
        f"{s.facts_stated} | {share(s.omission)} | {s.style:.2f} | {s.seconds:.1f} |"
        for s in scores
    ]
    return "\n".join(rows)
