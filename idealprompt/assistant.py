"""A chat assistant on the project's graphs: it talks with the user and runs them as tools.

    from langgraph.checkpoint.memory import InMemorySaver
    graph = build_assistant(InMemorySaver())
    config = {"configurable": {"thread_id": "chat"}}
    for token, meta in graph.stream({"messages": [("user", "Write name[The Eagle], food[Italian] in tablenotes")]},
                                    config, context=Assistance(Session()), stream_mode="messages"):
        if meta["langgraph_node"] == "respond": print(token.content, end="")

Each turn the model chooses its next step by calling one tool, `reply` among them: the call is required, since a
small model asked to choose between words and a call often does neither well (measured on the embedded 1.5B
model). `act` runs the chosen tool; `respond` streams the answer in words from what the tools returned. One tool
a turn by default (`steps`): asked again after a tool answered, the 1.5B model calls it again rather than reply.
The model sees earlier turns as words only (its calls and their results folded in), so that it neither repeats an
old call nor answers in the shape of one. The tools run the front doors: `optimize` (with the budget the user
names), `write`, and the run store, where both record their runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.runtime import Runtime
from typing_extensions import TypedDict  # pydantic (LangGraph server schemas) needs it on Python < 3.12

from idealprompt.accounting import Budget
from idealprompt.errors import IdealpromptError
from idealprompt.ideal import optimize
from idealprompt.memory import Memory
from idealprompt.prompts import assistant as prompts
from idealprompt.runs import RunStore
from idealprompt.sag import write
from idealprompt.session import Session


# --- state and context ----------------------------------------------------------------------------------------------
class AssistantState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


@dataclass
class Assistance:
    session: Session  # the assistant's own model (the large role), and the settings its jobs run with
    memory: Memory | None = None  # priors and styles for its jobs; None: none (built-in styles only)
    steps: int = 1  # tool calls a turn, at most


@tool(description=prompts.REPLY)
def reply() -> str:
    return ""


def assistant_tools(run: Assistance) -> list[BaseTool]:
    """The project's jobs as tools, each with a session of its own (its budget apart from the chat's), metered in
    the assistant's ledger as `tool:NAME`; every job is recorded in the run store of the settings."""
    settings, memory = run.session.settings, run.memory
    store = RunStore(settings.runs)

    @tool
    def optimize_prompt(task_file: str, budget: int = 100) -> str:
        """Optimise the prompt of a task file (YAML or JSON) for the small model, within a budget of small-model
        calls; returns the optimised prompt and its scores against the seed prompt's."""
        session = Session(settings, budget=Budget(small_calls=budget))
        result = optimize(task_file, session=session, memory=memory, runs=store)
        scores = {"seed": result.seed.model_dump(), "optimized": result.optimized.model_dump()}
        return json.dumps({"prompt": result.prompt, "scores": scores, "stopped": result.stopped, "run": result.run_id})

    @tool
    def write_in_style(facts: str, style: str = "neutral") -> str:
        """Write a short text that states the given facts (slot[value] pairs, or plain sentences) in a house style
        (neutral, tablenotes, or one in the memory); returns the text and its fact check."""
        result = write(facts, style=style, session=Session(settings), memory=memory, runs=store)
        return json.dumps({"text": result.text, "check": result.check, "style": result.style, "run": result.run_id})

    @tool
    def last_run_scores() -> str:
        """The last run (an optimisation or a writing): its kind, task or style, status, scores and calls."""
        runs = store.runs()
        if not runs:
            return prompts.NO_RUN
        last = runs[0]
        shown = {"run": last.id, "kind": last.kind, "task": last.task, "status": last.status, "best": last.best}
        return json.dumps(shown | {"scores": last.scores, "calls": last.calls, "budget": last.budget})

    return run.session.tools([optimize_prompt, write_in_style, last_run_scores])


def _this_turn(messages: list[AnyMessage]) -> list[AnyMessage]:
    starts = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    return messages[starts[-1] :] if starts else messages


def _in_words(messages: list[AnyMessage]) -> list[AnyMessage]:
    """The conversation as words: the user's messages and the answers; what tools returned is told to the model
    after the message that asked for it."""
    told: list[AnyMessage] = []
    for m in messages:
        if isinstance(m, ToolMessage):
            told.append(HumanMessage(prompts.TOOL_SAID.format(name=m.name, result=m.text)))
        elif not (isinstance(m, AIMessage) and m.tool_calls):
            told.append(m)
    return told


# --- nodes ----------------------------------------------------------------------------------------------------------
def decide(state: AssistantState, runtime: Runtime[Assistance]) -> AssistantState:
    run = runtime.context
    called = [m for m in _this_turn(state["messages"]) if isinstance(m, ToolMessage)]
    if len(called) >= run.steps:
        return {"messages": []}  # enough tools this turn: the answer
    model = run.session.model("large").bind_tools([*assistant_tools(run), reply], tool_choice="required")
    answer = model.invoke([SystemMessage(prompts.SYSTEM), *_in_words(state["messages"])])
    if isinstance(answer, AIMessage) and answer.tool_calls and answer.tool_calls[0]["name"] != reply.name:
        return {"messages": [answer.model_copy(update={"tool_calls": answer.tool_calls[:1]})]}
    if answer.text.strip() and not answer.tool_calls:  # a route that answered in words instead: that is the answer
        return {"messages": [answer]}
    return {"messages": []}  # reply: the answer comes from `respond`, streamed


def act(state: AssistantState, runtime: Runtime[Assistance]) -> AssistantState:
    call = state["messages"][-1].tool_calls[0]  # type: ignore[union-attr]
    tools = {t.name: t for t in assistant_tools(runtime.context)}
    try:
        told = tools[call["name"]].invoke(call)
    except (IdealpromptError, OSError, KeyError, ValueError) as e:  # the model hears it and tells the user
        told = ToolMessage(prompts.TOOL_FAILED.format(name=call["name"], error=e), tool_call_id=call["id"])
    return {"messages": [told]}


def respond(state: AssistantState, runtime: Runtime[Assistance]) -> AssistantState:
    model = runtime.context.session.model("large")
    answer = model.invoke([SystemMessage(prompts.RESPOND), *_in_words(state["messages"])])
    return {"messages": [answer]}


# --- edges ----------------------------------------------------------------------------------------------------------
def after_decide(state: AssistantState) -> str:
    last = state["messages"][-1]
    if isinstance(last, AIMessage):
        return "act" if last.tool_calls else END  # a call to run, or an answer already given in words
    return "respond"


# --- compile --------------------------------------------------------------------------------------------------------
def build_assistant(
    checkpointer: BaseCheckpointSaver | None = None,
    *,
    context_schema: type = Assistance,
    node: Callable[[Callable], Callable] = lambda n: n,
):
    """The assistant's graph. A server, whose context is JSON, passes its `context_schema` and a `node` wrapper that
    builds the `Assistance` each node runs with from it (idealprompt.serve)."""
    graph = StateGraph(AssistantState, context_schema=context_schema)
    graph.add_node("decide", node(decide))
    graph.add_node("act", node(act))
    graph.add_node("respond", node(respond))
    graph.add_edge(START, "decide")
    graph.add_conditional_edges("decide", after_decide, ["act", "respond", END])
    graph.add_edge("act", "decide")
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer, name="assistant")
