"""`idealprompt optimize TASK TASK...` in this process, against a scripted OpenAI-compatible server: a folder and a
run per task, checked before any work, a failure that does not stop the others."""

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from idealprompt.cli import app
from idealprompt.errors import ConfigError, TaskError
from idealprompt.runs import RunStore
from tests.fake_openai_server import FakeOpenAIServer
from tests.unit.test_openai_compatible import _task_file, answer


def _tasks(tmp_path: Path, *names: str) -> list[str]:
    """Task files `NAME.yaml`, each the reviews task under another name."""
    files = []
    for name in names:
        folder = tmp_path / f"make-{name}"
        folder.mkdir()
        task = yaml.safe_load(Path(_task_file(folder, {"train": 6, "dev": 6, "test": 4})).read_text())
        (tmp_path / f"{name}.yaml").write_text(
            yaml.safe_dump(task | {"name": name, "description": f"Classify {name} by sentiment."})
        )
        files.append(str(tmp_path / f"{name}.yaml"))
    return files


def _optimize(server, *args):
    return CliRunner().invoke(app, ["optimize", *args, "--no-memory"], env=server.env())


def test_several_tasks_each_into_a_folder_and_a_run_of_its_own(offline_settings, tmp_path):
    files = _tasks(tmp_path, "films", "books")
    with FakeOpenAIServer(answer) as server:
        ran = _optimize(server, *files, "--budget", "60", "--out", str(tmp_path / "out"))
    assert ran.exit_code == 0, ran.output
    for name in ("films", "books"):
        result = json.loads((tmp_path / "out" / name / "result.json").read_text())
        assert result["task"] == name and result["optimized"]["dev"] == 1.0
        assert result["usage"]["small"]["calls"] <= 60  # the budget is each task's
    runs = {r.task: r for r in RunStore(offline_settings.runs).runs()}
    assert {runs["films"].status, runs["books"].status} == {"done"}
    command = runs["books"].command  # what `resume` runs again: this task alone, into its folder
    assert files[1] in command and files[0] not in command
    assert command[command.index("--out") + 1] == str((tmp_path / "out" / "books").resolve())
    assert "films" in ran.output and "books" in ran.output  # the summary table


def test_a_bad_task_file_stops_every_task_before_any_work(offline_settings, tmp_path):
    files = _tasks(tmp_path, "films")
    (tmp_path / "broken.yaml").write_text("name: broken\nlabels: [a, b]\n")
    with FakeOpenAIServer(answer) as server:
        ran = _optimize(server, files[0], str(tmp_path / "broken.yaml"), "--out", str(tmp_path / "out"))
        assert server.received == []
    assert isinstance(ran.exception, TaskError) and "broken.yaml" in str(ran.exception)
    assert not (tmp_path / "out").exists()


def test_two_task_files_of_one_name_are_refused(offline_settings, tmp_path):
    files = _tasks(tmp_path, "films")
    (tmp_path / "again").mkdir()
    twin = tmp_path / "again" / "films.yaml"
    twin.write_text(Path(files[0]).read_text())
    ran = CliRunner().invoke(app, ["optimize", files[0], str(twin), "--no-memory"])
    assert isinstance(ran.exception, ConfigError) and "named films" in str(ran.exception)


def test_a_task_that_fails_does_not_stop_the_next(offline_settings, tmp_path):
    films, books = _tasks(tmp_path, "films", "books")

    def refusing_films(body: dict) -> str:  # the server drops every call of the films task
        if "Classify films" in json.dumps(body):
            raise RuntimeError("refused")
        return answer(body)

    with FakeOpenAIServer(refusing_films) as server:
        ran = _optimize(server, films, books, "--budget", "60", "--out", str(tmp_path / "out"))
    assert ran.exit_code == 1
    assert json.loads((tmp_path / "out" / "books" / "result.json").read_text())["optimized"]["dev"] == 1.0
    assert "films.yaml failed: " in ran.output and "idealprompt resume ideal-films-" in ran.output
    runs = {r.task: r.status for r in RunStore(offline_settings.runs).runs()}
    assert runs == {"films": "failed", "books": "done"}
