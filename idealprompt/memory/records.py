"""What the memory keeps: priors (what optimisation strategies did for a task and model) and style exemplars.

Records are pydantic models with a schema version; they travel as JSON (in the store, and one per line in
exports), so priors can be shared between machines and teams.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, Field

SCHEMA_VERSION = 1
EXAMPLES_IN_TEXT = 3
EXAMPLE_CHARS = 200  # a few examples, trimmed, say what inputs look like; more would drown the description


def _id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


class TaskDescriptor(BaseModel):
    """What a task is about, as far as similarity between tasks goes."""

    description: str = Field(min_length=1)
    name: str = ""
    labels: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list, description="a few example inputs")

    def text(self) -> str:
        """The text that is embedded to find similar tasks."""
        lines = [self.description]
        if self.labels:
            lines.append("Labels: " + ", ".join(self.labels))
        lines += [f"Example: {e[:EXAMPLE_CHARS]}" for e in self.examples[:EXAMPLES_IN_TEXT]]
        return "\n".join(lines)


class StrategyStats(BaseModel):
    """One strategy's statistics in a strategy tree."""

    strategy: str
    visits: int = Field(ge=0)
    mean_reward: float
    mean_gain: float = Field(description="mean metric gain of a node over its parent when this strategy made it")


class BestPath(BaseModel):
    strategies: list[str]
    reward: float
    gain: float = Field(description="metric gain over the seed prompt")


class Edit(BaseModel):
    """A reflection that was kept (IDEAL Stage 2): what was wrong, the rule that fixed it, and its dev gain. Later
    optimisations of similar tasks show these lessons to their reflector."""

    diagnosis: str
    gain: float
    rule: str = ""  # the task description the reflection wrote (old records read as "")
    definitions: dict[str, str] = Field(default_factory=dict)  # the label definitions that scored


class Prior(BaseModel):
    """The summary of one strategy tree: which strategies, in which order, helped this task on this model."""

    id: str = Field(default_factory=_id)
    schema_version: int = SCHEMA_VERSION
    task: TaskDescriptor
    model: str = Field(description="the target model's route, e.g. embedded:qwen2.5-coder-0.5b")
    strategies: list[StrategyStats]
    best_paths: list[BestPath] = Field(default_factory=list)
    edits: list[Edit] = Field(default_factory=list)  # added after schema 1 was written; old records read as []
    dataset_size: int = Field(ge=0)
    created: datetime = Field(default_factory=_now)


class Exemplar(BaseModel):
    """A text written in a style, for the stylist to imitate."""

    id: str = Field(default_factory=_id)
    schema_version: int = SCHEMA_VERSION
    text: str = Field(min_length=1)
    style: str = Field(min_length=1)
    neutral: str = ""  # the same facts, stated plainly: the exemplar becomes a worked example
    source: str = ""
    quality: float = 1.0
    created: datetime = Field(default_factory=_now)


class StyleCard(BaseModel):
    """A style's name, description and writer's prompt; its texts are `Exemplar` records of the same style."""

    id: str  # the style's name: one card per style
    schema_version: int = SCHEMA_VERSION
    description: str = Field(min_length=1)
    prompt: str = ""
    source: str = ""
    created: datetime = Field(default_factory=_now)
