"""Users' files: UTF-8 text, YAML with keys as written, no key given twice, no alias bomb; each loader names the
file and line."""

import errno
import os
import time

import pytest
import yaml

from idealprompt.errors import FactsError, OutputError, StrategyError, StyleError, TaskError
from idealprompt.facts import load_facts
from idealprompt.strategies import load_strategies
from idealprompt.styles import load_style
from idealprompt.tasks import load_task
from idealprompt.userfiles import MAX_NODES, read_yaml, write_text


def bomb(levels: int = 9, width: int = 9) -> str:
    """The billion laughs: each level a list of `width` aliases to the level below; width**levels values."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_keys_stay_as_written_and_values_keep_their_yaml_types():
    assert read_yaml("yes: a\n1: b\ntrue: c\nanswer: [1, yes, 2.5, x]\n") == {
        "yes": "a",
        "1": "b",
        "true": "c",
        "answer": [1, True, 2.5, "x"],
    }


def test_a_key_given_twice_is_an_error_with_both_lines_and_a_merged_key_may_be_overridden():
    with pytest.raises(yaml.YAMLError, match=r"the key 'name' is given twice \(lines 1 and 3\)"):
        read_yaml("name: a\narea: b\nname: c\n")
    assert read_yaml("base: &b {x: 1, z: 3}\nmine:\n  <<: *b\n  x: 2\n")["mine"] == {"x": 2, "z": 3}


def test_an_alias_bomb_is_refused_at_once_and_ordinary_aliases_are_read():
    started = time.perf_counter()
    with pytest.raises(yaml.YAMLError, match=f"more than {MAX_NODES:,} values"):
        read_yaml(bomb())
    assert time.perf_counter() - started < 20  # counted over distinct nodes, never expanded (that takes hours)
    assert read_yaml(bomb(levels=3, width=3))["a2"] == [[["lol"] * 3] * 3] * 3
    with pytest.raises(yaml.YAMLError, match="refers to a value that contains it"):
        read_yaml("a: &a [1, *a]\n")
    with pytest.raises(yaml.YAMLError, match="nested too deeply"):
        read_yaml("[" * 3000 + "]" * 3000)


def test_every_loader_of_user_yaml_names_the_file_and_line(tmp_path):
    (tmp_path / "facts.yaml").write_text("yes: open on Sundays\n1: first floor\n")
    assert load_facts(tmp_path / "facts.yaml").slots == {"yes": "open on Sundays", "1": "first floor"}
    (tmp_path / "twice.yaml").write_text("name: Cotto\nname: Aromi\n")
    with pytest.raises(FactsError, match=r"twice.yaml: .*'name' is given twice"):
        load_facts(tmp_path / "twice.yaml")
    (tmp_path / "task.yaml").write_text("name: t\ndescription: d\nname: u\n")
    with pytest.raises(TaskError, match=r"task.yaml:3: .*'name' is given twice"):
        load_task(tmp_path / "task.yaml")
    (tmp_path / "bomb.yaml").write_text(bomb())
    with pytest.raises(TaskError, match=r"bomb.yaml:1: .*values through its aliases"):
        load_task(tmp_path / "bomb.yaml")
    (tmp_path / "strategies.yaml").write_text("- name: a\n  summary: s\n  summary: t\n  instruction: i\n")
    with pytest.raises(StrategyError, match=r"strategies.yaml: .*'summary' is given twice"):
        load_strategies(tmp_path / "strategies.yaml")
    (tmp_path / "style.yaml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(StyleError, match=r"style.yaml: the style file is not UTF-8 text \(.* at byte 9\)"):
        load_style(tmp_path / "style.yaml")
    (tmp_path / "latin1.yaml").write_bytes(b"- name: caf\xe9\n")
    with pytest.raises(StrategyError, match=r"latin1.yaml: the strategy file is not UTF-8 text"):
        load_strategies(tmp_path / "latin1.yaml")


def test_a_result_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "out" / "result.json"
    write_text(path, "first\n", OutputError, "result")
    assert path.read_text() == "first\n"

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OutputError, match=r"result.json: cannot write the result: No space left on device"):
        write_text(path, "second, cut short\n", OutputError, "result")
    assert path.read_text() == "first\n" and [p.name for p in path.parent.iterdir()] == ["result.json"]
