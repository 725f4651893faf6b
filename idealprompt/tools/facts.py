"""Fact checking of a written text against its input, per fact: what the text states that the input supports,
contradicts (a faithfulness error) or does not state at all (a factuality error, an invented fact).

Key-value facts are checked deterministically by slot matching (`facts.slots`): every mention of a known slot
value in the text is one fact. Free-text facts are checked by a model: it lists the text's claims, one fact
each, with a verdict against the input (structured output). Hallucination rates are per fact: unsupported
facts over stated facts (factuality), contradicted facts over stated facts (faithfulness).
"""

from __future__ import annotations

from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from idealprompt.facts import Facts
from idealprompt.facts.slots import E2E, SlotLexicon, check_slots
from idealprompt.prompts import writing as prompts
from idealprompt.routes import limit_tokens
from idealprompt.structured import ask_structured

CHECK_TOKENS = 768


class FactCheck(BaseModel):
    method: Literal["slots", "model", "none"]
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


class Claim(BaseModel):
    claim: str
    verdict: Literal["supported", "contradicted", "unsupported"]


class Claims(BaseModel):
    claims: list[Claim] = Field(description="every factual claim of the text, one fact each, with its verdict")


def check_facts(
    facts: Facts, text: str, *, model: BaseChatModel | None = None, lexicon: SlotLexicon | None = None
) -> FactCheck:
    """Slot matching when the facts are key-value (`lexicon`: by default E2E's; input values it does not know are
    matched word for word); otherwise the model's claim check, or method "none" without a model or when its answer
    is unusable."""
    if facts.slots:
        found = check_slots(facts.slots, text, lexicon or E2E)
        stated = {
            kind: [f"{m.slot}: {m.value}" for m in getattr(found, kind)]
            for kind in ("supported", "contradicted", "unsupported")
        }
        return FactCheck(method="slots", **stated, omitted=[f"{s}: {facts.slots[s]}" for s in found.omitted])
    if model is None:
        return FactCheck(method="none")
    messages = [
        SystemMessage(prompts.CHECK_SYSTEM),
        HumanMessage(prompts.CHECK_USER.format(facts=facts.render(), text=text)),
    ]
    answer = ask_structured(limit_tokens(model, CHECK_TOKENS), messages, Claims)
    if answer.value is None:
        return FactCheck(method="none")
    verdicts: dict[str, list[str]] = {"supported": [], "contradicted": [], "unsupported": []}
    for claim in answer.value.claims:
        verdicts[claim.verdict].append(claim.claim.strip())
    return FactCheck(method="model", **verdicts)


def facts_tool(facts: Facts, *, model: BaseChatModel | None = None, lexicon: SlotLexicon | None = None):
    """`check_facts` over `facts`, as a LangChain tool an agent can call."""

    @tool("check_facts")
    def check_facts_tool(text: str) -> str:
        """Check a text's facts against the input: what it states that the input contradicts or does not state.
        Answers 'ok' or one problem per line."""
        return "\n".join(check_facts(facts, text, model=model, lexicon=lexicon).problems()) or "ok"

    return check_facts_tool
