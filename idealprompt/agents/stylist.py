"""The style-writer agent (SAG's small stylist): writes a content plan in a named style, guided by exemplars of the
style and by the style's prompt (the default one, or one optimised by IDEAL with a text metric). When a fact check
finds what the text got wrong, it writes the text again, told what was wrong.

The single-model baselines (`direct_messages`: instruction and facts to text in one prompt) live here too, so that
an evaluation compares systems that share every text but the pipeline.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from idealprompt.facts import Facts
from idealprompt.prompts import writing as prompts
from idealprompt.routes import limit_tokens
from idealprompt.styles import Style

TEXT_TOKENS = 400  # an article of a few short paragraphs; a runaway answer stops here


def system_message(style: Style) -> SystemMessage:
    return SystemMessage(style.prompt or prompts.STYLIST_SYSTEM.format(name=style.name, description=style.description))


def stylist_messages(style: Style, plan: list[str], exemplars: list[str]) -> list[BaseMessage]:
    shown = prompts.EXEMPLARS.format(exemplars="\n---\n".join(exemplars)) if exemplars else ""
    user = prompts.STYLIST_USER.format(exemplars=shown, plan="\n".join(f"- {fact}" for fact in plan))
    return [system_message(style), HumanMessage(user)]


def revision_messages(messages: list[BaseMessage], draft: str, problems: list[str]) -> list[BaseMessage]:
    """The same conversation, the draft as the stylist's answer, and what it got wrong."""
    listed = "\n".join(f"- {p}" for p in problems)
    return [*messages, AIMessage(draft), HumanMessage(prompts.REVISE.format(problems=listed))]


def direct_messages(style: Style, facts: Facts, instruction: str) -> list[BaseMessage]:
    """One model does the whole job: the baselines 'small alone' and 'large alone'."""
    user = prompts.DIRECT_USER.format(instruction=instruction, name=style.name, description=style.description,
                                      facts=facts.render())
    return [HumanMessage(user)]


def write(model: BaseChatModel, messages: list[BaseMessage]) -> str:
    """The text, without the quotes models like to put around it. Streams when the caller streams (LangGraph's
    "messages" mode), because the model is invoked inside the caller's run."""
    text = limit_tokens(model, TEXT_TOKENS).invoke(messages).text.strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text
