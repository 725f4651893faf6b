"""The stylist's training data: (neutral facts -> styled text) pairs as chat-format JSON Lines.

A row is {"messages": [system, user, assistant]}: the stylist's own prompt (`agents.stylist`, without exemplars)
asking for the facts in the style, and the styled text as the answer, the format OpenAI's fine-tuning, trl and
most trainers read. Training on the prompt the stylist is served with is what makes the trained stylist need no
exemplars.

Pairs come from a style's corpus: its `neutral` versions where it has them (the built-in corpora are parallel);
otherwise the planner writes the neutral side of each text (back-translation), so a house needs only texts in
its style.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage, convert_to_openai_messages

from idealprompt.agents.stylist import stylist_messages
from idealprompt.errors import TrainError
from idealprompt.prompts import training as prompts
from idealprompt.structured import ask_text
from idealprompt.styles import Style
from idealprompt.userfiles import read_text

MIN_PAIRS = 4  # fewer cannot teach a style; the error says so before any model is loaded
NEUTRAL_TOKENS = 200
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")


@dataclass(frozen=True)
class Pair:
    neutral: str  # the facts, stated plainly
    text: str  # the same facts in the style


def plan_of(neutral: str) -> list[str]:
    """A neutral text as the planner's content plan: one sentence a line."""
    return [s.strip() for s in _SENTENCE_END.split(neutral.strip()) if s.strip()]


def prompt(style: Style, neutral: str) -> list[dict]:
    """The stylist's request for these facts, as chat messages (what it is trained on and served with)."""
    return convert_to_openai_messages(stylist_messages(style, plan_of(neutral), []))


def row(style: Style, pair: Pair) -> dict:
    return {"messages": [*prompt(style, pair.neutral), {"role": "assistant", "content": pair.text}]}


def pair_of(row: dict) -> Pair:
    """The pair a row was made from: the facts its request lists ("- " lines) and its answer."""
    request = next(m["content"] for m in reversed(row["messages"]) if m["role"] == "user")
    neutral = " ".join(line[2:] for line in request.splitlines() if line.startswith("- "))
    return Pair(neutral or request, row["messages"][-1]["content"])


def inputs_of(rows: Iterable[dict]) -> list[Pair]:
    """Each neutral side of a dataset once, with its first text: a later round's data holds the kept texts of
    earlier rounds beside the originals."""
    firsts: dict[str, Pair] = {}
    for pair in map(pair_of, rows):
        firsts.setdefault(pair.neutral, pair)
    return list(firsts.values())


def style_pairs(
    style: Style, planner: BaseChatModel | None = None, progress: Callable[[int, int], None] | None = None
) -> list[Pair]:
    """The style's corpus as pairs: with its neutral versions, or with the planner's (needed when it has none)."""
    if style.neutral:
        pairs = [Pair(n, t) for n, t in zip(style.neutral, style.exemplars, strict=True)]
    elif planner is None:
        raise TrainError(f"style {style.name!r} has no neutral versions of its texts: a planner model must write them")
    else:
        pairs = [
            Pair(n, t) for n, t in zip(back_translate(planner, style.exemplars, progress), style.exemplars, strict=True)
        ]
    return check_pairs(pairs, where=f"style {style.name!r}")


def back_translate(
    planner: BaseChatModel, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
) -> list[str]:
    """The facts of each text, stated plainly by the planner."""
    found = []
    for done, text in enumerate(texts, 1):
        messages = [SystemMessage(prompts.NEUTRALISE_SYSTEM), HumanMessage(prompts.NEUTRALISE_USER.format(text=text))]
        found.append(" ".join(ask_text(planner, messages, max_tokens=NEUTRAL_TOKENS).split()))
        if progress:
            progress(done, len(texts))
    return found


def check_corpus(style: Style) -> None:
    """Enough texts, none empty: checked before a planner writes their neutral sides."""
    check_pairs(
        (Pair(n, t) for n, t in zip(style.neutral or style.exemplars, style.exemplars, strict=True)),
        where=f"style {style.name!r}",
    )


def check_pairs(pairs: Iterable[Pair], *, where: str) -> list[Pair]:
    pairs = list(pairs)
    for n, pair in enumerate(pairs, 1):
        for side in ("neutral", "text"):
            if not getattr(pair, side).strip():
                raise TrainError(f"{where}: pair {n} has an empty {side!r} side")
    if len(pairs) < MIN_PAIRS:
        raise TrainError(f"{where}: {len(pairs)} training pairs; give at least {MIN_PAIRS} texts in the style")
    return pairs


def write_rows(path: Path, rows: Iterable[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)  # a crash mid-write never leaves half a dataset behind
    return path


def read_rows(path: Path) -> list[dict]:
    """A chat-format JSON Lines dataset; an error names the line and the field that is wrong."""
    rows = []
    for n, line in enumerate(read_text(path, TrainError, "dataset").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as e:
            raise TrainError(f"{path}:{n}: not JSON ({e.msg})") from None
        rows.append(_checked(data, f"{path}:{n}"))
    if len(rows) < MIN_PAIRS:
        raise TrainError(f"{path}: {len(rows)} rows; a dataset needs at least {MIN_PAIRS}")
    return rows


def _checked(data: object, where: str) -> dict:
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list) or len(messages) < 2:
        raise TrainError(f'{where}: field "messages" must be a list of at least two chat messages')
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise TrainError(f'{where}: messages[{i}].role must be "system", "user" or "assistant"')
        if not isinstance(m.get("content"), str) or not m["content"].strip():
            raise TrainError(f"{where}: messages[{i}].content is empty")
    if messages[-1]["role"] != "assistant":
        raise TrainError(f'{where}: the last message must be the "assistant" answer the model learns')
    return {"messages": messages}
