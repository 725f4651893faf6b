"""Facts (files, MRs) and the slot checker, on real E2E test-set references (testset_w_refs.csv, CC BY-SA 4.0)."""

import json

import pytest

from idealprompt.errors import FactsError
from idealprompt.facts import Facts, load_facts, parse_mr
from idealprompt.facts.slots import E2E, SlotCheck, SlotLexicon, check_slots

BLUE_SPICE = "name[Blue Spice], eatType[coffee shop], area[city centre]"  # testset_w_refs.csv line 2


def said(check: SlotCheck, kind: str) -> list[tuple[str, str]]:
    return [(m.slot, m.value) for m in getattr(check, kind)]


# --- facts ------------------------------------------------------------------------------------------------------
def test_an_mr_becomes_slots_in_order_and_renders_as_lines():
    facts = Facts.parse(BLUE_SPICE)
    assert list(facts.slots.items()) == [("name", "Blue Spice"), ("eatType", "coffee shop"), ("area", "city centre")]
    assert facts.text == ""
    assert facts.render() == "- name: Blue Spice\n- eatType: coffee shop\n- area: city centre"


def test_text_that_is_not_wholly_an_mr_stays_free_text():
    for text in (
        "A coffee shop in the city centre area called Blue Spice.",
        "name[Blue Spice] is a coffee shop",  # an MR followed by prose
        "See [1], [2].",
        "name [Blue Spice]",
    ):  # a bracket in prose; a space before the bracket
        assert Facts.parse(text) == Facts(text=text)
    both = Facts(slots={"name": "Blue Spice"}, text="It opened in 2019.")
    assert both.render() == "- name: Blue Spice\nIt opened in 2019."


def test_an_mr_with_a_slot_twice_or_an_empty_value_is_an_error_naming_the_slot():
    with pytest.raises(FactsError, match=r"in.txt: slot 'area' is given twice"):
        parse_mr("area[riverside], area[city centre]", where="in.txt")
    with pytest.raises(FactsError, match="slot 'near' has an empty value"):
        parse_mr("name[Cotto], near[ ]")


def test_facts_cannot_be_empty():
    with pytest.raises(FactsError, match="empty"):
        Facts(text="  ")


def test_load_facts_reads_json_and_yaml_mappings(tmp_path):
    (tmp_path / "f.json").write_text(json.dumps({"name": "Cotto", "seats": 40, "rating": 4.5, "dishes": ["soup", 2]}))
    assert load_facts(tmp_path / "f.json").slots == {
        "name": "Cotto",
        "seats": "40",
        "rating": "4.5",
        "dishes": "soup, 2",
    }
    (tmp_path / "f.yaml").write_text("name: Cotto\nfamilyFriendly: yes\nnear: [The Bakers, Avalon]\n")
    assert load_facts(tmp_path / "f.yaml").slots == {
        "name": "Cotto",
        "familyFriendly": "yes",  # YAML's yes is True
        "near": "The Bakers, Avalon",
    }


def test_load_facts_reads_text_files_as_an_mr_or_free_text(tmp_path):
    (tmp_path / "mr.txt").write_text(BLUE_SPICE + "\n")
    assert load_facts(tmp_path / "mr.txt") == Facts.parse(BLUE_SPICE)
    (tmp_path / "notes.md").write_text("Blue Spice opened in 2019.\nIt serves coffee.\n")
    assert load_facts(tmp_path / "notes.md") == Facts(text="Blue Spice opened in 2019.\nIt serves coffee.")


def test_load_facts_errors_name_the_file_and_field(tmp_path):
    (tmp_path / "nested.yaml").write_text("name: Cotto\naddress:\n  street: Mill Road\n")
    with pytest.raises(FactsError, match=r"nested.yaml: field 'address': .* not a dict"):
        load_facts(tmp_path / "nested.yaml")
    (tmp_path / "blank.json").write_text(json.dumps({"name": "Cotto", "area": ""}))
    with pytest.raises(FactsError, match=r"blank.json: field 'area': .* not an empty value"):
        load_facts(tmp_path / "blank.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(FactsError, match=r"list.json: expected a mapping"):
        load_facts(tmp_path / "list.json")
    (tmp_path / "empty.txt").write_text(" \n")
    with pytest.raises(FactsError, match=r"empty.txt: the facts file is empty"):
        load_facts(tmp_path / "empty.txt")
    with pytest.raises(FactsError, match=r"missing.yaml: no such facts file"):
        load_facts(tmp_path / "missing.yaml")


# --- slot checking ----------------------------------------------------------------------------------------------
def test_a_faithful_reference_states_every_slot_and_nothing_else():
    check = check_slots(parse_mr(BLUE_SPICE), "A coffee shop in the city centre area called Blue Spice.")
    assert said(check, "supported") == [("eatType", "coffee shop"), ("area", "city centre"), ("name", "Blue Spice")]
    assert check.contradicted == check.unsupported == check.omitted == ()
    assert [m.text for m in check.supported] == ["coffee shop", "city centre", "Blue Spice"]
    assert check.supported[0].span == (2, 13)


def test_a_faithful_reference_with_synonyms_a_compatible_value_and_a_negation():
    # testset_w_refs.csv line 1523: "city center", "cheap" for less than £20, "don't bring your kids" for no
    slots = parse_mr(
        "name[The Mill], eatType[pub], food[English], priceRange[less than £20], area[city centre], "
        "familyFriendly[no], near[Raja Indian Cuisine]"
    )
    ref = (
        "If you want some traditional English food and are in the city center near Raja Indian Cuisine, check out "
        "The Mill pub for cheap eats - just don't bring your kids."
    )
    check = check_slots(slots, ref)
    assert said(check, "supported") == [
        ("food", "English"),
        ("area", "city centre"),
        ("near", "Raja Indian Cuisine"),
        ("name", "The Mill"),
        ("eatType", "pub"),
        ("priceRange", "cheap"),
        ("familyFriendly", "no"),
    ]
    assert check.contradicted == check.unsupported == check.omitted == ()
    assert [m.text for m in check.supported if m.slot == "familyFriendly"] == ["don't bring your kids"]


def test_not_family_friendly_is_one_supported_mention_not_a_yes():
    # testset_w_refs.csv line 89
    slots = parse_mr(
        "name[Blue Spice], eatType[pub], food[English], area[riverside], familyFriendly[no], "
        "near[Rainbow Vegetarian Café]"
    )
    ref = (
        "There is a riverside pub near the Rainbow Vegetarian Café called Blue Spice.  It serves English food but "
        "is not family-friendly."
    )
    check = check_slots(slots, ref)
    assert ("familyFriendly", "no") in said(check, "supported")
    assert [m.text for m in check.supported if m.slot == "familyFriendly"] == ["not family-friendly"]
    assert len(check.supported) == 6 and check.contradicted == check.unsupported == ()
    flipped = check_slots(slots | {"familyFriendly": "yes"}, ref)
    assert said(flipped, "contradicted") == [("familyFriendly", "no")]


def test_where_matches_overlap_the_longest_wins_and_on_a_tie_the_one_the_input_supports():
    check = check_slots({"customer rating": "average"}, "It has a mid range customer rating.")
    assert said(check, "supported") == [("customer rating", "average")] and check.unsupported == ()  # not a price
    check = check_slots({"familyFriendly": "yes"}, "Children are not welcome.")
    assert said(check, "contradicted") == [("familyFriendly", "no")] and check.supported == ()
    both = SlotLexicon({"x": {"a": ("foo",), "b": ("foo",)}})
    assert said(check_slots({"x": "b"}, "foo", both), "supported") == [("x", "b")]
    assert said(check_slots({"x": "a"}, "foo", both), "supported") == [("x", "a")]


def test_an_invented_slot_is_unsupported():
    check = check_slots(parse_mr(BLUE_SPICE), "Blue Spice is a coffee shop in city centre. It is family friendly.")
    assert said(check, "unsupported") == [("familyFriendly", "yes")]
    assert check.contradicted == ()


def test_a_wrong_value_is_contradicted():
    check = check_slots(parse_mr(BLUE_SPICE), "Blue Spice is a coffee shop by the riverside.")
    assert said(check, "contradicted") == [("area", "riverside")]
    assert check.omitted == ()  # a contradicted slot was mentioned, not omitted
    # testset_w_refs.csv line 331: the reference itself puts a riverside venue in the city centre
    slots = parse_mr(
        "name[Giraffe], eatType[pub], food[Fast food], area[riverside], familyFriendly[no], "
        "near[Rainbow Vegetarian Café]"
    )
    real = check_slots(
        slots, "Giraffe is located in City centre near Rainbow Vegetarian Café.  It is not a kid friendly pub."
    )
    assert said(real, "contradicted") == [("area", "city centre")]
    assert real.omitted == ("food",)


def test_the_context_word_tells_price_from_rating():
    # testset_w_refs.csv line 3553: the rating is 3 out of 5, yet the reference says "high customer rating"
    slots = parse_mr(
        "name[The Vaults], eatType[pub], food[Japanese], priceRange[high], customer rating[3 out of 5], "
        "area[city centre], familyFriendly[yes], near[Raja Indian Cuisine]"
    )
    ref = (
        "The Vaults is a high price range high customer rating pub in the city centre near Raja Indian Cuisine. "
        "It is kids friendly ad they serve Japanese food."
    )
    check = check_slots(slots, ref)
    assert ("priceRange", "high") in said(check, "supported")
    assert said(check, "contradicted") == [("customer rating", "high")]
    swapped = check_slots({"priceRange": "cheap", "customer rating": "5 out of 5"}, ref)
    assert said(swapped, "contradicted") == [("priceRange", "high")]
    assert said(swapped, "supported") == [("customer rating", "high")]  # high is compatible with 5 out of 5
    rating_only = check_slots({"customer rating": "low"}, "Its customer rating is low, its prices are high.")
    assert said(rating_only, "supported") == [("customer rating", "low")]
    assert said(rating_only, "unsupported") == [("priceRange", "high")]


def test_names_match_with_or_without_the_and_an_unknown_venue_is_unsupported():
    # testset_w_refs.csv line 5: "The Blue Spice" for name[Blue Spice]
    check = check_slots(
        parse_mr("name[Blue Spice], eatType[coffee shop], area[riverside]"),
        "At the riverside, there is a coffee shop called The Blue Spice.",
    )
    assert said(check, "supported")[-1] == ("name", "Blue Spice") and check.supported[-1].text == "The Blue Spice"
    # testset_w_refs.csv line 398: the near venue is Raja Indian Cuisine, the reference names another one
    slots = parse_mr(
        "name[Giraffe], eatType[pub], food[French], area[riverside], familyFriendly[no], near[Raja Indian Cuisine]"
    )
    real = check_slots(
        slots,
        "Located near the river and the Crowne Plaza, Giraffe is an adult only pub offering spirits and appetizers.",
    )
    assert said(real, "unsupported") == [("name", "Crowne Plaza Hotel")]
    assert ("familyFriendly", "no") in said(real, "supported") and real.omitted == ("food", "near")


def test_restaurant_is_a_generic_word_not_an_eat_type_claim():
    text = "The Punter is a pub. This restaurant serves good food."
    check = check_slots({"name": "The Punter", "eatType": "pub"}, text)
    assert said(check, "supported") == [("name", "The Punter"), ("eatType", "pub")]
    assert check.contradicted == check.unsupported == ()
    assert said(check_slots({"eatType": "restaurant"}, text), "contradicted") == [("eatType", "pub")]
    assert said(check_slots({"eatType": "restaurant"}, "A restaurant."), "supported") == [("eatType", "restaurant")]


def test_values_the_lexicon_lacks_are_matched_verbatim_and_from_records_adds_known_names():
    check = check_slots({"name": "The Golden Curry", "wifi": "free"}, "Golden Curry has free wifi.")
    assert said(check, "supported") == [("name", "The Golden Curry"), ("wifi", "free")]
    text = "Cotto is near The Golden Curry."
    assert check_slots({"name": "Cotto"}, text).unsupported == ()  # a name E2E's lexicon does not know
    lexicon = SlotLexicon.from_records([{"name": "The Golden Curry", "food": "Thai"}], base=E2E)
    assert said(check_slots({"name": "Cotto"}, text, lexicon), "unsupported") == [("name", "The Golden Curry")]
    assert SlotLexicon.from_records([{"name": "Cotto"}], base=E2E) is E2E  # nothing new


def test_a_check_counts_each_stated_fact_once():
    slots = parse_mr(BLUE_SPICE)
    bad = check_slots(slots, "Blue Spice is a coffee shop by the riverside. It is family friendly.")
    # stated: Blue Spice, coffee shop (supported), riverside (contradicted), family friendly (unsupported)
    assert (len(bad.supported), len(bad.contradicted), len(bad.unsupported), bad.omitted) == (2, 1, 1, ())
    good = check_slots(slots, "Blue Spice is a coffee shop.")
    assert len(good.supported) == 2 and good.omitted == ("area",) and good.slots == 3
    empty = check_slots(slots, "Hello.")
    assert empty.supported == empty.contradicted == empty.unsupported == () and empty.omitted == tuple(slots)
