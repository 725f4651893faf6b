"""The offline guarantee: a whole run on the embedded default (models, memory, priors, test scoring) reaches for
nothing beyond this machine. The run is a child process with every non-loopback connection and lookup refused and
logged (tests/no_network.py), so an attempt that a library would swallow (a telemetry ping) still shows."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import UNUSED_PORT

ROOT = Path(__file__).resolve().parents[2]
RUN = """import tests.no_network, os
from idealprompt.cli import app
print(os.environ.get("ORT_DISABLE_TELEMETRY"))
app()"""


def test_a_whole_embedded_run_makes_no_connection_beyond_loopback(real_settings, tmp_path):
    log, out = tmp_path / "net.log", tmp_path / "out"
    (tmp_path / "tiny.yaml").write_text(
        "name: tiny_sports\ndescription: Decide whether a sentence about an athlete is plausible.\n"
        "seed_prompt: Is the sentence plausible?\nlabels: ['yes', 'no']\n"
        f"data: {{path: {ROOT / 'examples/data/bbh_sports_understanding.json'}, format: bbh}}\n"
        "split: {train: 4, dev: 4, test: 2, seed: 1}\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("IDEALPROMPT_", "OPENAI_", "OLLAMA_"))}
    env = clean | {
        "NO_NETWORK_LOG": str(log),
        "IDEALPROMPT_OLLAMA_HOST": UNUSED_PORT,
        "IDEALPROMPT_MODELS_DIR": str(real_settings.models_dir),
        "IDEALPROMPT_THREADS": "2",
        "IDEALPROMPT_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        "IDEALPROMPT_RUNS": str(tmp_path / "runs"),
        "PYTHONPATH": str(ROOT),
    }
    args = ["optimize", str(tmp_path / "tiny.yaml"), "--budget", "12", "--rounds", "1", "--warmup-iterations", "0"]
    args += ["--out", str(out), "--memory", str(tmp_path / "memory")]
    ran = subprocess.run(
        [sys.executable, "-c", RUN, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert not log.exists(), log.read_text()  # not one attempt, even a swallowed one
    assert ran.stdout.splitlines()[0] == "1"  # onnxruntime's native telemetry, which no socket guard sees, is off
    assert "privacy open: every route is local" in ran.stderr
    result = json.loads((out / "result.json").read_text())
    assert result["usage"]["small"]["calls"] <= 12 and result["optimized"]["dev"] is not None  # it scored
    assert (tmp_path / "memory" / "chroma.sqlite3").stat().st_size > 0  # Chroma was opened and searched
    assert not (tmp_path / "audit.jsonl").exists()  # nothing remote, so nothing to audit
