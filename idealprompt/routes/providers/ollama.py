"""`ollama:<model>`: a local Ollama server at `ollama_host`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.language_models import BaseChatModel

from idealprompt.config import Settings
from idealprompt.errors import RouteError
from idealprompt.routes.providers import with_fields

if TYPE_CHECKING:
    from idealprompt.routes import Route
    from idealprompt.routes.shape import Shape

IMAGES = True
PROBE_SECONDS = 0.5  # a local Ollama answers in milliseconds; a missing one refuses at once


def make(route: Route, settings: Settings, progress=None) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    from idealprompt.routes.retrying import AsyncRetryingTransport, RetryingTransport

    return ChatOllama(
        model=route.model,
        base_url=settings.ollama_host,
        temperature=settings.temperature,
        num_predict=settings.max_tokens,
        seed=settings.seed,
        client_kwargs={"timeout": settings.timeout},
        # Ollama's client does not retry; a transient error would score an example 0.
        sync_client_kwargs={"transport": RetryingTransport()},
        async_client_kwargs={"transport": AsyncRetryingTransport()},
    )


def check(route: Route, settings: Settings) -> str:
    listed = models(settings.ollama_host, timeout=5)
    if listed is None:
        raise RouteError(
            f"{route.spec}: no Ollama server answers at {settings.ollama_host}; start it or set OLLAMA_HOST"
        )
    if not serves(listed, route.model):
        raise RouteError(f"{route.spec}: Ollama at {settings.ollama_host} lacks it; run `ollama pull {route.model}`")
    return f"Ollama at {settings.ollama_host} serves it"


def reshape(model, shape: Shape) -> BaseChatModel:
    held = shape.schema if shape.grammar is not None or shape.schema is not None else None  # Ollama reads schemas
    return with_fields(model, num_predict=shape.max_tokens, temperature=shape.temperature, seed=shape.seed, format=held)


def json_kwargs(model, schema: dict) -> dict:
    return {"format": schema}


def models(host: str, timeout: float = PROBE_SECONDS) -> list[str] | None:
    """The models an Ollama server lists, or None when none answers."""
    import ollama

    try:
        return [m.model for m in ollama.Client(host=host, timeout=timeout).list().models if m.model is not None]
    except Exception:  # refused, timed out, or not Ollama: all mean "no Ollama here"
        return None


def serves(served: list[str], model: str) -> bool:
    return model in served or f"{model}:latest" in served
