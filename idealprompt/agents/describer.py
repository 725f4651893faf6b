"""The describer agent: in private mode the local small model describes each mistake for the reflector, a remote
large model that sees no example (IDEAL's reflection, with the evidence kept on this machine).

A description that repeats four words of its input in a row, or (for number and text tasks) the correct answer,
is withheld: it would carry the example off the machine."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from idealprompt.prompts import describer as prompts
from idealprompt.routes.privacy import quotes
from idealprompt.scoring.evaluate import Prediction, describe
from idealprompt.structured import ask_text
from idealprompt.tasks import Task

INPUT_CHARS = 1200
DESCRIPTION_TOKENS = 80
WITHHELD = "(a mistake; its description quoted the example, so it is withheld)"


def describe_mistake(model: BaseChatModel, mistake: Prediction, task: Task) -> str:
    """One mistake told without its example: the small model's description, or WITHHELD."""
    shown = describe(mistake)
    messages = [
        SystemMessage(prompts.SYSTEM),
        HumanMessage(
            prompts.DESCRIBE.format(
                description=task.description,
                input=shown["input"][:INPUT_CHARS],
                expected=shown["expected"],
                answer=shown["answer"][:INPUT_CHARS] or "(nothing)",
            )
        ),
    ]
    text = " ".join(ask_text(model, messages, max_tokens=DESCRIPTION_TOKENS).split())
    target = shown["expected"].strip().casefold()
    tells_target = task.answer != "label" and bool(target) and target in text.casefold()
    return WITHHELD if not text or quotes(text, shown["input"]) or tells_target else text
