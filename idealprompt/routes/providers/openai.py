"""`openai:<model>`: the OpenAI API, or an OpenAI-compatible server (llama.cpp's, vLLM) at `openai_base_url`."""

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


def make(route: Route, settings: Settings, progress=None) -> BaseChatModel:
    import httpx
    from langchain_openai import ChatOpenAI

    from idealprompt.routes.retrying import AsyncRetryingTransport, RetryingTransport

    compatible = settings.openai_base_url is not None
    if not (settings.openai_api_key or compatible):
        raise RouteError(f"route {route.spec} needs OPENAI_API_KEY, or OPENAI_BASE_URL for a compatible server")
    return ChatOpenAI(
        model=route.model,
        api_key=settings.openai_api_key or "not-needed",  # compatible servers often take any key
        base_url=settings.openai_base_url,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        # llama.cpp's server and others ignore OpenAI's newer max_completion_tokens; say it their way too.
        extra_body={"max_tokens": settings.max_tokens} if compatible else None,
        seed=settings.seed,
        timeout=settings.timeout,
        # Our retries, not the client's: it also retries a request that timed out while the model answered,
        # which held a call to a server that never answers for three timeouts.
        max_retries=0,
        http_client=httpx.Client(transport=RetryingTransport()),
        http_async_client=httpx.AsyncClient(transport=AsyncRetryingTransport()),
    )


def check(route: Route, settings: Settings) -> str:
    import openai

    from idealprompt.routes import shown_url

    client = openai.OpenAI(
        api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed",
        base_url=settings.openai_base_url,
        timeout=5,
        max_retries=0,
    )
    where = shown_url(settings.openai_base_url) if settings.openai_base_url else "the OpenAI API"
    try:
        served = [m.id for m in client.models.list()]
    except openai.APIError as e:
        raise RouteError(
            f"{route.spec}: {where} did not answer ({e}); check OPENAI_BASE_URL / OPENAI_API_KEY"
        ) from None
    if served and route.model not in served and settings.openai_base_url is None:
        raise RouteError(f"{route.spec}: the OpenAI API does not list model {route.model!r}")
    return f"{where} answers; serves {', '.join(served[:3]) or 'its model'}"


def reshape(model, shape: Shape) -> BaseChatModel:
    """A compatible server reads `max_tokens` and llama.cpp's `grammar` from the request body; the API holds an
    output space by strict structured outputs (a compatible server that is not llama.cpp ignores `grammar` and
    answers freely, to be read by the parser as in free mode)."""
    compatible = bool(model.openai_api_base)
    extra = dict(model.extra_body or {})
    kwargs = model.model_kwargs
    if compatible and shape.max_tokens is not None:
        extra["max_tokens"] = shape.max_tokens
    if shape.grammar is not None or shape.schema is not None:
        if compatible:
            extra["grammar"] = shape.grammar
        else:
            strict = {"name": "answer", "schema": shape.schema, "strict": True}
            kwargs = {**kwargs, "response_format": {"type": "json_schema", "json_schema": strict}}
    model = with_fields(model, max_tokens=shape.max_tokens, temperature=shape.temperature, seed=shape.seed)
    return model.model_copy(update={"extra_body": extra or None, "model_kwargs": kwargs})


def json_kwargs(model, schema: dict) -> dict:
    if model.openai_api_base:  # compatible servers (llama.cpp, vLLM) take the schema inside json_object
        return {"response_format": {"type": "json_object", "schema": schema}}
    return {"response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}}
