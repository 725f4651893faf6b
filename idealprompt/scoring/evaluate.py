"""Evaluating a prompt: the small model answers examples under it, and the task's metric scores the answers.

This is the hot path of every optimiser, so:
- the prompt is the system message and the example the user message: every request of an evaluation shares the
  prompt as a prefix, which llama.cpp keeps in its KV cache (only the example is evaluated anew);
- the system message ends with the task's output space, and a constrained task's answers are held to it by the
  route (`tasks.output`): a label costs the few tokens that decide it;
- requests go out together, as many at once as the route serves (`Session.concurrency`);
- a (prompt, example) pair is answered once per evaluator: a prompt reached twice, or scored again on examples it
  has seen, costs no call.
The mistakes worth reflecting on are chosen by `bad_cases` (the rule is in its docstring).
Contract: one example's failure never aborts an evaluation (it scores 0 and is not remembered, so it is retried
next time); a route that fails every request of an evaluation is broken: a RouteError names it and its error; a
budget refusal propagates (`BudgetExhausted`) after the answers already received are kept.
"""

from __future__ import annotations

import base64
import hashlib
import math
import mimetypes
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig

from idealprompt.errors import BudgetExhausted, RouteError
from idealprompt.prompts.answers import CONTRACT
from idealprompt.routes import Shape, accepts_images, shaped
from idealprompt.session import Session
from idealprompt.tasks import Example, Task

FAILURES_SHOWN = 5  # mistakes shown to an agent: enough to see a pattern, few enough for a small context
UNREADABLE = "(unreadable)"


@dataclass(frozen=True)
class Prediction:
    example: Example
    answer: str  # the model's raw answer
    parsed: str | None  # the answer read against the task's output space; None: unreadable
    score: float  # this example's metric score, in [0, 1]
    error: str | None = None  # the request failed (the example scores 0)


@dataclass(frozen=True)
class Evaluation:
    prompt: str
    score: float
    predictions: list[Prediction]
    calls: int  # requests this evaluation sent; the other answers were remembered

    @property
    def failures(self) -> list[Prediction]:
        return [p for p in self.predictions if p.score < 1]


@dataclass
class Evaluator:
    """Scores prompts for one task with one (small) model, remembering every answer it got."""

    task: Task
    model: BaseChatModel
    concurrency: int = 1
    route: str = "the small model"  # how errors name it
    calls: int = 0  # requests sent so far
    _answers: dict[tuple[str, str], Prediction] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        space = self.task.output
        answers = Shape(
            max_tokens=self.task.answer_tokens,
            grammar=space.grammar(),
            schema=space.schema(),
            labels=space.scored_labels(),
        )
        self.model = shaped(self.model, answers)
        splits = (self.task.train, self.task.dev, self.task.test)
        if any(e.images for split in splits for e in split) and not accepts_images(self.model):
            raise RouteError(
                f"task {self.task.name!r} has images, and {self.model.name or 'this model'} cannot see images (no "
                "embedded model can): set `small` to a vision model's route, e.g. ollama:qwen2.5vl or "
                "openai:gpt-4o-mini"
            )

    @classmethod
    def for_session(cls, session: Session, task: Task) -> Evaluator:
        return cls(task, session.model("small"), session.concurrency("small"), route=session.describe("small"))

    def system(self, prompt: str) -> str:
        """The system message a prompt becomes: the prompt, then the line that names the output space."""
        return system_message(self.task, prompt)

    def messages(self, prompt: str, example: Example) -> list[BaseMessage]:
        system = SystemMessage(self.system(prompt))
        if not example.images:
            return [system, HumanMessage(example.text)]
        parts: list[str | dict[str, Any]] = [{"type": "text", "text": example.text}]
        parts += [{"type": "image_url", "image_url": {"url": _data_url(p)}} for p in example.images]
        return [system, HumanMessage(parts)]

    def evaluate(self, prompt: str, examples: list[Example]) -> Evaluation:
        todo, failed = self._todo(prompt, examples), {}
        if todo:
            config: RunnableConfig = {"max_concurrency": self.concurrency}
            answers = self.model.batch([self.messages(prompt, e) for e in todo], config, return_exceptions=True)
            failed = self._take(prompt, todo, answers)
        return self._score(prompt, examples, len(todo), failed)

    async def aevaluate(self, prompt: str, examples: list[Example]) -> Evaluation:
        todo, failed = self._todo(prompt, examples), {}
        if todo:
            config: RunnableConfig = {"max_concurrency": self.concurrency}
            answers = await self.model.abatch([self.messages(prompt, e) for e in todo], config, return_exceptions=True)
            failed = self._take(prompt, todo, answers)
        return self._score(prompt, examples, len(todo), failed)

    def known(self, prompt: str, examples: list[Example]) -> Evaluation:
        """The prompt scored on those of `examples` it already has answers for, in their order; no call."""
        key = _digest(prompt)
        with self._lock:
            held = [e for e in examples if (key, e.id) in self._answers]
        return self._score(prompt, held, 0, {}) if held else Evaluation(prompt, 0.0, [], 0)

    def _todo(self, prompt: str, examples: list[Example]) -> list[Example]:
        key = _digest(prompt)
        with self._lock:
            unique = {e.id: e for e in examples if (key, e.id) not in self._answers}
        return list(unique.values())

    def _take(self, prompt: str, examples: list[Example], answers: list) -> dict[str, Prediction]:
        """Remember the answers; the failed requests, by example id, are returned and not remembered."""
        key, refused, failed, errors = _digest(prompt), None, {}, []
        with self._lock:
            self.calls += sum(not isinstance(a, BudgetExhausted) for a in answers)  # refused ones were never sent
            for example, answer in zip(examples, answers, strict=True):
                if isinstance(answer, BudgetExhausted):
                    refused = answer
                elif isinstance(answer, Exception):
                    errors.append(answer)
                    failed[example.id] = Prediction(example, "", None, 0.0, error=f"{type(answer).__name__}: {answer}")
                else:
                    parsed = self.task.parse(answer.text)
                    score = self.task.example_score(parsed, example)
                    self._answers[key, example.id] = Prediction(example, answer.text, parsed, score)
        if refused is not None:
            raise refused
        if errors and len(errors) == len(examples):
            error = errors[-1]
            raise RouteError(
                f"{self.route}: all {len(errors)} requests of an evaluation failed; the last: "
                f"{type(error).__name__}: {error}"
            ) from error
        return failed

    def _score(self, prompt: str, examples: list[Example], calls: int, failed: dict[str, Prediction]) -> Evaluation:
        key = _digest(prompt)
        with self._lock:
            predictions = [self._answers.get((key, e.id)) or failed[e.id] for e in examples]
        score = self.task.score([p.parsed for p in predictions], examples)
        return Evaluation(prompt, score, predictions, calls)


def system_message(task: Task, prompt: str) -> str:
    """`prompt` ended by the contract line of the task's output space (none for free text)."""
    space = task.output
    contract = CONTRACT.get((space.answer, space.mode), "").format(labels=", ".join(space.labels))
    return f"{prompt.rstrip()}\n\n{contract}" if contract else prompt


def bad_cases(
    evaluation: Evaluation,
    others: Sequence[Evaluation] = (),
    *,
    labelled: bool,
    k: int = FAILURES_SHOWN,
    offset: int = 0,
) -> list[Prediction]:
    """The k mistakes of `evaluation` most worth reflecting on, most consequential first; with an `offset`, the k
    after the first `offset` of that order (wrapping around), so that a second look at one prompt sees other ones.

    Each mistake has a confusion: (expected answer, answer read), "(unreadable)" when none could be read; unless
    the task is `labelled`, every readable mistake shares one confusion. Mistakes are ranked by
    1. how many of this prompt's mistakes share their confusion: the most confused pair first, as one rule mends
       them all;
    2. how many of the `others` (the other candidates of the beam) also get the example wrong: a mistake every
       wording makes points at a gap in the task description, not at one phrasing;
    3. the example's order (a stable tie-break).
    At most ceil(k / 2) of one confusion are taken while others remain, so the reflector also sees the second
    kind of mistake.
    """

    def confusion(p: Prediction) -> tuple[str, str]:
        return _confusion(p, labelled)

    failures = evaluation.failures
    counts = Counter(confusion(p) for p in failures)
    wrong_elsewhere = Counter(p.example.id for other in others for p in other.failures)
    ranked = sorted(failures, key=lambda p: (-counts[confusion(p)], -wrong_elsewhere[p.example.id]))  # stable
    cap = math.ceil(k / 2)
    taken: Counter[tuple[str, str]] = Counter()
    chosen: list[Prediction] = []
    for p in ranked:
        if taken[confusion(p)] < cap:
            chosen.append(p)
            taken[confusion(p)] += 1
    ordered = chosen + [p for p in ranked if p not in chosen]
    start = offset % len(ordered) if ordered else 0
    return (ordered[start:] + ordered[:start])[:k]


def _confusion(p: Prediction, labelled: bool) -> tuple[str, str]:
    expected = p.example.target if labelled else "*"
    return expected, UNREADABLE if p.parsed is None else (p.parsed if labelled else "wrong")


def error_statistics(evaluation: Evaluation, *, labelled: bool) -> str:
    """A prompt's mistakes in aggregate, naming no example: how many were right, and each confusion's count
    (labels are the task's own; other answers are told apart only as wrong or unreadable)."""
    n, failures = len(evaluation.predictions), evaluation.failures
    lines = [f"{n - len(failures)} of {n} training examples answered right."]
    for (expected, read), count in Counter(_confusion(p, labelled) for p in failures).most_common():
        if read == UNREADABLE:
            right = f" ({expected} was right)" if labelled else ""
            lines.append(f"- {count} answers could not be read as an answer{right}")
        else:
            lines.append(f"- {count} times {read} where {expected} was right" if labelled else f"- {count} wrong")
    return "\n".join(lines)


def describe(prediction: Prediction) -> dict[str, str]:
    """A mistake as an agent reads it."""
    read = UNREADABLE if prediction.parsed is None else prediction.parsed
    return {
        "input": prediction.example.text,
        "expected": prediction.example.target,
        "answer": prediction.answer,
        "read_as": read,
    }


def _digest(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()


def _data_url(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(Path(path).read_bytes()).decode()}"
