import json
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime

import chromadb
import chromadb.api.models.Collection
import pytest
from chromadb.config import Settings

from idealprompt.errors import MemoryStoreError
from idealprompt.memory import Exemplar, Memory, ScoredPrior, TaskDescriptor, rank_strategies
from tests.memory_helpers import REPO, child_json, prior, run_child

WRITE_THREE = """
import sys
from idealprompt.memory import Memory
from tests.memory_helpers import prior
memory = Memory.open(sys.argv[1])
memory.priors.add(prior("trec", add_role=0.02), prior("sentiment", define_labels=0.1), prior("gsm8k", decompose=0.2))
print("[]")
"""

SEARCH_PARAPHRASE = """
import json, os, sys
from idealprompt.memory import Memory, TaskDescriptor
memory = Memory.open(sys.argv[1])
task = TaskDescriptor(description="Decide whether a film critic's review is favourable or unfavourable.")
found = memory.priors.search(task, k=3)
print(json.dumps({"names": [f.prior.task.name for f in found], "sims": [f.similarity for f in found],
                  "telemetry_off": os.environ.get("ORT_DISABLE_TELEMETRY")}))
"""


@pytest.fixture
def memory(tmp_path):
    memory = Memory.open(tmp_path / "memory")
    yield memory
    memory.close()


def test_priors_survive_a_new_process_and_a_paraphrase_finds_the_right_one(tmp_path):
    path = str(tmp_path / "memory")
    run_child(WRITE_THREE, path)
    found = child_json(SEARCH_PARAPHRASE, path)
    assert found["names"][0] == "sentiment"
    assert found["sims"][0] > found["sims"][1] + 0.1
    assert found["telemetry_off"] == "1"


def test_the_child_guard_refuses_the_network():
    with pytest.raises(subprocess.CalledProcessError) as failed:
        run_child("import socket; socket.create_connection(('198.51.100.7', 80), timeout=1)")
    assert "network" in failed.value.stderr


def test_search_can_keep_to_one_model(memory):
    memory.priors.add(
        prior("sentiment", model="ollama:llama3.2:1b"), prior("trec", model="embedded:qwen2.5-coder-0.5b")
    )
    task = TaskDescriptor(description="sentiment of product reviews", labels=["negative", "positive"])
    assert [f.prior.task.name for f in memory.priors.search(task, k=2)] == ["sentiment", "trec"]
    only = memory.priors.search(task, model="embedded:qwen2.5-coder-0.5b", k=2, only_model=True)
    assert [f.prior.task.name for f in only] == ["trec"]


def test_search_before_a_time_leaves_out_the_priors_written_since(memory):
    """A resumed run reads the memory as it was when it first started: its own prior, written since, is left out,
    and the next most similar takes its place."""
    old, new, other = prior("sentiment"), prior("sentiment"), prior("trec")
    old.created = other.created = datetime(2026, 1, 1, tzinfo=UTC)
    new.created = datetime(2026, 6, 1, tzinfo=UTC)
    memory.priors.add(old, new, other)
    task = TaskDescriptor(description="sentiment of product reviews", labels=["negative", "positive"])
    assert {f.prior.id for f in memory.priors.search(task, k=2)} == {old.id, new.id}
    before = memory.priors.search(
        task, model="embedded:qwen2.5-coder-0.5b", k=2, before=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert before[0].prior.id == old.id and new.id not in {f.prior.id for f in before}
    assert [f.prior.task.name for f in before] == ["sentiment", "trec"]


def test_retrieval_prefers_the_same_target_model_then_its_family(memory):
    task = TaskDescriptor(description="sentiment of product reviews", labels=["negative", "positive"])
    memory.priors.add(
        prior("sentiment", model="ollama:llama3.2:1b"),
        prior("sentiment", model="embedded:qwen2.5-coder-0.5b"),
        prior("sentiment", model="ollama:qwen2.5:1.5b"),
    )
    found = memory.priors.search(task, model="embedded:qwen2.5-coder-0.5b", k=3)
    # The same task, learnt on three models: the same model's prior comes first, then its family's.
    assert [f.prior.model for f in found] == [
        "embedded:qwen2.5-coder-0.5b",
        "ollama:qwen2.5:1.5b",
        "ollama:llama3.2:1b",
    ]
    assert [f.affinity for f in found] == [1.0, 0.6, 0.3]


def test_model_affinity_reads_family_and_size():
    from idealprompt.memory import model_affinity

    assert model_affinity("embedded:qwen2.5-coder-0.5b", "ollama:qwen2.5:0.5b") == 0.8
    assert model_affinity("ollama:llama3.2:1b", "openai:gpt-4o-mini") == 0.3
    assert model_affinity("ollama:smollm2:135m", "embedded:smollm2-135m") == 0.8


def test_strategy_ranking_weights_gain_by_similarity_and_visits():
    a = prior("sentiment", define_labels=0.2, add_role=0.05)
    b = prior("trec", add_role=0.1)
    b.strategies[0].visits = 1
    ranking = rank_strategies([ScoredPrior(a, 0.75), ScoredPrior(b, 0.25)])
    scores = {r.strategy: (round(r.score, 6), r.support) for r in ranking}
    # c = visits / (visits + 1): 3/4 for a's strategies, 1/2 for b's.
    assert scores["define_labels"] == (round(0.75 * 0.75 * 0.2, 6), 1)
    assert scores["add_role"] == (round(0.75 * 0.75 * 0.05 + 0.25 * 0.5 * 0.1, 6), 2)
    assert [r.strategy for r in ranking] == ["define_labels", "add_role"]
    assert rank_strategies([]) == []


def test_export_then_import_gives_the_same_priors(memory, tmp_path):
    memory.priors.add(prior("sentiment", define_labels=0.1), prior("gsm8k", decompose=0.2))
    assert memory.priors.export(tmp_path / "priors.jsonl") == 2
    other = Memory.open(tmp_path / "other")
    assert other.priors.import_file(tmp_path / "priors.jsonl") == 2
    assert [p.model_dump() for p in other.priors.all()] == [p.model_dump() for p in memory.priors.all()]
    other.priors.import_file(tmp_path / "priors.jsonl")  # the same ids again: replaced, not duplicated
    assert len(other.priors) == 2


def test_a_bad_line_imports_nothing_and_names_file_line_and_field(memory, tmp_path):
    good = prior("sentiment").model_dump_json()
    bad = json.loads(prior("trec").model_dump_json())
    del bad["task"]["description"]
    path = tmp_path / "priors.jsonl"
    path.write_text(f"{good}\n{good.replace(prior('sentiment').id, 'x')}\n{json.dumps(bad)}\n")
    with pytest.raises(MemoryStoreError, match=r"priors.jsonl:3: .*'task.description'.*nothing was imported"):
        memory.priors.import_file(path)
    assert len(memory.priors) == 0
    path.write_text("{not json\n")
    with pytest.raises(MemoryStoreError, match=r"priors.jsonl:1: not JSON"):
        memory.priors.import_file(path)
    newer = json.loads(good) | {"schema_version": 99}
    path.write_text(json.dumps(newer) + "\n")
    with pytest.raises(MemoryStoreError, match="schema 99 is newer"):
        memory.priors.import_file(path)


WRITER = """
import sys
from idealprompt.memory import Memory
from tests.memory_helpers import prior
memory = Memory.open(sys.argv[1])
for i in range(int(sys.argv[3])):
    p = prior("sentiment")
    p.task.name = f"{sys.argv[2]}-{i}"
    memory.priors.add(p)
    print(p.id, flush=True)
"""


def test_two_processes_writing_the_same_store_lose_no_record(tmp_path):
    path = str(tmp_path / "memory")
    Memory.open(path).priors.add(prior("trec"))  # the store exists, and this process holds it open too
    cmd = [sys.executable, "-c", "import tests.no_network\n" + WRITER, path]
    writers = [subprocess.Popen([*cmd, name, "12"], cwd=REPO, stdout=subprocess.PIPE, text=True) for name in "ab"]
    written = {line.strip() for w in writers for line in w.communicate(timeout=180)[0].splitlines()}
    assert all(w.returncode == 0 for w in writers) and len(written) == 24
    memory = Memory.open(path)
    assert len(memory.priors) == 25
    # Every record is in the vector index too, not only in the metadata tables.
    indexed = {f.prior.id for f in memory.priors.search("movie reviews", k=25)}
    assert written <= indexed


def test_a_crash_mid_write_leaves_the_store_readable(tmp_path):
    path = str(tmp_path / "memory")
    cmd = [sys.executable, "-c", "import tests.no_network\n" + WRITER, path, "c", "10000"]
    writer = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    written = [writer.stdout.readline().strip() for _ in range(8)]
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    memory = Memory.open(path)
    assert len(memory.priors) >= 8
    assert set(written) <= {p.id for p in memory.priors.all()}
    assert memory.priors.search("movie reviews", k=3)


def test_a_write_error_is_named_and_loses_nothing_stored(memory, monkeypatch):
    kept = prior("sentiment", cot=0.1)
    memory.priors.add(kept)
    real = chromadb.api.models.Collection.Collection.upsert

    def disk_full(self, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(chromadb.api.models.Collection.Collection, "upsert", disk_full)
    with pytest.raises(MemoryStoreError, match=r"cannot write to 'priors' \(database or disk is full\); 0 of 1"):
        memory.priors.add(prior("trec", cot=0.2))
    monkeypatch.setattr(chromadb.api.models.Collection.Collection, "upsert", real)
    assert [p.id for p in memory.priors.all()] == [kept.id]  # what was stored is still there, and readable
    memory.priors.add(prior("trec", cot=0.2))  # and the store takes writes again once the disk has room
    assert len(memory.priors) == 2


def test_bad_store_paths_are_named(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(MemoryStoreError, match="afile is a file"):
        Memory.open(tmp_path / "afile")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(MemoryStoreError, match=f"{garbage}.*not readable"):
        len(Memory.open(garbage).priors)
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    (truncated / "chroma.sqlite3").touch()  # a store whose database was cut to nothing: not a new, empty one
    with pytest.raises(MemoryStoreError, match=f"{truncated}: its database chroma.sqlite3 is empty"):
        len(Memory.open(truncated).priors)
    assert (truncated / "chroma.sqlite3").stat().st_size == 0  # left as found


def test_a_folder_of_other_files_is_not_made_a_store(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MemoryStoreError, match=r"holds other files and no memory store"):
        Memory.open("")  # what `--memory ""` passes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written there


def test_reading_a_missing_store_is_an_error_when_asked(tmp_path):
    with pytest.raises(MemoryStoreError, match=f"no memory store at {tmp_path / 'typo'}"):
        Memory.open(tmp_path / "typo", create=False)
    assert not (tmp_path / "typo").exists()


def test_a_store_from_a_newer_idealprompt_is_refused(tmp_path):
    client = chromadb.PersistentClient(path=str(tmp_path), settings=Settings(anonymized_telemetry=False))
    client.create_collection("priors", embedding_function=None, metadata={"idealprompt_schema": 99})
    client.close()
    with pytest.raises(MemoryStoreError, match="schema 99, newer"):
        len(Memory.open(tmp_path).priors)


def test_unknown_ids_are_named(memory):
    with pytest.raises(MemoryStoreError, match="no prior 'nope'"):
        memory.priors.delete("nope")


def test_exemplars_are_found_by_content_within_a_style(memory):
    memory.exemplars.add(
        Exemplar(text="Our trail shoes grip wet rock like nothing else. Ready when you are!", style="house"),
        Exemplar(text="The quarterly report shows revenue rose four percent.", style="neutral"),
        Exemplar(text="Fresh bread every morning, baked with love just for you!", style="house"),
    )
    found = memory.exemplars.search("hiking boots for rainy mountain paths", style="house", k=2)
    assert [e.style for e, _ in found] == ["house", "house"]
    assert "trail shoes" in found[0][0].text and found[0][1] > found[1][1]
    assert all(e.style == "neutral" for e, _ in memory.exemplars.search("boots", style="neutral", k=3))
