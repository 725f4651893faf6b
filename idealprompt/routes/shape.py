"""What a caller asks of a model beyond its route: a token limit, sampling, an output space, a JSON answer.

`shaped(model, Shape(...))` is the one way a model is reshaped; callers reach it through `Session.model(role, ...)`
and `structured.ask_*`. How each provider is told lives in `providers/`. A model wrapped by us (the privacy guard,
Ray actors) is reshaped inside and wrapped again; a model of the caller's that no provider knows keeps its own
settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable

from idealprompt.routes import providers
from idealprompt.routes.wrapping import WrappingChatModel


@dataclass(frozen=True)
class Shape:
    max_tokens: int | None = None
    temperature: float | None = None  # with `seed`: another answer to the same request, the same one on a rerun
    seed: int | None = None
    # An output space: a GBNF grammar where llama.cpp runs, else its JSON schema; `labels` (scored answers): the
    # embedded route scores them instead of decoding. A server that reads neither answers freely.
    grammar: str | None = None
    schema: dict | None = None
    labels: tuple[str, ...] | None = None


def shaped(model: BaseChatModel, shape: Shape) -> BaseChatModel:
    """`model` as `shape` asks (a copy: its callbacks and cache kept)."""
    if isinstance(model, WrappingChatModel):
        return model.around(shaped(model.inner, shape))
    return providers.for_model(model).reshape(model, shape)


def answering_json(model: BaseChatModel, schema: dict) -> Runnable[LanguageModelInput, AIMessage]:
    """`model` bound to answer JSON of `schema`, as strictly as its provider allows (validation is ours anyway)."""
    inner = _innermost(model)  # a wrapper sends its inner model the kwargs it is bound with
    kwargs = providers.for_model(inner).json_kwargs(inner, schema)
    return model.bind(**kwargs) if kwargs else model


def accepts_images(model: BaseChatModel) -> bool:
    """Whether images may be sent to `model` as message content parts (servers are trusted to serve a vision model
    when asked for one; one that cannot answers with an error that names the model)."""
    return providers.for_model(_innermost(model)).IMAGES


def _innermost(model: BaseChatModel) -> BaseChatModel:
    while isinstance(model, WrappingChatModel):
        model = model.inner
    return model
