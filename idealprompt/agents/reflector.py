"""The reflector agent: the large model diagnoses the small model's most consequential mistakes and rewrites the
task description and the label definitions (IDEAL Stage 2, empirical self-reflective optimisation).

The mistakes come from the `bad_cases` rule (idealprompt.scoring.evaluate), which the graph applies, the same rule
the `show_bad_cases` tool applies for agents that call it themselves. The answer is structured output; an
unusable one is no proposal, not a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, Field

from idealprompt.agents.consult import Consultation, consult
from idealprompt.agents.optimizer import ANSWER_TOKENS, PROMPT_WORDS, output_space, unwrapped
from idealprompt.memory import Lesson
from idealprompt.prompts import reflector as prompts
from idealprompt.scoring.evaluate import Prediction, describe
from idealprompt.search.beam import Candidate, render
from idealprompt.structured import ask_structured
from idealprompt.tasks import Task

INPUT_CHARS = 600  # a long input is cut: the reflector needs its gist
RULE_CHARS = 400  # a lesson's rule is cut: the gist of another task's prompt, not all of it


class Definition(BaseModel):
    label: str
    definition: str


@dataclass(frozen=True)
class Withheld:
    """What the reflector sees of the mistakes in private mode: aggregate statistics, and one description per
    mistake written by the local small model (`agents.describer`)."""

    statistics: str
    descriptions: list[str]


class Reflection(BaseModel):
    diagnosis: str = Field(description="why the model made these mistakes, in two or three sentences")
    task_description: str = Field(description="the new task description, with every rule, ending with how to answer")
    label_definitions: list[Definition] = Field(default_factory=list, description="one per label; empty if no labels")


def reflect_messages(
    candidate: Candidate,
    mistakes: list[Prediction],
    task: Task,
    lessons: Sequence[Lesson] = (),
    tried: Sequence[Candidate] = (),
    withheld: Withheld | None = None,
) -> list:
    prompt = candidate.render()
    if withheld is None:
        shown = "\n".join(_shown(m) for m in mistakes)
    else:  # private: no example text, and no demonstration (a training example) either
        described = "\n".join(
            prompts.MISTAKE_DESCRIBED.format(
                description=text,
                confusion=prompts.CONFUSION.format(**describe(m)) if task.answer == "label" else "",
            )
            for m, text in zip(mistakes, withheld.descriptions, strict=True)
        )
        shown = prompts.PRIVATE_MISTAKES.format(statistics=withheld.statistics, described=described)
        prompt = render(candidate.instruction, candidate.definitions)
        if candidate.demos:
            prompt += prompts.DEMOS_WITHHELD.format(n=len(candidate.demos))
    learnt = "\n".join(
        prompts.LESSON.format(diagnosis=x.edit.diagnosis.strip(), rule=x.edit.rule[:RULE_CHARS].strip())
        for x in lessons
    )
    attempts = "\n".join(
        prompts.TRIED_ONE.format(rule=c.instruction[:RULE_CHARS].strip(), outcome=_outcome(c)) for c in tried
    )
    user = prompts.REFLECT.format(
        description=task.description,
        output_space=output_space(task),
        prompt=prompt,
        mistakes=shown,
        lessons=prompts.LESSONS.format(lessons=learnt) if learnt else "",
        tried=prompts.TRIED.format(tried=attempts) if attempts else "",
    )
    return [SystemMessage(prompts.SYSTEM.format(words=PROMPT_WORDS)), HumanMessage(user)]


def _shown(mistake: Prediction) -> str:
    d = describe(mistake)
    return prompts.MISTAKE.format(
        input=d["input"][:INPUT_CHARS],
        expected=d["expected"],
        answer=d["answer"][:INPUT_CHARS] or "(nothing)",
        read_as=d["read_as"],
    )


def _outcome(attempt: Candidate) -> str:
    """How a rewrite fared on dev, for the reflector (the current prompt's dev score is not shown: dev is held
    aside from it, and so is any one score it could fit to)."""
    if attempt.dev is None:
        return "not scored"
    return "behind after a few examples: dropped" if attempt.dropped is not None else "scored, no better"


def reflect(
    model: BaseChatModel,
    *,
    candidate: Candidate,
    mistakes: list[Prediction],
    task: Task,
    lessons: Sequence[Lesson] = (),
    tried: Sequence[Candidate] = (),
    withheld: Withheld | None = None,
) -> Reflection | None:
    """A proposal: the diagnosis, a new task description and label definitions (only the task's labels, each
    once); None when the model gave nothing usable or nothing new. `lessons`: kept reflections of similar tasks;
    `tried`: rewrites of this candidate already scored and not kept, shown with how they fared (not their dev
    scores) so that the reflector (greedy, as a rule) does not propose them again; `withheld` (private mode):
    the mistakes' statistics and descriptions, shown instead of the examples."""
    messages = reflect_messages(candidate, mistakes, task, lessons, tried, withheld)
    answer = ask_structured(model, messages, Reflection, max_tokens=ANSWER_TOKENS)
    return _checked(answer.value, candidate, task)


def reflect_with_tools(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    *,
    steps: int,
    candidate: Candidate,
    mistakes: list[Prediction],
    task: Task,
    lessons: Sequence[Lesson] = (),
    tried: Sequence[Candidate] = (),
) -> Consultation[Reflection]:
    """As `reflect`, but the reflector may first call `tools` (more mistakes, a draft scored, priors) for up to
    `steps` turns (`agents.consult`); the consultation says which it called and how it answered."""
    messages = reflect_messages(candidate, mistakes, task, lessons, tried)
    consultation = consult(model, messages, tools, Reflection, steps, max_tokens=ANSWER_TOKENS)
    consultation.answer = _checked(consultation.answer, candidate, task)
    return consultation


def _checked(proposal: Reflection | None, candidate: Candidate, task: Task) -> Reflection | None:
    """The proposal with only the task's labels defined, each once; None if it is empty or changes nothing."""
    if proposal is None:
        return None
    proposal.task_description = unwrapped(proposal.task_description)
    known = {label.casefold(): label for label in task.labels}
    definitions: dict[str, str] = {}
    for d in proposal.label_definitions:
        label = known.get(d.label.strip().casefold())
        if label is not None and d.definition.strip() and label not in definitions:
            definitions[label] = d.definition.strip()
    proposal.label_definitions = [Definition(label=k, definition=v) for k, v in definitions.items()]
    unchanged = proposal.task_description == candidate.instruction and definitions == candidate.definitions
    return None if not proposal.task_description or unchanged else proposal
