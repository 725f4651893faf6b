"""What may leave the machine, and the record of what did.

A route is remote when the host it talks to is not this machine (loopback) and not on the `local_hosts`
allow-list: the OpenAI API, an OpenAI-compatible or Ollama server elsewhere, any `init_chat_model` provider. An
embedded model is never remote.

Modes (`privacy` setting; unset: `open` when every route is local, `redact` as soon as one is remote):
- `open`: requests go as they are; remote ones are still written to the audit log.
- `redact`: before a request goes to a remote route, e-mail addresses, IBANs, card numbers (Luhn-checked),
  US social security numbers, phone numbers and the user's `redact_terms` are replaced by placeholders
  (`[EMAIL_1]`); the placeholders in the answer are put back, so results read as the data did. The same value
  gets the same placeholder for a whole session, so the large model can still tell two people apart.
- `private`: no example text, target or image is sent to a remote route. The graphs build what the large model
  sees from the prompt, aggregate error statistics and descriptions of the mistakes written by the local small
  model (`agents.describer`); what needs the data itself (planning, fact checks, judging texts) is done by the
  small model. The small route must be local. As a net under that construction, the guard refuses a request that
  quotes a protected text (`Shield`: a run of `Shield.SPAN` words of an example) or carries an image, and redacts
  as `redact` does.
Outside `open`, tracing exporters (LangSmith, OpenTelemetry), which would send the unredacted text elsewhere, are
refused unless named in `allow_tracing`.

Every request to a remote route is one line of the audit log (JSON Lines, `audit_log` setting): time, run, role,
route, host, mode, the sizes and the sha256 of the payload as sent, and how many values of each kind were
redacted. `idealprompt audit` prints it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from idealprompt.config import Settings
from idealprompt.errors import ConfigError, PrivacyError
from idealprompt.routes.wrapping import WrappingChatModel

MODES = ("open", "redact", "private")
OPENAI_HOST = "api.openai.com"
TRACING = {  # exporter -> the variables that switch it on
    "langsmith": ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGCHAIN_TRACING"),
    "opentelemetry": ("LANGSMITH_OTEL_ENABLED", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
}


# --- where a route goes -----------------------------------------------------------------------------------------
def host_of(spec: str, settings: Settings) -> str | None:
    """The host a route sends requests to; None for an embedded model (in this process)."""
    provider = spec.partition(":")[0]
    if provider == "embedded":
        return None
    if provider == "ollama":
        return urllib.parse.urlsplit(settings.ollama_host).hostname or settings.ollama_host
    if provider == "openai":
        url = settings.openai_base_url
        return (urllib.parse.urlsplit(url).hostname or url) if url else OPENAI_HOST
    return provider  # a LangChain provider's own API


def is_local(host: str | None, settings: Settings) -> bool:
    """Whether requests to `host` stay on this machine (or go to a host the user listed as theirs)."""
    if host is None or host.lower() in {"localhost", *(h.lower() for h in settings.local_hosts)}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def mode(settings: Settings, remote: bool) -> str:
    """The mode in force: the setting, else open when every route is local and redact when one is remote."""
    return settings.privacy or ("redact" if remote else "open")


def check_tracing(settings: Settings, in_force: str) -> None:
    """Refuse, outside `open`, a tracing exporter that is switched on and not allowed by name."""
    if in_force == "open":
        return
    for exporter, variables in TRACING.items():
        on = [v for v in variables if os.environ.get(v, "").strip().lower() not in ("", "false", "0", "none")]
        if on and exporter not in settings.allow_tracing:
            raise ConfigError(
                f"privacy {in_force}: {on[0]} is set, so {exporter} would receive the unredacted text of every "
                f'call; unset it, or allow it with allow_tracing = ["{exporter}"]'
            )


# --- redaction --------------------------------------------------------------------------------------------------
def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


# Kinds in the order they are applied: a card number must not be taken for a phone number first. Every repetition
# is bounded (an address's parts by their RFC 5321 lengths), so the work per position of a long input is too.
PATTERNS: list[tuple[str, re.Pattern[str], Callable[[str], bool]]] = [
    ("EMAIL", re.compile(r"[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}"), lambda s: True),
    ("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"), lambda s: True),
    ("CARD", re.compile(r"\b\d(?:[ -]?\d){12,18}\b"), lambda s: _luhn(re.sub(r"\D", "", s))),
    ("SSN", re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), lambda s: True),
    ("PHONE", re.compile(r"(?<![\w+])\+?\d[\d ().-]{6,18}\d\b"), lambda s: len(re.sub(r"\D", "", s)) >= 8),
]


class Redactor:
    """Replaces personal data by placeholders, the same value by the same one for its whole life, and back."""

    def __init__(self, terms: Sequence[str] = ()):
        self._terms = sorted({t for t in terms if t.strip()}, key=len, reverse=True)  # longest first
        self._term_pattern = re.compile("|".join(map(re.escape, self._terms))) if self._terms else None
        self._by_value: dict[str, str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._made: Counter[str] = Counter()  # placeholders made per kind
        self._lock = threading.Lock()

    def redact(self, text: str) -> tuple[str, Counter[str]]:
        """The text with every personal datum replaced, and how many of each kind were."""
        found: Counter[str] = Counter()
        for kind, pattern, valid in self._rules():

            def replace(match: re.Match[str], kind: str = kind, valid: Callable[[str], bool] = valid) -> str:
                if not valid(match.group()):
                    return match.group()
                found[kind] += 1
                return self._placeholder(kind, match.group())

            text = pattern.sub(replace, text)
        return text, found

    def restore(self, text: str) -> str:
        """Placeholders this redactor made, in a model's answer, put back to their values."""
        if not self._by_placeholder:
            return text
        return re.sub(r"\[[A-Z]+_\d+\]", lambda m: self._by_placeholder.get(m.group(), m.group()), text)

    def _rules(self) -> Iterator[tuple[str, re.Pattern[str], Callable[[str], bool]]]:
        yield from PATTERNS
        if self._term_pattern is not None:
            yield "TERM", self._term_pattern, lambda s: True

    def _placeholder(self, kind: str, value: str) -> str:
        with self._lock:
            if value not in self._by_value:
                self._made[kind] += 1
                placeholder = f"[{kind}_{self._made[kind]}]"
                self._by_value[value], self._by_placeholder[placeholder] = placeholder, value
            return self._by_value[value]


# --- the net under private mode ----------------------------------------------------------------------------------
class Shield:
    """The texts private mode keeps on this machine, and a check of what a request would quote of them.

    A text is held as its runs of `SPAN` words (case and punctuation aside): a request that contains one quotes it.
    Shorter texts are not held (their words are common words as often as not); the graphs keep them out by
    construction, and this is the net under it."""

    SPAN = 8

    def __init__(self) -> None:
        self._spans: set[tuple[str, ...]] = set()
        self._lock = threading.Lock()

    def protect(self, texts: Iterable[str]) -> None:
        spans = {span for text in texts for span in _spans(text, self.SPAN)}
        with self._lock:
            self._spans |= spans

    def quoted(self, text: str) -> str | None:
        """The first protected run of words `text` contains, or None."""
        return next((" ".join(s) for s in _spans(text, self.SPAN) if s in self._spans), None)


def _spans(text: str, n: int) -> Iterator[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return (tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def quotes(text: str, source: str, n: int = 4) -> bool:
    """Whether `text` repeats a run of `n` words of `source` (case and punctuation aside)."""
    held = set(_spans(source, n))
    return any(span in held for span in _spans(text, n))


# --- the audit log ----------------------------------------------------------------------------------------------
class AuditLog:
    """JSON Lines of every remote request, appended (one write per line, so processes sharing it interleave whole
    lines)."""

    def __init__(self, path: Path):
        self.path = path

    def write(self, entry: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def read(self, run: str | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        entries = [json.loads(line) for line in lines if line.strip()]
        return [e for e in entries if run is None or e.get("run", "").startswith(run)]


# --- the guard around a remote model ----------------------------------------------------------------------------
class GuardedChatModel(WrappingChatModel):
    """A remote route's model, behind the privacy mode: what it is sent is redacted (outside `open`), checked
    against the shield (in `private`) and audited."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    route: str
    host: str
    mode: str
    role: str
    run: str
    redactor: Redactor = Field(exclude=True)
    shield: Shield = Field(exclude=True)
    audit: AuditLog = Field(exclude=True)

    @property
    def _llm_type(self) -> str:
        return f"guarded-{self.inner._llm_type}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"inner": self.inner._identifying_params, "mode": self.mode}  # the replay cache's key

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        sent, redacted = self._outgoing(messages)
        started = time.time()
        return self._result(self.inner.invoke(sent, stop=stop, **kwargs), sent, redacted, started)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        sent, redacted = self._outgoing(messages)
        started = time.time()
        return self._result(await self.inner.ainvoke(sent, stop=stop, **kwargs), sent, redacted, started)

    def _outgoing(self, messages: list[BaseMessage]) -> tuple[list[BaseMessage], Counter[str]]:
        """The messages as they may leave the machine, and how many values of each kind were redacted."""
        redacted: Counter[str] = Counter()
        if self.mode == "open":
            return messages, redacted

        def clean(text: str) -> str:
            text, found = self.redactor.redact(text)
            redacted.update(found)
            return text

        out = []
        for m in messages:
            if self.mode == "private":
                self._check(m)
            if isinstance(m.content, str):
                content: Any = clean(m.content)
            else:  # content parts (text and images): the text ones are redacted
                content = [
                    {**p, "text": clean(p.get("text", ""))} if isinstance(p, dict) and p.get("type") == "text" else p
                    for p in m.content
                ]
            out.append(m.model_copy(update={"content": content}))
        return out, redacted

    def _check(self, message: BaseMessage) -> None:
        """Refuse, in private mode, a message that carries an image or quotes a protected text."""
        parts = [] if isinstance(message.content, str) else message.content
        if any(isinstance(p, dict) and p.get("type") not in (None, "text") for p in parts):
            raise PrivacyError(f"privacy private: a request to {self.route} ({self.role}) carries an image; refused")
        if (quote := self.shield.quoted(message.text)) is not None:
            raise PrivacyError(
                f"privacy private: a request to {self.route} ({self.role}) quotes a protected example "
                f"({quote[:40]!r}...); refused"
            )

    def _result(
        self, answer: BaseMessage, sent: list[BaseMessage], redacted: Counter[str], started: float
    ) -> ChatResult:
        payload = json.dumps([m.model_dump(mode="json") for m in sent], sort_keys=True, default=str)
        self.audit.write(
            {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                "run": self.run,
                "role": self.role,
                "route": self.route,
                "host": self.host,
                "mode": self.mode,
                "messages": len(sent),
                "request_chars": sum(len(m.text) for m in sent),
                "request_sha256": hashlib.sha256(payload.encode()).hexdigest(),
                "response_chars": len(answer.text),
                "redacted": dict(redacted),
                "seconds": round(time.time() - started, 3),
            }
        )
        message = answer if self.mode == "open" else _restored(answer, self.redactor)
        return ChatResult(generations=[ChatGeneration(message=message)])


def _restored(answer: BaseMessage, redactor: Redactor) -> AIMessage:
    if not isinstance(answer, AIMessage):
        answer = AIMessage(content=answer.content)
    content = redactor.restore(answer.content) if isinstance(answer.content, str) else answer.content
    calls = [{**c, "args": json.loads(redactor.restore(json.dumps(c["args"])))} for c in answer.tool_calls]
    return answer.model_copy(update={"content": content, "tool_calls": calls})


def guarded(
    model: BaseChatModel,
    spec: str,
    settings: Settings,
    *,
    role: str,
    run: str,
    redactor: Redactor,
    shield: Shield,
) -> BaseChatModel:
    """`model` as the privacy mode lets it be called: unchanged when its route is local, else behind a guard
    (after refusing a tracing exporter the mode does not allow, before any request is sent)."""
    host = host_of(spec, settings)
    if host is None or is_local(host, settings):
        return model
    in_force = mode(settings, remote=True)
    if in_force == "private" and role == "small":
        raise ConfigError(
            f"privacy private: the small route {spec} goes to {host}, off this machine, and the small model answers "
            "the examples; use a local small route, or list the host in local_hosts if it is yours"
        )
    check_tracing(settings, in_force)
    audit = AuditLog(settings.audit_log)
    return GuardedChatModel(
        inner=model,
        route=spec,
        host=host,
        mode=in_force,
        role=role,
        run=run,
        redactor=redactor,
        shield=shield,
        audit=audit,
    )
