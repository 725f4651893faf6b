import pytest

from idealprompt.errors import StrategyError
from idealprompt.strategies import Strategy, StrategyPool


def test_the_builtin_pool_is_documented_and_filtered_by_what_a_task_has():
    pool = StrategyPool.builtin()
    assert len(pool) >= 10
    assert all(s.summary and len(s.instruction) > 40 for s in pool)
    text_only = pool.applicable(labels=False, images=False)
    assert "define_labels" not in text_only and "image_focus" not in text_only and "step_by_step" in text_only
    assert {"define_labels", "image_focus"} <= set(pool.applicable(labels=True, images=True))


def test_users_register_their_own_in_code_and_from_a_file(tmp_path):
    pool = StrategyPool.builtin()
    pool.register(Strategy("cite_policy", "Quote the policy.", "Add the clause of the refund policy that applies."))
    assert pool["cite_policy"].summary == "Quote the policy."
    (tmp_path / "mine.yaml").write_text(
        "- name: house_terms\n  summary: Use our terms.\n  instruction: Replace generic words by the house glossary.\n"
        "- name: simplify\n  summary: Simpler.\n  instruction: Shorter sentences, please.\n  needs: [labels]\n"
    )
    extended = pool.extended_from(tmp_path / "mine.yaml")
    assert "house_terms" in extended and extended["simplify"].instruction == "Shorter sentences, please."
    assert pool["simplify"].instruction != "Shorter sentences, please."  # the original pool is unchanged
    assert list(extended)[-1].name == "house_terms"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name: x", "expected a list of strategies"),
        ("- name: x\n  summary: s\n", "strategy 1: field 'instruction' is missing"),
        ("- name: bad name\n  summary: s\n  instruction: i\n", "strategy 1: strategy name 'bad name'"),
        ("- name: x\n  summary: s\n  instruction: i\n  needs: [audio]\n", "unknown needs \\['audio'\\]"),
        ("- name: x\n  summary: s\n  instruction: i\n  weight: 2\n", "unknown field 'weight'"),
        ("- [unclosed", "not valid YAML"),
    ],
)
def test_a_bad_strategy_file_names_the_file_and_entry(tmp_path, content, message):
    path = tmp_path / "strategies.yaml"
    path.write_text(content)
    with pytest.raises(StrategyError, match=message) as raised:
        StrategyPool.builtin().extended_from(path)
    assert str(path) in str(raised.value)


def test_an_unknown_strategy_lists_the_known_ones():
    with pytest.raises(StrategyError, match=r"no strategy 'nope'.*define_labels"):
        StrategyPool.builtin()["nope"]
