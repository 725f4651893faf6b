"""The stylist's training data, the self-improvement filter and DPO's pairs: no torch, scripted models."""

import json
import random

import pytest
from langchain_core.messages import AIMessage

from idealprompt.errors import TrainError
from idealprompt.styles import Style, builtin_styles
from idealprompt.train import data, improve, pairs
from tests.fakes import ScriptedChatModel

STYLE = Style(name="cheery", description="Upbeat notes.", exemplars=["Yay! A cafe by the river!"] * 4)


def test_a_row_is_the_stylists_own_request_and_gives_its_pair_back():
    pair = data.Pair("The Fig is a cafe. It is by the river.", "Yay, the Fig: a cafe by the river!")
    row = data.row(STYLE, pair)
    roles = [m["role"] for m in row["messages"]]
    assert roles == ["system", "user", "assistant"]
    assert "cheery" in row["messages"][0]["content"]
    assert "- The Fig is a cafe.\n- It is by the river." in row["messages"][1]["content"]
    assert data.pair_of(row) == pair


def test_a_parallel_style_gives_its_own_pairs_and_a_texts_only_style_is_back_translated():
    tablenotes = builtin_styles()["tablenotes"]
    found = data.style_pairs(tablenotes)
    assert [p.text for p in found] == tablenotes.exemplars
    assert [p.neutral for p in found] == tablenotes.neutral
    planner = ScriptedChatModel(script=[f"Plain fact {i}.\n It is plain." for i in range(4)])
    seen = []
    back = data.style_pairs(STYLE, planner, progress=lambda done, total: seen.append((done, total)))
    assert [p.neutral for p in back] == [f"Plain fact {i}. It is plain." for i in range(4)]
    assert "Yay! A cafe by the river!" in planner.received[0][-1].text
    assert seen[-1] == (4, 4)
    with pytest.raises(TrainError, match="planner"):
        data.style_pairs(STYLE)


def test_a_later_rounds_inputs_are_each_neutral_side_once_with_its_original_text():
    originals = [data.Pair(f"Fact {i}.", f"Yay {i}!") for i in range(3)]
    kept = [data.Pair("Fact 1.", "Wow, 1!"), data.Pair("Fact 0.", "Hooray, 0!")]
    rows = [data.row(STYLE, p) for p in originals + kept]
    assert data.inputs_of(rows) == originals


def test_too_few_pairs_or_an_empty_side_is_refused_before_training():
    with pytest.raises(TrainError, match="at least 4"):
        data.check_pairs([data.Pair("a", "b")], where="corpus")
    with pytest.raises(TrainError, match="pair 2 has an empty 'text'"):
        data.check_pairs([data.Pair("a", "b"), data.Pair("a", " ")] * 2, where="corpus")


def test_a_dataset_reads_back_and_a_bad_line_is_named_with_its_field(tmp_path):
    rows = [data.row(STYLE, data.Pair(f"Fact {i}.", f"Yay {i}!")) for i in range(4)]
    path = data.write_rows(tmp_path / "data.jsonl", rows)
    assert data.read_rows(path) == rows
    lines = path.read_text().splitlines()
    broken = json.loads(lines[2])
    broken["messages"][2]["content"] = ""
    path.write_text("\n".join([*lines[:2], json.dumps(broken), lines[3], "{oops"]) + "\n")
    with pytest.raises(TrainError, match=r"data.jsonl:3: messages\[2\].content is empty"):
        data.read_rows(path)
    path.write_text("\n".join([*lines, "{oops"]) + "\n")
    with pytest.raises(TrainError, match=r"data.jsonl:5: not JSON"):
        data.read_rows(path)


class _Scorer:
    """Style scores by a word in the text."""

    def probabilities(self, texts, style):
        return [0.9 if "yay" in t.lower() else 0.2 for t in texts]


def test_the_filter_keeps_the_most_stylish_faithful_candidate_above_the_threshold():
    texts = iter(["Yay, cafe 9!", "A cafe.", "Yay, a cafe!", "Plain.", "Plain again.", "Still plain."])
    stylist = ScriptedChatModel(script=[lambda m: AIMessage(next(texts)) for _ in range(6)])
    inputs = [data.Pair("A cafe.", "ref 1"), data.Pair("A bar.", "ref 2")]

    def check(neutral, text):
        return ["9: not in the input"] if "9" in text else []

    found = improve.improve_round(stylist, STYLE, inputs, _Scorer(), check, k=3, min_style=0.5)
    # input 1: the stylish "Yay, cafe 9!" invents a number, so the faithful "Yay, a cafe!" is kept;
    # input 2: nothing reaches the threshold, so nothing is kept
    assert found.new_pairs() == [data.Pair("A cafe.", "Yay, a cafe!")]
    stats = found.stats()
    assert (stats["inputs"], stats["candidates"], stats["kept"]) == (2, 6, 1)
    assert stats["faithful"] == pytest.approx(5 / 6)
    own = pairs.own_output_pairs(STYLE, found)
    assert len(own) == 1
    assert own[0]["chosen"][0]["content"] == "Yay, a cafe!"
    assert own[0]["rejected"][0]["content"] == "Yay, cafe 9!"


def test_choose_needs_both_faithfulness_and_style():
    a = improve.Candidate("a", 0.95, ("invented",))
    b = improve.Candidate("b", 0.6, ())
    c = improve.Candidate("c", 0.7, ())
    assert improve.choose([a, b, c], min_style=0.5) == c
    assert improve.choose([a, b, c], min_style=0.8) is None


def test_a_corruption_changes_a_number_or_adds_another_texts_sentence():
    good = data.Pair("It has 4 stars.", "Four? No: 4 stars for the Fig!")
    donor = data.Pair("It is a pub.", "Pints at the Crown, and a quiz on Fridays.")
    rng = random.Random(0)
    seen = {pairs.corrupted(good, [donor], rng) for _ in range(20)}
    changed = [t for t in seen if "4 stars" not in t]
    added = [t for t in seen if t.endswith("Pints at the Crown, and a quiz on Fridays.")]
    assert changed and added and all(t != good.text for t in seen)
    rows = pairs.corruption_pairs(STYLE, [good, donor])
    assert [r["chosen"][0]["content"] for r in rows] == [good.text, donor.text]
    assert all(r["rejected"][0]["content"] != r["chosen"][0]["content"] for r in rows)
    assert rows[0]["prompt"] == data.prompt(STYLE, good.neutral)


def test_a_rounds_candidates_are_kept_whole_for_dpo_and_for_a_resumed_round(tmp_path):
    jobs = pytest.importorskip("idealprompt.train.jobs", exc_type=ImportError)
    found = improve.Round()
    first, second = data.Pair("A cafe.", "ref 1"), data.Pair("A bar.", "ref 2")
    chosen = improve.Candidate("Yay, a cafe!", 0.9, ())
    found.candidates = [(first, [improve.Candidate("Yay, cafe 9!", 0.95, ("9: not in the input",)), chosen])]
    found.candidates.append((second, [improve.Candidate("Plain.", 0.2, ())]))
    found.kept = [(first, chosen)]
    jobs._write_candidates(tmp_path / "candidates.jsonl", found)
    again = jobs._read_candidates(tmp_path / "candidates.jsonl")
    assert again.candidates == found.candidates and again.kept == found.kept
    assert again.stats() == found.stats()
