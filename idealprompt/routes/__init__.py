"""Routes: each role's model is named by a string `provider:model` and made into a LangChain chat model.

This is the one seam for models: everything above it (tools, agents, graphs) sees a `BaseChatModel`, asked for
through `Session.model(role, ...)`, and reshaped (a token limit, sampling, an output space, JSON) by `shape`. Each
provider's quirks live in its own file in `providers/`.

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

from langchain_core.language_models import BaseChatModel

from idealprompt.config import Settings
from idealprompt.errors import RouteError
from idealprompt.routes import providers
from idealprompt.routes.providers import ollama
from idealprompt.routes.providers.embedded import EXTRA as EMBEDDED_EXTRA
from idealprompt.routes.shape import Shape, accepts_images, answering_json, shaped

ROLES = ("large", "small")
PROVIDERS = ("openai", "ollama", "embedded")  # ours; any other goes to LangChain's init_chat_model
__all__ = [
    "ROLES",
    "Route",
    "Shape",
    "accepts_images",
    "answering_json",
    "check",
    "make_chat_model",
    "resolve",
    "shaped",
]


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
    served = ollama.models(settings.ollama_host)
    if served is not None and ollama.serves(served, settings.ollama_model):
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
    return providers.for_route(route.provider).make(route, settings, progress)


def check(route: Route, settings: Settings) -> str:
    """Whether a route can serve now, without generating; a RouteError says what to fix."""
    return providers.for_route(route.provider).check(route, settings)


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
