"""The served graphs take JSON: routes and budget in the context, facts or a task file in the input."""

import json

from idealprompt.serve import assistant_graph, optimize_graph, write_graph
from tests.fake_openai_server import FakeOpenAIServer
from tests.unit.test_openai_compatible import _task_file, answer
from tests.unit.test_sag_graph import FAITHFUL, PLAN


def test_the_served_optimisation_builds_its_session_from_the_context(offline_settings, tmp_path, monkeypatch):
    task = _task_file(tmp_path, {"train": 6, "dev": 6, "test": 4})
    with FakeOpenAIServer(answer) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        context = {"small": "openai:small", "large": "openai:large", "small_calls": 30}
        state = optimize_graph.invoke({"task": task, "options": {"warmup_iterations": 0}}, context=context)
    result = state["result"]
    assert result["optimized"]["dev"] == 1.0 and "[RULE]" in result["prompt"]
    assert result["usage"]["small"]["calls"] <= 30 == result["budget"]["small_calls"]
    assert {body["model"] for body in server.received} == {"small", "large"}  # the routes the context named
    json.dumps(state)  # what the server sends back


def test_the_served_writing_takes_facts_and_a_style_and_streams_its_inner_steps(offline_settings, monkeypatch):
    def writer(body: dict) -> str:
        return json.dumps({"facts": PLAN}) if body["model"] == "large" else FAITHFUL

    with FakeOpenAIServer(writer) as server:
        for variable, value in server.env().items():
            monkeypatch.setenv(variable, value)
        facts = {"name": "The Eagle", "eatType": "pub", "area": "riverside"}
        parts = list(write_graph.stream({"facts": facts, "style": "tablenotes"}, stream_mode="updates", subgraphs=True))
    inner = [node for namespace, update in parts if namespace for node in update]
    [(_, last)] = [(n, u) for n, u in parts if not n]
    assert {"plan", "write", "check"} <= set(inner)
    assert last["write"]["result"]["text"] == FAITHFUL and last["write"]["result"]["style"] == "tablenotes"


def test_the_served_assistant_builds_each_step_from_the_json_context(offline_settings, monkeypatch):
    # The fake server answers in words where a tool call was required: that answer is the turn's (as on any route).
    with FakeOpenAIServer("I optimise prompts and write texts.") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        state = assistant_graph.invoke({"messages": [("user", "What can you do?")]}, context={"large": "openai:chat"})
    assert state["messages"][-1].text == "I optimise prompts and write texts."
    [asked] = server.received
    assert asked["model"] == "chat" and asked["tool_choice"] == "required"
    assert [t["function"]["name"] for t in asked["tools"]] == [
        "optimize_prompt",
        "write_in_style",
        "last_run_scores",
        "reply",
    ]
