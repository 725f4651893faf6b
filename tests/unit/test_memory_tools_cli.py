import json

import pytest
from typer.testing import CliRunner

from idealprompt.cli import app
from idealprompt.memory import Exemplar, Memory
from idealprompt.tools.memory import memory_tools
from tests.memory_helpers import prior

runner = CliRunner(env={"COLUMNS": "200"})  # tables as wide as a real terminal


@pytest.fixture
def memory(tmp_path):
    memory = Memory.open(tmp_path / "memory")
    memory.priors.add(prior("sentiment", define_labels=0.1), prior("gsm8k", decompose=0.2))
    memory.exemplars.add(Exemplar(text="Grab yours today, friends!", style="house"))
    yield memory
    memory.close()


def test_retrieval_tools_answer_in_json(memory):
    tools = {t.name: t for t in memory_tools(memory)}
    assert {"description", "labels", "model", "k"} <= set(tools["retrieve_priors"].args)
    answer = json.loads(tools["retrieve_priors"].invoke({"description": "Is this film review positive?", "k": 2}))
    assert answer["priors"][0]["task"].startswith("Classify movie reviews")
    assert answer["strategies"][0]["strategy"] in {"define_labels", "decompose"}
    exemplars = json.loads(tools["retrieve_exemplars"].invoke({"text": "a sale", "style": "house"}))
    assert exemplars[0]["text"] == "Grab yours today, friends!"


def test_a_tool_call_from_a_model_runs_the_tool(memory):
    retrieve = memory_tools(memory)[0]
    call = {
        "name": "retrieve_priors",
        "args": {"description": "math word problems"},
        "id": "call_1",
        "type": "tool_call",
    }
    message = retrieve.invoke(call)
    assert message.tool_call_id == "call_1" and "grade-school math" in message.content


def test_priors_commands(memory, tmp_path):
    where = ["--memory", str(memory.store.path)]
    listed = runner.invoke(app, ["priors", "list", *where])
    assert listed.exit_code == 0 and "define_labels" in listed.output and "+0.100" in listed.output
    found = runner.invoke(app, ["priors", "search", "film review sentiment", "-k", "1", *where])
    assert found.exit_code == 0 and "Classify movie reviews" in found.output and "define_labels" in found.output
    one = memory.priors.all()[0]
    shown = runner.invoke(app, ["priors", "show", one.id[:8], *where])
    assert shown.exit_code == 0 and json.loads(shown.output)["id"] == one.id
    exported = runner.invoke(app, ["priors", "export", str(tmp_path / "p.jsonl"), *where])
    assert exported.exit_code == 0 and "exported 2" in exported.output
    again = runner.invoke(app, ["priors", "export", str(tmp_path / "p.jsonl"), *where])
    assert again.exit_code != 0 and "p.jsonl exists: pass --force" in str(again.exception)
    forced = runner.invoke(app, ["priors", "export", str(tmp_path / "p.jsonl"), "--force", *where])
    assert forced.exit_code == 0 and "exported 2" in forced.output
    deleted = runner.invoke(app, ["priors", "delete", one.id, *where])
    assert deleted.exit_code == 0 and len(memory.priors) == 1
    imported = runner.invoke(app, ["priors", "import", str(tmp_path / "p.jsonl"), *where])
    assert imported.exit_code == 0 and len(memory.priors) == 2
    fresh = runner.invoke(app, ["priors", "import", str(tmp_path / "p.jsonl"), "--memory", str(tmp_path / "new")])
    assert fresh.exit_code == 0 and "imported 2" in fresh.output


def test_reading_commands_do_not_create_a_store(tmp_path):
    listed = runner.invoke(app, ["priors", "list", "--memory", str(tmp_path / "typo")])
    assert listed.exit_code != 0 and "no memory store at" in str(listed.exception)
    assert not (tmp_path / "typo").exists()


def test_priors_explain_and_install(memory, tmp_path, offline_settings):
    from idealprompt.memory import Edit, pack_info

    lesson = prior("sentiment", define_labels=0.1)
    lesson.edits = [Edit(diagnosis="Sarcasm was read as praise.", gain=0.15, rule="Read sarcasm as negative.")]
    memory.priors.add(lesson)
    task = tmp_path / "reviews.yaml"
    task.write_text(
        "name: reviews\ndescription: Classify film reviews by sentiment.\nseed_prompt: Classify.\n"
        "labels: [negative, positive]\ndata: {format: inline, examples: [{input: good, target: positive},"
        " {input: bad, target: negative}]}\nsplit: {train: 2}\n"
    )
    env = {"IDEALPROMPT_SMALL": "ollama:qwen2.5:0.5b", "COLUMNS": "200"}  # a route that needs no model file
    explained = runner.invoke(app, ["priors", "explain", str(task), "--memory", str(memory.store.path)], env=env)
    assert explained.exit_code == 0, explained.output
    assert "for target model ollama:qwen2.5:0.5b" in explained.output and "define_labels" in explained.output
    assert "Sarcasm was read as praise. Rule: Read sarcasm as negative." in explained.output
    installed = runner.invoke(app, ["priors", "install", "builtin", "--memory", str(tmp_path / "fresh")])
    assert installed.exit_code == 0 and f"{pack_info()['priors']} priors" in installed.output
    assert len(Memory.open(tmp_path / "fresh").priors) == pack_info()["priors"]
    refused = runner.invoke(app, ["priors", "delete", "", "--memory", str(memory.store.path)])
    assert refused.exit_code != 0 and len(memory.priors) == 3  # an empty id matches nothing, deletes nothing
