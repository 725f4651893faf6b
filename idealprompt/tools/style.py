"""The style scorer and the style's exemplars as tools an agent calls on its draft."""

from __future__ import annotations

import json
from collections.abc import Callable

from langchain_core.tools import tool

from idealprompt.scoring.style import StyleScorer

MAX_EXEMPLARS_SHOWN = 3  # a small model's context holds a few texts beside its request


def exemplars_tool(find: Callable[[str, int], list[dict[str, str]]]):
    """`retrieve_exemplars` as a LangChain tool: `find(text, k)`, the style's k texts closest to `text`."""

    @tool
    def retrieve_exemplars(text: str, k: int = 2) -> str:
        """Texts written in the style, closest in content to `text`; each with the same facts stated plainly,
        when they are known."""
        return json.dumps(find(text, max(1, min(k, MAX_EXEMPLARS_SHOWN))))

    return retrieve_exemplars


def style_tool(scorer: StyleScorer, style: str):
    """`score_style` as a LangChain tool an agent can call."""

    @tool
    def score_style(text: str) -> str:
        """How much a text reads like the target style: a probability from 0 to 1 (above 0.5: more like the
        style than like the others)."""
        return f"{scorer.probabilities([text], style)[0]:.2f}"

    return score_style
