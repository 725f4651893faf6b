"""Fact checking of a written text against its input, per fact: what the text states that the input supports,
contradicts (a faithfulness error) or does not state at all (a factuality error, an invented fact).

Key-value facts are checked deterministically by slot matching (`facts.slots`): every mention of a known slot
value in the text is one fact. Free text and triples are checked by signals, each measurable on its own
(bench/factcheck.py), combined by one rule (`combine`):

- lexical (`facts.align`): names, numbers, dates, colours and people's sex in the text that the input lacks
  (invented) or replaces (contradicted), and sentences adding more content words than a paraphrase does; no
  model, about a millisecond a text;
- model (`scoring.claims`): the large model splits the text into claims and judges each against the input, one
  claim a call.

The rule: (1) lexical findings stand whatever the model says: a new number or name is a fact the model cannot talk
away, and the 1.5B model's misses were of exactly such obvious inventions; (2) the model's "contradicted" stands:
swaps, negations and wrong relations are invisible to words; (3) the model's "unsupported" is a contradiction when
the claim carries a word that the lexical signal found in place of one of the input's (the 1.5B model called "a
man" for "a woman" unsupported, never contradicted; read in the whole text, since a claim alone leaves out the
input's other words and would make every new word look like a substitution), and stands only when the claim has a
word the input lacks: a claim made wholly of the input's words restates it, and the model's false alarms were such
restatements. Mode "cheap" (or no model) is the lexical signal alone. Mode "entities" is the lexical signal without
its added-words rule: names, numbers, dates, colours and sex only, for text in a style, which adds words by design
(the flourishes of a house voice read as added content words: the cheap mode flagged 14 of 24 of the built-in
tablenotes texts, each faithful to its neutral version).

Hallucination rates are per fact: unsupported facts over stated facts (factuality), contradicted facts over
stated facts (faithfulness).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from idealprompt.facts import Facts
from idealprompt.facts.align import ALLOWED_WORDS, Alignment, align
from idealprompt.facts.slots import E2E, SlotLexicon, check_slots
from idealprompt.scoring.claims import JudgedClaim, judge_claims

Mode = Literal["full", "cheap", "entities"]  # full: lexical and model; cheap: lexical; entities: its entities


class FactCheck(BaseModel):
    method: Literal["slots", "combined", "lexical", "none"]
    supported: list[str] = Field(default_factory=list)
    contradicted: list[str] = Field(default_factory=list)
    unsupported: list[str] = Field(default_factory=list)
    omitted: list[str] = Field(default_factory=list)  # input facts the text leaves out (slot matching only)

    @property
    def stated(self) -> int:
        return len(self.supported) + len(self.contradicted) + len(self.unsupported)

    def problems(self) -> list[str]:
        return [f"{fact}: the input says otherwise" for fact in self.contradicted] + [
            f"{fact}: not in the input" for fact in self.unsupported
        ]


def source_text(facts: Facts) -> str:
    """The input as the lexical signal reads it: every slot, triple and free-text fact."""
    return facts.render()


def lexical(facts: Facts, text: str, *, entities_only: bool = False) -> FactCheck:
    """The lexical signal alone, as a check: each finding one fact, each supported sentence one fact;
    `entities_only`: without the added-words rule."""
    found = align(source_text(facts), text, allowed_words=sys.maxsize if entities_only else ALLOWED_WORDS)
    return FactCheck(method="lexical", **_lexical_facts(found))


def _lexical_facts(found: Alignment) -> dict[str, list[str]]:
    def said(units) -> list[str]:
        return list(dict.fromkeys(f'"{u.text}" in "{u.sentence}"' for u in units))

    flagged = {u.sentence for u in (*found.contradicted, *found.unsupported)}
    clean = list(dict.fromkeys(u.sentence for u in found.supported if u.sentence not in flagged))
    return {"supported": clean, "contradicted": said(found.contradicted), "unsupported": said(found.unsupported)}


def combine(facts: Facts, text: str, judged: Sequence[JudgedClaim]) -> FactCheck:
    """The rule of the module docstring: lexical findings, the model's contradictions, and the model's unsupported
    claims: contradicted when they carry a word the text put in place of the input's, kept when they add one."""
    source = source_text(facts)
    found = align(source, text)
    verdicts = _lexical_facts(found)
    verdicts["supported"] = []
    for claim in judged:
        verdict = claim.verdict
        if verdict == "unsupported":
            if found.replaced_in(claim.claim):
                verdict = "contradicted"
            elif not _adds_words(source, claim.claim):
                verdict = "supported"
        verdicts[verdict].append(claim.claim)
    return FactCheck(method="combined", **verdicts)


def _adds_words(source: str, claim: str) -> bool:
    found = align(source, claim, allowed_words=0)
    return bool(found.unsupported or found.contradicted or found.new_words)


def check_facts(
    facts: Facts,
    text: str,
    *,
    model: BaseChatModel | None = None,
    lexicon: SlotLexicon | None = None,
    mode: Mode = "full",
) -> FactCheck:
    """Slot matching when the facts are key-value (`lexicon`: by default E2E's; input values it does not know are
    matched word for word); otherwise the combined check, or the lexical signal alone in mode "cheap", without a
    model, or when the model's answer is unusable; its entities alone in mode "entities"."""
    if facts.slots:
        found = check_slots(facts.slots, text, lexicon or E2E)
        stated = {
            kind: [f"{m.slot}: {m.value}" for m in getattr(found, kind)]
            for kind in ("supported", "contradicted", "unsupported")
        }
        return FactCheck(method="slots", **stated, omitted=[f"{s}: {facts.slots[s]}" for s in found.omitted])
    if not text.strip():
        return FactCheck(method="none")
    judged = judge_claims(model, facts, text) if model is not None and mode == "full" else None
    if judged is None:
        return lexical(facts, text, entities_only=mode == "entities")
    return combine(facts, text, judged)
