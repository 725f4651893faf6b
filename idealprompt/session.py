"""A session: settings, one metered chat model per role, the run ledger and the replay cache.

Graphs receive the session as their LangGraph context, so the same graph runs in a script, inside another graph
or in a server, with whichever models the caller chose.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from idealprompt.accounting import ROLE_KEY, Budget, Ledger
from idealprompt.cache import ReplayCache
from idealprompt.config import Settings, load_settings
from idealprompt.routes import ROLES, Route, Shape, make_chat_model, privacy, resolve, shaped


class Session:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        budget: Budget | None = None,
        models: dict[str, BaseChatModel] | None = None,
        progress: Callable[[int, int], None] | None = None,
        run: str | None = None,
    ):
        """`models` replaces the routes of some roles by chat models of your own (they are metered too, and not
        guarded: where they send requests is theirs to say); `run` names the run in the audit log."""
        self.settings = settings or load_settings()
        self.run = run or uuid.uuid4().hex[:12]
        self.ledger = Ledger(budget)
        self._redactor = privacy.Redactor(self.settings.redact_terms)  # one for both roles: the same placeholders
        self._shield = privacy.Shield()
        self._progress = progress
        self._routes: dict[str, Route] = {}
        self._models: dict[str, BaseChatModel] = {}
        self._custom = set(models or {})
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
            # llama.cpp decodes one sequence at a time (queued threads would only add overhead): one per actor
            return self.settings.ray_actors if self._on_actors(role) else 1
        return self.settings.concurrency

    def model(
        self, role: str, *, max_tokens: int | None = None, temperature: float | None = None, seed: int | None = None
    ) -> BaseChatModel:
        """The chat model of a role (built on first use), answering in at most `max_tokens` tokens, or sampling at
        `temperature` with `seed` (another answer to the same request), when those are asked for."""
        shape = Shape(max_tokens=max_tokens, temperature=temperature, seed=seed)
        return self._model(role) if shape == Shape() else shaped(self._model(role), shape)

    def _model(self, role: str) -> BaseChatModel:
        self._check_role(role)
        if role not in self._models:
            route = self.route(role)
            model = make_chat_model(route, self.settings, progress=self._progress)
            if self._on_actors(role):
                from idealprompt.routes.actors import on_actors

                model = on_actors(model, self.settings.ray or "", self.settings.ray_actors, name=route.model)
            model = privacy.guarded(
                model, route.spec, self.settings, role=role, run=self.run, redactor=self._redactor, shield=self._shield
            )
            self._models[role] = self._metered(role, model, route.spec)
        return self._models[role]

    def _on_actors(self, role: str) -> bool:
        """Whether a role's requests are answered on Ray actors: the small model's, embedded, when `ray` is set (the
        large model's few requests, and servers, which serve concurrently anyway, stay where they are)."""
        return (
            bool(self.settings.ray)
            and role == "small"
            and role not in self._custom
            and self.route(role).provider == "embedded"
        )

    def tools(self, tools: Iterable[BaseTool]) -> list[BaseTool]:
        """Tools for an agent of this run, metered by the ledger: each one's calls counted as role `tool:NAME`."""
        return [
            t.model_copy(update={"callbacks": [*_listed(t.callbacks), self.ledger.callback(f"tool:{t.name}")]})
            for t in tools
        ]

    @property
    def private(self) -> bool:
        """Whether the large model must not see the users' data: private mode, with a remote large route."""
        return self.settings.privacy == "private" and "large" in self._remote(("large",))

    def protect(self, texts: Iterable[str]) -> None:
        """Texts (examples, facts) that private mode refuses to send to a remote route, should a request quote them."""
        if self.private:
            self._shield.protect(texts)

    def data_model(self, role: str, **shape) -> BaseChatModel:
        """The model for a request that carries the users' data (facts to plan from, texts to check or judge): the
        role's own, except in private mode, where the small local model stands in for a remote large one."""
        return self.model("small" if role == "large" and self.private else role, **shape)

    def privacy(self) -> str:
        """The privacy mode in force and where each role's requests go, for a run to say at its start."""
        remote = self._remote()
        mode = privacy.mode(self.settings, remote=bool(remote))
        if not remote:
            return f"privacy {mode}: every route is local"
        where = ", ".join(f"{role} to {host}" for role, host in remote.items())
        sees = (
            "; the large model sees prompts, error statistics and the small model's descriptions of mistakes, and the "
            "small model plans, checks and judges texts"
            if self.private
            else ""
        )
        return f"privacy {mode}: {where} (remote){sees}; audit log {self.settings.audit_log}"

    def _remote(self, roles: Iterable[str] = ROLES) -> dict[str, str | None]:
        """Those of the roles whose requests leave this machine, with their hosts (models passed in are the caller's);
        only these roles' routes are resolved."""
        hosts = {
            role: privacy.host_of(self.describe(role), self.settings) for role in roles if role not in self._custom
        }
        return {role: host for role, host in hosts.items() if not privacy.is_local(host, self.settings)}

    def _metered(self, role: str, model: BaseChatModel, name: str) -> BaseChatModel:
        if model.callbacks is not None and not isinstance(model.callbacks, list):
            raise TypeError("a model passed to Session must carry its callbacks as a list")
        update: dict[str, Any] = {
            "callbacks": [*(model.callbacks or []), self.ledger.callback(role)],
            "name": name,
            "metadata": {**(model.metadata or {}), ROLE_KEY: role},  # for the callbacks a caller adds (runs.Journal)
        }
        if self.settings.replay_cache:
            update["cache"] = ReplayCache(self.settings.replay_cache, route=name)
        return model.model_copy(update=update)

    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


def _listed(callbacks: Any) -> list:
    """A tool's own callbacks as a list (LangChain allows a manager there too: its handlers, then)."""
    if callbacks is None:
        return []
    return list(callbacks) if isinstance(callbacks, list) else list(callbacks.handlers)
