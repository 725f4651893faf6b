"""Styles: corpus files, the built-in styles, styles in the memory, and the style scorer."""

import pytest

from idealprompt.errors import StyleError
from idealprompt.memory import Memory
from idealprompt.scoring.style import StyleScorer
from idealprompt.styles import Style, builtin_styles, load_style, read_corpus


def test_corpus_files_one_text_per_line_per_block_or_per_json_line(tmp_path):
    lines, blocks, jsonl = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.jsonl"
    lines.write_text("first\nsecond\n")
    blocks.write_text("first line\nsame text\n\n\nsecond\n")
    jsonl.write_text('{"text": "One!", "neutral": "one"}\n\n{"text": "Two!", "neutral": "two", "source": "x"}\n')
    assert read_corpus(lines) == (["first", "second"], [])
    assert read_corpus(blocks) == (["first line\nsame text", "second"], [])
    assert read_corpus(jsonl) == (["One!", "Two!"], ["one", "two"])


def test_bad_corpus_files_are_named(tmp_path):
    bad, empty = tmp_path / "bad.jsonl", tmp_path / "empty.txt"
    bad.write_text('{"text": "one"}\n{"txt": "two"}\n')
    empty.write_text("\n\n")
    with pytest.raises(StyleError, match=r"bad.jsonl:2: expected an object with a string field \"text\""):
        read_corpus(bad)
    with pytest.raises(StyleError, match=r"empty.txt: no texts"):
        read_corpus(empty)
    with pytest.raises(StyleError, match=r"missing.txt: no such corpus"):
        read_corpus(tmp_path / "missing.txt")
    bad.write_text('{"text": "One!", "neutral": "one"}\n{"text": "Two!"}\n')
    with pytest.raises(StyleError, match=r'bad.jsonl: "neutral" is given for some texts only'):
        read_corpus(bad)


def test_a_style_file_names_the_bad_field(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: House Style\ndescription: warm\nexemplars: []\n")
    with pytest.raises(StyleError, match=r"s.yaml: name: String should match pattern.*exemplars: List should have"):
        load_style(path)


def test_the_builtin_styles_are_parallel():
    styles = builtin_styles()
    assert set(styles) == {"neutral", "tablenotes"}
    assert len(styles["neutral"].exemplars) == len(styles["tablenotes"].exemplars) >= 30
    assert all("#TableNotes" in text for text in styles["tablenotes"].exemplars)
    assert styles["tablenotes"].neutral == styles["neutral"].exemplars == styles["neutral"].neutral


def test_styles_in_the_memory(tmp_path):
    memory = Memory.open(tmp_path / "memory")
    style = Style(name="house", description="Warm.", exemplars=["one", "two", "one"])
    assert memory.add_style(style) == 2
    assert memory.add_style(style.model_copy(update={"exemplars": ["two", "three"], "prompt": "Be warm."})) == 1
    found = memory.style("house")
    assert sorted(found.exemplars) == ["one", "three", "two"] and found.prompt == "Be warm."
    # A built-in style is stored on first use; an unknown one says how to add it.
    tablenotes = memory.style("tablenotes")
    assert sorted(zip(tablenotes.exemplars, tablenotes.neutral, strict=True)) == sorted(
        zip(builtin_styles()["tablenotes"].exemplars, builtin_styles()["neutral"].exemplars, strict=True)
    )
    assert memory.styles.find("tablenotes").source == "built in"
    with pytest.raises(StyleError, match=r"no style 'pirate'.*style add pirate --corpus FILE.*house, neutral"):
        memory.style("pirate")
    memory.close()


def test_the_scorer_tells_held_out_texts_of_the_builtin_styles_apart():
    neutral, notes = (builtin_styles()[name].exemplars for name in ("neutral", "tablenotes"))
    scorer = StyleScorer({"neutral": neutral[:24], "tablenotes": notes[:24]})
    assert scorer.accuracy(notes[24:], "tablenotes") >= 0.75 and scorer.accuracy(neutral[24:], "neutral") >= 0.75
    assert scorer.consistency(notes[24:], "tablenotes") > 0.5 > scorer.consistency(neutral[24:], "tablenotes")
    with pytest.raises(StyleError, match="not 'pirate'"):
        scorer.probabilities(["x"], "pirate")
    with pytest.raises(StyleError, match="at least two styles"):
        StyleScorer({"neutral": neutral})
