"""What a graph run did, step by step, written to the run store as it happens.

`Journal` is a LangChain callback passed in the graph's config: LangGraph hands it every chat-model call made in
a node (a subgraph's calls under the node that runs it), with the node's name in the call's metadata and the role
in the model's own (`Session` sets it). `follow` walks the graph's stream of updates and records each step: the
node, its calls, their tokens and seconds, and what it produced, in the lines the caller's summary gives.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.runnables import RunnableConfig

from idealprompt.accounting import ROLE_KEY, count_prompt, count_tokens
from idealprompt.runs.store import Call, RunStore, Step

Usage = dict[str, dict[str, Any]]


class Journal(BaseCallbackHandler):
    run_inline = True  # recorded in the caller's thread, in call order

    def __init__(self) -> None:
        self._open: dict[UUID, tuple[str, str, list[BaseMessage], float]] = {}
        self._done: dict[str, list[Call]] = defaultdict(list)
        self._lock = threading.Lock()

    def on_chat_model_start(self, serialized, messages: list[list[BaseMessage]], *, run_id: UUID, **kwargs) -> None:
        metadata = kwargs.get("metadata") or {}
        with self._lock:
            self._open[run_id] = (_node(metadata), metadata.get(ROLE_KEY, "model"), messages[0], time.perf_counter())

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs) -> None:
        generation = response.generations[0][0] if response.generations and response.generations[0] else None
        cached = isinstance(generation, ChatGeneration) and bool(generation.message.response_metadata.get("cached"))
        self._close(run_id, _answer(generation), cached=cached)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs) -> None:
        self._close(run_id, f"[no answer: {type(error).__name__}: {error}]", cached=False)

    def on_tool_start(self, serialized, input_str: str, *, run_id: UUID, **kwargs) -> None:
        metadata, name = kwargs.get("metadata") or {}, (serialized or {}).get("name", "tool")
        call: list[BaseMessage] = [HumanMessage(f"{name}({input_str})")]
        with self._lock:
            self._open[run_id] = (_node(metadata), f"tool:{name}", call, time.perf_counter())

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs) -> None:
        self._close(run_id, str(getattr(output, "content", output)), cached=False)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs) -> None:
        self._close(run_id, f"[the tool failed: {type(error).__name__}: {error}]", cached=False)

    def take(self, node: str, step: int) -> list[Call]:
        """The calls made in `node` since it was last taken, as calls of `step`."""
        with self._lock:
            done = self._done.pop(node, [])
        return [c.model_copy(update={"step": step, "seq": i}) for i, c in enumerate(done)]

    def _close(self, run_id: UUID, answer: str, *, cached: bool) -> None:
        with self._lock:
            if (opened := self._open.pop(run_id, None)) is None:
                return
            node, role, messages, started = opened
            self._done[node].append(
                Call(
                    step=0,
                    seq=0,
                    role=role,
                    messages=[_message(m) for m in messages],
                    answer=answer,
                    prompt_tokens=count_prompt(messages),
                    completion_tokens=count_tokens(answer),
                    seconds=time.perf_counter() - started,
                    cached=cached,
                )
            )


class Recorder:
    """Writes a run's steps to the store as they end: each with the calls the journal took down for its node, the
    ledger's usage since the step before (`usage` reads it) and the summary lines given."""

    def __init__(self, store: RunStore, run: str, journal: Journal, usage: Callable[[], Usage]):
        self.store, self.run, self.journal, self.usage = store, run, journal, usage
        self.steps, self._before, self._started = 0, usage(), time.perf_counter()

    def step(self, node: str, lines: list[str]) -> int:
        self.steps, now = self.steps + 1, self.usage()
        record = Step(
            step=self.steps,
            node=node,
            seconds=time.perf_counter() - self._started,
            usage=_spent(self._before, now),
            summary=lines,
        )
        calls = self.journal.take(node, self.steps)
        self.store.step(self.run, record, calls, small_calls=now.get("small", {}).get("calls", 0))
        self._before, self._started = now, time.perf_counter()
        return self.steps


def _message(message: BaseMessage) -> dict[str, Any]:
    shown: dict[str, Any] = {"type": message.type, "content": message.content}
    if isinstance(message, AIMessage) and message.tool_calls:
        shown["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
    return shown


def _answer(generation: Any) -> str:
    """A model's answer as the trace shows it: its text, then each tool call it made."""
    if generation is None:
        return ""
    message = getattr(generation, "message", None)
    calls = message.tool_calls if isinstance(message, AIMessage) else []
    shown = [f"-> {c['name']}({json.dumps(c['args'], ensure_ascii=False)})" for c in calls]
    return "\n".join([generation.text, *shown] if generation.text else shown)


def follow(
    updates: Iterable[dict[str, Any]],
    *,
    store: RunStore,
    run: str,
    journal: Journal,
    usage: Callable[[], Usage],
    summary: Callable[[str, dict], list[str]],
) -> Iterator[tuple[int, str, dict, list[str]]]:
    """Record each step of a graph's `stream_mode="updates"` stream; yield (step, node, update, summary lines)."""
    recorder = Recorder(store, run, journal, usage)
    for update in updates:
        for node, values in update.items():
            if node.startswith("__"):  # LangGraph's own entries (interrupts)
                continue
            lines = summary(node, values or {})
            yield recorder.step(node, lines), node, values or {}, lines


def recorded(
    graph: Any,
    inputs: dict,
    config: RunnableConfig,
    *,
    context: Any,
    run: str,
    store: RunStore | None,
    started: dict[str, Any],
    usage: Callable[[], Usage],
    progress: Callable[[str, dict], None],
) -> dict:
    """Stream a compiled graph to its end and return its last state: each step told to `progress` and, with a
    store, recorded there with its calls (the run started with `started`, `RunStore.start`'s arguments); a run
    that raises is marked failed. The caller marks how it ended otherwise."""
    journal, recorder, state = Journal(), None, {}
    config = with_callback(config, journal)
    if store is not None:
        store.start(run, **started)
        recorder = Recorder(store, run, journal, usage)
    try:
        for mode, event in graph.stream(inputs, config, context=context, stream_mode=["updates", "values"]):
            if mode == "values":
                state = event
            for node, update in event.items() if mode == "updates" else ():
                if recorder is not None:
                    recorder.step(node, [])
                progress(node, update or {})
    except BaseException:
        if store is not None:
            store.finish(run, "failed")
        raise
    return state


def with_callback(config: RunnableConfig, handler: BaseCallbackHandler) -> RunnableConfig:
    """A caller's config with one more callback handler, whether its callbacks are a list or a manager."""
    callbacks = config.get("callbacks")
    if isinstance(callbacks, BaseCallbackManager):
        callbacks = callbacks.copy()
        callbacks.add_handler(handler, inherit=True)
        return {**config, "callbacks": callbacks}
    return {**config, "callbacks": [*(callbacks or []), handler]}


def _node(metadata: dict) -> str:
    """The top-level node a call was made in: a subgraph's calls carry its node's namespace ("warmup:<id>|...")."""
    namespace = metadata.get("langgraph_checkpoint_ns") or ""
    return namespace.split("|")[0].split(":")[0] or metadata.get("langgraph_node", "?")


def _spent(before: Usage, now: Usage) -> Usage:
    spent = {}
    for role, used in now.items():
        was = before.get(role, {})
        delta = {k: v - was.get(k, 0) for k, v in used.items() if isinstance(v, int | float)}
        if any(delta.values()):
            spent[role] = delta
    return spent
