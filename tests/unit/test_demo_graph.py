from langgraph.checkpoint.memory import InMemorySaver

from idealprompt import Budget, Session
from idealprompt.graphs.demo import SAMPLE_FACTS, build_demo_graph
from tests.fakes import ScriptedChatModel

PLAN = '{"sentences": ["The boot weighs 410 g.", "It costs 149 EUR."]}'


def _run(settings, large, small, budget=None):
    session = Session(settings, budget=budget, models={"large": large, "small": small})
    graph = build_demo_graph(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t1"}}
    return graph, config, graph.invoke({"facts": SAMPLE_FACTS}, config, context=session)


def test_plan_then_write(offline_settings):
    small = ScriptedChatModel(script=["A light boot at 149 EUR."])
    graph, config, out = _run(offline_settings, ScriptedChatModel(script=[PLAN]), small)
    assert out["plan"] == ["The boot weighs 410 g.", "It costs 149 EUR."]
    assert out["text"] == "A light boot at 149 EUR." and out["notes"] == []
    assert "- It costs 149 EUR." in small.received[0][-1].content  # the writer sees the plan
    # Checkpointed: every step can be inspected afterwards, newest first.
    steps = [snap.next for snap in graph.get_state_history(config)]
    assert steps[:3] == [(), ("write",), ("plan",)]


def test_an_unusable_plan_falls_back_to_the_facts(offline_settings):
    large = ScriptedChatModel(script=["no", "no", "no"])
    _, _, out = _run(offline_settings, large, ScriptedChatModel(script=["text"]))
    assert out["plan"][0] == "product: Trailhead 2 hiking boot"
    assert "no usable plan" in out["notes"][0] and out["text"] == "text"


def test_a_budget_stops_the_run_cleanly(offline_settings):
    small = ScriptedChatModel(script=[])
    _, _, out = _run(offline_settings, ScriptedChatModel(script=[PLAN]), small, budget=Budget(small_calls=0))
    assert "small-model calls" in out["stopped"] and out["plan"] and "text" not in out
    assert small.received == []
