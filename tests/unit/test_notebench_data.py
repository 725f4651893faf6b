"""NoteBench datasets: E2E CSV and styled image captions, on fixtures copied from the real files (CC BY-SA 4.0),
and on the real shared data folder when it is there."""

import os
from pathlib import Path

import pytest

from idealprompt.errors import FactsError
from idealprompt.facts import Facts
from idealprompt.notebench.data import caption_corpus, load_captions, load_e2e

DATA = Path(os.environ.get("IDEALPROMPT_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))

E2E_ROWS = """"mr","ref"
"name[Blue Spice], eatType[coffee shop], area[city centre]","A coffee shop in the city centre area called Blue Spice."
"name[Blue Spice], eatType[coffee shop], area[city centre]","Blue Spice is a coffee shop in city centre."
"name[Blue Spice], eatType[coffee shop], area[riverside]","There is a coffee shop Blue Spice in the riverside area."
"name[Blue Spice], eatType[coffee shop], area[city centre]","Blue Spice, a coffee shop, is in the city centre."
"name[Blue Spice], eatType[coffee shop], area[riverside]","At the riverside, there is a coffee shop called The Blue Spice."
"""  # noqa: E501 -- rows 1-4 of testset_w_refs.csv, and row 1's MR again with a reference of our own, to test grouping

HIKERS, BOY = "the group of hikers is resting in front of a mountain .", "a wet boy carrying goggles runs ."
ROMANTIC = [
    f"{HIKERS}\ta group of backpackers lay on the dry ground exhausted after a long day of hiking .\t1",
    f"{BOY}\tboy wearing swim trunks holding goggles and running to reach the pool .\t1",
]  # reference.0
HUMOROUS = [
    f"{HIKERS}\tseveral hikers , gear , mountain in hopes of seeing a bear .\t0",
    f"{BOY}\ta boy runs barefoot while wearing a blue swimsuit like the ground is lava.\t0",
]  # reference.1


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def captions(tmp_path) -> Path:
    write(tmp_path / "reference.0", "\n".join(ROMANTIC) + "\n")
    write(tmp_path / "reference.1", "\n".join(HUMOROUS) + "\n")
    write(
        tmp_path / "sentiment.train.0",
        "young people practice walking on the high wire for the first time.\n"
        "a woman and a dog sit on a tree stump wondering why cats have 9 lives.\n",
    )
    write(
        tmp_path / "sentiment.train.1", "the men feel like heroes when they are walking barefoot on a tightrope .\n\n"
    )
    return tmp_path


def test_e2e_groups_references_per_mr_in_order_of_first_appearance(tmp_path):
    examples = load_e2e(write(tmp_path / "test.csv", E2E_ROWS))
    assert [e.id for e in examples] == ["test:1", "test:2"]
    assert examples[0].facts == Facts(slots={"name": "Blue Spice", "eatType": "coffee shop", "area": "city centre"})
    assert examples[0].references == [
        "A coffee shop in the city centre area called Blue Spice.",
        "Blue Spice is a coffee shop in city centre.",
        "Blue Spice, a coffee shop, is in the city centre.",
    ]
    assert examples[1].facts.slots["area"] == "riverside" and len(examples[1].references) == 2
    assert [e.id for e in load_e2e(tmp_path / "test.csv", limit=1)] == ["test:1"]


def test_e2e_errors_name_the_file_and_line(tmp_path):
    bad = write(tmp_path / "bad.csv", E2E_ROWS + '"Blue Spice is a coffee shop","A ref."\n')
    with pytest.raises(FactsError, match=r"bad.csv:7: field 'mr' is not a meaning representation"):
        load_e2e(bad)
    twice = write(tmp_path / "twice.csv", '"mr","ref"\n"name[A], name[B]","A."\n')
    with pytest.raises(FactsError, match=r"twice.csv:2: slot 'name' is given twice"):
        load_e2e(twice)
    with pytest.raises(FactsError, match=r"cols.csv: expected a CSV with columns 'mr' and 'ref'"):
        load_e2e(write(tmp_path / "cols.csv", "meaning,text\nname[A],A.\n"))
    with pytest.raises(FactsError, match=r"missing.csv: cannot read"):
        load_e2e(tmp_path / "missing.csv")


def test_captions_pair_each_factual_caption_with_its_rewrite_in_the_style(captions):
    humorous = load_captions(captions, style="humorous")
    assert [e.id for e in humorous] == ["captions-humorous:1", "captions-humorous:2"]
    assert humorous[0].facts == Facts(text=HIKERS)
    assert humorous[0].references == ["several hikers , gear , mountain in hopes of seeing a bear ."]
    romantic = load_captions(captions, style="romantic", limit=1)
    assert len(romantic) == 1 and romantic[0].facts == Facts(text=HIKERS)
    assert romantic[0].references == [ROMANTIC[0].split("\t")[1]]


def test_caption_corpus_reads_a_styles_texts(captions):
    assert caption_corpus(captions, style="romantic") == [
        "the men feel like heroes when they are walking barefoot on a tightrope ."
    ]  # the blank line is dropped
    assert len(caption_corpus(captions, style="humorous", split="train")) == 2
    with pytest.raises(FactsError, match="use 'train' or 'dev'"):
        caption_corpus(captions, style="humorous", split="test")
    with pytest.raises(FactsError, match="unknown caption style 'sarcastic'; known: humorous, romantic"):
        load_captions(captions, style="sarcastic")


def test_a_malformed_caption_reference_names_the_file_and_line(captions):
    write(captions / "reference.1", HUMOROUS[0] + "\n" + "a caption\ta rewrite\n")
    with pytest.raises(FactsError, match=r"reference.1:2: expected 'caption<TAB>rewrite<TAB>style id'"):
        load_captions(captions, style="humorous")


@pytest.mark.skipif(not (DATA / "e2e_nlg").is_dir(), reason="the shared data folder is not here")
def test_the_real_datasets():
    test = load_e2e(DATA / "e2e_nlg" / "testset_w_refs.csv")
    assert (len(test), sum(len(e.references) for e in test)) == (630, 4693)  # as shared/data/README.md says
    assert test[0].references == [
        "A coffee shop in the city centre area called Blue Spice.",
        "Blue Spice is a coffee shop in city centre.",
    ]
    assert len(load_e2e(DATA / "e2e_nlg" / "devset.csv")) == 547
    folder = DATA / "style_transfer_lijuncen" / "imagecaption"
    for style in ("humorous", "romantic"):
        examples = load_captions(folder, style=style)
        assert len(examples) == 300 and all(len(e.references) == 1 for e in examples)
        assert len(caption_corpus(folder, style=style)) == 6000
        # the style mapping: every rewrite in a style is a line of that style's dev corpus
        dev = set(caption_corpus(folder, style=style, split="dev"))
        assert all(e.references[0] in dev for e in examples)
    assert load_captions(folder, style="humorous")[0].references == [HUMOROUS[0].split("\t")[1]]
