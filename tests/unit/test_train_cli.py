"""`idealprompt train`: what it refuses before any model loads."""

import importlib.util

import pytest
from typer.testing import CliRunner

from idealprompt.cli import app

runner = CliRunner()
HAS_TRAIN = importlib.util.find_spec("trl") is not None


@pytest.mark.skipif(HAS_TRAIN, reason="the train extra is installed")
def test_without_the_extra_train_says_how_to_install_it(tmp_path):
    result = runner.invoke(app, ["train", "sft", "tablenotes", "--out", str(tmp_path / "sft")])
    assert result.exit_code != 0 and "pip install 'idealprompt[train]'" in str(result.exception)


@pytest.mark.skipif(not HAS_TRAIN, reason="needs the train extra")
def test_a_tiny_corpus_is_refused_before_the_planner_or_the_base_model_runs(tmp_path, offline_settings):
    corpus = tmp_path / "house.txt"
    corpus.write_text("Yay, the Fig!\nWow, the Crown!\n")
    out = tmp_path / "sft"
    args = ["train", "sft", "house", "--corpus", str(corpus), "--description", "Cheery.", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and "2 training pairs; give at least 4 texts in the style" in str(result.exception)
    assert not out.exists()


@pytest.mark.skipif(not HAS_TRAIN, reason="needs the train extra")
def test_a_missing_base_model_and_a_new_style_without_description_are_named(tmp_path, offline_settings):
    corpus = tmp_path / "house.txt"
    corpus.write_text("".join(f"Yay, place {i}!\n" for i in range(5)))
    args = ["train", "sft", "house", "--corpus", str(corpus), "--out", str(tmp_path / "sft")]
    result = runner.invoke(app, args)
    assert "style 'house' is new: give its --description" in str(result.exception)
    missing = tmp_path / "nowhere.gguf"
    result = runner.invoke(app, [*args, "--description", "Cheery.", "--base", str(missing)])
    assert f"embedded:{missing}: no GGUF file" in str(result.exception)


@pytest.mark.skipif(not HAS_TRAIN, reason="needs the train extra")
def test_a_step_is_not_overwritten_and_resume_needs_a_checkpoint(tmp_path, offline_settings):
    out = tmp_path / "sft"
    out.mkdir()
    (out / "train.json").write_text("{}")
    result = runner.invoke(app, ["train", "sft", "tablenotes", "--out", str(out)])
    assert "holds an earlier result: pass --force" in str(result.exception)
    result = runner.invoke(
        app, ["train", "self-improve", "tablenotes", "--from", str(tmp_path / "x"), "--out", str(out / "i")]
    )
    assert "not a finished training step" in str(result.exception)
