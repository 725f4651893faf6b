"""Demonstrations chosen by code: k worked examples copied verbatim from the training split into a prompt.

A large model asked to "add a few examples" paraphrases them, invents some, or copies a dev example it was shown;
code copies exactly and only from train. Three selections, searched like the other strategies (by the pool's
`demos_*` strategies, `idealprompt.strategies`):

- `cover`: examples in split order, one answer after another, so that every label is shown before any repeats;
- `bootstrap`: like `cover`, but only among the examples the small model already answers right under the
  current prompt (DSPy's bootstrapping: demonstrations the model can follow), topped up by `cover`;
- `mistakes`: the current prompt's most consequential training mistakes with their right answers (the bad-case
  rule's order), topped up by `cover`.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from idealprompt.prompts.answers import DEMONSTRATION, DEMONSTRATIONS
from idealprompt.strategies import SELECTIONS
from idealprompt.tasks import Example


class Demo(BaseModel):
    id: str  # the training example's id: demonstrations are checked to come from train
    input: str
    answer: str

    @classmethod
    def of(cls, example: Example) -> Demo:
        return cls(id=example.id, input=example.text, answer=example.target)


def choose(
    selection: str, k: int, train: list[Example], *, right: Iterable[str] = (), mistakes: Iterable[Example] = ()
) -> list[Demo]:
    """k demonstrations from `train` by `selection`; `right` (ids answered right) and `mistakes` (ranked) come from
    the current prompt's evaluation on train. Images are not copied: a demonstration is text."""
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
    return [Demo.of(e) for e in chosen[:k]]


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
    shown = "\n\n".join(DEMONSTRATION.format(input=d.input, answer=d.answer) for d in demos)
    return DEMONSTRATIONS.format(examples=shown)
