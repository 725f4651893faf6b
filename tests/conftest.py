import os

import pytest

from idealprompt.config import Settings
from idealprompt.routes import embedded_available

UNUSED_PORT = "127.0.0.1:9"  # discard port: nothing listens, so a probe is refused at once


@pytest.fixture(autouse=True)
def _runs_in_tmp(tmp_path, monkeypatch):
    """Every test's runs go to its own run store, never the developer's."""
    monkeypatch.setenv("IDEALPROMPT_RUNS", str(tmp_path / "runs"))


@pytest.fixture
def offline_settings(tmp_path, monkeypatch) -> Settings:
    """Settings isolated from the developer's environment and files: no API key, no Ollama."""
    monkeypatch.chdir(tmp_path)
    for name in os.environ:
        if name.startswith("IDEALPROMPT_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OLLAMA_HOST"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("IDEALPROMPT_AUDIT_LOG", str(tmp_path / "audit.jsonl"))  # CLI runs read settings anew
    monkeypatch.setenv("IDEALPROMPT_RUNS", str(tmp_path / "runs"))  # deleted above with the others
    return Settings(ollama_host=UNUSED_PORT, models_dir=tmp_path / "models", runs=tmp_path / "runs")


def pytest_collection_modifyitems(config, items):
    """Tests of the embedded route's defaults need its extra; a library install without it skips them, and only
    them (`.ci/library`)."""
    if embedded_available():
        return
    skip = pytest.mark.skip(reason="needs the embedded extra (llama-cpp-python), not installed here")
    for item in items:
        if "embedded" in item.keywords or "integration" in item.keywords:
            item.add_marker(skip)
