"""The `ollama:` route through langchain-ollama against an Ollama-protocol server backed by the embedded model.

No real Ollama server can be installed here; tests/ollama_server.py speaks its protocol over HTTP instead.
"""

from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from idealprompt import Session, ask_structured
from idealprompt.routes import check, resolve


class Answer(BaseModel):
    city: str


def _settings(settings, server, **update):
    return settings.model_copy(update={"ollama_host": server.url, "ollama_model": server.model_name} | update)


def test_a_served_model_becomes_the_default_small_route(real_settings, ollama_server):
    settings = _settings(real_settings, ollama_server)
    route = resolve("small", settings)
    assert route.spec == "ollama:qwen2.5-coder:0.5b" and ollama_server.url in route.reason
    assert "serves it" in check(route, settings)


def test_a_real_answer_with_options_sent(real_settings, ollama_server):
    session = Session(_settings(real_settings, ollama_server, max_tokens=40, seed=7))
    answer = session.model("small").invoke("What is 2 + 3? Answer with the number only.")
    assert "5" in answer.text
    path, body = ollama_server.requests[-1]
    assert path == "/api/chat" and body["options"]["num_predict"] == 40 and body["options"]["seed"] == 7
    assert session.ledger.snapshot()["small"]["calls"] == 1


def test_streaming_and_structured_output(real_settings, ollama_server):
    session = Session(_settings(real_settings, ollama_server))
    pieces = [c.text for c in session.model("small").stream("Count from one to five in words.")]
    assert len(pieces) > 3
    result = ask_structured(session.model("small"), [HumanMessage("What is the capital of Italy?")], Answer)
    assert result.ok and "rome" in result.value.city.lower()
    assert ollama_server.requests[-1][1]["format"] == Answer.model_json_schema()
