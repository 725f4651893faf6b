"""Warm-up on the real embedded models: a tiny slice of a real task (BIG-Bench Hard, shipped in examples/)."""

from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver

from idealprompt import Budget, Session
from idealprompt.graphs.context import Optimization
from idealprompt.graphs.warmup import build_warmup_graph
from idealprompt.memory import Memory
from idealprompt.search.tree import StrategyTree
from idealprompt.strategies import StrategyPool
from idealprompt.tasks import load_task

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_short_warmup_writes_priors_that_read_back(real_settings, tmp_path):
    task = load_task(EXAMPLES / "sports_understanding.yaml")
    session = Session(real_settings, budget=Budget(small_calls=15))
    memory = Memory.open(tmp_path / "memory")
    run = Optimization(session, task, StrategyPool.builtin(), memory=memory)
    config = {"configurable": {"thread_id": "it"}}
    options = {"minibatch": 5, "iterations": 2, "width": 2}
    final = build_warmup_graph(InMemorySaver()).invoke({"options": options}, config, context=run)

    tree = StrategyTree.model_validate(final["tree"])
    assert tree.root.reward is not None and len(tree.evaluated()) >= 2
    assert all(n.prompt.strip() and "<prompt>" not in n.prompt for n in tree.nodes)
    assert session.ledger.snapshot()["small"]["calls"] <= 15
    prior = memory.priors.get(final["prior_id"])
    assert prior.model == "embedded:qwen2.5-coder-0.5b" and prior.task.name == "sports_understanding"
    assert {s.strategy for s in prior.strategies} <= set(final["order"])
    found = memory.priors.search("Is this sentence about an athlete plausible?", k=1)
    assert found[0].prior.id == prior.id
    memory.close()
