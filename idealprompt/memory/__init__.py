"""The vector memory: strategy-tree priors (IDEAL) and style exemplars (SAG), in Chroma, embedded offline.

    memory = Memory.open(path)             # or Memory.open() for the configured default
    memory.priors.add(prior); memory.priors.search(task, model=..., k=5)
    memory.exemplars.search(text, style="house", k=3)
"""

from __future__ import annotations

from pathlib import Path

from idealprompt.memory.exemplars import ExemplarMemory
from idealprompt.memory.priors import PriorMemory, ScoredPrior, StrategyScore, rank_strategies
from idealprompt.memory.records import SCHEMA_VERSION, BestPath, Edit, Exemplar, Prior, StrategyStats, TaskDescriptor
from idealprompt.memory.store import ChromaStore, open_store


class Memory:
    """Both collections of one store, sharing one embedder."""

    def __init__(self, store: ChromaStore, embed=None):
        if embed is None:
            from idealprompt.memory.embeddings import embedder

            embed = lambda texts: embedder().embed(texts)  # noqa: E731  loaded on the first search or write
        where = str(store.path)
        self.store = store
        self.priors = PriorMemory(store.collection("priors"), embed, where)
        self.exemplars = ExemplarMemory(store.collection("exemplars"), embed, where)

    @classmethod
    def open(cls, path: Path | str | None = None, *, create: bool = True) -> Memory:
        """The store at `path`, or at the configured `memory` setting (IDEALPROMPT_MEMORY); a missing folder
        is a new, empty store unless `create` is false."""
        if path is None:
            from idealprompt.config import load_settings

            path = load_settings().memory
        return cls(open_store(path, schema=SCHEMA_VERSION, create=create))

    def close(self) -> None:
        self.store.close()


__all__ = [
    "BestPath",
    "Edit",
    "Exemplar",
    "Memory",
    "Prior",
    "ScoredPrior",
    "StrategyScore",
    "StrategyStats",
    "TaskDescriptor",
    "rank_strategies",
]
