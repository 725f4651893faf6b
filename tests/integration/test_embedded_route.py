from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from idealprompt import Session, ask_structured

ARITHMETIC = [SystemMessage("Answer with the number only."), HumanMessage("What is 2 + 3?")]


class Colours(BaseModel):
    colours: list[str]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_the_embedded_small_model_answers_a_real_prompt(real_settings):
    session = Session(real_settings)
    assert session.route("small").spec == "embedded:qwen2.5-coder-0.5b"
    answer = session.model("small").invoke(ARITHMETIC)
    assert "5" in answer.text
    assert answer.usage_metadata["output_tokens"] > 0
    assert session.ledger.snapshot()["small"]["calls"] == 1


def test_structured_output_holds_on_a_small_model(real_settings):
    model = Session(real_settings).model("small")
    result = ask_structured(model, [HumanMessage("Name three colours of the French flag.")], Colours)
    assert result.ok and len(result.answers) == 1  # the grammar makes the first answer valid JSON
    assert {c.lower() for c in result.value.colours} & {"blue", "white", "red"}


def test_streaming_comes_in_pieces(real_settings):
    pieces = [c.text for c in Session(real_settings).model("small").stream("Count from one to five in words.")]
    assert len(pieces) > 3 and "three" in "".join(pieces).lower()


@tool
def shout(text: str) -> str:
    """Repeat a text in capital letters."""
    return text.upper()


def test_tool_calls_come_back_as_tool_calls(real_settings):
    model = Session(real_settings).model("small").bind_tools([add], tool_choice="add")
    answer = model.invoke("What is 3 plus 4? Use the tool.")
    assert answer.tool_calls and answer.tool_calls[0]["name"] == "add"
    assert add.invoke(answer.tool_calls[0]["args"]) == 7


def test_required_makes_the_model_call_one_of_several_tools(real_settings):
    session = Session(real_settings)
    model = session.model("small").bind_tools([shout, add], tool_choice="required")
    answer = model.invoke("What is 3 plus 4?")
    assert [c["name"] for c in answer.tool_calls] == ["add"]
    assert isinstance(add.invoke(answer.tool_calls[0]["args"]), int)  # arguments held to the tool's schema
    assert session.ledger.snapshot()["small"]["calls"] == 1  # the choice of tool is part of the one call


def test_unset_tool_choice_lets_the_model_answer_in_words(real_settings):
    model = Session(real_settings).model("small").bind_tools([shout])
    answer = model.invoke("Say hello to me in French, in one word.")
    assert not answer.tool_calls and "bonjour" in answer.text.casefold()
    assert not answer.text.startswith("functions.")  # llama-cpp-python's handler writes a message so


def test_a_replayed_run_gives_the_same_answer_without_the_model(real_settings, tmp_path):
    settings = real_settings.model_copy(update={"replay_cache": tmp_path / "replay.sqlite"})
    first = Session(settings).model("small").invoke(ARITHMETIC).text
    again = Session(settings)
    assert again.model("small").invoke(ARITHMETIC).text == first
    assert again.ledger.snapshot()["small"]["cached"] == 1
