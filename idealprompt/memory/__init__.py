"""The vector memory: strategy-tree priors (IDEAL) and styles with their exemplars (SAG), in Chroma, embedded
offline.

    memory = Memory.open(path)             # or Memory.open() for the configured default
    memory.priors.add(prior); memory.priors.search(task, model=..., k=5)
    memory.add_style(style); memory.style("tablenotes")
    memory.exemplars.search(text, style="tablenotes", k=3)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from idealprompt.errors import StyleError
from idealprompt.memory.builtin import install_builtin_priors, installed, pack_info
from idealprompt.memory.exemplars import ExemplarMemory
from idealprompt.memory.priors import (
    Lesson,
    PriorMemory,
    ScoredPrior,
    StrategyScore,
    lessons,
    model_affinity,
    rank_strategies,
)
from idealprompt.memory.records import (
    SCHEMA_VERSION,
    BestPath,
    Edit,
    Exemplar,
    Prior,
    StrategyStats,
    StyleCard,
    TaskDescriptor,
)
from idealprompt.memory.store import Store, open_store
from idealprompt.memory.styles import StyleMemory
from idealprompt.styles import Style, builtin_styles


class Memory:
    """The collections of one store, sharing one embedder."""

    def __init__(self, store: Store, embed=None):
        if embed is None:
            from idealprompt.memory.embeddings import embedder

            embed = lambda texts: embedder().embed(texts)  # noqa: E731  loaded on the first search or write
        where = store.where
        self.store = store
        self.priors = PriorMemory(store.collection("priors"), embed, where)
        self.exemplars = ExemplarMemory(store.collection("exemplars"), embed, where)
        self.styles = StyleMemory(store.collection("styles"), embed, where)

    @classmethod
    def open(cls, path: Path | str | None = None, *, create: bool = True) -> Memory:
        """The store at `path` (a folder, or a Chroma server's http(s):// URL as a str), or at the configured
        `memory` setting (IDEALPROMPT_MEMORY); a missing folder is a new, empty store unless `create` is false.
        The configured store installs the built-in priors on first use (a store named by `path` only when asked:
        `install_builtin_priors`)."""
        default = path is None
        if path is None:
            from idealprompt.config import load_settings

            path = load_settings().memory
        memory = cls(open_store(path, schema=SCHEMA_VERSION, create=create))
        if default and not installed(memory.store):
            memory.install_builtin_priors()
        return memory

    def install_builtin_priors(self) -> int:
        """The built-in prior pack imported into this store (`memory.builtin`); returns how many priors it holds."""
        return install_builtin_priors(self.priors, self.store)

    # --- styles --------------------------------------------------------------------------------------------------
    def add_style(self, style: Style, *, source: str = "") -> int:
        """Store a style's card (replacing an older one of the same name) and its texts; a text already stored for
        the style is not stored twice. Returns how many texts are new."""
        neutral = style.neutral or [""] * len(style.exemplars)
        rows = {
            f"{style.name}-{hashlib.sha256(t.encode()).hexdigest()[:16]}": (t, n)
            for t, n in zip(style.exemplars, neutral, strict=True)
        }
        known = self.exemplars.stored(list(rows))
        new = [
            Exemplar(id=i, text=t, style=style.name, neutral=n, source=source)
            for i, (t, n) in rows.items()
            if i not in known
        ]
        self.exemplars.add(*new)
        self.styles.add(StyleCard(id=style.name, description=style.description, prompt=style.prompt, source=source))
        return len(new)

    def style(self, name: str) -> Style:
        """A style with all its texts; a built-in style is stored on first use."""
        card = self.styles.find(name)
        if card is None and name in builtin_styles():
            self.add_style(builtin_styles()[name], source="built in")
            card = self.styles.find(name)
        if card is None:
            known = sorted({c.id for c in self.styles.all()} | set(builtin_styles()))
            raise StyleError(
                f"no style {name!r} in {self.store.where}; add it with `idealprompt style add {name} "
                f"--corpus FILE`, or choose one of: {', '.join(known)}"
            )
        found = self.exemplars.all(where={"style": name})
        neutral = [e.neutral for e in found] if all(e.neutral for e in found) else []
        return Style(
            name=name,
            description=card.description,
            exemplars=[e.text for e in found],
            neutral=neutral,
            prompt=card.prompt,
        )

    def close(self) -> None:
        self.store.close()


__all__ = [
    "BestPath",
    "Edit",
    "Exemplar",
    "Lesson",
    "Memory",
    "Prior",
    "ScoredPrior",
    "StrategyScore",
    "StrategyStats",
    "StyleCard",
    "TaskDescriptor",
    "lessons",
    "model_affinity",
    "pack_info",
    "rank_strategies",
]
