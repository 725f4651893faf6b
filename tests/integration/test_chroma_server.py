"""The memory on a Chroma server (`chroma run`), as a team shares it: processes writing at once lose nothing,
what one writes another finds, and the built-in pack installs there once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from idealprompt.memory import Memory, pack_info
from idealprompt.memory.builtin import installed
from tests.integration.conftest import _free_port, wait_until_up
from tests.memory_helpers import REPO, run_child

WRITER = """
import sys
from idealprompt.memory import Memory
from tests.memory_helpers import prior
memory = Memory.open(sys.argv[1], create=True)
for i in range(int(sys.argv[3])):
    p = prior("sentiment")
    p.task.name = f"{sys.argv[2]}-{i}"
    memory.priors.add(p)
    print(p.id, flush=True)
"""


@pytest.fixture
def server(tmp_path):
    """A fresh `chroma run` on a loopback port, as the README starts one."""
    port, log = _free_port(), tmp_path / "chroma.log"
    command = [str(Path(sys.executable).parent / "chroma"), "run", "--host", "127.0.0.1", "--port", str(port)]
    environment = os.environ | {"ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [*command, "--path", str(tmp_path / "data")], env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_up(proc, f"{url}/api/v2/heartbeat", log, "chroma run", seconds=30)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_two_processes_writing_at_once_lose_no_record(server):
    cmd = [sys.executable, "-c", "import tests.no_network\n" + WRITER, server]
    writers = [subprocess.Popen([*cmd, name, "12"], cwd=REPO, stdout=subprocess.PIPE, text=True) for name in "ab"]
    written = {line.strip() for w in writers for line in w.communicate(timeout=120)[0].splitlines()}
    assert all(w.returncode == 0 for w in writers) and len(written) == 24
    memory = Memory.open(server, create=False)
    assert len(memory.priors) == 24 and {p.id for p in memory.priors.all()} == written
    assert {f.prior.id for f in memory.priors.search("movie reviews", k=24)} == written  # in the index too
    memory.close()


def test_a_prior_written_by_one_process_is_found_by_another(server):
    run_child(WRITER.replace('prior("sentiment")', 'prior("trec", add_role=0.1)'), server, "trec", "1")
    memory = Memory.open(server, create=False)
    found = memory.priors.search("What kind of answer does this question expect: a place, a person, a number?", k=1)
    assert found[0].prior.task.name == "trec-0" and found[0].prior.strategies[0].strategy == "add_role"
    memory.close()


def test_the_configured_server_installs_the_pack_once(server, monkeypatch):
    monkeypatch.setenv("IDEALPROMPT_MEMORY", server)
    memory = Memory.open()  # the URL from the settings reaches the store as written
    assert installed(memory.store) and len(memory.priors) == pack_info()["priors"]
    memory.priors.delete(memory.priors.all()[0].id)
    memory.close()
    again = Memory.open()  # the marker is kept on the server: a user's deletion stands
    assert len(again.priors) == pack_info()["priors"] - 1
    again.close()
