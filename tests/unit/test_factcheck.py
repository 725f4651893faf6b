"""The free-text fact check: the lexical signal, the per-claim model signal (scripted), the rule that combines
them, the triple facts format, and check_facts' modes. Hand-made cases, offline."""

import json

import pytest

from idealprompt.errors import FactsError
from idealprompt.facts import Facts, parse_triples
from idealprompt.facts.align import align
from idealprompt.scoring.claims import JudgedClaim, judge_claims
from idealprompt.scoring.facts import check_facts, combine
from idealprompt.tools.facts import facts_tool
from tests.fakes import ScriptedChatModel

DOGS = "two brown dogs run on the beach with a man ."


def kinds(units) -> list[tuple[str, str]]:
    return [(u.kind, u.text) for u in units]


# --- lexical signal ---------------------------------------------------------------------------------------------
def test_an_invented_number_or_date_is_unsupported():
    found = align(DOGS, "two brown dogs run on the beach with a man at 5 pm in 1998 .")
    assert kinds(found.unsupported) == [("number", "5"), ("date", "pm"), ("date", "1998")]
    assert found.contradicted == ()


def test_a_faithful_paraphrase_is_not_flagged():
    # number words equal digits, plurals and hyphens fold, and a word or two of restating are tolerated
    found = align(DOGS, "On the beach, 2 brown dogs are running with a man.")
    assert found.unsupported == found.contradicted == ()
    text = "Located in the city centre, Alimentum is not a family-friendly venue."
    found = align("Alimentum is in the city centre. It is not family friendly.", text)
    assert found.unsupported == found.contradicted == () and kinds(found.new_words) == [
        ("word", "Located"),
        ("word", "venue"),
    ]


def test_a_styles_hashtags_and_contractions_state_no_fact():
    source = "The Fig is a pub in the riverside area. It is family-friendly."
    found = align(source, "You're gonna love it: the Fig, a riverside pub. It's family-friendly!\n#TableNotes #PubLife")
    assert found.unsupported == found.contradicted == ()
    assert kinds(found.new_words) == [("word", "gonna"), ("word", "love")]


def test_mode_entities_lets_a_style_add_words_and_still_catches_invented_entities():
    facts = Facts(text="The Fig is a pub. It has a rating of 4 out of 5.")
    voice = "Heads up, pint lovers: the Fig is a cosy pub, and diners happily give it 4 out of 5."
    assert check_facts(facts, voice, mode="cheap").unsupported  # the flourishes read as added content
    assert check_facts(facts, voice, mode="entities").problems() == []
    invented = check_facts(facts, voice + " Open since 1998, with 3 pool tables.", mode="entities")
    assert {p.split('"')[1] for p in invented.problems()} == {"1998", "3"}


def test_a_swapped_entity_number_colour_or_sex_is_a_contradiction():
    assert kinds(align(DOGS, "three brown dogs run on the beach .").contradicted) == [("number", "three")]
    assert kinds(align(DOGS, "two black dogs run on the beach .").contradicted) == [("word", "black")]
    assert kinds(align(DOGS, "two brown dogs run with a woman .").contradicted) == [("word", "woman")]
    source = "Alimentum is a pub in the city centre. It is near The Bakers."
    found = align(source, "The Eagle is a pub in the city centre near The Bakers.")
    assert kinds(found.contradicted) == [("name", "The Eagle")] and found.unsupported == ()


def test_a_new_member_of_a_kind_the_input_lacks_is_invented_not_contradicted():
    assert kinds(align("a man runs .", "a man in a red hat runs .").unsupported) == [("word", "red")]
    found = align("Alimentum is a pub.", "Alimentum is a pub near The Bakers.")
    assert kinds(found.unsupported) == [("name", "The Bakers")] and found.contradicted == ()


def test_a_sentence_adding_more_content_words_than_the_tolerance_is_flagged():
    text = "a man runs . he is chasing a purple balloon across the frozen lake ."
    found = align("a man runs .", text)
    assert {u.text for u in found.unsupported} == {"chasing", "purple", "balloon", "frozen", "lake"}
    assert kinds(align("a man runs .", text, allowed_words=10).unsupported) == [("word", "purple")]


# --- triples ----------------------------------------------------------------------------------------------------
def test_triple_lines_are_a_facts_format_of_their_own():
    text = "Blue Spice | area | city centre\n- Blue Spice | near | The Bakers\n"
    facts = Facts.parse(text)
    assert facts.triples == (("Blue Spice", "area", "city centre"), ("Blue Spice", "near", "The Bakers"))
    assert facts.slots == {} and facts.text == ""
    assert facts.render() == "- Blue Spice | area | city centre\n- Blue Spice | near | The Bakers"
    assert Facts.model_validate(facts.model_dump()) == facts  # through JSON (graph state) and back
    assert parse_triples("Blue Spice | area | city centre\nIt is nice.") is None  # prose: free text
    assert Facts.parse("a | b") == Facts(text="a | b")
    with pytest.raises(FactsError, match="empty"):
        Facts(triples=())


def test_triples_are_checked_like_free_text():
    facts = Facts.parse("Blue Spice | area | city centre\nBlue Spice | price range | cheap")
    assert check_facts(facts, "Blue Spice is a cheap place in the city centre.", mode="cheap").problems() == []
    found = check_facts(facts, "Blue Spice, in the city centre, opened in 1990.", mode="cheap")
    assert found.method == "lexical" and found.unsupported == [
        '"1990" in "Blue Spice, in the city centre, opened in 1990."'
    ]


# --- model signal -----------------------------------------------------------------------------------------------
def _judge(*verdicts: str) -> list[str]:
    return [json.dumps({"evidence": "none", "verdict": v}) for v in verdicts]


def test_the_model_judges_one_claim_a_call_against_the_input():
    claims = json.dumps({"claims": ["two dogs run", "they chase a cat"]})
    model = ScriptedChatModel(script=[claims, *_judge("supported", "unsupported")])
    judged = judge_claims(model, Facts(text=DOGS), "Two dogs run, chasing a cat.")
    assert judged == [JudgedClaim("two dogs run", "supported"), JudgedClaim("they chase a cat", "unsupported")]
    decompose, first, second = model.received
    assert "Two dogs run, chasing a cat." in decompose[-1].content
    assert "Claim: two dogs run" in first[-1].content and DOGS in first[-1].content
    assert "Claim: they chase a cat" in second[-1].content and "two dogs run\n" not in second[-1].content


def test_an_unusable_split_falls_back_to_the_lexical_signal():
    model = ScriptedChatModel(script=["not json"] * 3)
    found = check_facts(Facts(text=DOGS), "two dogs run at 5 pm .", model=model)
    assert found.method == "lexical" and found.unsupported and len(model.received) == 3


# --- combination rule -------------------------------------------------------------------------------------------
def test_the_rule_keeps_lexical_findings_and_model_contradictions_and_gates_unsupported_claims():
    facts = Facts(text=DOGS)
    text = "two brown dogs run on the beach at 5 pm . the man walks behind the dogs ."
    judged = [
        JudgedClaim("two brown dogs run on the beach", "supported"),
        JudgedClaim("the dogs run at 5 pm", "supported"),  # the model misses an obvious invention
        JudgedClaim("the man walks behind the dogs", "unsupported"),  # a new word ("walks"): stands
        JudgedClaim("a man is on the beach", "unsupported"),  # the input's own words: a restatement
        JudgedClaim("the dogs run with a man", "contradicted"),  # the model's contradiction stands
    ]
    found = combine(facts, text, judged)
    assert found.method == "combined"
    assert found.unsupported == [
        '"5" in "two brown dogs run on the beach at 5 pm ."',
        '"pm" in "two brown dogs run on the beach at 5 pm ."',
        "the man walks behind the dogs",
    ]
    assert found.contradicted == ["the dogs run with a man"]
    assert found.supported == ["two brown dogs run on the beach", "the dogs run at 5 pm", "a man is on the beach"]


def test_an_unsupported_claim_that_replaces_an_input_word_is_a_contradiction():
    text = "two brown dogs run on the beach with a woman ."
    found = combine(Facts(text=DOGS), text, [JudgedClaim("the dogs run with a woman", "unsupported")])
    assert found.contradicted == [
        '"woman" in "two brown dogs run on the beach with a woman ."',
        "the dogs run with a woman",
    ]
    assert found.unsupported == []


# --- check_facts' modes and callers -----------------------------------------------------------------------------
def test_cheap_mode_calls_no_model_and_slots_stay_on_the_slot_matcher():
    model = ScriptedChatModel(script=[])
    found = check_facts(Facts(text=DOGS), "three brown dogs run on the beach .", model=model, mode="cheap")
    assert found.method == "lexical" and found.contradicted and model.received == []
    slots = check_facts(
        Facts.parse("name[Blue Spice], area[riverside]"), "Blue Spice, in the city centre.", model=model
    )
    assert slots.method == "slots" and slots.contradicted == ["area: city centre"] and model.received == []
    assert check_facts(Facts(text=DOGS), " ").method == "none"


def test_the_tool_passes_the_mode():
    tool = facts_tool(Facts(text=DOGS), model=ScriptedChatModel(script=[]), mode="cheap")
    assert tool.invoke({"text": "two brown dogs run on the beach ."}) == "ok"
    assert "not in the input" in tool.invoke({"text": "two brown dogs run on the beach in 1998 ."})
