"""The evaluator as tools an agent calls: score a prompt, page through its mistakes, score a draft of the reflector
or a rewrite of the optimizer beside the current prompt. Every answer is the evaluator's: counted in the budget, or
taken from its memo when known."""

from __future__ import annotations

import json
import math

from langchain_core.tools import BaseTool, tool

from idealprompt.scoring.evaluate import FAILURES_SHOWN, Evaluation, Evaluator, bad_cases, describe
from idealprompt.search.beam import Candidate, render
from idealprompt.search.demos import Demo
from idealprompt.tasks import Example


def evaluation_tools(evaluator: Evaluator, examples: list[Example]) -> list[BaseTool]:
    """`evaluate_prompt` and `show_bad_cases` over `examples`, as LangChain tools an agent can call."""
    labelled = evaluator.task.answer == "label"

    @tool
    def evaluate_prompt(prompt: str) -> str:
        """Score a candidate prompt: the target model answers the task's examples under it. Returns the score
        (0 to 1) and the mistakes most worth fixing, with the expected and the given answer."""
        result = evaluator.evaluate(prompt, examples)
        wrong = [describe(p) for p in bad_cases(result, labelled=labelled)]
        return json.dumps({"score": round(result.score, 4), "examples": len(examples), "wrong": wrong})

    @tool
    def show_bad_cases(prompt: str, k: int = FAILURES_SHOWN) -> str:
        """The target model's most consequential mistakes under a prompt: those of its most confused answer
        pairs first. Each has the input, the expected answer, the model's answer and how it was read."""
        found = bad_cases(evaluator.evaluate(prompt, examples), labelled=labelled, k=k)
        return json.dumps([describe(p) for p in found])

    return [evaluate_prompt, show_bad_cases]


def draft_tools(evaluator: Evaluator, examples: list[Example], current: Candidate, *, k: int) -> list[BaseTool]:
    """Tools for an agent that rewrites `current` (the reflector): `show_bad_cases` pages through its mistakes on
    `examples`, the most consequential first, or those where one answer was expected; `evaluate_draft` scores a
    rewrite of its task description and label definitions (its demonstrations kept) on `examples`, beside the
    current prompt. Every answer is the evaluator's: counted in the budget, or taken from its memo when known."""
    labelled = evaluator.task.answer == "label"

    def current_evaluation() -> Evaluation:
        return evaluator.evaluate(current.render(), examples)  # memoised: asked once per candidate

    @tool
    def show_bad_cases(page: int = 2, expected: str | None = None) -> str:
        """More mistakes of the target model under the current prompt, k to a page (page 1 is what you were shown
        first). `expected`: only mistakes where this was the right answer."""
        found = bad_cases(current_evaluation(), labelled=labelled, k=len(examples))
        if expected is not None:
            found = [p for p in found if p.example.target.casefold() == expected.strip().casefold()]
        start = max(page - 1, 0) * k
        return json.dumps(
            {"page": page, "of": math.ceil(len(found) / k), "mistakes": [describe(p) for p in found[start : start + k]]}
        )

    @tool
    def evaluate_draft(task_description: str, label_definitions: dict[str, str] | None = None) -> str:
        """Score a draft: the target model answers the training examples under your new task description and label
        definitions (the worked examples are kept). Returns its score beside the current prompt's, how many of the
        current mistakes it fixes and how many right answers it breaks, and a few of its own mistakes."""
        draft = evaluator.evaluate(render(task_description, label_definitions or {}, current.demos), examples)
        return _compared(draft, current_evaluation(), labelled=labelled, k=k)

    return [show_bad_cases, evaluate_draft]


def rewrite_tools(
    evaluator: Evaluator,
    examples: list[Example],
    instruction: str,
    demos: list[Demo],
    definitions: dict[str, str] | None = None,
    *,
    k: int = FAILURES_SHOWN,
) -> list[BaseTool]:
    """Tools for an agent that rewrites `instruction` (the optimizer): `evaluate_rewrite` scores a new instruction
    (the demonstrations and label definitions kept) on `examples`, beside the current prompt. Every answer is the
    evaluator's: counted in the budget, or taken from its memo when known."""
    definitions = definitions or {}

    @tool
    def evaluate_rewrite(prompt: str) -> str:
        """Score a rewrite: the target model answers the training examples under your new prompt (the worked
        examples are kept). Returns its score beside the current prompt's, how many of the current mistakes it
        fixes and how many right answers it breaks, and a few of its own mistakes."""
        draft = evaluator.evaluate(render(prompt, definitions, demos), examples)
        before = evaluator.evaluate(render(instruction, definitions, demos), examples)
        return _compared(draft, before, labelled=evaluator.task.answer == "label", k=k)

    return [evaluate_rewrite]


def _compared(draft: Evaluation, before: Evaluation, *, labelled: bool, k: int) -> str:
    """A draft's score beside the current prompt's, what it fixes and breaks, and a few of its own mistakes."""
    pairs = list(zip(before.predictions, draft.predictions, strict=True))
    return json.dumps(
        {
            "score": round(draft.score, 4),
            "current_score": round(before.score, 4),
            "fixed": sum(b.score < 1 <= d.score for b, d in pairs),
            "broken": sum(d.score < 1 <= b.score for b, d in pairs),
            "wrong": [describe(p) for p in bad_cases(draft, [before], labelled=labelled, k=min(k, 3))],
        }
    )
