"""The self-improvement filter (SAG's style consistency step): the current stylist writes k candidates per input,
each is scored for style (the style scorer) and checked for faithfulness (the fact check), and the most stylish
candidate that the check finds nothing wrong with, if it reaches `min_style`, becomes a new training pair. The
round's candidates are kept as well: the checked ones are content DPO's own-output pairs (`pairs`).

No torch here: any chat model can be the stylist (a trained one is `embedded:<folder>/stylist.lora.gguf`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import convert_to_messages

from idealprompt.agents.stylist import write
from idealprompt.scoring.style import StyleScorer
from idealprompt.styles import Style
from idealprompt.train.data import Pair, prompt

TEMPERATURE = 0.8  # candidates differ enough to choose from, and still read as the model's best


@dataclass(frozen=True)
class Candidate:
    text: str
    style: float  # the scorer's probability of the target style
    problems: tuple[str, ...]  # what the fact check found wrong; empty: faithful


@dataclass
class Round:
    """One round's inputs with their candidates, and what it kept."""

    candidates: list[tuple[Pair, list[Candidate]]] = field(default_factory=list)
    kept: list[tuple[Pair, Candidate]] = field(default_factory=list)  # an input and the candidate chosen for it

    def new_pairs(self) -> list[Pair]:
        return [Pair(pair.neutral, chosen.text) for pair, chosen in self.kept]

    def stats(self) -> dict[str, float]:
        every = [c for _, found in self.candidates for c in found]
        n = max(len(every), 1)
        return {
            "inputs": len(self.candidates),
            "candidates": len(every),
            "kept": len(self.kept),
            "style": sum(c.style for c in every) / n,
            "faithful": sum(not c.problems for c in every) / n,
            "kept_style": sum(c.style for _, c in self.kept) / max(len(self.kept), 1),
        }


def choose(candidates: Sequence[Candidate], min_style: float) -> Candidate | None:
    """The most stylish faithful candidate at or above `min_style`, if any."""
    passing = [c for c in candidates if not c.problems and c.style >= min_style]
    return max(passing, key=lambda c: c.style) if passing else None


def improve_round(
    stylist: BaseChatModel,
    style: Style,
    inputs: Sequence[Pair],
    scorer: StyleScorer,
    check: Callable[[str, str], Sequence[str]],
    *,
    k: int = 4,
    min_style: float = 0.5,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Round:
    """`check(neutral, text)`: the problems the fact check finds in `text` against the facts `neutral`."""
    found = Round()
    for done, pair in enumerate(inputs, 1):
        messages = convert_to_messages(prompt(style, pair.neutral))
        texts = [write(stylist, messages, temperature=TEMPERATURE, seed=seed + i) for i in range(k)]
        scores = scorer.probabilities(texts, style.name)
        candidates = [Candidate(t, s, tuple(check(pair.neutral, t))) for t, s in zip(texts, scores, strict=True)]
        found.candidates.append((pair, candidates))
        if (best := choose(candidates, min_style)) is not None:
            found.kept.append((pair, best))
        if progress:
            progress(done, len(inputs))
    return found
