"""IDEAL Stage 1, the Reinforcement Warm-up Strategy: a UCT search over sequences of strategies.

    prepare -> evaluate (the seed prompt) -> select -> expand -> evaluate -> select -> ... -> remember

`select` descends the strategy tree by UCT to a node that may still grow and picks its next untried strategy
(strategies that priors from memory favour come first); `expand` applies it (the optimizer agent rewrites the
prompt, or code sets its demonstrations); `evaluate` scores the new prompt on a fixed minibatch of training
examples with the small model, raced against the best prompt so far (`scoring.race`: one clearly behind after
the first rung is not scored further, its reward is its score so far), and backs the reward up the tree. The
search ends when the budget (small-model calls, large-model tokens), the iteration limit or the tree is
exhausted; `remember` then writes the tree's statistics to memory as a prior. The tree is part of
the state (as JSON: checkpoints stay readable by any tool, and no class of ours needs registering with a
checkpointer's deserializer), so every step is checkpointed and a stopped run resumes where it was.
"""

from __future__ import annotations

import operator
import random
from typing import Annotated

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict  # pydantic (LangGraph server schemas) needs it on Python < 3.12

from idealprompt.errors import BudgetExhausted
from idealprompt.graphs.context import Optimization
from idealprompt.memory import Prior
from idealprompt.scoring.race import race
from idealprompt.search.tree import SearchOptions, StrategyTree
from idealprompt.tasks import Example


# --- state -------------------------------------------------------------------------------------------------------
class WarmupState(TypedDict, total=False):
    options: dict  # SearchOptions as JSON; the defaults when not given
    tree: dict  # the StrategyTree as JSON
    order: list[str]  # the applicable strategies, most promising first
    chosen: list  # [node id, strategy] that `select` picked for `expand`
    pending: int | None  # the node `evaluate` scores next
    expansions: int
    stopped: str | None  # why the search ended; None: it goes on
    prior_id: str  # the prior written to memory, if any
    notes: Annotated[list[str], operator.add]


# --- nodes -------------------------------------------------------------------------------------------------------
def prepare(state: WarmupState, runtime: Runtime[Optimization]) -> WarmupState:
    run, options = runtime.context, SearchOptions.model_validate(state.get("options") or {})
    order, favoured = run.applicable(), run.favoured()
    random.Random(options.seed).shuffle(order)
    order = favoured + [s for s in order if s not in favoured]
    notes = [f"priors from memory put first: {', '.join(favoured)}"] if favoured else []
    tree = StrategyTree.start(run.task.seed_prompt, options)
    return {"tree": _json(tree), "order": order, "pending": tree.root.id, "expansions": 0, "notes": notes}


def evaluate(state: WarmupState, runtime: Runtime[Optimization]) -> WarmupState:
    run, tree = runtime.context, StrategyTree.model_validate(state["tree"])
    pending = state["pending"]
    assert pending is not None  # prepare and expand route here only with a node to score
    node, examples = tree.node(pending), minibatch(run, tree.options)
    leader = tree.best() if tree.evaluated() else None
    if leader is None or leader.render() == node.render():  # the seed prompt, or one it already scored
        try:
            score = run.evaluator.evaluate(node.render(), examples).score
        except BudgetExhausted as e:
            return {"stopped": str(e), "pending": None}
        tree.backup(node, score)
        return {"tree": _json(tree), "pending": None}
    raced = race(run.evaluator, leader.render(), [node.render()], examples, score_leader=False)
    result = raced.results.get(node.render())
    node.dropped = node.render() in raced.dropped
    if result is None or (not node.dropped and len(result.predictions) < len(examples)):
        return {"stopped": raced.stopped, "pending": None}  # the budget cut its scoring short: no reward
    tree.backup(node, result.score)
    update: WarmupState = {"tree": _json(tree), "pending": None}
    if raced.stopped:
        update["stopped"] = raced.stopped
    return update


def select(state: WarmupState) -> WarmupState:
    tree = StrategyTree.model_validate(state["tree"])
    if tree.options.iterations is not None and state["expansions"] >= tree.options.iterations:
        return {"stopped": f"{tree.options.iterations} expansions done"}
    choice = tree.select(state["order"])
    if choice is None:
        return {"stopped": "every strategy sequence within the depth and width limits was tried"}
    node, strategy = choice
    return {"chosen": [node.id, strategy]}


def expand(state: WarmupState, runtime: Runtime[Optimization]) -> WarmupState:
    run, tree = runtime.context, StrategyTree.model_validate(state["tree"])
    node_id, strategy = state["chosen"]
    parent, notes = tree.node(node_id), list[str]()
    try:
        made = run.apply(strategy, parent.prompt, parent.demos, tools=tree.options.optimizer_tools, notes=notes)
    except BudgetExhausted as e:
        return {"stopped": str(e)}
    update: WarmupState = {"expansions": state["expansions"] + 1, "notes": notes}
    if made is None:
        tree.mark_failed(parent, strategy)
        path = " > ".join([*tree.strategies_of(parent), strategy])
        why = "no other demonstrations to show" if run.pool[strategy].by_code else "the optimizer gave no new prompt"
        return update | {"tree": _json(tree), "notes": [*notes, f"{path}: {why}"]}
    child = tree.add_child(parent, strategy, *made)
    return update | {"tree": _json(tree), "pending": child.id}


def remember(state: WarmupState, runtime: Runtime[Optimization]) -> WarmupState:
    run, tree = runtime.context, StrategyTree.model_validate(state["tree"])
    stats = tree.strategy_stats()
    if run.memory is None or not stats:
        return {"notes": [] if run.memory is None else ["no strategy was evaluated: no prior written"]}
    prior = Prior(
        task=run.descriptor(),
        model=run.target,
        strategies=stats,
        best_paths=tree.best_paths(),
        dataset_size=len(run.task.train),
    )
    run.memory.priors.add(prior)
    return {"prior_id": prior.id}


# --- helpers ---------------------------------------------------------------------------------------------------------
def _json(tree: StrategyTree) -> dict:
    return tree.model_dump(mode="json")


def minibatch(run: Optimization, options: SearchOptions) -> list[Example]:
    """The training examples every prompt of the search is scored on: the same ones, so rewards compare."""
    return run.task.train[: options.minibatch]


# --- edges -------------------------------------------------------------------------------------------------------
def after_evaluate(state: WarmupState) -> str:
    return "remember" if state.get("stopped") else "select"


def after_select(state: WarmupState) -> str:
    return "remember" if state.get("stopped") else "expand"


def after_expand(state: WarmupState) -> str:
    if state.get("stopped"):
        return "remember"
    return "evaluate" if state.get("pending") is not None else "select"


# --- compile -----------------------------------------------------------------------------------------------------
def build_warmup_graph(checkpointer: BaseCheckpointSaver | None = None):
    graph = StateGraph(WarmupState, context_schema=Optimization)
    graph.add_node("prepare", prepare)
    graph.add_node("evaluate", evaluate)
    graph.add_node("select", select)
    graph.add_node("expand", expand)
    graph.add_node("remember", remember)
    graph.add_edge(START, "prepare")
    graph.add_edge("prepare", "evaluate")
    graph.add_conditional_edges("evaluate", after_evaluate, ["select", "remember"])
    graph.add_conditional_edges("select", after_select, ["expand", "remember"])
    graph.add_conditional_edges("expand", after_expand, ["evaluate", "select", "remember"])
    graph.add_edge("remember", END)
    return graph.compile(checkpointer=checkpointer)
