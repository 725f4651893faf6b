"""The tool-calling loop an agent runs before it answers: the model may call its tools for a few steps, and answers
by calling the answer's own tool (its schema), or in one structured call after the steps, with what the tools said.

A route that cannot bind tools, or answers in words instead of calling one, gets the structured path, and the
consultation says so. An agent whose answer is a text (`words`) has no answer tool: each of its turns calls a
tool, on a draft, and then it answers in words, told what the tools said (the 0.5B stylist, left to choose,
never called a tool on 30 E2E inputs: told to answer by calling `Text` it wrote "Text.", told to answer with the
text it wrote the instruction back). A tool that fails tells the model its error. A budget refusal is not a
tool's failure: it ends the agent's work like any other call's (the graph stops the run).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from idealprompt.errors import BudgetExhausted
from idealprompt.prompts import consult as prompts
from idealprompt.routes import Shape, shaped
from idealprompt.structured import ask_structured, ask_text

T = TypeVar("T", bound=BaseModel)
RESULT_CHARS = 1500  # a tool's answer as the model reads it next; the whole answer is in the trace


@dataclass
class Consultation(Generic[T]):
    answer: T | None
    calls: list[str] = field(default_factory=list)  # the tools called, in order: "show_bad_cases(page=2)"
    path: str = "tools"  # "tools": by its tool; "words": in words (a text agent); "structured": in one call after
    why: str = ""  # why the last ask, without tools, was made, if it was

    def said(self) -> str:
        """The consultation in a line, for the run's notes."""
        called = ", ".join(self.calls) or "no tool"
        how = {"tools": "answered by tool call", "words": "answered in words", "structured": "answered in JSON"}
        return f"called {called}; {how[self.path]}" + (f" ({self.why})" if self.why else "")


def consult(
    model: BaseChatModel,
    messages: list[BaseMessage],
    tools: Sequence[BaseTool],
    schema: type[T],
    steps: int,
    *,
    max_tokens: int | None = None,
    words: Callable[[str], T] | None = None,
) -> Consultation[T]:
    """Up to `steps` turns in which the model may call `tools`; it answers by calling `schema` as a tool. When it
    does not within the steps, one structured call (`ask_structured`) is asked, with the tools' answers. Each
    turn's answer has at most `max_tokens` tokens. `words`: for an agent whose answer is a text, no answer tool is
    offered: each of the `steps` turns calls one of `tools` (tool_choice "required"), and then the agent is asked
    plainly, told what they answered; its text is the answer, `words(text)`."""
    model = shaped(model, Shape(max_tokens=max_tokens))
    by_name = {t.name: t for t in tools}
    heard: list[tuple[str, str, str]] = []  # (the call, shortened; the call; its answer)
    try:
        bound = model.bind_tools([*tools], tool_choice="required") if words else model.bind_tools([*tools, schema])
    except NotImplementedError:
        return _last_ask(model, messages, schema, heard, "the route cannot call tools", words)
    names = ", ".join(by_name)
    hint = (
        prompts.TOOLS_THEN_TEXT.format(names=names)
        if words
        else prompts.TOOLS.format(names=names, answer=schema.__name__)
    )
    talk = [*messages[:-1], HumanMessage(f"{messages[-1].text}{hint}")]
    why = "" if words else f"{steps} steps without an answer"
    for _ in range(steps):
        reply = bound.invoke(talk)
        if not reply.tool_calls:  # (a route that does not hold a text agent to its tools: its words are the text)
            if words is not None and reply.text.strip():
                return Consultation(words(reply.text), [c for c, *_ in heard], path="words")
            why = "an empty answer" if words is not None else "it answered in words, not by a tool call"
            break
        results: list[BaseMessage] = []
        for call in reply.tool_calls:
            if call["name"] == schema.__name__:
                try:
                    return Consultation(schema.model_validate(call["args"]), [c for c, *_ in heard])
                except ValidationError as e:
                    result = prompts.BAD_ANSWER.format(error=_short(str(e)))
            elif (tool := by_name.get(call["name"])) is None:
                result = prompts.NO_SUCH_TOOL.format(name=call["name"], names=names)
            else:
                result = _run(tool, call["args"])
                heard.append(
                    (_shown(call["name"], call["args"]), _shown(call["name"], call["args"], RESULT_CHARS), result)
                )
            results.append(ToolMessage(_short(result), tool_call_id=call["id"] or call["name"], name=call["name"]))
        talk += [reply, *results]
    return _last_ask(model, messages, schema, heard, why, words)


def _run(tool: BaseTool, args: dict) -> str:
    try:
        return str(tool.invoke(args))
    except BudgetExhausted:
        raise
    except Exception as e:  # a tool's failure is told to the model, which may call it again, better
        return prompts.TOOL_FAILED.format(error=_short(f"{type(e).__name__}: {e}"))


def _last_ask(model, messages, schema, heard: list[tuple[str, str, str]], why: str, words) -> Consultation:
    """One call without tools, told what they answered: structured, or plain for a text agent (`words`)."""
    if heard:
        said = "\n".join(prompts.HEARD_ONE.format(call=call, result=_short(result)) for _, call, result in heard)
        messages = [*messages, HumanMessage((prompts.HEARD_TEXT if words else prompts.HEARD).format(heard=said))]
    calls = [call for call, *_ in heard]
    if words is not None:
        text = ask_text(model, messages)
        return Consultation(words(text) if text.strip() else None, calls, path="words", why=why)
    return Consultation(ask_structured(model, messages, schema).value, calls, path="structured", why=why)


def _shown(name: str, args: dict, limit: int = 40) -> str:
    values = ", ".join(f"{k}={_short(json.dumps(v, ensure_ascii=False), limit)}" for k, v in args.items())
    return f"{name}({values})"


def _short(text: str, limit: int = RESULT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
