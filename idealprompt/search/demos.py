"""Demonstrations chosen by code: k worked examples copied verbatim from the training split into a prompt.

A large model asked to "add a few examples" paraphrases them, invents some, or copies a dev example it was shown;
code copies exactly and only from train. Three selections, searched like the other strategies (by the pool's
`demos_*` strategies, `idealprompt.strategies`):

- `cover`: examples in split order, one answer after another, so that every label is shown before any repeats;
- `bootstrap`: like `cover`, but only among the examples the small model already answers right under the
  current prompt (DSPy's bootstrapping: demonstrations the model can follow), topped up by `cover`;
- `mistakes`: the current prompt's most consequential training mistakes with their right answers (the bad-case
  rule's order), topped up by `cover`.

Where the data has worked solutions (GSM8K's working, a task's `solution` field) and the answers are free, a
demonstration shows the working before its answer: bare answers taught the 0.5B model to skip its working on
GSM8K (test 12.7% under four bare demonstrations against 16.7% for the seed prompt, bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from idealprompt.prompts.answers import DEMONSTRATION, DEMONSTRATIONS, WORKED
from idealprompt.strategies import SELECTIONS
from idealprompt.tasks import Example


class Demo(BaseModel):
    id: str  # the training example's id: demonstrations are checked to come from train
    input: str
    answer: str
    solution: str = ""  # the worked solution shown before the answer, if any

    @classmethod
    def of(cls, example: Example, *, worked: bool = False) -> Demo:
        solution = example.solution if worked else ""
        return cls(id=example.id, input=example.text, answer=example.target, solution=solution)

    def shown(self) -> str:
        """The answer as the demonstration shows it."""
        return WORKED.format(solution=self.solution, answer=self.answer) if self.solution else self.answer


def choose(
    selection: str,
    k: int,
    train: list[Example],
    *,
    right: Iterable[str] = (),
    mistakes: Iterable[Example] = (),
    worked: bool = False,
) -> list[Demo]:
    """k demonstrations from `train` by `selection`; `right` (ids answered right) and `mistakes` (ranked) come from
    the current prompt's evaluation on train; `worked`: with the examples' worked solutions. Images are not
    copied: a demonstration is text."""
    if selection not in SELECTIONS:
        raise ValueError(f"unknown selection {selection!r}; known: {', '.join(SELECTIONS)}")
    pool = [e for e in train if not e.images]
    if selection == "bootstrap":
        right = set(right)
        first = _cover([e for e in pool if e.id in right], k)
    elif selection == "mistakes":
        ids = {e.id for e in pool}
        first = [e for e in mistakes if e.id in ids][:k]
    else:
        first = []
    chosen = first + [e for e in _cover(pool, len(pool)) if e not in first]
    return [Demo.of(e, worked=worked) for e in chosen[:k]]


def _cover(examples: list[Example], k: int) -> list[Example]:
    """Round-robin over the answers, in order of first appearance: every answer is shown before one repeats."""
    by_answer: dict[str, list[Example]] = {}
    for e in examples:
        by_answer.setdefault(e.target, []).append(e)
    out: list[Example] = []
    while len(out) < k and any(by_answer.values()):
        for queue in by_answer.values():
            if queue and len(out) < k:
                out.append(queue.pop(0))
    return out


def render_demos(demos: list[Demo]) -> str:
    """The demonstrations as the block that ends a prompt ("" for none)."""
    if not demos:
        return ""
    shown = "\n\n".join(DEMONSTRATION.format(input=d.input, answer=d.shown()) for d in demos)
    return DEMONSTRATIONS.format(examples=shown)
