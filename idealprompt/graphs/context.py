"""What an optimisation graph needs beside its state: the session (models, budget), the task, the strategy pool,
the memory, and the evaluator that remembers every answer. Passed as the graph's LangGraph context."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from idealprompt.memory import Memory, TaskDescriptor, rank_strategies
from idealprompt.session import Session
from idealprompt.strategies import StrategyPool
from idealprompt.tasks import Task
from idealprompt.tools.evaluate import Evaluator

EXAMPLES_IN_DESCRIPTOR = 3
PRIORS_CONSULTED = 5  # the most similar tasks' priors that rank strategies for a new one


@dataclass
class Optimization:
    session: Session
    task: Task
    pool: StrategyPool = field(default_factory=StrategyPool.builtin)
    memory: Memory | None = None  # None: no priors are read or written

    def __post_init__(self):
        self.evaluator  # noqa: B018  built now: a task the small model cannot serve (images) fails before any call

    @cached_property
    def evaluator(self) -> Evaluator:
        return Evaluator.for_session(self.session, self.task)

    @property
    def target(self) -> str:
        """The target model's route: priors are about what helped this model."""
        return self.session.describe("small")

    def descriptor(self) -> TaskDescriptor:
        """The task as the memory compares it with others."""
        return TaskDescriptor(
            name=self.task.name,
            description=self.task.description,
            labels=self.task.labels,
            examples=[e.text for e in self.task.train[:EXAMPLES_IN_DESCRIPTOR]],
        )

    def applicable(self) -> list[str]:
        """The pool's strategies that make sense for this task (labels, images), in pool order."""
        images = any(e.images for e in self.task.train)
        return self.pool.applicable(labels=bool(self.task.labels), images=images)

    def favoured(self) -> list[str]:
        """Applicable strategies that priors of similar tasks expect to help (positive score), best first; none
        without a memory."""
        if self.memory is None:
            return []
        applicable = set(self.applicable())
        ranked = rank_strategies(self.memory.priors.search(self.descriptor(), k=PRIORS_CONSULTED))
        return [s.strategy for s in ranked if s.score > 0 and s.strategy in applicable]
