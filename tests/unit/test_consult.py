"""The tool-calling loop of the agents (`agents.consult`) with scripted tool-calling models."""

import json

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from idealprompt.agents.consult import consult
from idealprompt.errors import BudgetExhausted
from tests.fakes import ScriptedChatModel

ASKED = [SystemMessage("You answer."), HumanMessage("What is the colour?")]


class Answer(BaseModel):
    colour: str


@tool
def look(where: str) -> str:
    """Look somewhere."""
    return f"{where} is blue"


@tool
def spend() -> str:
    """Spend the budget."""
    raise BudgetExhausted("budget of 3 small-model calls reached")


def call(name: str, args: dict, i: int = 0) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"c{i}"}])


def test_a_tool_call_reaches_the_tool_and_its_result_the_next_turn():
    model = ScriptedChatModel(script=[call("look", {"where": "sky"}), call("Answer", {"colour": "blue"}, 1)])
    done = consult(model, ASKED, [look], Answer, steps=3)
    assert done.answer == Answer(colour="blue") and done.path == "tools"
    assert done.calls == ['look(where="sky")']
    told = model.received[1][-1]
    assert isinstance(told, ToolMessage) and told.content == "sky is blue" and told.tool_call_id == "c0"
    assert [t["function"]["name"] for t in model.kwargs_seen[0]["tools"]] == ["look", "Answer"]
    assert "you may call these tools, a few times at most: look" in model.received[0][-1].content
    assert done.said() == 'called look(where="sky"); answered by tool call'


def test_the_step_limit_ends_in_one_structured_call_that_hears_the_tools():
    model = ScriptedChatModel(
        script=[call("look", {"where": "sky"}), call("look", {"where": "sea"}, 1), '{"colour": "blue"}']
    )
    done = consult(model, ASKED, [look], Answer, steps=2)
    assert done.answer == Answer(colour="blue") and done.path == "structured"
    assert done.why == "2 steps without an answer"
    last = model.received[2]
    assert "tools" not in model.kwargs_seen[2]
    assert "sky is blue" in last[-1].content and "sea is blue" in last[-1].content
    assert all(not isinstance(m, ToolMessage) for m in last)  # any route reads the structured call


def test_words_instead_of_a_tool_call_and_a_wrong_tool_are_handled():
    model = ScriptedChatModel(script=[call("peek", {}), "It is blue.", '{"colour": "blue"}'])
    done = consult(model, ASKED, [look], Answer, steps=3)
    assert "There is no tool named peek; the tools are: look." in model.received[1][-1].content
    assert done.path == "structured" and done.why == "it answered in words, not by a tool call"
    assert done.answer == Answer(colour="blue")


def test_an_answer_that_misses_its_schema_is_told_and_asked_again():
    model = ScriptedChatModel(script=[call("Answer", {"hue": "blue"}), call("Answer", {"colour": "blue"}, 1)])
    done = consult(model, ASKED, [look], Answer, steps=3)
    assert "does not fit its schema" in model.received[1][-1].content and done.answer == Answer(colour="blue")


def test_a_failing_tool_tells_the_model_and_a_budget_refusal_ends_the_work():
    @tool
    def broken(x: int) -> str:
        """Fail."""
        raise RuntimeError("disk full")

    model = ScriptedChatModel(script=[call("broken", {"x": 1}), call("Answer", {"colour": "red"}, 1)])
    assert consult(model, ASKED, [broken], Answer, steps=2).answer == Answer(colour="red")
    assert "The tool failed: RuntimeError: disk full" in model.received[1][-1].content
    with pytest.raises(BudgetExhausted):
        consult(ScriptedChatModel(script=[call("spend", {})]), ASKED, [spend], Answer, steps=2)


def test_a_route_that_cannot_bind_tools_takes_the_structured_path():
    class NoTools(ScriptedChatModel):
        bind_tools = BaseChatModel.bind_tools  # LangChain's default: NotImplementedError

    done = consult(NoTools(script=[json.dumps({"colour": "green"})]), ASKED, [look], Answer, steps=2)
    assert done.answer == Answer(colour="green") and done.why == "the route cannot call tools"
