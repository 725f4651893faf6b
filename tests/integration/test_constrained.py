"""Constrained and scored answers on the real 0.5B model, per route, and an exported prompt re-scored without the
framework (raw llama-cpp-python with the exported grammar, and an OpenAI client against llama.cpp's server)."""

import dataclasses
import json
from pathlib import Path

import openai
import pytest
from llama_cpp import Llama, LlamaGrammar

from idealprompt import Budget, Session, optimize
from idealprompt.graphs.ideal import IdealOptions
from idealprompt.scoring.evaluate import Evaluator
from idealprompt.tasks import load_task

TASK = Path(__file__).resolve().parents[2] / "examples" / "sports_understanding.yaml"


def _task(test: int = 6):
    task = load_task(TASK)
    return dataclasses.replace(task, train=task.train[:6], dev=task.dev[:6], test=task.test[:test])


def test_the_embedded_route_answers_exactly_a_label(real_settings):
    task = _task()
    result = Evaluator.for_session(Session(real_settings), task).evaluate(task.seed_prompt, task.dev)
    assert all(p.answer in ("yes", "no") for p in result.predictions)


def test_scored_labels_are_the_likeliest_by_llama_cpp_pythons_own_logprobs(real_settings, small_gguf):
    task = dataclasses.replace(_task(), answers="scored")
    evaluator = Evaluator.for_session(Session(real_settings), task)
    # An independent reading: llama-cpp-python's chat completion with logprobs of the first answer token (both
    # labels are one token), from a context that keeps every position's logits.
    reference = Llama(model_path=small_gguf, n_ctx=1024, n_threads=2, logits_all=True, verbose=False)
    for example in task.dev[:4]:
        messages = evaluator.messages(task.seed_prompt, example)
        answer = evaluator.model.invoke(messages)
        first = reference.create_chat_completion(
            messages=[{"role": "system", "content": messages[0].content}, {"role": "user", "content": example.text}],
            max_tokens=1,
            logprobs=True,
            top_logprobs=20,
            temperature=0.0,
        )["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
        labels = {t["token"]: t["logprob"] for t in first if t["token"] in ("yes", "no")}
        assert answer.text == max(labels, key=labels.__getitem__)
        assert answer.response_metadata["label_logprobs"][answer.text] == pytest.approx(labels[answer.text], abs=1e-3)
        assert answer.usage_metadata["output_tokens"] == 0  # nothing decoded


def test_the_llama_cpp_server_gets_the_grammar(real_settings, llama_server):
    settings = real_settings.model_copy(update={"openai_base_url": llama_server, "small": "openai:local-small"})
    task = _task()
    result = Evaluator.for_session(Session(settings), task).evaluate(task.seed_prompt, task.dev)
    assert all(p.answer in ("yes", "no") for p in result.predictions)


def test_ollama_gets_the_schema_as_format(real_settings, ollama_server):
    settings = real_settings.model_copy(update={"ollama_host": ollama_server.url, "small": "ollama:qwen2.5-coder:0.5b"})
    task = _task()
    result = Evaluator.for_session(Session(settings), task).evaluate(task.seed_prompt, task.dev[:3])
    path, body = ollama_server.requests[-1]
    assert path == "/api/chat" and body["format"] == task.output.schema()
    assert all(json.loads(p.answer)["answer"] in ("yes", "no") for p in result.predictions)
    assert all(p.parsed in ("yes", "no") for p in result.predictions)


def test_the_export_rescored_without_the_framework_gets_the_reported_score(
    real_settings, llama_server, small_gguf, tmp_path
):
    task = _task(test=8)
    options = IdealOptions(rounds=0, warmup_iterations=0)
    result = optimize(task, session=Session(real_settings, budget=Budget(small_calls=30)), options=options)
    result.write(tmp_path)
    prompt = (tmp_path / "prompt.txt").read_text().rstrip("\n")
    grammar = (tmp_path / "answer.gbnf").read_text()
    assert json.loads((tmp_path / "result.json").read_text())["answers"] == "constrained"
    assert "FROM qwen2.5-coder:0.5b" in (tmp_path / "Modelfile").read_text()

    llm = Llama(model_path=small_gguf, n_ctx=4096, n_threads=2, verbose=False)
    raw = [
        llm.create_chat_completion(
            messages=[{"role": "system", "content": prompt}, {"role": "user", "content": e.text}],
            temperature=0.0,
            max_tokens=result.answer_tokens,
            seed=0,
            repeat_penalty=1.1,
            grammar=LlamaGrammar.from_string(grammar, verbose=False),
        )["choices"][0]["message"]["content"]
        for e in task.test
    ]
    assert (
        sum(task.parse(a) == e.target for a, e in zip(raw, task.test, strict=True)) / len(task.test)
        == result.optimized.test
    )

    client = openai.OpenAI(base_url=llama_server, api_key="not-needed")
    served = [
        client.chat.completions.create(
            model="local-small",
            messages=[{"role": "system", "content": prompt}, {"role": "user", "content": e.text}],
            temperature=0.0,
            seed=0,
            extra_body={"max_tokens": result.answer_tokens, "grammar": grammar},
        )
        .choices[0]
        .message.content
        for e in task.test
    ]
    assert all(a in ("yes", "no") for a in served)
    assert (
        sum(task.parse(a) == e.target for a, e in zip(served, task.test, strict=True)) / len(task.test)
        == result.optimized.test
    )
