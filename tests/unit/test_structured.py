import json

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from idealprompt.routes import answering_json
from idealprompt.routes.embedded import EmbeddedChatModel
from idealprompt.structured import aask_structured, ask_structured, parse
from tests.fakes import ScriptedChatModel


class Verdict(BaseModel):
    label: str
    confidence: float


GOOD = '{"label": "positive", "confidence": 0.9}'
ASK = [HumanMessage("Is 'great film' positive?")]


def test_first_valid_answer_is_taken():
    model = ScriptedChatModel(script=[GOOD])
    result = ask_structured(model, ASK, Verdict)
    assert result.ok and result.value == Verdict(label="positive", confidence=0.9)
    assert result.errors == [] and len(model.received) == 1


def test_malformed_answers_are_repaired_with_the_error_shown_to_the_model():
    model = ScriptedChatModel(script=["sure! positive", '{"label": "positive", "confidence": "high"}', GOOD])
    result = ask_structured(model, ASK, Verdict)
    assert result.ok and result.value.label == "positive"
    assert len(result.answers) == 3 and len(result.errors) == 2
    assert "no JSON object" in model.received[1][-1].content
    assert "confidence" in model.received[2][-1].content  # the field that failed validation is named
    # The model sees its own bad answer before the repair request.
    assert model.received[1][-2].content == "sure! positive"


def test_raw_line_breaks_inside_strings_are_read():
    assert parse('{"label": "two\nlines", "confidence": 1}', Verdict).label == "two\nlines"
    with pytest.raises(ValueError, match="not valid JSON"):
        parse('{"label": "x", "confidence": }', Verdict)


def test_an_answer_cut_at_the_token_limit_is_asked_again_shorter():
    from langchain_core.messages import AIMessage

    cut = AIMessage('{"label": "posi', response_metadata={"finish_reason": "length"})
    model = ScriptedChatModel(script=[cut, GOOD])
    result = ask_structured(model, ASK, Verdict)
    assert result.ok and len(model.received) == 2
    retry = model.received[1]
    assert "cut off at the length limit" in retry[-1].content and "make it shorter" in retry[-1].content
    assert len(retry) == len(model.received[0]) + 1  # the broken answer is not sent back


def test_a_model_that_never_complies_does_not_crash_the_run():
    model = ScriptedChatModel(script=["no", "still no", "{}", "unused"])
    result = ask_structured(model, ASK, Verdict, attempts=3)
    assert not result.ok and result.value is None
    assert len(result.answers) == 3 and len(result.errors) == 3
    assert len(model.received) == 3  # the bound on attempts holds


def test_route_errors_are_not_swallowed():
    model = ScriptedChatModel(script=[ConnectionError("server down")])
    with pytest.raises(ConnectionError):
        ask_structured(model, ASK, Verdict)


def test_schema_instruction_joins_an_existing_system_message():
    model = ScriptedChatModel(script=[GOOD])
    ask_structured(model, [SystemMessage("You judge sentiment."), *ASK], Verdict)
    sent = model.received[0]
    assert isinstance(sent[0], SystemMessage) and sent[0].content.startswith("You judge sentiment.")
    assert '"confidence"' in sent[0].content and len(sent) == 2


def test_parse_finds_the_object_inside_fences_and_chatter():
    assert parse(f"Here you go:\n```json\n{GOOD}\n```", Verdict).confidence == 0.9
    with pytest.raises(ValueError, match="no JSON object"):
        parse("positive", Verdict)


async def test_async_variant_repairs_too():
    model = ScriptedChatModel(script=["?", GOOD])
    result = await aask_structured(model, ASK, Verdict)
    assert result.ok and len(model.received) == 2


def test_answers_that_are_not_text_or_nest_too_deep_are_malformed_answers_not_crashes():
    with pytest.raises(ValueError, match="lone surrogate"):
        parse('{"label": "\\ud800", "confidence": 1}', Verdict)
    with pytest.raises(ValueError, match="nested too deeply"):
        parse('{"label": ' + "[" * 100_000 + "]" * 100_000 + "}", Verdict)
    model = ScriptedChatModel(script=['{"label": "\\udfff", "confidence": 1}', GOOD])
    assert ask_structured(model, [HumanMessage("Rate it.")], Verdict).value == Verdict(label="positive", confidence=0.9)


def test_json_mode_per_provider():
    schema = Verdict.model_json_schema()
    embedded = EmbeddedChatModel(model_name="m", model_path="/nowhere.gguf", sha256="0")
    assert answering_json(embedded, schema).kwargs["response_format"] == {"type": "json_object", "schema": schema}
    assert answering_json(ChatOllama(model="m"), schema).kwargs["format"] == schema
    compatible = ChatOpenAI(model="m", api_key="k", base_url="http://127.0.0.1:1/v1")
    assert answering_json(compatible, schema).kwargs["response_format"]["type"] == "json_object"
    official = ChatOpenAI(model="m", api_key="k")
    bound = answering_json(official, schema).kwargs["response_format"]
    assert bound["type"] == "json_schema" and bound["json_schema"]["schema"] == schema
    # Anything else is asked by prompt alone; the schema still travels in the system message.
    scripted = ScriptedChatModel(script=[GOOD])
    assert answering_json(scripted, schema) is scripted
    ask_structured(scripted, ASK, Verdict)
    assert json.dumps(schema) in scripted.received[0][0].content
