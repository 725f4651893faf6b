"""A scripted chat model for unit tests of control flow: it answers from a script and records what it was sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

Step = str | AIMessage | Exception | Callable[[list[BaseMessage]], str | AIMessage]


class ScriptedChatModel(BaseChatModel):
    script: list[Any]  # of Step: plain, so pydantic does not coerce an exception into a message
    received: list[list[BaseMessage]] = Field(default_factory=list)
    kwargs_seen: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], tool_choice=tool_choice, **kwargs)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        self.received.append(messages)
        self.kwargs_seen.append(kwargs)
        if len(self.received) > len(self.script):
            raise AssertionError(f"the script has {len(self.script)} answers; call {len(self.received)} wanted more")
        step = self.script[len(self.received) - 1]
        if isinstance(step, Exception):
            raise step
        answer = step(messages) if callable(step) else step
        message = answer if isinstance(answer, AIMessage) else AIMessage(answer)
        return ChatResult(generations=[ChatGeneration(message=message)])
