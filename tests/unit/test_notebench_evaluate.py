"""The writing benchmark's runner with scripted models: systems get the same examples, and each is scored on
overlap with the references, hallucinated facts, omissions and style."""

import json

import pytest

from idealprompt import Session
from idealprompt.facts import Facts
from idealprompt.graphs.context import Writing
from idealprompt.notebench.data import WritingExample, load_dataset
from idealprompt.notebench.evaluate import evaluate_writing, table
from tests.fakes import ScriptedChatModel

EXAMPLES = [
    WritingExample("a", Facts(slots={"name": "The Eagle", "eatType": "pub"}), ["The Eagle is a pub."]),
    WritingExample("b", Facts(slots={"name": "Zizzi", "area": "riverside"}), ["Zizzi is by the riverside."]),
]


def test_systems_side_by_side(offline_settings):
    small = ScriptedChatModel(script=["The Eagle is a pub.", "Zizzi is by the riverside.", "The Eagle.", "Zizzi."])
    large = ScriptedChatModel(
        script=[
            "The Eagle is a family-friendly pub.",
            "Zizzi is in the city centre.",
            json.dumps({"facts": ["The Eagle is a pub."]}),
            json.dumps({"facts": ["Zizzi is by the riverside."]}),
        ]
    )
    run = Writing.of(Session(offline_settings, models={"small": small, "large": large}), "neutral")
    scores = {s.system: s for s in evaluate_writing(EXAMPLES, run, systems=["small", "large", "plan+write"])}
    assert scores["small"].rouge_l == pytest.approx(100) and scores["small"].bleu_4 == pytest.approx(100)
    assert scores["small"].factuality == scores["small"].faithfulness == 0 and scores["small"].omission == 0
    # large: 5 facts stated (name, pub, family-friendly; name, city centre), one invented, one contradicted
    assert scores["large"].facts_stated == 5
    assert scores["large"].factuality == pytest.approx(1 / 5) and scores["large"].faithfulness == pytest.approx(1 / 5)
    assert scores["large"].checks[0].unsupported == ["familyFriendly: yes"]
    # plan+write: the stylist wrote the names only, leaving out the eatType and the area
    assert scores["plan+write"].outputs == ["The Eagle.", "Zizzi."] and scores["plan+write"].omission == 0.5
    assert "- The Eagle is a pub." in small.received[2][-1].content  # the stylist saw the plan
    assert all(0 <= s.style <= 1 for s in scores.values())
    assert table(scores.values()).splitlines()[2].startswith("| small | 100.0 | 100.0 | 0.0% | 0.0% | 4 | 0.0% |")


def test_free_text_is_judged_by_the_large_model_only_when_asked(offline_settings):
    examples = [WritingExample("c", Facts(text="a dog runs ."), ["a dog runs like the wind ."])]
    claims = {"claims": ["a dog runs", "it is windy"]}
    verdicts = [{"evidence": "a dog runs", "verdict": "supported"}, {"evidence": "none", "verdict": "unsupported"}]
    small = ScriptedChatModel(script=["A dog runs in the wind.", "A dog runs in the wind."])
    large = ScriptedChatModel(script=[json.dumps(claims), *map(json.dumps, verdicts)])
    run = Writing.of(Session(offline_settings, models={"small": small, "large": large}), "neutral")
    judged = evaluate_writing(examples, run, systems=["small"])[0]
    assert judged.factuality == 0.5 and judged.facts_stated == 2 and judged.omission is None
    unjudged = evaluate_writing(examples, run, systems=["small"], judge=False)[0]
    # without the judge, the lexical check alone: one new word ("wind") is within a paraphrase's tolerance
    assert unjudged.checks[0].method == "lexical" and unjudged.factuality == 0.0 and len(large.received) == 3


def test_a_jsonl_dataset_of_your_own(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(
        '{"facts": {"product": "kettle", "price": 30}, "references": ["A kettle for 30."]}\n'
        '{"facts": "name[Zizzi], area[riverside]", "references": ["Zizzi, by the river."]}\n'
        '{"facts": "A dog runs.", "references": ["Run, dog!"]}\n'
    )
    found = load_dataset(path)
    assert [e.facts.slots for e in found] == [
        {"product": "kettle", "price": "30"},
        {"name": "Zizzi", "area": "riverside"},
        {},
    ]
    assert found[2].facts.text == "A dog runs."
    path.write_text('{"facts": "x", "references": []}\n')
    with pytest.raises(Exception, match=r"mine.jsonl:1: field 'references' must be a non-empty list"):
        load_dataset(path)
