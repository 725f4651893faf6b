"""The model signal of the fact check: the text split into claims, then each claim judged against the input on its
own (one call a claim), by the large model with structured output.

One claim a call costs more calls than one long list of verdicts, but each call is a small question with the
source in view: a small model asked for a verdict on ten claims at once marks nearly all of them supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from idealprompt.facts import Facts
from idealprompt.prompts import writing as prompts
from idealprompt.structured import ask_structured

Verdict = Literal["supported", "contradicted", "unsupported"]
CLAIMS_TOKENS = 384
VERIFY_TOKENS = 128  # a quote and a verdict
MAX_CLAIMS = 12  # a text of the writing loop states a handful; past this the model is listing words


class ClaimList(BaseModel):
    claims: list[str] = Field(description="the text's factual claims, one fact each, in the text's own words")


class Judgement(BaseModel):
    evidence: str = Field(description="the words of the source the claim rests on, or none")
    verdict: Verdict


@dataclass(frozen=True)
class JudgedClaim:
    claim: str
    verdict: Verdict


def decompose(model: BaseChatModel, text: str) -> list[str] | None:
    """The text's claims, or None when the model's answer is unusable."""
    messages = [SystemMessage(prompts.CHECK_SYSTEM), HumanMessage(prompts.CLAIMS_USER.format(text=text))]
    answer = ask_structured(model, messages, ClaimList, max_tokens=CLAIMS_TOKENS)
    if answer.value is None:
        return None
    return [c.strip() for c in answer.value.claims if c.strip()][:MAX_CLAIMS]


def judge(model: BaseChatModel, facts: Facts, claim: str) -> Verdict | None:
    """The verdict on one claim against the facts, or None when the answer is unusable."""
    messages = [
        SystemMessage(prompts.CHECK_SYSTEM),
        HumanMessage(prompts.VERIFY_USER.format(facts=facts.render(), claim=claim)),
    ]
    answer = ask_structured(model, messages, Judgement, max_tokens=VERIFY_TOKENS)
    return answer.value.verdict if answer.value else None


def judge_claims(model: BaseChatModel, facts: Facts, text: str) -> list[JudgedClaim] | None:
    """Every claim of the text with its verdict (claims without a usable verdict left out), or None when the text
    could not be split into claims."""
    claims = decompose(model, text)
    if claims is None:
        return None
    judged = [(claim, judge(model, facts, claim)) for claim in claims]
    return [JudgedClaim(claim, verdict) for claim, verdict in judged if verdict]
