"""The beam of IDEAL's Stage 2: candidate prompts, each a task description plus label definitions and
demonstrations copied from train, and the rule that decides which candidates are kept.

A candidate is accepted only if it scores higher on the dev slice than the candidate it was made from: the
reflector sees training examples only, so dev is held aside from it, and an edit that merely fits the training
mistakes does not get in. The beam keeps the `width` best candidates by dev score (then train score, then age).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from idealprompt.search.demos import Demo, render_demos

DEFINITIONS_HEADING = "Label definitions:"
Kind = Literal["seed", "priors", "warmup", "demos", "reflection"]


def render(instruction: str, definitions: dict[str, str], demos: Sequence[Demo] = ()) -> str:
    """A task description, label definitions and demonstrations as one prompt."""
    parts = [instruction]
    if definitions:
        lines = "\n".join(f"- {label}: {meaning}" for label, meaning in definitions.items())
        parts.append(f"{DEFINITIONS_HEADING}\n{lines}")
    if demos:
        parts.append(render_demos(list(demos)))
    return "\n\n".join(parts)


class Candidate(BaseModel):
    id: int
    parent: int | None
    instruction: str  # the task description and every rule, as the model reads it
    definitions: dict[str, str] = Field(default_factory=dict)  # label -> what it means
    demos: list[Demo] = Field(default_factory=list)  # worked examples, copied from train by code
    kind: Kind
    origin: str  # how it was made, for people: "seed", "priors: a > b", "warm-up: a", "reflection, round 2"
    train: float | None = None
    dev: float | None = None
    calls: int | None = None  # small-model calls the run had made when this candidate was scored
    dropped: int | None = None  # raced out after this many dev examples (then `dev` is over those only)
    accepted: bool | None = None  # for a reflection: whether it beat its parent on dev and entered the beam
    diagnosis: str = ""  # the reflector's reading of the mistakes that led to it
    strategies: list[str] = Field(default_factory=list)  # the pool strategies that made it from its parent
    round: int = 0  # the reflection round that made it; 0 before reflection
    looks: int = 0  # times the reflector was shown its mistakes: each look shows the next ones

    def render(self) -> str:
        """The prompt as the evaluator receives it (it adds the output space's line)."""
        return render(self.instruction, self.definitions, self.demos)


class Beam(BaseModel):
    candidates: list[Candidate] = Field(default_factory=list)  # every candidate made, by id
    kept: list[int] = Field(default_factory=list)  # the beam, best first
    width: int = Field(2, ge=1)
    best_dev: float | None = None
    stale_rounds: int = 0  # rounds in a row that did not raise the best dev score

    def add(
        self,
        parent: Candidate | None,
        *,
        kind: Kind,
        origin: str,
        instruction: str | None = None,
        definitions: dict[str, str] | None = None,
        demos: list[Demo] | None = None,
        diagnosis: str = "",
        strategies: Sequence[str] = (),
        round: int = 0,
    ) -> Candidate:
        """A new candidate; what is not given is inherited from the parent (a reflection keeps the demos)."""
        inherit = parent or Candidate(id=-1, parent=None, instruction="", kind="seed", origin="")
        candidate = Candidate(
            id=len(self.candidates),
            parent=None if parent is None else parent.id,
            instruction=inherit.instruction if instruction is None else instruction,
            definitions=inherit.definitions if definitions is None else definitions,
            demos=inherit.demos if demos is None else demos,
            kind=kind,
            origin=origin,
            diagnosis=diagnosis,
            strategies=list(strategies),
            round=round,
        )
        self.candidates.append(candidate)
        return candidate

    def holds(self, prompt: str) -> bool:
        """Whether a candidate already renders to `prompt` (then it needs no second place, nor scoring)."""
        return any(c.render() == prompt for c in self.candidates)

    def get(self, candidate_id: int) -> Candidate:
        return self.candidates[candidate_id]

    def beam(self) -> list[Candidate]:
        return [self.candidates[i] for i in self.kept]

    def best(self) -> Candidate:
        return self.candidates[self.kept[0]]

    def start(self, candidate: Candidate) -> None:
        """The candidate the reflection starts from (scored on train and dev)."""
        self.kept = [candidate.id]
        self.best_dev = candidate.dev

    def consider(self, candidate: Candidate) -> bool:
        """Keep a scored candidate if it beats its parent on dev; the beam is then trimmed to its width."""
        if candidate.parent is None:  # the seed: no parent to beat
            return False
        parent = self.candidates[candidate.parent]
        if candidate.dropped is not None or candidate.dev is None or parent.dev is None:
            return False
        if candidate.dev <= parent.dev:
            return False
        ranked = sorted([*self.beam(), candidate], key=lambda c: (-_dev(c), -(c.train or 0.0), c.id))
        self.kept = [c.id for c in ranked[: self.width]]
        return candidate.id in self.kept

    def end_round(self) -> None:
        """Count a round that did not raise the best dev score (the patience limit reads it)."""
        best = self.best().dev
        if best is not None and (self.best_dev is None or best > self.best_dev):
            self.best_dev, self.stale_rounds = best, 0
        else:
            self.stale_rounds += 1


def _dev(candidate: Candidate) -> float:
    """The dev score of a candidate of the beam: one is kept only once scored on dev."""
    if candidate.dev is None:
        raise ValueError(f"candidate {candidate.id} is in the beam but has no dev score")
    return candidate.dev
