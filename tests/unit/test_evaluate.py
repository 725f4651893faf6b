import json
import threading
import time

import pytest
from langchain_core.messages import SystemMessage

from idealprompt import Budget, BudgetExhausted, Session
from idealprompt.errors import RouteError
from idealprompt.routes.embedded import EmbeddedChatModel
from idealprompt.scoring.evaluate import Evaluator
from idealprompt.tasks import Task
from idealprompt.tools.evaluation import evaluation_tools
from tests.fakes import ScriptedChatModel

ROWS = [("2 + 2", "4"), ("3 + 4", "7"), ("10 - 1", "9"), ("6 * 7", "42"), ("9 / 3", "3"), ("5 + 5", "10")]


def _task(tmp_path=None, images: bool = False) -> Task:
    data = {
        "name": "sums",
        "description": "Do the arithmetic.",
        "seed_prompt": "Compute.",
        "answer": "number",
        "metric": "numeric_match",
        "data": {"format": "inline", "examples": [{"input": q, "target": a} for q, a in ROWS]},
        "split": {"train": 4, "dev": 1, "test": 1, "seed": 0},
    }
    task = Task.from_dict(data)
    if images:
        image = tmp_path / "0.png"
        image.write_bytes(b"\x89PNG\r\n\x1a\n fake")
        task.train[0] = type(task.train[0])(id="img", text="What shape?", target="1", images=(image,))
    return task


def calculator(messages) -> str:
    return f"The answer is {eval(messages[-1].text)}."


def test_answers_are_scored_and_each_pair_is_asked_once(offline_settings):
    task = _task()
    model = ScriptedChatModel(script=[calculator] * 4 + ["I do not know"] * 4)
    evaluator = Evaluator(task, model)
    first = evaluator.evaluate("Compute.", task.train)
    assert first.score == 1.0 and first.calls == 4 and first.failures == []
    assert [p.parsed for p in first.predictions] == [e.target for e in task.train]
    again = evaluator.evaluate("Compute.", task.train + task.train[:2])
    assert again.calls == 0 and len(again.predictions) == 6 and len(model.received) == 4
    other = evaluator.evaluate("Compute carefully.", task.train)
    assert other.score == 0.0 and other.calls == 4 and len(other.failures) == 4 and other.failures[0].parsed is None
    assert evaluator.calls == 8


def test_the_prompt_is_a_shared_prefix(offline_settings):
    task = _task()
    model = ScriptedChatModel(script=[calculator] * 4)
    Evaluator(task, model).evaluate("Compute.", task.train)
    # The system message is the prompt, then the line that names the output space (a number, reasoned freely).
    system = SystemMessage("Compute.\n\nEnd your answer with the final number.")
    assert all(m[0] == system and len(m) == 2 for m in model.received)
    assert [m[1].text for m in model.received] == [e.text for e in task.train]


def test_requests_go_out_together_up_to_the_concurrency(offline_settings):
    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow(messages):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return calculator(messages)

    task = _task()
    Evaluator(task, ScriptedChatModel(script=[slow] * 4), concurrency=4).evaluate("Compute.", task.train)
    assert peak[0] > 1
    peak[0] = 0
    Evaluator(task, ScriptedChatModel(script=[slow] * 4), concurrency=1).evaluate("Compute.", task.train)
    assert peak[0] == 1


def test_one_failed_request_scores_zero_and_is_retried_later(offline_settings):
    task = _task()
    model = ScriptedChatModel(script=[calculator, ConnectionError("reset"), calculator, calculator, calculator])
    evaluator = Evaluator(task, model)
    result = evaluator.evaluate("Compute.", task.train)
    assert result.score == 0.75 and result.failures[0].error == "ConnectionError: reset"
    assert evaluator.evaluate("Compute.", task.train).score == 1.0 and len(model.received) == 5


def test_a_route_that_fails_every_request_is_an_error(offline_settings):
    task = _task()
    model = ScriptedChatModel(script=[ConnectionError("down")] * 4)
    with pytest.raises(RouteError, match=r"^ollama:m: all 4 requests of an evaluation failed; .*ConnectionError: down"):
        Evaluator(task, model, route="ollama:m").evaluate("Compute.", task.train)


def test_a_budget_refusal_keeps_the_answers_received(offline_settings):
    task = _task()
    model = ScriptedChatModel(script=[calculator] * 4)
    session = Session(offline_settings, budget=Budget(small_calls=2), models={"small": model})
    evaluator = Evaluator(task, session.model("small"))  # one at a time: the first two are answered
    with pytest.raises(BudgetExhausted):
        evaluator.evaluate("Compute.", task.train)
    assert evaluator.calls == 2
    assert evaluator.evaluate("Compute.", task.train[:2]).calls == 0  # the two answered are remembered


def test_images_travel_as_content_parts_and_an_embedded_model_is_refused(offline_settings, tmp_path):
    task = _task(tmp_path, images=True)
    model = ScriptedChatModel(script=["1"] * 4)
    messages = Evaluator(task, model).messages("Look.", task.train[0])
    parts = messages[1].content
    assert parts[0] == {"type": "text", "text": "What shape?"}
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    embedded = EmbeddedChatModel(model_name="qwen2.5-coder-0.5b", model_path="unused.gguf", sha256="0" * 64)
    with pytest.raises(RouteError, match=r"cannot see images.*set `small` to a vision model"):
        Evaluator(task, embedded)


def test_answers_are_limited_to_the_task_answer_tokens():
    task = _task()
    embedded = EmbeddedChatModel(model_name="qwen2.5-coder-0.5b", model_path="unused.gguf", sha256="0" * 64)
    assert Evaluator(task, embedded).model.max_tokens == task.answer_tokens


def test_the_tool_shows_the_score_and_the_wrong_answers(offline_settings):
    task = _task()
    answers = [calculator, calculator, calculator, "no idea"]
    evaluate_prompt, show_bad_cases = evaluation_tools(Evaluator(task, ScriptedChatModel(script=answers)), task.train)
    report = json.loads(evaluate_prompt.invoke({"prompt": "Compute."}))
    assert report["score"] == 0.75 and report["examples"] == 4
    mistake = {
        "input": task.train[3].text,
        "expected": task.train[3].target,
        "answer": "no idea",
        "read_as": "(unreadable)",
    }
    assert report["wrong"] == [mistake]
    assert json.loads(show_bad_cases.invoke({"prompt": "Compute."})) == [mistake]  # remembered: no new call


@pytest.mark.embedded
def test_concurrency_follows_the_route(offline_settings):
    settings = offline_settings.model_copy(update={"concurrency": 8})
    assert Session(settings).concurrency("small") == 1  # the embedded model: one request at a time
    assert Session(settings, models={"small": ScriptedChatModel(script=[])}).concurrency("small") == 8
    assert Session(settings.model_copy(update={"small": "ollama:qwen2.5:0.5b"})).concurrency("small") == 8


def test_bad_cases_put_the_most_confused_pair_first_and_shared_mistakes_before_others():
    from idealprompt.scoring.evaluate import Evaluation, Prediction, bad_cases
    from idealprompt.tasks import Example

    def wrong(name, target, parsed):
        return Prediction(Example(name, name, target), parsed or "???", parsed, 0.0)

    a1, a2, a3 = (wrong(f"a{i}", "negative", "positive") for i in (1, 2, 3))
    b1, b2 = wrong("b1", "positive", "negative"), wrong("b2", "positive", "negative")
    c = wrong("c", "negative", None)
    right = Prediction(Example("r", "r", "positive"), "positive", "positive", 1.0)
    mine = Evaluation("p", 0.1, [right, a1, b1, c, a2, b2, a3], 7)
    other = Evaluation("q", 0.5, [b2], 1)
    # (negative -> positive) three times comes first, at most ceil(4 / 2) of it; b2 is wrong under the other
    # candidate too, so it leads its pair.
    assert bad_cases(mine, [other], labelled=True, k=4) == [a1, a2, b2, b1]
    assert bad_cases(mine, [other], labelled=True, k=6) == [a1, a2, a3, b2, b1, c]
    assert bad_cases(mine, labelled=False, k=3) == [a1, b1, c]  # one confusion for every readable mistake
    # A second look skips the ones shown first, and wraps around the six mistakes.
    assert bad_cases(mine, [other], labelled=True, k=4, offset=4) == [c, a3, a1, a2]
    assert bad_cases(Evaluation("r", 1.0, [right], 0), labelled=True, offset=3) == []
