"""The tool-calling loop an agent runs before it answers: the model may call its tools for a few steps, and answers
by calling the answer's own tool (its schema), or in one structured call after the steps, with what the tools said.

A route that cannot bind tools, or answers in words instead of calling one, gets the structured path, and the
consultation says so; a tool that fails tells the model its error. A budget refusal is not a tool's failure: it
ends the agent's work like any other call's (the graph stops the run).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from idealprompt.errors import BudgetExhausted
from idealprompt.prompts import consult as prompts
from idealprompt.routes import Shape, shaped
from idealprompt.structured import ask_structured

T = TypeVar("T", bound=BaseModel)
RESULT_CHARS = 1500  # a tool's answer as the model reads it next; the whole answer is in the trace


@dataclass
class Consultation(Generic[T]):
    answer: T | None
    calls: list[str] = field(default_factory=list)  # the tools called, in order: "show_bad_cases(page=2)"
    path: str = "tools"  # "tools": answered by its tool; "structured": in one structured call after the steps
    why: str = ""  # why the structured path was taken, if it was

    def said(self) -> str:
        """The consultation in a line, for the run's notes."""
        called = ", ".join(self.calls) or "no tool"
        return f"called {called}; " + (
            "answered by tool call" if self.path == "tools" else f"answered in JSON ({self.why})"
        )


def consult(
    model: BaseChatModel,
    messages: list[BaseMessage],
    tools: Sequence[BaseTool],
    schema: type[T],
    steps: int,
    *,
    max_tokens: int | None = None,
) -> Consultation[T]:
    """Up to `steps` turns in which the model may call `tools`; it answers by calling `schema` as a tool. When it
    does not within the steps, one structured call (`ask_structured`) is asked, with the tools' answers. Each
    turn's answer has at most `max_tokens` tokens."""
    model = shaped(model, Shape(max_tokens=max_tokens))
    by_name = {t.name: t for t in tools}
    heard: list[tuple[str, str]] = []  # (the call, its answer)
    try:
        bound = model.bind_tools([*tools, schema])
    except NotImplementedError:
        return _structured(model, messages, schema, heard, "the route cannot call tools")
    names = ", ".join(by_name)
    talk = [
        *messages[:-1],
        HumanMessage(f"{messages[-1].text}{prompts.TOOLS.format(names=names, answer=schema.__name__)}"),
    ]
    why = f"{steps} steps without an answer"
    for _ in range(steps):
        reply = bound.invoke(talk)
        if not reply.tool_calls:
            why = "it answered in words, not by a tool call"
            break
        results: list[BaseMessage] = []
        for call in reply.tool_calls:
            if call["name"] == schema.__name__:
                try:
                    return Consultation(schema.model_validate(call["args"]), [c for c, _ in heard])
                except ValidationError as e:
                    result = prompts.BAD_ANSWER.format(error=_short(str(e)))
            elif (tool := by_name.get(call["name"])) is None:
                result = prompts.NO_SUCH_TOOL.format(name=call["name"], names=names)
            else:
                result = _run(tool, call["args"])
                heard.append((_shown(call["name"], call["args"]), result))
            results.append(ToolMessage(_short(result), tool_call_id=call["id"] or call["name"], name=call["name"]))
        talk += [reply, *results]
    return _structured(model, messages, schema, heard, why)


def _run(tool: BaseTool, args: dict) -> str:
    try:
        return str(tool.invoke(args))
    except BudgetExhausted:
        raise
    except Exception as e:  # a tool's failure is told to the model, which may call it again, better
        return prompts.TOOL_FAILED.format(error=_short(f"{type(e).__name__}: {e}"))


def _structured(model, messages, schema, heard: list[tuple[str, str]], why: str) -> Consultation:
    if heard:
        said = "\n".join(prompts.HEARD_ONE.format(call=call, result=_short(result)) for call, result in heard)
        messages = [*messages, HumanMessage(prompts.HEARD.format(heard=said))]
    answer = ask_structured(model, messages, schema).value
    return Consultation(answer, [call for call, _ in heard], path="structured", why=why)


def _shown(name: str, args: dict) -> str:
    values = ", ".join(f"{k}={_short(json.dumps(v, ensure_ascii=False), 40)}" for k, v in args.items())
    return f"{name}({values})"


def _short(text: str, limit: int = RESULT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
