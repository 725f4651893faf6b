import math

import pytest

from idealprompt.search.tree import SearchOptions, StrategyTree

ORDER = ["a", "b", "c"]


def _tree(**options) -> StrategyTree:
    tree = StrategyTree.start("seed", SearchOptions(**options))
    tree.backup(tree.root, 0.5)
    return tree


def test_a_node_grows_its_untried_strategies_in_order_up_to_its_width():
    tree = _tree(width=2)
    assert tree.select(ORDER) == (tree.root, "a")
    tree.backup(tree.add_child(tree.root, "a", "seed + a"), 0.6)
    assert tree.select(ORDER) == (tree.root, "b")
    tree.backup(tree.add_child(tree.root, "b", "seed + b"), 0.4)
    node, strategy = tree.select(ORDER)  # the root is full: the search descends, to the better child
    assert node.strategy == "a" and strategy == "b"  # a strategy is not applied twice on one path


def test_uct_picks_the_child_with_the_highest_bound():
    tree = _tree(width=2, exploration=1.0)
    good, poor = tree.add_child(tree.root, "a", "pa"), tree.add_child(tree.root, "b", "pb")
    for reward in (0.9, 0.8, 0.7):
        tree.backup(good, reward)
    tree.backup(poor, 0.6)
    # root visits 1 + 4 = 5: UCT(good) = 0.8 + sqrt(ln 5 / 3), UCT(poor) = 0.6 + sqrt(ln 5 / 1)
    assert tree.uct(good, tree.root) == pytest.approx(0.8 + math.sqrt(math.log(5) / 3))
    assert tree.uct(poor, tree.root) == pytest.approx(0.6 + math.sqrt(math.log(5)))
    assert tree.select(ORDER)[0] is poor  # the rarely visited child's bound is higher
    tree.options.exploration = 0.0
    assert tree.select(ORDER)[0] is good  # without exploration, the best mean wins


def test_backup_adds_the_reward_to_every_node_on_the_path():
    tree = _tree()
    child = tree.add_child(tree.root, "a", "p1")
    tree.backup(child, 0.75)
    grandchild = tree.add_child(child, "b", "p2")
    tree.backup(grandchild, 1.0)
    assert (tree.root.visits, tree.root.value) == (3, pytest.approx(2.25))
    assert (child.visits, child.value, child.reward) == (2, pytest.approx(1.75), 0.75)
    assert (grandchild.visits, grandchild.value) == (1, 1.0)
    assert tree.gain(grandchild) == pytest.approx(0.25) and tree.strategies_of(grandchild) == ["a", "b"]


def test_the_depth_limit_ends_the_search():
    tree = _tree(max_depth=1, width=3)
    for name in ORDER:
        node, strategy = tree.select(ORDER)
        assert node is tree.root and strategy == name
        tree.backup(tree.add_child(tree.root, name, f"p{name}"), 0.5)
    assert tree.select(ORDER) is None  # every child sits at the depth limit


def test_a_failed_strategy_is_not_tried_again_there():
    tree = _tree(width=1, max_depth=1)
    tree.mark_failed(tree.root, "a")
    assert tree.select(ORDER) == (tree.root, "b")
    tree.mark_failed(tree.root, "b")
    tree.mark_failed(tree.root, "c")
    assert tree.select(ORDER) is None


def test_statistics_per_strategy_and_best_paths():
    tree = _tree()
    a = tree.add_child(tree.root, "a", "pa")
    tree.backup(a, 0.7)  # gain +0.2
    b = tree.add_child(tree.root, "b", "pb")
    tree.backup(b, 0.4)  # gain -0.1
    ab = tree.add_child(a, "b", "pab")
    tree.backup(ab, 0.9)  # gain +0.2 over a
    stats = {s.strategy: s for s in tree.strategy_stats()}
    assert stats["a"].visits == 2 and stats["a"].mean_gain == pytest.approx(0.2)
    assert stats["b"].visits == 2 and stats["b"].mean_reward == pytest.approx(0.65)
    assert stats["b"].mean_gain == pytest.approx(0.05)
    assert [s.strategy for s in tree.strategy_stats()] == ["a", "b"]
    best = tree.best_paths(k=2)
    assert [p.strategies for p in best] == [["a", "b"], ["a"]]
    assert best[0].gain == pytest.approx(0.4) and tree.best() is ab


def test_the_tree_survives_a_json_round_trip():
    tree = _tree()
    tree.backup(tree.add_child(tree.root, "a", "pa"), 0.7)
    again = StrategyTree.model_validate_json(tree.model_dump_json())
    assert again == tree and again.select(ORDER) == (again.root, "b")


def test_the_beam_keeps_only_what_beats_its_parent_on_dev():
    from idealprompt.search.beam import Beam

    beam = Beam(width=2)
    seed = beam.add(None, kind="seed", instruction="Classify.", origin="seed")
    seed.train, seed.dev = 0.5, 0.5
    beam.start(seed)
    tie = beam.add(seed, kind="reflection", instruction="Classify!", origin="reflection")
    tie.train, tie.dev = 0.9, 0.5
    assert not beam.consider(tie)  # better on train, not on dev: overfitting, refused
    up = beam.add(
        seed, kind="reflection", instruction="Classify carefully.", definitions={"yes": "it is"}, origin="reflection"
    )
    up.train, up.dev = 0.6, 0.7
    assert beam.consider(up) and beam.kept == [up.id, seed.id]
    beam.end_round()
    assert (beam.best_dev, beam.stale_rounds) == (0.7, 0)
    beam.end_round()
    assert beam.stale_rounds == 1
    assert up.render() == "Classify carefully.\n\nLabel definitions:\n- yes: it is"
    dropped = beam.add(seed, kind="reflection", instruction="Classify fast.", origin="reflection")
    dropped.dev, dropped.dropped = 0.9, 10  # raced out after 10 examples: its score is not comparable
    assert not beam.consider(dropped)
