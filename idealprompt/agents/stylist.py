"""The style-writer agent (SAG's small stylist): writes a content plan in a named style, guided by exemplars of the
style and by the style's prompt (the default one, or one optimised by IDEAL with a text metric). When a fact check
finds what the text got wrong, it writes the text again, told what was wrong. With tools (`write_with_tools`) it
may check its own draft first: its facts against the input, its style score, and more exemplars.

Exemplars whose facts are known (their neutral versions) are shown as worked examples, chat turns of facts in and
text out: the form of SAG's style SFT data, and the one a 0.5B model follows without copying the exemplars' facts.
Other exemplars go in the system message as examples of the voice.

The single-model baselines (`direct_messages`: instruction and facts to text in one prompt) live here too, so that
an evaluation compares systems that share every text but the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field

from idealprompt.agents.consult import Consultation, consult
from idealprompt.facts import Facts
from idealprompt.prompts import writing as prompts
from idealprompt.structured import ask_text
from idealprompt.styles import Style

TEXT_TOKENS = 400  # an article of a few short paragraphs; a runaway answer stops here


class Text(BaseModel):
    text: str = Field(description="the finished text, in the style")


def system_message(style: Style) -> SystemMessage:
    return SystemMessage(style.prompt or prompts.STYLIST_SYSTEM.format(name=style.name, description=style.description))


def stylist_messages(style: Style, plan: list[str], exemplars: list[dict[str, str]]) -> list[BaseMessage]:
    """`exemplars`: {"text", "neutral"} each, "neutral" empty when the exemplar's facts are not known."""
    facts = prompts.FACTS.format(facts=bullets(plan))
    if exemplars and all(e["neutral"] for e in exemplars):
        turns = [
            m
            for e in exemplars
            for m in (HumanMessage(prompts.FACTS.format(facts=bullets([e["neutral"]]))), AIMessage(e["text"]))
        ]
        return [system_message(style), *turns, HumanMessage(facts)]
    system: str = system_message(style).text
    if exemplars:
        listed = "\n".join(f"Example {i}: {e['text']}" for i, e in enumerate(exemplars, 1))
        system += prompts.EXEMPLARS.format(exemplars=listed)
    return [SystemMessage(system), HumanMessage(facts + prompts.WRITE)]


def bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def revision_messages(messages: list[BaseMessage], problems: list[str]) -> list[BaseMessage]:
    """The same request, told what the last draft got wrong. Not as a turn after the draft: a small model asked
    that way repeats its draft word for word."""
    return [*messages[:-1], HumanMessage(messages[-1].text + prompts.REVISE.format(problems=bullets(problems)))]


def direct_messages(style: Style, facts: Facts, instruction: str) -> list[BaseMessage]:
    """One model does the whole job: the baselines 'small alone' and 'large alone'."""
    user = prompts.DIRECT_USER.format(
        instruction=instruction, name=style.name, description=style.description, facts=facts.render()
    )
    return [HumanMessage(user)]


def write(
    model: BaseChatModel, messages: list[BaseMessage], *, temperature: float | None = None, seed: int | None = None
) -> str:
    """The text, without the quotes models like to put around it; sampled at `temperature` with `seed` when given.
    Streams when the caller streams (LangGraph's "messages" mode), because the model is invoked inside the
    caller's run."""
    return _unquoted(ask_text(model, messages, max_tokens=TEXT_TOKENS, temperature=temperature, seed=seed))


def write_with_tools(
    model: BaseChatModel, messages: list[BaseMessage], tools: Sequence[BaseTool], *, steps: int
) -> tuple[str | None, Consultation[Text]]:
    """The text, after up to `steps` turns in which the stylist may call `tools` on its draft (`agents.consult`: its
    reply in words is the text); None when it gave none. The consultation says which it called."""
    consultation = consult(model, messages, tools, Text, steps, max_tokens=TEXT_TOKENS, words=lambda t: Text(text=t))
    text = _unquoted(consultation.answer.text) if consultation.answer is not None else ""
    return text or None, consultation


def _unquoted(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text
