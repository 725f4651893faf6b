from langchain_core.messages import AIMessage
from langchain_core.messages.tool import tool_call

from idealprompt import Session
from idealprompt.cache import ReplayCache
from tests.fakes import ScriptedChatModel


def _session(settings, tmp_path, model):
    return Session(settings.model_copy(update={"replay_cache": tmp_path / "replay.sqlite"}), models={"small": model})


def test_a_repeated_call_is_replayed_and_counted_as_cached(offline_settings, tmp_path):
    model = ScriptedChatModel(script=["first answer"])
    session = _session(offline_settings, tmp_path, model)
    assert session.model("small").invoke("same question").content == "first answer"
    assert session.model("small").invoke("same question").content == "first answer"
    assert len(model.received) == 1
    usage = session.ledger.snapshot()["small"]
    assert usage["calls"] == 2 and usage["cached"] == 1  # replay spends budget as the original run did


def test_messages_and_parameters_are_part_of_the_key(offline_settings, tmp_path):
    model = ScriptedChatModel(script=["a", "b", "c"])
    small = _session(offline_settings, tmp_path, model).model("small")
    small.invoke("question one")
    small.invoke("question two")
    small.bind(temperature=0.7).invoke("question one")
    assert len(model.received) == 3


def test_a_new_process_replays_from_the_file(offline_settings, tmp_path):
    answer = AIMessage("", tool_calls=[tool_call(name="evaluate", args={"prompt": "p"}, id="call_1")])
    first = _session(offline_settings, tmp_path, ScriptedChatModel(script=[answer]))
    first.model("small").invoke("evaluate p")
    replay = _session(offline_settings, tmp_path, ScriptedChatModel(script=[]))  # any real call would fail
    replayed = replay.model("small").invoke("evaluate p")
    assert replayed.tool_calls[0]["args"] == {"prompt": "p"} and replayed.tool_calls[0]["id"] == "call_1"


def test_routes_do_not_share_answers(tmp_path):
    path = tmp_path / "replay.sqlite"
    one, two = ReplayCache(path, route="embedded:a"), ReplayCache(path, route="ollama:a")
    from langchain_core.outputs import ChatGeneration

    one.update("prompt", "params", [ChatGeneration(message=AIMessage("from a"))])
    assert one.lookup("prompt", "params")[0].message.content == "from a"
    assert two.lookup("prompt", "params") is None
    assert len(one) == 1 and len(two) == 0
    one.clear()
    assert one.lookup("prompt", "params") is None
