"""The optimizer agent: the large model rewrites a prompt by applying one strategy of the pool.

It sees the task's description and output space, a few training examples with their answers (to ground glossaries,
rules and demonstrations in real inputs), the current prompt and the strategy. It answers in JSON (one field, the
new prompt), which small large-models keep reliably under a grammar; an unusable answer is no rewrite, not a crash.
With tools (`apply_strategy_with_tools`) it may first score a draft and read the priors of similar tasks.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field

from idealprompt.agents.consult import Consultation, consult
from idealprompt.prompts import optimizer as prompts
from idealprompt.strategies import Strategy
from idealprompt.structured import ask_structured
from idealprompt.tasks import Example, Task

EXAMPLE_CHARS = 600  # a long input is cut: the optimizer needs its gist, and the context is shared with the prompt
PROMPT_WORDS = 250  # asked of every prompt the large model writes: small models follow short prompts best
ANSWER_TOKENS = 1024  # room for such a prompt inside JSON; a longer answer is cut and asked again, shorter


class Rewrite(BaseModel):
    prompt: str = Field(description="the complete new prompt")


def output_space(task: Task) -> str:
    """What an answer of the task looks like, in a sentence."""
    if task.answer == "label":
        return prompts.LABELS.format(labels=", ".join(task.labels))
    return prompts.NUMBER if task.answer == "number" else prompts.TEXT


def rewrite_messages(prompt: str, strategy: Strategy, task: Task, examples: list[Example]) -> list:
    shown = "\n".join(prompts.EXAMPLE.format(input=e.text[:EXAMPLE_CHARS], target=e.target) for e in examples)
    shown = shown or prompts.NO_EXAMPLES
    user = prompts.APPLY.format(
        description=task.description,
        output_space=output_space(task),
        examples=shown,
        prompt=prompt,
        summary=strategy.summary,
        instruction=strategy.instruction,
    )
    return [SystemMessage(prompts.SYSTEM.format(words=PROMPT_WORDS)), HumanMessage(user)]


def apply_strategy(
    model: BaseChatModel, *, prompt: str, strategy: Strategy, task: Task, examples: list[Example]
) -> str | None:
    """The prompt rewritten by `strategy`, or None when the model gave no usable, different prompt."""
    messages = rewrite_messages(prompt, strategy, task, examples)
    return _new(ask_structured(model, messages, Rewrite, max_tokens=ANSWER_TOKENS).value, prompt)


def apply_strategy_with_tools(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    *,
    steps: int,
    prompt: str,
    strategy: Strategy,
    task: Task,
    examples: list[Example],
) -> tuple[str | None, Consultation[Rewrite]]:
    """As `apply_strategy`, but the optimizer may first call `tools` (a draft scored, the priors of similar tasks)
    for up to `steps` turns (`agents.consult`); the consultation says which it called and how it answered."""
    messages = rewrite_messages(prompt, strategy, task, examples)
    consultation = consult(model, messages, tools, Rewrite, steps, max_tokens=ANSWER_TOKENS)
    return _new(consultation.answer, prompt), consultation


def _new(answer: Rewrite | None, prompt: str) -> str | None:
    new = unwrapped(answer.prompt) if answer is not None else ""
    return new if new and new != prompt.strip() else None


def unwrapped(text: str) -> str:
    """The prompt without the delimiters it was shown in, which models tend to copy."""
    text = text.strip()
    for start, end in (("<prompt>", "</prompt>"), ("<<<", ">>>"), ('"', '"')):
        if text.startswith(start) and text.endswith(end) and len(text) > len(start) + len(end):
            text = text[len(start) : -len(end)].strip()
    return text.removeprefix("<prompt>").removesuffix("</prompt>").strip()
