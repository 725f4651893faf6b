"""`idealprompt style add/list`: styles go into the memory and come back listed with the built-in ones."""

from typer.testing import CliRunner

from idealprompt.cli import app
from idealprompt.memory import Memory

runner = CliRunner(env={"COLUMNS": "200"})


def test_style_add_then_list(offline_settings, tmp_path):
    corpus, prompt = tmp_path / "house.txt", tmp_path / "prompt.txt"
    corpus.write_text("Grab yours today, friends!\nNew in store, friends!\n")
    prompt.write_text("Write like a friendly shopkeeper.\n")
    where = ["--memory", str(tmp_path / "memory")]
    added = runner.invoke(
        app,
        [
            "style",
            "add",
            "house",
            "--corpus",
            str(corpus),
            "--description",
            "Cheery shop notes.",
            "--prompt-file",
            str(prompt),
            *where,
        ],
    )
    assert added.exit_code == 0, added.output
    assert "style house: 2 new texts (0 already stored)" in added.output
    again = runner.invoke(app, ["style", "add", "house", "--corpus", str(corpus), *where])
    assert "0 new texts (2 already stored)" in again.output  # the description and prompt are kept
    listed = runner.invoke(app, ["style", "list", *where])
    assert listed.exit_code == 0, listed.output
    rows = [line.split("│")[1:-1] for line in listed.output.splitlines() if line.startswith("│")]
    lines = {cells[0].split()[0]: "│".join(cells) for cells in rows if cells[0].strip()}
    assert "Cheery shop notes." in lines["house"] and "optimised" in lines["house"]
    assert "(built in)" in lines["tablenotes"] and "(built in)" in lines["neutral"]
    memory = Memory.open(tmp_path / "memory")
    assert memory.style("house").prompt == "Write like a friendly shopkeeper."
    memory.close()


def test_a_new_style_needs_a_description(offline_settings, tmp_path):
    corpus = tmp_path / "house.txt"
    corpus.write_text("Grab yours today!\n")
    result = runner.invoke(app, ["style", "add", "house", "--corpus", str(corpus), "--memory", str(tmp_path / "m")])
    assert result.exit_code != 0 and "style 'house' is new: give --description" in str(result.exception)
