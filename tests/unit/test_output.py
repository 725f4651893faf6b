"""The output space: grammar and schema per task, reading constrained answers, and each route held to it."""

import json

import pytest
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI

from idealprompt.errors import TaskError
from idealprompt.routes import Shape, shaped
from idealprompt.routes.embedded import EmbeddedChatModel
from idealprompt.scoring.evaluate import Evaluator, system_message
from idealprompt.tasks import Task
from idealprompt.tasks.output import OutputSpace, unwrap
from tests.fakes import ScriptedChatModel

EXAMPLES = [{"input": f"review {i}", "target": ["good", "bad", "so-so"][i % 3]} for i in range(9)]


def _task(**fields) -> Task:
    return Task.from_dict(
        {
            "name": "t",
            "description": "Rate a review.",
            "seed_prompt": "Rate it.",
            "labels": ["good", "bad", "so-so"],
            "data": {"format": "inline", "examples": EXAMPLES},
            "split": {"train": 3, "dev": 3, "test": 3},
        }
        | fields
    )


def test_labels_are_constrained_by_default_and_the_labels_reach_the_model():
    task = _task()
    assert task.answers == "constrained" and task.output.grammar() == 'root ::= "good" | "bad" | "so-so"'
    assert task.output.schema()["properties"]["answer"]["enum"] == ["good", "bad", "so-so"]
    # A seed prompt that does not name the labels still reaches the model with them.
    assert system_message(task, "Rate it.") == "Rate it.\n\nAnswer with exactly one of: good, bad, so-so."
    free = _task(answers="free")
    assert free.output.grammar() is None and free.output.schema() is None
    assert system_message(free, "Rate it.").endswith("End your answer with one of: good, bad, so-so.")


def test_numbers_are_free_by_default_and_constrained_to_a_number_when_asked():
    space = OutputSpace("number", (), "constrained")
    assert space.grammar() == 'root ::= "-"? [0-9]+ ("." [0-9]+)?'
    assert space.schema()["properties"]["answer"] == {"type": "number"}
    assert OutputSpace("text", (), "constrained").grammar() is None  # text is never constrained


def test_a_text_task_cannot_be_constrained():
    with pytest.raises(TaskError, match="field 'answers': constrained needs answer: label or number"):
        Task.from_dict(
            {
                "name": "t",
                "description": "d",
                "seed_prompt": "s",
                "answer": "text",
                "metric": "rouge_l",
                "answers": "constrained",
                "data": {"format": "inline", "examples": EXAMPLES},
                "split": {"train": 3},
            }
        )


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ('{"answer": "bad"}', "bad"),
        (' {"answer": 12} ', "12"),
        ('{"answer": {"x": 1}}', '{"answer": {"x": 1}}'),
        ("{not json}", "{not json}"),
        ("bad", "bad"),
    ],
)
def test_json_answers_are_unwrapped(raw, read):
    assert unwrap(raw) == read


def test_a_json_answer_is_parsed_as_its_label():
    assert _task().parse('{"answer": "so-so"}') == "so-so"


def test_each_route_is_held_to_the_output_space():
    space = _task().output
    grammar, schema = space.grammar(), space.schema()
    embedded = EmbeddedChatModel(model_name="m", model_path="unused.gguf", sha256="0" * 64)
    held = Shape(grammar=grammar, schema=schema)
    assert shaped(embedded, held).grammar == grammar
    assert shaped(ChatOllama(model="m"), held).format == schema
    compatible = ChatOpenAI(model="m", api_key="k", base_url="http://127.0.0.1:1/v1")
    limited = shaped(compatible, Shape(max_tokens=8, grammar=grammar, schema=schema))
    assert limited.extra_body == {"max_tokens": 8, "grammar": grammar}  # llama.cpp servers read `grammar`
    assert limited.max_tokens == 8 and compatible.max_tokens is None  # a copy
    api = shaped(ChatOpenAI(model="m", api_key="k"), held)
    assert api.model_kwargs["response_format"]["json_schema"]["schema"] == schema
    assert api.extra_body is None  # the API is not told llama.cpp's fields
    scripted = ScriptedChatModel(script=[])
    assert shaped(scripted, held) is scripted  # a model of the caller's: its own settings hold


def test_the_evaluator_sends_the_constraint_and_reads_json_answers():
    task = _task()
    model = ScriptedChatModel(script=[json.dumps({"answer": e.target}) for e in task.train])
    result = Evaluator(task, model).evaluate("Rate it.", task.train)
    assert result.score == 1.0
    assert model.received[0][0].content.endswith("Answer with exactly one of: good, bad, so-so.")
