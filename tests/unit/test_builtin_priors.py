"""The built-in prior pack: it imports into an empty store (once), it is found for a paraphrased task, and no task
it was made from is one a benchmark evaluates it on."""

from pathlib import Path

import yaml

from idealprompt.memory import Memory, pack_info
from idealprompt.memory.builtin import PACK, installed

REPO = Path(__file__).resolve().parents[2]


def test_the_pack_installs_into_an_empty_store_once(tmp_path):
    memory = Memory.open(tmp_path / "memory")
    lines = [line for line in (PACK / "priors.jsonl").read_text().splitlines() if line.strip()]
    assert memory.install_builtin_priors() == len(lines) == pack_info()["priors"] > 0
    assert installed(memory.store) and len(memory.priors) == len(lines)
    memory.install_builtin_priors()
    assert len(memory.priors) == len(lines)  # the same ids: nothing twice
    # Only descriptions and labels travel: no example input of a dataset ships in the package.
    assert all(p.task.examples == [] for p in memory.priors.all())
    memory.close()


def test_a_paraphrased_task_finds_the_prior_of_its_kind(tmp_path):
    memory = Memory.open(tmp_path / "memory")
    memory.install_builtin_priors()
    found = memory.priors.search(
        "Given a short story, say whether the person's action caused what happened.", model=pack_info()["target"], k=1
    )
    assert found[0].prior.task.name == "causal_judgement" and found[0].affinity == 1.0
    found = memory.priors.search("Which topic is this news story about: politics, sport, money or technology?", k=1)
    assert found[0].prior.task.name == "agnews"
    memory.close()


def test_no_task_the_pack_was_made_from_is_evaluated_by_a_benchmark():
    evaluated = {
        yaml.safe_load(path.read_text())["name"]
        for folder in ("bench/tasks", "examples")
        for path in (REPO / folder).glob("*.yaml")
    }
    assert evaluated and not set(pack_info()["tasks"]) & evaluated
    made_from = {yaml.safe_load(p.read_text())["name"] for p in (REPO / "bench" / "pack_tasks").glob("*.yaml")}
    assert set(pack_info()["tasks"]) == made_from


def test_the_configured_memory_installs_the_pack_on_first_use_only(tmp_path, monkeypatch):
    monkeypatch.setenv("IDEALPROMPT_MEMORY", str(tmp_path / "default"))
    memory = Memory.open()
    assert len(memory.priors) == pack_info()["priors"]
    memory.priors.delete(memory.priors.all()[0].id)
    memory.close()
    again = Memory.open()  # a user's deletion stands: the pack is not installed a second time
    assert len(again.priors) == pack_info()["priors"] - 1
    again.close()
    assert len(Memory.open(tmp_path / "named").priors) == 0  # a store named by path gets it only when asked
