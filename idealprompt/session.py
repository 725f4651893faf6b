"""A session: settings, one metered chat model per role, the run ledger and the replay cache.

Graphs receive the session as their LangGraph context, so the same graph runs in a script, inside another graph
or in a server, with whichever models the caller chose.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel

from idealprompt.accounting import Budget, Ledger
from idealprompt.cache import ReplayCache
from idealprompt.config import Settings, load_settings
from idealprompt.routes import ROLES, Route, make_chat_model, resolve


class Session:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        budget: Budget | None = None,
        models: dict[str, BaseChatModel] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ):
        """`models` replaces the routes of some roles by chat models of your own (they are metered too)."""
        self.settings = settings or load_settings()
        self.ledger = Ledger(budget)
        self._progress = progress
        self._routes: dict[str, Route] = {}
        self._models: dict[str, BaseChatModel] = {}
        for role, model in (models or {}).items():
            self._check_role(role)
            self._models[role] = self._metered(role, model, f"custom:{type(model).__name__}")

    def route(self, role: str) -> Route:
        self._check_role(role)
        if role not in self._routes:
            self._routes[role] = resolve(role, self.settings)
        return self._routes[role]

    def describe(self, role: str) -> str:
        """The route spec of a role, or the class of a model passed in."""
        model = self._models.get(role)
        return model.name if model is not None and model.name else self.route(role).spec

    def concurrency(self, role: str) -> int:
        """How many requests to send a role's model at once: servers take several, an in-process model one."""
        if self.describe(role).startswith("embedded:"):
            return 1  # llama.cpp decodes one sequence at a time; queued threads would only add overhead
        return self.settings.concurrency

    def model(self, role: str) -> BaseChatModel:
        """The chat model of a role; built on first use."""
        self._check_role(role)
        if role not in self._models:
            route = self.route(role)
            model = make_chat_model(route, self.settings, progress=self._progress)
            self._models[role] = self._metered(role, model, route.spec)
        return self._models[role]

    def _metered(self, role: str, model: BaseChatModel, name: str) -> BaseChatModel:
        if model.callbacks is not None and not isinstance(model.callbacks, list):
            raise TypeError("a model passed to Session must carry its callbacks as a list")
        update: dict[str, Any] = {"callbacks": [*(model.callbacks or []), self.ledger.callback(role)], "name": name}
        if self.settings.replay_cache:
            update["cache"] = ReplayCache(self.settings.replay_cache, route=name)
        return model.model_copy(update=update)

    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
