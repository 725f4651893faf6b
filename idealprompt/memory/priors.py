"""Priors: strategy-tree summaries and the lessons of kept reflections, found again by task similarity and target
model, and turned into a ranking of strategies and a list of lessons."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from idealprompt.memory.base import RecordMemory
from idealprompt.memory.records import Edit, Prior, TaskDescriptor

VISITS_PRIOR = 1.0  # shrinks the gain of a rarely tried strategy towards zero: n / (n + VISITS_PRIOR)
CANDIDATES_PER_RESULT = 3  # similar priors fetched per one returned, before they are re-ranked by model
LATER_PRIORS = 10  # more fetched when those written after a time are left out: a resumed run's own, and a few
# How much a prior for another target model counts, beside one for the same model (1.0): what helps a model
# helps its own family and models of its size more than others.
AFFINITY = {"family and size": 0.8, "family": 0.6, "size": 0.5, "other": 0.3}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([bm])\b", re.I)


@dataclass(frozen=True)
class ScoredPrior:
    prior: Prior
    similarity: float  # of the tasks (cosine)
    affinity: float = 1.0  # of the target models (`model_affinity`)

    @property
    def weight(self) -> float:
        return max(0.0, self.similarity) * self.affinity


def model_affinity(a: str, b: str) -> float:
    """How much a prior learnt for target model `a` says about model `b`: 1 for the same route, less for the same
    family (the model name before its size) or size, least for other models."""
    if a == b:
        return 1.0
    (family_a, size_a), (family_b, size_b) = _family_and_size(a), _family_and_size(b)
    same_family, same_size = family_a == family_b and family_a != "", size_a == size_b and size_a is not None
    key = {(True, True): "family and size", (True, False): "family", (False, True): "size"}.get(
        (same_family, same_size), "other"
    )
    return AFFINITY[key]


def _family_and_size(route: str) -> tuple[str, float | None]:
    """("qwen2.5", 0.5) for embedded:qwen2.5-coder-0.5b, ollama:qwen2.5:0.5b or openai:qwen2.5-0.5b-instruct."""
    name = route.partition(":")[2].lower() or route.lower()
    size = _SIZE.search(name)
    billions = None if size is None else float(size.group(1)) / (1000 if size.group(2).lower() == "m" else 1)
    family = re.split(r"[-:_/]", name)[0]
    return family, billions


@dataclass(frozen=True)
class StrategyScore:
    strategy: str
    score: float  # expected gain, weighted by task similarity and by how often the strategy was tried
    support: int  # how many of the retrieved priors tried it


class PriorMemory(RecordMemory[Prior]):
    record_type = Prior
    kind = "prior"

    def text(self, record: Prior) -> str:
        return record.task.text()

    def fields(self, record: Prior) -> dict[str, Any]:
        return {"model": record.model, "task": record.task.name}

    def search(
        self,
        task: TaskDescriptor | str,
        *,
        model: str | None = None,
        k: int = 5,
        only_model: bool = False,
        before: datetime | None = None,
    ) -> list[ScoredPrior]:
        """Priors of the most similar tasks, best first. With `model`, each is weighted by its target model's
        affinity to `model` (the same model first, then its family and size) and ranked by similarity x affinity;
        with `only_model`, only priors for exactly that model are returned; with `before`, only priors written
        before then (the memory as a run saw it when it started, for its resumption or a fork of it)."""
        text = task.text() if isinstance(task, TaskDescriptor) else task
        wanted = k if before is None else k + LATER_PRIORS
        if model is None or only_model:
            where = {"model": model} if model else None
            found = [ScoredPrior(p, s) for p, s in self.similar(text, wanted, where)]
        else:
            scored = self.similar(text, wanted * CANDIDATES_PER_RESULT)
            found = sorted(
                (ScoredPrior(p, s, model_affinity(p.model, model)) for p, s in scored), key=lambda f: -f.weight
            )
        return [f for f in found if before is None or f.prior.created < before][:k]


def rank_strategies(found: list[ScoredPrior]) -> list[StrategyScore]:
    """Aggregate the priors of similar tasks into one ranking of strategies for a new task.

    score(strategy) = sum_i w_i * c_i * gain_i / sum_i w_i, over the retrieved priors i, where w_i is the prior's
    task similarity (below zero counts as zero) times its target model's affinity, gain_i the strategy's mean gain
    over its parent in prior i, c_i = visits / (visits + 1) its confidence, and a prior that never tried the
    strategy adds no evidence (gain 0).
    """
    weights = [f.weight for f in found]
    total = sum(weights)
    if total == 0:
        return []
    score: dict[str, float] = defaultdict(float)
    support: dict[str, int] = defaultdict(int)
    for weight, f in zip(weights, found, strict=True):
        for s in f.prior.strategies:
            confidence = s.visits / (s.visits + VISITS_PRIOR)
            score[s.strategy] += weight * confidence * s.mean_gain / total
            support[s.strategy] += 1
    ranked = [StrategyScore(name, score[name], support[name]) for name in score]
    return sorted(ranked, key=lambda r: (-r.score, r.strategy))


@dataclass(frozen=True)
class Lesson:
    edit: Edit
    task: str  # the task it was learnt on
    weight: float  # the prior's similarity x affinity


def lessons(found: list[ScoredPrior], k: int = 3) -> list[Lesson]:
    """The kept reflections of similar tasks that raised the dev score, most useful first (gain x weight)."""
    all_lessons = [
        Lesson(e, f.prior.task.name or f.prior.task.description[:60], f.weight)
        for f in found
        for e in f.prior.edits
        if e.gain > 0 and f.weight > 0
    ]
    return sorted(all_lessons, key=lambda x: -x.edit.gain * x.weight)[:k]
