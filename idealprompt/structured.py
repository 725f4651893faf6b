"""How agents ask a model: bounded text (`ask_text`), and structured output that small models can keep (JSON mode,
pydantic validation, bounded repair: `ask_structured`).

`ask_structured` never raises on a malformed answer: after `attempts` tries it returns a result with `value=None`
and every raw answer and error, so a run can skip one bad proposal and go on. Errors of the route itself (a server
down, a budget reached) are not answers and propagate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ValidationError

from idealprompt.prompts import structured as prompts
from idealprompt.routes import Shape, answering_json, shaped

T = TypeVar("T", bound=BaseModel)
MAX_ERROR_CHARS = 400  # enough for the model to see what was wrong; more only fills a small context


@dataclass
class Structured(Generic[T]):
    value: T | None
    answers: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None


def parse(text: str, schema: type[T]) -> T:
    """The first JSON object in `text` (code fences and chatter around it allowed), validated against `schema`.

    Raw line breaks and tabs inside strings are accepted (strict JSON forbids them): small models write
    multi-line text that way, even under a JSON grammar, and the meaning is plain.
    """
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object found in the answer")
    try:
        data = json.loads(text[start : end + 1], strict=False)
        json.dumps(data, ensure_ascii=False).encode()  # a lone surrogate could be neither sent nor written
        return schema.model_validate(data)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON: {e.msg} at character {e.pos}") from None
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone surrogate escape (such as \\ud800), which is not text") from None
    except ValidationError as e:
        raise ValueError(_describe(e)) from None


def _describe(error: ValidationError) -> str:
    parts = []
    for err in error.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "the object"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


class _Dialogue(Generic[T]):
    """The conversation of one structured request: the schema instruction, then each answer and its repair."""

    def __init__(self, model: BaseChatModel, messages: list[BaseMessage], schema: type[T], max_tokens: int | None):
        self.schema = schema
        self.bound = answering_json(shaped(model, Shape(max_tokens=max_tokens)), schema.model_json_schema())
        instruction = prompts.FORMAT.format(schema=json.dumps(schema.model_json_schema()))
        if messages and isinstance(messages[0], SystemMessage):
            self.conversation = [SystemMessage(f"{messages[0].text}\n\n{instruction}"), *messages[1:]]
        else:
            self.conversation = [SystemMessage(instruction), *messages]
        self.result: Structured[T] = Structured(value=None)

    def take(self, message: BaseMessage) -> bool:
        """Whether the answer validated; if not, the conversation now asks for a repair."""
        answer = message.text
        self.result.answers.append(answer)
        try:
            self.result.value = parse(answer, self.schema)
            return True
        except ValueError as e:
            self.result.errors.append(str(e)[:MAX_ERROR_CHARS])
        if _cut_off(message):  # the same request would be cut again: ask for less, without the long broken answer
            self.conversation = [*self.conversation, HumanMessage(prompts.CUT_OFF)]
        else:
            repair = prompts.REPAIR.format(error=self.result.errors[-1])
            self.conversation = [*self.conversation, AIMessage(answer), HumanMessage(repair)]
        return False


def _cut_off(message: BaseMessage) -> bool:
    """Whether the answer stopped at the token limit (OpenAI and llama.cpp say finish_reason, Ollama done_reason)."""
    metadata = message.response_metadata
    return "length" in (metadata.get("finish_reason"), metadata.get("done_reason"))


def ask_text(
    model: BaseChatModel,
    messages: list[BaseMessage],
    *,
    max_tokens: int | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    config: RunnableConfig | None = None,
) -> str:
    """The model's answer, in at most `max_tokens` tokens; sampled at `temperature` with `seed` when they are given
    (another answer to the same request). Streams when the caller streams (LangGraph's "messages" mode), because
    the model is invoked inside the caller's run."""
    shape = Shape(max_tokens=max_tokens, temperature=temperature, seed=seed)
    return shaped(model, shape).invoke(messages, config=config).text


def ask_structured(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[T],
    *,
    max_tokens: int | None = None,
    attempts: int = 3,
    config: RunnableConfig | None = None,
) -> Structured[T]:
    dialogue = _Dialogue(model, messages, schema, max_tokens)
    for _ in range(attempts):
        if dialogue.take(dialogue.bound.invoke(dialogue.conversation, config=config)):
            break
    return dialogue.result


async def aask_structured(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[T],
    *,
    max_tokens: int | None = None,
    attempts: int = 3,
    config: RunnableConfig | None = None,
) -> Structured[T]:
    dialogue = _Dialogue(model, messages, schema, max_tokens)
    for _ in range(attempts):
        if dialogue.take(await dialogue.bound.ainvoke(dialogue.conversation, config=config)):
            break
    return dialogue.result
