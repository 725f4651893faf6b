"""The strategy tree of IDEAL's warm-up: prompts reached by sequences of strategies, searched by UCT.

A node is a prompt; its children are the prompts that one more strategy made of it. The search repeats:
select (descend by UCT to a node that may still grow), expand (apply an untried strategy there), evaluate
(the node's reward is the target model's metric on a minibatch), back up (each ancestor's visit count and
reward sum). Rewards are deterministic here (greedy decoding, a fixed minibatch), so a node is evaluated once.

The tree is plain data (a pydantic model), so it lives in the graph state, is checkpointed with it, and is saved
as JSON for inspection. Its statistics are the optimisation priors that the memory keeps.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

from pydantic import BaseModel, Field

from idealprompt.memory.records import BestPath, StrategyStats
from idealprompt.search.beam import render
from idealprompt.search.demos import Demo


class Node(BaseModel):
    id: int
    parent: int | None
    strategy: str | None  # the strategy that made this prompt from its parent's; None at the root
    prompt: str  # the instruction, which the large model rewrites
    demos: list[Demo] = Field(default_factory=list)  # set by code strategies, kept through later rewrites
    depth: int
    reward: float | None = None  # the metric on the minibatch; None until evaluated
    dropped: bool = False  # raced out: the reward is over the first examples of the minibatch only
    visits: int = 0
    value: float = 0.0  # sum of the rewards backed up through this node
    children: list[int] = Field(default_factory=list)
    tried: list[str] = Field(default_factory=list)  # strategies applied here, including those that gave no prompt

    def render(self) -> str:
        """The prompt the small model is scored under."""
        return render(self.prompt, {}, self.demos)


class SearchOptions(BaseModel):
    """How the warm-up searches; the defaults suit 10-50 examples and a few hundred small-model calls."""

    exploration: float = Field(1.0, ge=0, description="UCT's exploration weight c")
    max_depth: int = Field(3, ge=1, description="at most this many strategies in a row")
    width: int = Field(3, ge=1, description="children a node grows before the search descends below it")
    minibatch: int = Field(20, ge=1, description="training examples each prompt is scored on")
    iterations: int | None = Field(None, ge=1, description="expansions at most; None: until budget or tree end")
    optimizer_tools: int = Field(
        0, ge=0, description="turns in which the optimizer may call its tools before it rewrites; 0: none"
    )
    seed: int = 0


class StrategyTree(BaseModel):
    nodes: list[Node]
    options: SearchOptions = Field(default_factory=SearchOptions)

    @classmethod
    def start(cls, seed_prompt: str, options: SearchOptions | None = None) -> StrategyTree:
        return cls(
            nodes=[Node(id=0, parent=None, strategy=None, prompt=seed_prompt, depth=0)],
            options=options or SearchOptions(),
        )

    @property
    def root(self) -> Node:
        return self.nodes[0]

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id]

    def path(self, node: Node) -> list[Node]:
        """The nodes from the root to `node`."""
        out = [node]
        while out[-1].parent is not None:
            out.append(self.nodes[out[-1].parent])
        return out[::-1]

    def strategies_of(self, node: Node) -> list[str]:
        return [n.strategy for n in self.path(node)[1:] if n.strategy is not None]  # only the root has none

    # --- the search --------------------------------------------------------------------------------------------
    def select(self, order: list[str]) -> tuple[Node, str] | None:
        """Where to expand next and with which strategy, or None when nothing is left to try.

        `order` is the strategies applicable to the task, most promising first (priors from memory, or a seeded
        shuffle): a node grows, in that order, the strategies not yet tried there nor used on its path.
        """
        node = self.root
        while True:
            if untried := self._growable(node, order):
                return node, untried[0]
            candidates = [self.nodes[c] for c in node.children if not self._exhausted(self.nodes[c], order)]
            if not candidates:
                return None
            node = max(candidates, key=lambda child: self.uct(child, node))

    def uct(self, child: Node, parent: Node) -> float:
        """Mean reward plus c * sqrt(ln N(parent) / N(child)); an unvisited child comes first."""
        if child.visits == 0:
            return math.inf
        exploit = child.value / child.visits
        return exploit + self.options.exploration * math.sqrt(math.log(max(parent.visits, 1)) / child.visits)

    def _growable(self, node: Node, order: list[str]) -> list[str]:
        if node.depth >= self.options.max_depth or len(node.children) >= self.options.width:
            return []
        used = {*node.tried, *self.strategies_of(node)}  # a strategy applied twice on one path adds nothing new
        return [s for s in order if s not in used]

    def _exhausted(self, node: Node, order: list[str]) -> bool:
        if self._growable(node, order):
            return False
        return all(self._exhausted(self.nodes[c], order) for c in node.children)

    def add_child(self, parent: Node, strategy: str, prompt: str, demos: list[Demo] | None = None) -> Node:
        parent.tried.append(strategy)
        child = Node(
            id=len(self.nodes),
            parent=parent.id,
            strategy=strategy,
            prompt=prompt,
            demos=parent.demos if demos is None else demos,
            depth=parent.depth + 1,
        )
        self.nodes.append(child)
        parent.children.append(child.id)
        return child

    def mark_failed(self, parent: Node, strategy: str) -> None:
        """The strategy gave no usable prompt here: never try it here again."""
        parent.tried.append(strategy)

    def backup(self, node: Node, reward: float) -> None:
        """Set the node's reward and add it to every node on the path from the root."""
        node.reward = reward
        for n in self.path(node):
            n.visits += 1
            n.value += reward

    # --- what the tree teaches -----------------------------------------------------------------------------------
    def evaluated(self) -> list[Node]:
        return [n for n in self.nodes if n.reward is not None]

    def gain(self, node: Node) -> float:
        """The node's reward over its parent's."""
        if node.parent is None:
            raise ValueError("the root has no parent to gain over")
        return _reward(node) - _reward(self.nodes[node.parent])

    def best(self) -> Node:
        """The best-scoring prompt scored on the whole minibatch; on a tie, the shallower (fewer rewrites), then the
        earlier."""
        return max(self.evaluated(), key=lambda n: (not n.dropped, n.reward, -n.depth, -n.id))

    def strategy_stats(self) -> list[StrategyStats]:
        """Per strategy, over the nodes it made: visits, mean reward, mean gain over the parent; by mean gain."""
        made: dict[str, list[Node]] = defaultdict(list)
        for n in self.evaluated():
            if n.strategy is not None:
                made[n.strategy].append(n)
        stats = [
            StrategyStats(
                strategy=name,
                visits=sum(n.visits for n in nodes),
                mean_reward=statistics.fmean(_reward(n) for n in nodes),
                mean_gain=statistics.fmean(self.gain(n) for n in nodes),
            )
            for name, nodes in made.items()
        ]
        return sorted(stats, key=lambda s: (-s.mean_gain, s.strategy))

    def best_paths(self, k: int = 3) -> list[BestPath]:
        """The k best prompts' strategy sequences, with their reward and gain over the seed prompt."""
        ranked = sorted(
            (n for n in self.evaluated() if n.parent is not None), key=lambda n: (-_reward(n), n.depth, n.id)
        )
        return [
            BestPath(strategies=self.strategies_of(n), reward=_reward(n), gain=_reward(n) - _reward(self.root))
            for n in ranked[:k]
        ]


def _reward(node: Node) -> float:
    """The reward of an evaluated node; a node grows children only once evaluated, so its parent has one too."""
    if node.reward is None:
        raise ValueError(f"node {node.id} is not evaluated")
    return node.reward
