"""The fact check as a tool an agent calls on its draft."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import tool

from idealprompt.facts import Facts
from idealprompt.facts.slots import SlotLexicon
from idealprompt.scoring.facts import Mode, check_facts


def facts_tool(
    facts: Facts, *, model: BaseChatModel | None = None, lexicon: SlotLexicon | None = None, mode: Mode = "full"
):
    """`check_facts` over `facts`, as a LangChain tool an agent can call."""

    @tool("check_facts")
    def check_facts_tool(text: str) -> str:
        """Check a text's facts against the input: what it states that the input contradicts or does not state.
        Answers 'ok' or one problem per line."""
        return "\n".join(check_facts(facts, text, model=model, lexicon=lexicon, mode=mode).problems()) or "ok"

    return check_facts_tool
