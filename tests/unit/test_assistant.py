"""The chat assistant with a scripted model: its choice of a tool reaches the tool, the answer hears what the tool
returned, `reply` answers in words, a failing job is told, and earlier turns reach the model as words."""

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from idealprompt.assistant import Assistance, build_assistant
from idealprompt.session import Session
from tests.fakes import ScriptedChatModel

CONFIG = {"configurable": {"thread_id": "chat"}}


def call(name: str, args: dict | None = None, i: int = 0) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args or {}, "id": f"c{i}"}])


def _chat(script: list, *questions: str):
    model = ScriptedChatModel(script=script)
    context = Assistance(Session(models={"large": model}))
    graph, states = build_assistant(InMemorySaver()), []
    for question in questions:
        states.append(graph.invoke({"messages": [("user", question)]}, CONFIG, context=context))
    return model, context, states


def test_a_chosen_tool_runs_and_the_answer_hears_what_it_returned(offline_settings):
    model, context, [state] = _chat([call("last_run_scores"), "No run yet, it says."], "Scores?")
    assert model.kwargs_seen[0]["tool_choice"] == "required"
    offered = [t["function"]["name"] for t in model.kwargs_seen[0]["tools"]]
    assert offered == ["optimize_prompt", "write_in_style", "last_run_scores", "reply"]
    told = state["messages"][2]
    assert isinstance(told, ToolMessage) and told.text.startswith("No run yet")
    assert "last_run_scores returned: No run yet" in model.received[1][-1].text  # what the answer was asked from
    assert "tools" not in model.kwargs_seen[1] and state["messages"][-1].text == "No run yet, it says."
    assert context.session.ledger.snapshot()["tool:last_run_scores"]["calls"] == 1


def test_reply_answers_in_words_without_a_tool(offline_settings):
    _, _, [state] = _chat([call("reply"), "Hello! I optimise prompts and write texts."], "Hello")
    assert [type(m) for m in state["messages"]] == [HumanMessage, AIMessage]  # the reply call itself is not kept
    assert state["messages"][-1].text.startswith("Hello!")


def test_a_failing_job_is_told_to_the_model(offline_settings):
    script = [call("optimize_prompt", {"task_file": "missing.yaml", "budget": 10}), "That file does not exist."]
    _, _, [state] = _chat(script, "Optimise missing.yaml")
    told = state["messages"][2]
    assert told.text.startswith("optimize_prompt failed:") and "missing.yaml" in told.text
    assert state["messages"][-1].text == "That file does not exist."


def test_earlier_turns_reach_the_model_as_words(offline_settings):
    script = [call("last_run_scores"), "None yet.", call("reply"), "Still none."]
    model, _, [_, second] = _chat(script, "Scores?", "And now?")
    seen = model.received[2]  # the second turn's choice
    assert not any(isinstance(m, ToolMessage) or getattr(m, "tool_calls", None) for m in seen)
    assert [m.text for m in seen[1:2] + seen[3:]] == ["Scores?", "None yet.", "And now?"]
    assert isinstance(seen[2], HumanMessage) and seen[2].text.startswith("(last_run_scores returned: No run yet")
    assert second["messages"][-1].text == "Still none."
