"""Routes: each role's model is named by a string `provider:model` and made into a LangChain chat model.

This is the one seam for models: everything above it (tools, agents, graphs) sees a `BaseChatModel`.

- `openai:<model>`: the OpenAI API, or any OpenAI-compatible server when `openai_base_url` is set.
- `ollama:<model>`: a local Ollama server at `ollama_host`.
- `embedded:<name>`: a GGUF from registry packages, run in this process (see `catalog`); or
  `embedded:<path>.gguf`, a GGUF file of the user's. Needs the `embedded` extra (llama-cpp-python).
- any other `<provider>:<model>` (`anthropic:...`, `google_genai:...`): LangChain's `init_chat_model`, when that
  provider's LangChain package is installed.

Unset roles are chosen from what is available: `large` goes to the API when a key or base URL is configured,
`small` goes to Ollama when its server serves `ollama_model`; otherwise both run embedded models, offline, when
the `embedded` extra is installed.
"""

from __future__ import annotations

import importlib.util
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableBinding

from idealprompt.config import Settings
from idealprompt.errors import RouteError
from idealprompt.routes import catalog
from idealprompt.routes.wrapping import WrappingChatModel

ROLES = ("large", "small")
PROVIDERS = ("openai", "ollama", "embedded")  # ours; any other goes to LangChain's init_chat_model
PROBE_SECONDS = 0.5  # a local Ollama answers in milliseconds; a missing one refuses at once
EMBEDDED_EXTRA = "pip install 'idealprompt[embedded]' (it compiles llama.cpp: minutes, and a C/C++ compiler)"


def embedded_available() -> bool:
    """Whether llama-cpp-python, which the `embedded:` routes run on, is installed (looked up, not imported)."""
    return importlib.util.find_spec("llama_cpp") is not None


@dataclass(frozen=True)
class Route:
    spec: str
    reason: str = "configured"

    @property
    def provider(self) -> str:
        return self.spec.partition(":")[0]

    @property
    def model(self) -> str:
        return self.spec.partition(":")[2]

    def __post_init__(self):
        if not self.provider.isidentifier() or not self.model:
            raise RouteError(
                f"bad route {self.spec!r}: write provider:model with provider one of {', '.join(PROVIDERS)} or a "
                "provider of LangChain's init_chat_model, e.g. openai:gpt-4o-mini, ollama:qwen2.5:0.5b, "
                "embedded:qwen2.5-coder-0.5b, anthropic:claude-sonnet-4-5"
            )


def resolve(role: str, settings: Settings) -> Route:
    """The route in force for a role, and why."""
    if role not in ROLES:
        raise RouteError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if configured := getattr(settings, role):
        return Route(configured, f"set by `{role}` (IDEALPROMPT_{role.upper()} or idealprompt.toml)")
    if role == "large":
        if settings.openai_api_key or settings.openai_base_url:
            return Route(f"openai:{settings.openai_model}", "an OpenAI key or base URL is configured")
        return _embedded(role, settings.embedded_large, "no OPENAI_API_KEY or OPENAI_BASE_URL")
    served = ollama_models(settings.ollama_host)
    if served is not None and _ollama_serves(served, settings.ollama_model):
        return Route(f"ollama:{settings.ollama_model}", f"Ollama at {settings.ollama_host} serves it")
    if served is None:
        why = f"no Ollama server answers at {settings.ollama_host}"
    else:
        why = f"Ollama at {settings.ollama_host} does not serve {settings.ollama_model}"
    return _embedded(role, settings.embedded_small, why)


def _embedded(role: str, model: str, why: str) -> Route:
    """The embedded default for a role, if its extra is installed; else what to set instead."""
    if embedded_available():
        return Route(f"embedded:{model}", why)
    other = (
        "OPENAI_BASE_URL (an OpenAI-compatible server) or OPENAI_API_KEY"
        if role == "large"
        else (
            "OLLAMA_HOST and IDEALPROMPT_OLLAMA_MODEL (an Ollama server), or IDEALPROMPT_SMALL=openai:<model> with "
            "OPENAI_BASE_URL"
        )
    )
    raise RouteError(
        f"no route for the {role} model: {why}, and the embedded default is not installed. Set "
        f"{other}, or IDEALPROMPT_{role.upper()}=provider:model; or install it: {EMBEDDED_EXTRA}"
    )


def make_chat_model(
    route: Route | str,
    settings: Settings,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> BaseChatModel:
    """A chat model for `route`, with the generation defaults of `settings`."""
    route = route if isinstance(route, Route) else Route(route)
    if route.provider == "openai":
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
    if route.provider == "ollama":
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
    if route.provider != "embedded":
        return _langchain_model(route, settings)
    from idealprompt.routes.embedded import EmbeddedChatModel

    name, path, sha256, _, lora = _gguf(route, settings, progress)
    return EmbeddedChatModel(
        model_name=name,
        model_path=str(path),
        lora_path=str(lora) if lora else None,
        sha256=sha256,
        n_ctx=settings.context_size,
        n_threads=settings.threads,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        seed=settings.seed,
    )


def _gguf(route: Route, settings: Settings, progress=None) -> tuple[str, Path, str, str, Path | None]:
    """(name, path, sha256, what it is, LoRA adapter) of an embedded route's GGUF: a catalog model, joined and
    verified on first use, or a file the route names by path. A file that is a LoRA adapter (a trained stylist)
    is served on the base it names. An unknown name is named first, then a missing llama.cpp."""
    model = None if catalog.is_path(route.model) else catalog.lookup(route.model)
    if not embedded_available():
        raise RouteError(f"route {route.spec} runs llama.cpp in this process, which is not installed: {EMBEDDED_EXTRA}")
    if model is not None:
        return model.name, catalog.gguf_path(model, settings.models_dir, progress), model.sha256, model.upstream, None
    path, sha256 = catalog.local_gguf(route.model)
    base = catalog.adapter_base(path)
    if base is None:
        return path.stem, path, sha256, f"a local GGUF, sha256 {sha256[:12]}", None
    name, base_path, base_sha256, what, _ = _gguf(Route(f"embedded:{base}", route.reason), settings, progress)
    return f"{name}+{path.stem}", base_path, f"{base_sha256}+{sha256}", f"{what} with the adapter {path}", path


def _langchain_model(route: Route, settings: Settings) -> BaseChatModel:
    """Any other provider, through LangChain's init_chat_model, with the generation defaults it takes everywhere."""
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(
            route.model, model_provider=route.provider, temperature=settings.temperature, max_tokens=settings.max_tokens
        )
    except ImportError as e:  # its message names the package to install
        raise RouteError(f"route {route.spec}: {e}") from None
    except ValueError as e:
        raise RouteError(f"route {route.spec}: {e} (idealprompt's own: {', '.join(PROVIDERS)})") from None


def check(route: Route, settings: Settings) -> str:
    """Whether a route can serve now, without generating; a RouteError says what to fix."""
    if route.provider == "openai":
        import openai

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
    if route.provider == "ollama":
        listed = ollama_models(settings.ollama_host, timeout=5)
        if listed is None:
            raise RouteError(
                f"{route.spec}: no Ollama server answers at {settings.ollama_host}; start it or set OLLAMA_HOST"
            )
        if not _ollama_serves(listed, route.model):
            raise RouteError(
                f"{route.spec}: Ollama at {settings.ollama_host} lacks it; run `ollama pull {route.model}`"
            )
        return f"Ollama at {settings.ollama_host} serves it"
    if route.provider != "embedded":
        return f"LangChain's init_chat_model makes it: {type(_langchain_model(route, settings)).__name__}"
    _, path, _, what, _ = _gguf(route, settings)
    return f"{what}, verified at {path}"


SECRET_PARAMETERS = {"password", "passwd", "api_key", "apikey", "key", "token", "secret"}


def shown_url(url: str) -> str:
    """A URL as it may be printed: a user name and password in it, and a password or key in its query (PostgreSQL
    takes `?password=`), become ***."""
    parts = urllib.parse.urlsplit(url)
    if "@" in parts.netloc:
        parts = parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2])
    if parts.query:
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        hidden = [(k, "***" if k.lower() in SECRET_PARAMETERS else v) for k, v in query]
        if hidden != query:
            parts = parts._replace(query=urllib.parse.urlencode(hidden, safe="*"))
    return urllib.parse.urlunsplit(parts)


def ollama_models(host: str, timeout: float = PROBE_SECONDS) -> list[str] | None:
    """The models an Ollama server lists, or None when none answers."""
    import ollama

    try:
        return [m.model for m in ollama.Client(host=host, timeout=timeout).list().models if m.model is not None]
    except Exception:  # refused, timed out, or not Ollama: all mean "no Ollama here"
        return None


def _ollama_serves(served: list[str], model: str) -> bool:
    return model in served or f"{model}:latest" in served


def limit_tokens(model: BaseChatModel, max_tokens: int) -> BaseChatModel:
    """A copy of `model` (its callbacks and cache kept) that answers with at most `max_tokens` tokens."""
    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    from idealprompt.routes.embedded import EmbeddedChatModel

    if isinstance(model, WrappingChatModel):
        return model.around(limit_tokens(model.inner, max_tokens))
    if isinstance(model, EmbeddedChatModel):
        return model.model_copy(update={"max_tokens": max_tokens})
    if isinstance(model, ChatOllama):
        return model.model_copy(update={"num_predict": max_tokens})
    if isinstance(model, ChatOpenAI):
        extra = {"max_tokens": max_tokens} if model.openai_api_base else None  # as in make_chat_model
        return model.model_copy(update={"max_tokens": max_tokens, "extra_body": extra})
    if "max_tokens" in type(model).model_fields:  # init_chat_model's providers name it so (Anthropic, Gemini...)
        return model.model_copy(update={"max_tokens": max_tokens})
    return model  # a model of the caller's: its own settings hold


def sample(model: BaseChatModel, temperature: float, seed: int) -> BaseChatModel:
    """A copy of `model` (its callbacks and cache kept) that samples at `temperature` with `seed`: another answer to
    the same request, the same one again on a rerun where the route honours seeds (llama.cpp, Ollama, OpenAI's)."""
    if isinstance(model, WrappingChatModel):
        return model.around(sample(model.inner, temperature, seed))
    fields = type(model).model_fields
    update = {name: value for name, value in (("temperature", temperature), ("seed", seed)) if name in fields}
    return model.model_copy(update=update) if update else model  # a model of the caller's: its own settings hold


def accepts_images(model: BaseChatModel) -> bool:
    """Whether images may be sent to `model` as message content parts.

    No embedded model sees images (no vision GGUF ships in a registry package). Servers are trusted to serve a
    vision model when asked for one; one that cannot answers with an error that names the model.
    """
    from idealprompt.routes.embedded import EmbeddedChatModel

    if isinstance(model, WrappingChatModel):
        return accepts_images(model.inner)
    return not isinstance(model, EmbeddedChatModel)


def constrain(
    model: BaseChatModel, grammar: str | None, schema: dict | None, labels: tuple[str, ...] | None = None
) -> BaseChatModel:
    """`model` held to an output space: a GBNF grammar where llama.cpp runs (in process, or behind an
    OpenAI-compatible URL), else the equivalent JSON schema (Ollama's `format`, OpenAI's structured outputs).
    With `labels` (scored answers), the embedded route scores them instead of decoding; other routes return no
    log-probabilities of whole labels and are held by the grammar or schema.

    A compatible server that is not llama.cpp ignores the `grammar` field and answers freely; the answer is then
    read by the parser as in free mode. An unknown model is returned as it is.
    """
    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    from idealprompt.routes.embedded import EmbeddedChatModel

    if grammar is None and schema is None:
        return model
    if isinstance(model, WrappingChatModel):
        return model.around(constrain(model.inner, grammar, schema, labels))
    if isinstance(model, EmbeddedChatModel):
        return model.model_copy(update={"grammar": grammar, "labels": labels})
    if isinstance(model, ChatOllama):
        return model.model_copy(update={"format": schema})
    if isinstance(model, ChatOpenAI):
        if model.openai_api_base:
            return model.model_copy(update={"extra_body": {**(model.extra_body or {}), "grammar": grammar}})
        strict = {"name": "answer", "schema": schema, "strict": True}
        return model.model_copy(
            update={
                "model_kwargs": {
                    **model.model_kwargs,
                    "response_format": {"type": "json_schema", "json_schema": strict},
                }
            }
        )
    return model


def json_mode(model: BaseChatModel, schema: dict) -> Runnable[LanguageModelInput, AIMessage]:
    """`model` bound to answer in JSON, as strictly as its provider allows; validation happens on our side anyway."""
    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    from idealprompt.routes.embedded import EmbeddedChatModel

    if isinstance(model, WrappingChatModel):  # a wrapper passes what the inner model is bound with
        inner = json_mode(model.inner, schema)
        return model.bind(**inner.kwargs) if isinstance(inner, RunnableBinding) else model
    if isinstance(model, EmbeddedChatModel):
        # llama.cpp compiles the schema to a grammar: even a 0.5B model then cannot emit malformed JSON.
        return model.bind(response_format={"type": "json_object", "schema": schema})
    if isinstance(model, ChatOllama):
        return model.bind(format=schema)
    if isinstance(model, ChatOpenAI):
        if model.openai_api_base:  # compatible servers (llama.cpp, vLLM) take the schema inside json_object
            return model.bind(response_format={"type": "json_object", "schema": schema})
        return model.bind(response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}})
    return model  # an unknown model: the prompt asks for JSON, and validation with repair does the rest
