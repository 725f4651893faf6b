"""The demo job: the large role plans a short text from facts, the small role writes it.

It exercises both routes, structured output and the ledger end to end. (It is the main job until the optimiser
lands; the SAG graph grows from the same two steps.)
"""

from __future__ import annotations

import operator
from typing import Annotated

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic (LangGraph server schemas) needs it on Python < 3.12

from idealprompt.errors import BudgetExhausted
from idealprompt.prompts import demo as prompts
from idealprompt.session import Session
from idealprompt.structured import ask_structured

SAMPLE_FACTS = {
    "product": "Trailhead 2 hiking boot",
    "weight": "410 g per boot",
    "upper": "recycled nylon with a waterproof membrane",
    "sole": "Vibram rubber",
    "price": "149 EUR",
}


# --- state -------------------------------------------------------------------------------------------------------
class DemoState(TypedDict, total=False):
    facts: dict[str, str]
    style: str
    plan: list[str]
    text: str
    notes: Annotated[list[str], operator.add]
    stopped: str  # why the run stopped early (a budget), if it did


class Plan(BaseModel):
    sentences: list[str] = Field(description="one plain sentence per fact, in order")


# --- nodes -------------------------------------------------------------------------------------------------------
# The context is the Session itself. LangGraph takes any object as context (it coerces only dicts), but its
# ContextT bound names only the schema types (TypedDict, dataclass, pydantic model).
def plan(state: DemoState, runtime: Runtime[Session]) -> DemoState:  # type: ignore[type-var]
    facts = "\n".join(f"- {key}: {value}" for key, value in state["facts"].items())
    messages = [
        SystemMessage(prompts.PLAN_SYSTEM),
        HumanMessage(prompts.PLAN_USER.format(style=state.get("style", "friendly"), facts=facts)),
    ]
    try:
        answer = ask_structured(runtime.context.data_model("large"), messages, Plan)
    except BudgetExhausted as e:
        return {"stopped": str(e)}
    if answer.value is not None and answer.value.sentences:
        return {"plan": answer.value.sentences}
    # The facts themselves are a faithful (if plain) plan: the run goes on and says what happened.
    note = f"planner gave no usable plan ({'; '.join(answer.errors) or 'empty'}): writing from the facts"
    return {"plan": [f"{k}: {v}" for k, v in state["facts"].items()], "notes": [note]}


def write(state: DemoState, runtime: Runtime[Session]) -> DemoState:  # type: ignore[type-var]  # see `plan`
    style = state.get("style", "friendly")
    messages = [
        SystemMessage(prompts.WRITE_SYSTEM.format(style=style)),
        HumanMessage(prompts.WRITE_USER.format(plan="\n".join(f"- {s}" for s in state["plan"]))),
    ]
    try:
        return {"text": runtime.context.model("small").invoke(messages).text.strip()}
    except BudgetExhausted as e:
        return {"stopped": str(e)}


# --- edges -------------------------------------------------------------------------------------------------------
def after_plan(state: DemoState) -> str:
    return END if state.get("stopped") else "write"


# --- compile -----------------------------------------------------------------------------------------------------
def build_demo_graph(checkpointer: BaseCheckpointSaver | None = None):
    graph = StateGraph(DemoState, context_schema=Session)  # type: ignore[type-var]  # see `plan`
    graph.add_node("plan", plan)
    graph.add_node("write", write)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", after_plan, ["write", END])
    graph.add_edge("write", END)
    return graph.compile(checkpointer=checkpointer)
