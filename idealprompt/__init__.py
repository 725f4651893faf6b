"""idealprompt: adapt small models to private tasks by prompt optimisation, and write in a house style, offline."""

import os

# onnxruntime (under Chroma's embeddings) reports telemetry unless told not to before it is imported.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from idealprompt.accounting import Budget, Ledger  # noqa: E402
from idealprompt.config import Settings, load_settings  # noqa: E402
from idealprompt.errors import BudgetExhausted, IdealpromptError  # noqa: E402
from idealprompt.session import Session  # noqa: E402
from idealprompt.structured import ask_structured, aask_structured  # noqa: E402

__all__ = [
    "Budget",
    "BudgetExhausted",
    "IdealpromptError",
    "Ledger",
    "Session",
    "Settings",
    "aask_structured",
    "ask_structured",
    "load_settings",
]
__version__ = "0.1.0"
