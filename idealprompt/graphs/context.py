"""What an optimisation graph needs beside its state: the session (models, budget), the task, the strategy pool,
the memory, and the evaluator that remembers every answer. Passed as the graph's LangGraph context."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from idealprompt.memory import Memory, TaskDescriptor
from idealprompt.session import Session
from idealprompt.strategies import StrategyPool
from idealprompt.tasks import Task
from idealprompt.tools.evaluate import Evaluator

EXAMPLES_IN_DESCRIPTOR = 3


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
