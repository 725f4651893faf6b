"""idealprompt: adapt small models to private tasks by prompt optimisation, and write in a house style, offline."""

import os

# onnxruntime (under Chroma's embeddings) reports telemetry unless told not to before it is imported.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from idealprompt.accounting import Budget, Ledger
from idealprompt.config import Settings, load_settings
from idealprompt.errors import BudgetExhausted, IdealpromptError
from idealprompt.session import Session
from idealprompt.structured import aask_structured, ask_structured, ask_text


def __getattr__(name: str):
    # The optimiser and the writer pull in LangGraph, Chroma and the rest: loaded when first asked for, not on
    # `import idealprompt`.
    if name in ("optimize", "aoptimize", "OptimizeResult"):
        from idealprompt import ideal

        return getattr(ideal, name)
    if name in ("write", "awrite", "stream_write", "astream_write", "WriteResult"):
        from idealprompt import sag

        return getattr(sag, name)
    raise AttributeError(f"module 'idealprompt' has no attribute {name!r}")


__all__ = [
    "Budget",
    "BudgetExhausted",
    "IdealpromptError",
    "Ledger",
    "OptimizeResult",
    "Session",
    "Settings",
    "WriteResult",
    "aask_structured",
    "aoptimize",
    "ask_structured",
    "ask_text",
    "astream_write",
    "awrite",
    "load_settings",
    "optimize",
    "stream_write",
    "write",
]
__version__ = "0.1.0"
