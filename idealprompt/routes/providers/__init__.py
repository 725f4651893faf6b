"""Each provider's quirks, one small file each: how its chat model is made (`make`) and checked (`check`), and how
it is told a token limit, sampling, an output space (`reshape`) or a JSON answer (`json_kwargs`); `IMAGES`: whether
it may be sent images. `routes` picks the file by route; `routes.shape` by model."""

from __future__ import annotations

from types import ModuleType

from langchain_core.language_models import BaseChatModel


def for_route(provider: str) -> ModuleType:
    """The file of a route's provider: ours, or LangChain's `init_chat_model` for any other."""
    from idealprompt.routes.providers import embedded, langchain, ollama, openai

    return {"openai": openai, "ollama": ollama, "embedded": embedded}.get(provider, langchain)


def for_model(model: BaseChatModel) -> ModuleType:
    """The file that knows how to reshape `model`; a model no provider of ours made goes to `langchain`."""
    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    from idealprompt.routes.embedded import EmbeddedChatModel
    from idealprompt.routes.providers import embedded, langchain, ollama, openai

    kinds = ((EmbeddedChatModel, embedded), (ChatOllama, ollama), (ChatOpenAI, openai))
    return next((provider for kind, provider in kinds if isinstance(model, kind)), langchain)


def with_fields(model: BaseChatModel, **values: object) -> BaseChatModel:
    """A copy of `model` with those of `values` that are set (not None)."""
    update = {k: v for k, v in values.items() if v is not None}
    return model.model_copy(update=update) if update else model
