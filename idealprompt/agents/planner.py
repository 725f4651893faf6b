"""The planner agent (SAG's frozen large model): from an instruction and the input facts, a neutral content plan,
the facts to state in order, as structured output. The plan carries no style: that is the stylist's job."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from idealprompt.facts import Facts
from idealprompt.prompts import writing as prompts
from idealprompt.structured import Structured, ask_structured

PLAN_TOKENS = 512  # a plan is a few sentences per fact


class ContentPlan(BaseModel):
    facts: list[str] = Field(description="the facts to state, in order, one plain sentence each")


def plan_messages(facts: Facts, instruction: str) -> list:
    user = prompts.PLAN_USER.format(instruction=instruction, facts=facts.render())
    return [SystemMessage(prompts.PLAN_SYSTEM), HumanMessage(user)]


def plan(model: BaseChatModel, *, facts: Facts, instruction: str) -> Structured[ContentPlan]:
    """The plan, or (value None) every answer and why it was unusable, for the caller to fall back on."""
    answer = ask_structured(model, plan_messages(facts, instruction), ContentPlan, max_tokens=PLAN_TOKENS)
    if answer.value is not None:
        answer.value.facts = [f.strip() for f in answer.value.facts if f.strip()]
        if not answer.value.facts:
            return Structured(None, answer.answers, [*answer.errors, "the plan states no fact"])
    return answer
