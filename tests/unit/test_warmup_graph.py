"""The warm-up graph's control flow, with scripted models: a small model that is right only when the prompt holds a
rule, and an optimizer that adds one marker per strategy."""

import json

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from idealprompt import Budget, Session
from idealprompt.graphs.context import Optimization
from idealprompt.graphs.warmup import build_warmup_graph
from idealprompt.memory import Memory, Prior, StrategyStats, TaskDescriptor
from idealprompt.search.tree import StrategyTree
from idealprompt.strategies import Strategy, StrategyPool
from idealprompt.tasks import Task
from tests.fakes import ScriptedChatModel

REVIEWS = [
    ("a delight from start to finish", "positive"),
    ("dull and far too long", "negative"),
    ("the cast shines", "positive"),
    ("I walked out", "negative"),
    ("warm and funny", "positive"),
    ("a tedious mess", "negative"),
    ("pure joy", "positive"),
    ("forgettable", "negative"),
]
POOL = StrategyPool(
    [
        Strategy("add_rule", "Add a decision rule.", "Add the rule [RULE].", ("labels",)),
        Strategy("add_role", "Add a role.", "Add a role [ROLE]."),
        Strategy("echo", "Change nothing.", "Return the prompt unchanged."),
    ]
)


def _task(**split) -> Task:
    data = {
        "name": "reviews",
        "description": "Classify film reviews by sentiment.",
        "seed_prompt": "Classify the review.",
        "labels": ["positive", "negative"],
        "metric": "accuracy",
        "data": {"format": "inline", "examples": [{"input": t, "target": y} for t, y in REVIEWS]},
        "split": {"train": 6, "dev": 1, "test": 1, "seed": 0} | split,
    }
    return Task.from_dict(data)


def optimizer(messages) -> str:
    """Adds the marker the strategy names; 'echo' gives the prompt back unchanged."""
    text = messages[-1].content
    prompt = text.split("<prompt>\n", 1)[1].split("\n</prompt>", 1)[0]
    for marker in ("[RULE]", "[ROLE]"):
        if f"Add the rule {marker}" in text or f"Add a role {marker}" in text:
            return json.dumps({"prompt": f"{prompt} {marker}"})
    return json.dumps({"prompt": prompt})


def classifier(truth: dict[str, str]):
    """Right on every review when the prompt holds [RULE], else always 'positive'."""

    def answer(messages) -> str:
        return truth[messages[-1].content] if "[RULE]" in messages[0].content else "positive"

    return answer


def _run(settings, task, *, budget=None, memory=None, options=None, large=None, checkpointer=None, thread="t"):
    truth = dict(REVIEWS)
    small = ScriptedChatModel(script=[classifier(truth)] * 500)
    large = large or ScriptedChatModel(script=[optimizer] * 100)
    session = Session(settings, budget=budget, models={"large": large, "small": small})
    run = Optimization(session, task, POOL, memory=memory)
    graph = build_warmup_graph(checkpointer or InMemorySaver())
    config = {"configurable": {"thread_id": thread}}
    final = graph.invoke({"options": options or {"minibatch": 6, "max_depth": 2, "width": 3}}, config, context=run)
    return final, small, large, graph, config


def test_the_search_finds_the_strategy_that_helps(offline_settings):
    final, small, _, _, _ = _run(offline_settings, _task())
    tree = StrategyTree.model_validate(final["tree"])
    assert tree.root.reward == pytest.approx(0.5)  # 'positive' for everything: half right
    assert tree.best().reward == 1.0 and "[RULE]" in tree.best().prompt
    stats = {s.strategy: s for s in tree.strategy_stats()}
    assert stats["add_rule"].mean_gain > 0 and stats["add_role"].mean_gain == pytest.approx(0.0)
    assert "echo" not in stats  # an unchanged prompt is no rewrite: noted, never evaluated
    assert any("echo: the optimizer gave no new prompt" in n for n in final["notes"])
    assert "tried" in final["stopped"]
    # Memoised: each distinct prompt is scored once on the 6 examples, however often the search comes back to it.
    distinct = {n.prompt for n in tree.evaluated()}
    assert len(small.received) == 6 * len(distinct)


def test_the_same_prompt_reached_twice_costs_no_calls(offline_settings):
    twice = ScriptedChatModel(script=[json.dumps({"prompt": "Classify the review. [RULE]"})] * 100)
    final, small, _, _, _ = _run(offline_settings, _task(), large=twice, options={"minibatch": 6, "max_depth": 1})
    tree = StrategyTree.model_validate(final["tree"])
    assert len(tree.evaluated()) == 4  # the seed and three children with one prompt
    assert len(small.received) == 12


def test_the_budget_stops_the_search_cleanly(offline_settings):
    final, small, _, _, _ = _run(offline_settings, _task(), budget=Budget(small_calls=15))
    assert "15 small-model calls" in final["stopped"]
    tree = StrategyTree.model_validate(final["tree"])
    assert len(small.received) == 15 and len(tree.evaluated()) == 2  # 6 + 6 scored, the third prompt cut off


def test_the_iteration_limit(offline_settings):
    final, _, large, _, _ = _run(offline_settings, _task(), options={"minibatch": 6, "iterations": 2})
    assert final["stopped"] == "2 expansions done" and len(large.received) == 2


def test_priors_are_written_and_order_the_next_search(offline_settings, tmp_path):
    memory = Memory.open(tmp_path / "memory")
    final, _, _, _, _ = _run(offline_settings, _task(), memory=memory)
    prior = memory.priors.get(final["prior_id"])
    assert prior.model == "custom:ScriptedChatModel" and prior.dataset_size == 6
    assert prior.strategies[0].strategy == "add_rule" and prior.best_paths[0].strategies[0] == "add_rule"
    assert prior.task.labels == ["positive", "negative"]
    # A second task finds that prior: the strategy that helped is tried first.
    again, _, large, _, _ = _run(offline_settings, _task(seed=1), memory=memory, options={"iterations": 1})
    assert again["order"][0] == "add_rule" and "Add the rule [RULE]" in large.received[0][-1].content
    memory.close()


def test_a_stopped_run_resumes_from_its_checkpoint(offline_settings):
    checkpointer = InMemorySaver()
    failing = ScriptedChatModel(script=[optimizer, RuntimeError("the API went away")])
    with pytest.raises(RuntimeError, match="went away"):
        _run(offline_settings, _task(), large=failing, checkpointer=checkpointer, thread="resume")
    graph = build_warmup_graph(checkpointer)
    config = {"configurable": {"thread_id": "resume"}}
    before = StrategyTree.model_validate(graph.get_state(config).values["tree"])
    assert len(before.evaluated()) == 2 and graph.get_state(config).next == ("expand",)
    truth = dict(REVIEWS)
    small = ScriptedChatModel(script=[classifier(truth)] * 500)
    session = Session(offline_settings, models={"large": ScriptedChatModel(script=[optimizer] * 100), "small": small})
    final = graph.invoke(None, config, context=Optimization(session, _task(), POOL))
    tree = StrategyTree.model_validate(final["tree"])
    assert [n.prompt for n in tree.nodes[:2]] == [n.prompt for n in before.nodes[:2]]
    assert tree.best().reward == 1.0
    assert len(small.received) == 6 * (len(tree.evaluated()) - 2)  # the two scored before are not scored again


def test_priors_from_memory_that_do_not_apply_are_ignored(offline_settings, tmp_path):
    memory = Memory.open(tmp_path / "memory")
    memory.priors.add(
        Prior(
            task=TaskDescriptor(description="Classify film reviews by sentiment."),
            model="m",
            strategies=[StrategyStats(strategy="not_in_pool", visits=3, mean_reward=0.9, mean_gain=0.3)],
            dataset_size=6,
        )
    )
    final, _, _, _, _ = _run(offline_settings, _task(), memory=memory, options={"iterations": 1})
    assert "not_in_pool" not in final["order"] and set(final["order"]) == {"add_rule", "add_role", "echo"}
    memory.close()


@pytest.mark.parametrize("answer", ["<prompt>\nBe brief.\n</prompt>", "<<<Be brief.>>>", '"Be brief."', " Be brief. "])
def test_the_delimiters_a_model_copies_are_removed(answer):
    from idealprompt.agents.optimizer import apply_strategy

    model = ScriptedChatModel(script=[json.dumps({"prompt": answer})])
    new = apply_strategy(model, prompt="Answer.", strategy=POOL["add_role"], task=_task(), examples=[])
    assert new == "Be brief."


def test_a_budget_too_small_for_the_seed_prompt_scores_nothing_and_writes_no_prior(offline_settings, tmp_path):
    memory = Memory.open(tmp_path / "memory")
    final, _, large, _, _ = _run(offline_settings, _task(), budget=Budget(small_calls=3), memory=memory)
    tree = StrategyTree.model_validate(final["tree"])
    assert tree.evaluated() == [] and large.received == [] and "3 small-model calls" in final["stopped"]
    assert "prior_id" not in final and "no strategy was evaluated: no prior written" in final["notes"]
    memory.close()


def test_the_optimizer_with_tools_scores_a_draft_before_it_rewrites(offline_settings):
    """Its draft is scored on the mistake pool beside the current prompt; the child it then makes was paid for by
    the tool (the evaluator's memo), and the call is said in the notes."""
    from langchain_core.messages import AIMessage, ToolMessage

    draft = "Classify the review. [RULE]"
    large = ScriptedChatModel(
        script=[
            AIMessage("", tool_calls=[{"name": "evaluate_rewrite", "args": {"prompt": draft}, "id": "c0"}]),
            AIMessage("", tool_calls=[{"name": "Rewrite", "args": {"prompt": draft}, "id": "c1"}]),
        ]
    )
    options = {"minibatch": 6, "max_depth": 1, "iterations": 1, "optimizer_tools": 2}
    final, small, large, _, _ = _run(offline_settings, _task(), large=large, options=options)
    told = large.received[1][-1]
    assert isinstance(told, ToolMessage)
    assert json.loads(told.content) | {"wrong": []} == {
        "score": 1.0,
        "current_score": 0.5,
        "fixed": 3,
        "broken": 0,
        "wrong": [],
    }
    tree = StrategyTree.model_validate(final["tree"])
    assert tree.best().prompt == draft and tree.best().reward == 1.0
    assert len(small.received) == 12  # the seed prompt and the draft, 6 examples each; the child is the draft
    [note] = [n for n in final["notes"] if n.startswith("optimizer")]
    assert note.endswith(f'called evaluate_rewrite(prompt="{draft}"); answered by tool call')
