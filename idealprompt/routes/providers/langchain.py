"""Any other `<provider>:<model>` (`anthropic:...`, `google_genai:...`), through LangChain's `init_chat_model` when
that provider's LangChain package is installed; and any model of the caller's, which keeps its own settings where
it names none of ours."""

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
    from langchain.chat_models import init_chat_model

    from idealprompt.routes import PROVIDERS

    try:
        return init_chat_model(
            route.model, model_provider=route.provider, temperature=settings.temperature, max_tokens=settings.max_tokens
        )
    except ImportError as e:  # its message names the package to install
        raise RouteError(f"route {route.spec}: {e}") from None
    except ValueError as e:
        raise RouteError(f"route {route.spec}: {e} (idealprompt's own: {', '.join(PROVIDERS)})") from None


def check(route: Route, settings: Settings) -> str:
    return f"LangChain's init_chat_model makes it: {type(make(route, settings)).__name__}"


def reshape(model: BaseChatModel, shape: Shape) -> BaseChatModel:
    """The fields init_chat_model's providers share (Anthropic, Gemini...), where the model has them; no output
    space: the parser reads the answer as in free mode."""
    fields = type(model).model_fields
    wanted = {"max_tokens": shape.max_tokens, "temperature": shape.temperature, "seed": shape.seed}
    return with_fields(model, **{k: v for k, v in wanted.items() if k in fields})


def json_kwargs(model: BaseChatModel, schema: dict) -> dict:
    return {}  # asked by the prompt alone; validation with repair does the rest
