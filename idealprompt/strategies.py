"""The strategy pool: named, documented ways to rewrite a prompt, that the warm-up search combines.

    pool = StrategyPool.builtin()                     # the strategies of `idealprompt.prompts.strategies`
    pool.register(Strategy("cite_policy", "Quote the policy.", "Add the clause of the policy that ..."))
    pool = StrategyPool.builtin().extended_from("my_strategies.yaml")

A strategy file (YAML or JSON) is a list of objects with `name`, `summary`, `instruction` and optionally `needs`
(a subset of ["labels", "images"]); a name already in the pool replaces that strategy.

Most strategies are instructions for the large model. The `demos_*` strategies are applied by code instead: they
set the prompt's demonstrations, k examples copied verbatim from train by a selection (`search.demos`), and
cost no large-model call; k and the selection are searched like any other strategy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from idealprompt.errors import StrategyError
from idealprompt.prompts import strategies as texts
from idealprompt.userfiles import read_text, read_yaml

NEEDS = ("labels", "images")
SELECTIONS = ("cover", "bootstrap", "mistakes")  # see idealprompt.search.demos
DEMONSTRATIONS = [  # (selection, k): each a strategy named demos_<selection>_<k>
    ("cover", 4, "Show 4 training examples that cover the answers."),
    ("cover", 8, "Show 8 training examples that cover the answers."),
    ("bootstrap", 4, "Show 4 training examples the model already answers right."),
    ("bootstrap", 8, "Show 8 training examples the model already answers right."),
    ("mistakes", 4, "Show the model's 4 most telling training mistakes with their right answers."),
]


@dataclass(frozen=True)
class Strategy:
    name: str
    summary: str  # one line, for tables and for the optimizer's context
    instruction: str  # what the large model is told to do to the prompt
    needs: tuple[str, ...] = field(default=())
    selection: str | None = None  # set for a demonstrations strategy, applied by code: how examples are chosen
    k: int = 0  # how many

    @property
    def by_code(self) -> bool:
        return self.selection is not None

    def __post_init__(self):
        if not self.name.isidentifier():
            raise StrategyError(f"strategy name {self.name!r}: use letters, digits and underscores")
        if not self.instruction.strip():
            raise StrategyError(f"strategy {self.name!r}: the instruction is empty")
        if unknown := set(self.needs) - set(NEEDS):
            raise StrategyError(f"strategy {self.name!r}: unknown needs {sorted(unknown)}; known: {', '.join(NEEDS)}")
        if self.selection is not None and (self.selection not in SELECTIONS or self.k < 1):
            raise StrategyError(f"strategy {self.name!r}: selection must be one of {', '.join(SELECTIONS)} with k >= 1")

    def applies(self, *, labels: bool, images: bool) -> bool:
        """Whether the strategy makes sense for a task with (or without) labels and images."""
        return ("labels" not in self.needs or labels) and ("images" not in self.needs or images)


class StrategyPool:
    """An ordered set of strategies by name."""

    def __init__(self, strategies: list[Strategy] | None = None):
        self._by_name: dict[str, Strategy] = {}
        for s in strategies or []:
            self.register(s)

    @classmethod
    def builtin(cls) -> StrategyPool:
        rewrites = [
            Strategy(name, summary, instruction, tuple(needs)) for name, summary, instruction, needs in texts.BUILTIN
        ]
        demos = [
            Strategy(f"demos_{selection}_{k}", summary, summary, selection=selection, k=k)
            for selection, k, summary in DEMONSTRATIONS
        ]
        return cls(rewrites + demos)

    def register(self, strategy: Strategy) -> None:
        """Add a strategy; one with the same name is replaced."""
        self._by_name[strategy.name] = strategy

    def extended_from(self, path: Path | str) -> StrategyPool:
        """This pool plus the strategies of a YAML or JSON file."""
        pool = StrategyPool(list(self))
        for strategy in load_strategies(path):
            pool.register(strategy)
        return pool

    def applicable(self, *, labels: bool, images: bool) -> list[str]:
        return [s.name for s in self if s.applies(labels=labels, images=images)]

    def __getitem__(self, name: str) -> Strategy:
        try:
            return self._by_name[name]
        except KeyError:
            raise StrategyError(f"no strategy {name!r} in the pool; known: {', '.join(self._by_name)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Strategy]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


def load_strategies(path: Path | str) -> list[Strategy]:
    """The strategies of a YAML or JSON file: a list of {name, summary, instruction, needs?}."""
    path = Path(path)
    text = read_text(path, StrategyError, "strategy file")
    try:
        entries = json.loads(text) if path.suffix == ".json" else read_yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise StrategyError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {e}") from None
    if not isinstance(entries, list):
        raise StrategyError(f"{path}: expected a list of strategies, each with name, summary and instruction")
    strategies = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: strategy {number}"
        if not isinstance(entry, dict):
            raise StrategyError(f"{where}: expected an object with name, summary and instruction")
        if missing := [k for k in ("name", "summary", "instruction") if not isinstance(entry.get(k), str)]:
            raise StrategyError(f"{where}: field {missing[0]!r} is missing or not text")
        if extra := set(entry) - {"name", "summary", "instruction", "needs"}:
            raise StrategyError(f"{where}: unknown field {sorted(extra)[0]!r}")
        needs = entry.get("needs") or []
        if not isinstance(needs, list):
            raise StrategyError(f"{where}: field 'needs' must be a list, a subset of {list(NEEDS)}")
        try:
            strategies.append(Strategy(entry["name"], entry["summary"], entry["instruction"], tuple(needs)))
        except StrategyError as e:
            raise StrategyError(f"{where}: {e}") from None
    return strategies
