"""`embedded:<name>` or `embedded:<path>.gguf`: a GGUF run in this process by llama.cpp (the model itself is
`routes/embedded.py`; the files, their lock and joining them, `routes/catalog.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.language_models import BaseChatModel

from idealprompt.config import Settings
from idealprompt.errors import RouteError
from idealprompt.routes import catalog
from idealprompt.routes.providers import with_fields

if TYPE_CHECKING:
    from idealprompt.routes import Route
    from idealprompt.routes.shape import Shape

IMAGES = False  # no vision GGUF ships in a registry package
EXTRA = "pip install 'idealprompt[embedded]' (it compiles llama.cpp: minutes, and a C/C++ compiler)"


def make(route: Route, settings: Settings, progress=None) -> BaseChatModel:
    from idealprompt.routes.embedded import EmbeddedChatModel

    name, path, sha256, _, lora = gguf(route, settings, progress)
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


def check(route: Route, settings: Settings) -> str:
    _, path, _, what, _ = gguf(route, settings)
    return f"{what}, verified at {path}"


def reshape(model, shape: Shape) -> BaseChatModel:
    """llama.cpp holds an output space by its grammar, or scores the labels without decoding."""
    held = shape.grammar is not None or shape.schema is not None
    model = with_fields(model, max_tokens=shape.max_tokens, temperature=shape.temperature, seed=shape.seed)
    return model.model_copy(update={"grammar": shape.grammar, "labels": shape.labels}) if held else model


def json_kwargs(model, schema: dict) -> dict:
    # llama.cpp compiles the schema to a grammar: even a 0.5B model then cannot emit malformed JSON.
    return {"response_format": {"type": "json_object", "schema": schema}}


def gguf(route: Route, settings: Settings, progress=None) -> tuple[str, Path, str, str, Path | None]:
    """(name, path, sha256, what it is, LoRA adapter) of an embedded route's GGUF: a catalog model, joined and
    verified on first use, or a file the route names by path. A file that is a LoRA adapter (a trained stylist)
    is served on the base it names. An unknown name is named first, then a missing llama.cpp."""
    from idealprompt.routes import Route, embedded_available

    model = None if catalog.is_path(route.model) else catalog.lookup(route.model)
    if not embedded_available():
        raise RouteError(f"route {route.spec} runs llama.cpp in this process, which is not installed: {EXTRA}")
    if model is not None:
        return model.name, catalog.gguf_path(model, settings.models_dir, progress), model.sha256, model.upstream, None
    path, sha256 = catalog.local_gguf(route.model)
    base = catalog.adapter_base(path)
    if base is None:
        return path.stem, path, sha256, f"a local GGUF, sha256 {sha256[:12]}", None
    name, base_path, base_sha256, what, _ = gguf(Route(f"embedded:{base}", route.reason), settings, progress)
    return f"{name}+{path.stem}", base_path, f"{base_sha256}+{sha256}", f"{what} with the adapter {path}", path
