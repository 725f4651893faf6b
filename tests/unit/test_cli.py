import sys

import pytest
from typer.testing import CliRunner

from idealprompt.cli import app, main
from idealprompt.config import CONFIG_ENV

runner = CliRunner()


@pytest.mark.embedded
def test_models_prints_each_role_and_why(offline_settings):
    result = runner.invoke(app, ["models", "--no-check"], env={"IDEALPROMPT_OLLAMA_HOST": "127.0.0.1:9"})
    assert result.exit_code == 0, result.output
    assert "embedded:qwen2.5-coder-1.5b" in result.output and "no OPENAI_API_KEY" in result.output


def test_models_check_fails_with_the_reason(offline_settings):
    env = {"IDEALPROMPT_SMALL": "ollama:qwen2.5:0.5b", "OLLAMA_HOST": "127.0.0.1:9", "IDEALPROMPT_LARGE": "ollama:x"}
    result = runner.invoke(app, ["models"], env=env)
    assert result.exit_code == 1 and "no Ollama server answers at" in result.output


def test_bad_configuration_exits_with_a_message_not_a_traceback(offline_settings, tmp_path, monkeypatch, capsys):
    (tmp_path / "bad.toml").write_text("treads = 2\n")
    monkeypatch.setenv(CONFIG_ENV, "")  # --config sets it for the process: restored after the test
    monkeypatch.setattr(sys, "argv", ["idealprompt", "--config", str(tmp_path / "bad.toml"), "models"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert "unknown setting 'treads'" in capsys.readouterr().err


def test_a_bad_task_file_is_named_before_any_model_runs(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndescription: y\nseed_prompt: z\nlabels: [a, b]\ndata: {format: inline, examples: []}\n")
    result = runner.invoke(app, ["warmup", str(bad), "--memory", str(tmp_path / "m")])
    assert result.exit_code != 0 and f"{bad}: field 'split': required" in str(result.exception)
    assert not (tmp_path / "m").exists()  # checked before anything was opened or written


def test_version_and_options_that_are_checked_before_anything_runs(offline_settings):
    from idealprompt import __version__

    assert runner.invoke(app, ["--version"]).output.strip() == f"idealprompt {__version__}"
    wide = {"COLUMNS": "200"}  # rich folds the error box to the terminal's width
    chat = runner.invoke(app, ["chat", "--role", "medium", "hi"], env=wide)
    assert chat.exit_code == 2 and "'medium' is not one of 'large', 'small'" in chat.output
    for bad in (["--budget", "0"], ["--budget", "-1"], ["--answers", "loose"]):
        ran = runner.invoke(app, ["optimize", "examples/none.yaml", *bad], env=wide)
        assert ran.exit_code == 2 and "Invalid value" in ran.output  # refused before the task is even read
