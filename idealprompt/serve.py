"""The graphs a LangGraph server serves (`langgraph.json`): JSON in, JSON out.

A client of `langgraph dev` (or LangGraph Platform, or Studio) cannot send a `Session` or a `Memory`: it sends the
run's context as JSON (routes, budget, a memory folder on the server), and the input (facts and a style; a task
file on the server). Each served graph builds the session and memory from that, runs the front door (`write`,
`optimize`) with its node's config, so the server's streams see every step and model call of the run inside, and
returns the result as JSON.

    client.runs.wait(thread, "write", input={"facts": {...}, "style": "tablenotes"}, context={"small_calls": 20})

The chat assistant (`idealprompt.assistant`) is served too: each of its steps builds its session from the same
JSON context, and its jobs (optimise, write) run with the context's routes, their own budgets apart.

    client.runs.stream(thread, "assistant", input={"messages": [{"role": "user", "content": "Scores?"}]},
                       stream_mode="messages-tuple")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict  # pydantic (the server's schemas) needs it on Python < 3.12

from idealprompt.accounting import Budget
from idealprompt.assistant import Assistance, build_assistant
from idealprompt.config import load_settings, location
from idealprompt.graphs.ideal import IdealOptions
from idealprompt.graphs.sag import WriteOptions
from idealprompt.ideal import optimize
from idealprompt.memory import Memory
from idealprompt.sag import write
from idealprompt.session import Session


# --- state and context ----------------------------------------------------------------------------------------------
class Served(TypedDict, total=False):
    """What a client says about the run: unset fields take the server's settings (idealprompt.toml, environment)."""

    small: str  # a route for the small (target) model, e.g. "embedded:qwen2.5-coder-0.5b", "ollama:qwen2.5:0.5b"
    large: str  # a route for the large model, e.g. "openai:gpt-4o-mini"
    small_calls: int  # the budget: small-model calls at most
    large_tokens: int  # large-model tokens at most
    memory: str  # a memory folder on the server (styles, exemplars, priors); unset: none


class ServedChat(Served, total=False):
    steps: int  # the assistant's tool calls a turn, at most (default 1)


class WriteState(TypedDict, total=False):
    facts: dict[str, Any] | str  # slot -> value, or free text
    style: str  # a built-in style, or one in the memory
    instruction: str
    options: dict[str, Any]  # WriteOptions
    result: dict[str, Any]  # WriteResult, as JSON


class OptimizeState(TypedDict, total=False):
    task: str  # a task file on the server
    options: dict[str, Any]  # IdealOptions
    result: dict[str, Any]  # OptimizeResult, as JSON


@contextmanager
def _opened(context: Served | None) -> Iterator[tuple[Session, Memory | None]]:
    context = context or {}
    routes = {role: context[role] for role in ("small", "large") if role in context}
    budget = Budget(small_calls=context.get("small_calls"), large_tokens=context.get("large_tokens"))
    memory = Memory.open(location(context["memory"])) if "memory" in context else None
    try:
        yield Session(load_settings(**routes), budget=budget), memory
    finally:
        if memory is not None:
            memory.close()


def _thread(config: RunnableConfig) -> str | None:
    return config.get("configurable", {}).get("thread_id")


# --- nodes ----------------------------------------------------------------------------------------------------------
def write_node(state: WriteState, runtime: Runtime[Served], config: RunnableConfig) -> WriteState:
    with _opened(runtime.context) as (session, memory):
        result = write(
            state["facts"],
            style=state.get("style", "neutral"),
            instruction=state.get("instruction"),
            session=session,
            memory=memory,
            options=WriteOptions.model_validate(state.get("options", {})),
            run_id=_thread(config),
            config=config,
        )
    return {"result": result.model_dump(mode="json")}


def optimize_node(state: OptimizeState, runtime: Runtime[Served], config: RunnableConfig) -> OptimizeState:
    with _opened(runtime.context) as (session, memory):
        result = optimize(
            state["task"],
            session=session,
            memory=memory,
            options=IdealOptions.model_validate(state.get("options", {})),
            run_id=_thread(config),
            config=config,
        )
    return {"result": result.model_dump(mode="json")}


def served_step(step: Callable[..., Any]) -> Callable[..., Any]:
    """One of the assistant's nodes for the server: the `Assistance` it runs with built from the JSON context."""

    def run(state: Any, runtime: Runtime[ServedChat]) -> Any:
        context = runtime.context or {}
        with _opened(context) as (session, memory):
            assistance = Assistance(session, memory, context.get("steps", 1))
            return step(state, cast("Runtime[Any]", runtime).override(context=assistance))

    return run


# --- edges and compile ----------------------------------------------------------------------------------------------
def _one_node(state: type, name: str, node) -> StateGraph[Any, Served, Any, Any]:
    graph: StateGraph[Any, Served, Any, Any] = StateGraph(state, context_schema=Served)
    graph.add_node(name, node)
    graph.add_edge(START, name)
    graph.add_edge(name, END)
    return graph


write_graph = _one_node(WriteState, "write", write_node).compile(name="write")
optimize_graph = _one_node(OptimizeState, "optimize", optimize_node).compile(name="optimize")
assistant_graph = build_assistant(context_schema=ServedChat, node=served_step)
