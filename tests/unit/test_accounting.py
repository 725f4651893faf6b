import threading

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from idealprompt import Budget, BudgetExhausted, Session
from idealprompt.accounting import MESSAGE_OVERHEAD, count_prompt, count_tokens
from tests.fakes import ScriptedChatModel


def test_tokens_are_counted_offline_with_cl100k():
    assert count_tokens("hello world") == 2  # cl100k_base: "hello", " world"
    assert count_tokens("") == 0
    messages = [SystemMessage("be brief"), HumanMessage("hello world")]
    assert count_prompt(messages) == 2 * MESSAGE_OVERHEAD + count_tokens("be brief") + 2


def test_ledger_counts_calls_and_tokens_per_role(offline_settings):
    large = ScriptedChatModel(script=["a plan with five tokens"])
    small = ScriptedChatModel(script=["one", "two words"])
    session = Session(offline_settings, models={"large": large, "small": small})
    session.model("large").invoke("plan it")
    session.model("small").invoke("write it")
    session.model("small").invoke("again")
    usage = session.ledger.snapshot()
    assert usage["large"]["calls"] == 1 and usage["small"]["calls"] == 2
    assert usage["large"]["prompt_tokens"] == MESSAGE_OVERHEAD + count_tokens("plan it")
    assert usage["large"]["completion_tokens"] == count_tokens("a plan with five tokens")
    assert usage["small"]["completion_tokens"] == count_tokens("one") + count_tokens("two words")
    assert usage["small"]["seconds"] >= 0 and usage["small"]["errors"] == 0


def test_small_call_budget_refuses_the_call_after_the_limit(offline_settings):
    small = ScriptedChatModel(script=["1", "2", "3"])
    session = Session(offline_settings, budget=Budget(small_calls=2), models={"small": small})
    session.model("small").invoke("a")
    session.model("small").invoke("b")
    with pytest.raises(BudgetExhausted, match="2 small-model calls"):
        session.model("small").invoke("c")
    assert len(small.received) == 2  # the refused call never reached the model
    assert session.ledger.snapshot()["small"]["calls"] == 2


def test_large_token_budget_counts_the_prompt_before_sending(offline_settings):
    large = ScriptedChatModel(script=["x" * 40, "unused"])
    first = MESSAGE_OVERHEAD + count_tokens("short")
    session = Session(
        offline_settings, budget=Budget(large_tokens=first + count_tokens("x" * 40) + 3), models={"large": large}
    )
    session.model("large").invoke("short")
    with pytest.raises(BudgetExhausted, match="large-model tokens"):
        session.model("large").invoke("this prompt is longer than the tokens left")
    assert len(large.received) == 1


def test_failed_calls_are_counted_as_errors(offline_settings):
    small = ScriptedChatModel(script=[TimeoutError("slow server")])
    session = Session(offline_settings, models={"small": small})
    with pytest.raises(TimeoutError):
        session.model("small").invoke("hi")
    usage = session.ledger.snapshot()["small"]
    assert usage["calls"] == 1 and usage["errors"] == 1 and usage["completion_tokens"] == 0


def test_concurrent_calls_cannot_overshoot_a_budget(offline_settings):
    small = ScriptedChatModel(script=["ok"] * 40)
    session = Session(offline_settings, budget=Budget(small_calls=5), models={"small": small})
    refused = []

    def call():
        try:
            session.model("small").invoke("hi")
        except BudgetExhausted:
            refused.append(1)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(small.received) == 5 and len(refused) == 15


async def test_async_calls_are_metered(offline_settings):
    small = ScriptedChatModel(script=["a", "b"])
    session = Session(offline_settings, budget=Budget(small_calls=1), models={"small": small})
    await session.model("small").ainvoke("hi")
    with pytest.raises(BudgetExhausted):
        await session.model("small").ainvoke("hi")
    assert session.ledger.snapshot()["small"]["calls"] == 1


def test_streamed_calls_are_metered(offline_settings):
    small = ScriptedChatModel(script=["streamed answer"])
    session = Session(offline_settings, models={"small": small})
    text = "".join(chunk.text for chunk in session.model("small").stream("hi"))
    assert text == "streamed answer"
    assert session.ledger.snapshot()["small"]["completion_tokens"] == count_tokens("streamed answer")


def test_a_budget_refusal_is_not_logged_as_a_callback_error(offline_settings, caplog):
    model = Session(offline_settings, budget=Budget(small_calls=0), models={"small": ScriptedChatModel(script=[])})
    with pytest.raises(BudgetExhausted):
        model.model("small").invoke("hello")
    assert not [r for r in caplog.records if "BudgetExhausted" in r.getMessage()]


def test_calls_apart_are_counted_on_their_own_and_not_capped(offline_settings):
    small = ScriptedChatModel(script=["a", "b", "c", "d"])
    session = Session(offline_settings, budget=Budget(small_calls=1), models={"small": small})
    session.model("small").invoke("one")
    with session.ledger.apart("test"):
        session.model("small").batch(["two", "three"], {"max_concurrency": 2})
    with pytest.raises(BudgetExhausted):
        session.model("small").invoke("four")
    usage = session.ledger.snapshot()
    assert usage["small"]["calls"] == 1 and usage["small/test"]["calls"] == 2
