import os

import pytest

from idealprompt.config import Settings

UNUSED_PORT = "127.0.0.1:9"  # discard port: nothing listens, so a probe is refused at once


@pytest.fixture
def offline_settings(tmp_path, monkeypatch) -> Settings:
    """Settings isolated from the developer's environment and files: no API key, no Ollama."""
    monkeypatch.chdir(tmp_path)
    for name in os.environ:
        if name.startswith("IDEALPROMPT_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OLLAMA_HOST"):
            monkeypatch.delenv(name)
    return Settings(ollama_host=UNUSED_PORT, models_dir=tmp_path / "models")
