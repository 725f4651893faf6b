"""Priors: strategy-tree summaries, found again by task similarity, and turned into a ranking of strategies."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from idealprompt.memory.base import RecordMemory
from idealprompt.memory.records import Prior, TaskDescriptor

VISITS_PRIOR = 1.0  # shrinks the gain of a rarely tried strategy towards zero: n / (n + VISITS_PRIOR)


@dataclass(frozen=True)
class ScoredPrior:
    prior: Prior
    similarity: float


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

    def search(self, task: TaskDescriptor | str, *, model: str | None = None, k: int = 5) -> list[ScoredPrior]:
        """Priors of the most similar tasks, best first; only those for `model` when given."""
        text = task.text() if isinstance(task, TaskDescriptor) else task
        where = {"model": model} if model else None
        return [ScoredPrior(p, s) for p, s in self.similar(text, k, where)]


def rank_strategies(found: list[ScoredPrior]) -> list[StrategyScore]:
    """Aggregate the priors of similar tasks into one ranking of strategies for a new task.

    score(strategy) = sum_i sim_i * c_i * gain_i / sum_i sim_i, over the retrieved priors i, where gain_i is the
    strategy's mean gain over its parent in prior i, c_i = visits / (visits + 1) its confidence, and a prior that
    never tried the strategy adds no evidence (gain 0). Similarities below zero count as zero.
    """
    weights = [max(0.0, f.similarity) for f in found]
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
