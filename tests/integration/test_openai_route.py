"""The `openai:` route over a real HTTP round trip to llama-cpp-python's OpenAI-compatible server."""

from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from idealprompt import Session, ask_structured
from idealprompt.routes import check


class Answer(BaseModel):
    city: str


def _session(settings, url, **update):
    return Session(settings.model_copy(update={"openai_base_url": url, "large": "openai:local-small"} | update))


def test_the_token_limit_is_honoured(real_settings, llama_server):
    session = _session(real_settings, llama_server, max_tokens=5)
    answer = session.model("large").invoke("Write a long story about a lighthouse keeper.")
    assert 0 < answer.usage_metadata["output_tokens"] <= 5
    assert answer.response_metadata["finish_reason"] == "length"
    assert session.ledger.snapshot()["large"]["calls"] == 1


def test_a_real_answer_and_structured_output(real_settings, llama_server):
    session = _session(real_settings, llama_server)
    assert "local-small" in check(session.route("large"), session.settings)
    result = ask_structured(session.model("large"), [HumanMessage("What is the capital of France?")], Answer)
    assert result.ok and "paris" in result.value.city.lower()
