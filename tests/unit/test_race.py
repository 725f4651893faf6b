"""Racing candidates: the clearly worse is dropped after the first rung, a close one is not, one that scores as the
leader on every example of the last rung is dropped there, `keep` lets only the best go past the last rung, the
budget holds, and nothing is asked twice."""

from idealprompt import Budget, Session
from idealprompt.scoring.evaluate import Evaluator
from idealprompt.scoring.race import race
from idealprompt.tasks import Task
from tests.fakes import ScriptedChatModel

TEXTS = [f"item {i}" for i in range(30)]


def _task() -> Task:
    examples = [{"input": t, "target": "yes"} for t in TEXTS]
    return Task.from_dict(
        {
            "name": "r",
            "description": "d",
            "seed_prompt": "s",
            "labels": ["yes", "no"],
            "data": {"format": "inline", "examples": examples},
            "split": {"train": 1, "dev": 29},
        }
    )


def model(wrong: dict[str, set[int]]):
    """Under prompt P, answers 'no' (wrong) on the examples numbered in wrong[P], else 'yes'."""

    def answer(messages) -> str:
        prompt, index = messages[0].content.split("\n\n")[0], int(messages[-1].content.split()[-1])
        return "no" if index in wrong.get(prompt, set()) else "yes"

    return ScriptedChatModel(script=[answer] * 1000)


def _wrong_on(task, prompt_errors: dict[str, int]) -> dict[str, set[int]]:
    """Each prompt wrong on its first n dev examples (by their number)."""
    order = [int(e.text.split()[-1]) for e in task.dev]
    return {p: set(order[:n]) for p, n in prompt_errors.items()}


def test_a_clearly_worse_candidate_is_dropped_after_its_first_rung_and_a_close_one_is_not(offline_settings):
    task = _task()
    small = model(_wrong_on(task, {"leader": 0, "worse": 8, "close": 2}))
    session = Session(offline_settings, models={"small": small})
    evaluator = Evaluator.for_session(session, task)
    raced = race(evaluator, "leader", ["worse", "close"], task.dev)
    assert raced.dropped == {"worse": 10}
    assert len(raced.results["worse"].predictions) == 10 and len(raced.results["close"].predictions) == 29
    assert raced.leader.score == 1.0 and len(raced.leader.predictions) == 29
    # Every (prompt, example) pair was asked once: the leader 29, the dropped 10, the survivor 29.
    asked = [(m[0].content, m[-1].content) for m in small.received]
    assert len(asked) == len(set(asked)) == 29 + 10 + 29


def test_a_candidate_that_scores_as_the_leader_everywhere_is_dropped_at_the_last_rung(offline_settings):
    task = _task()
    order = [int(e.text.split()[-1]) for e in task.dev]
    leader = {order[3], order[25]}
    wrong = {"leader": leader, "same": leader, "late": {order[3]}, "better": {order[25]}}
    session = Session(offline_settings, models={"small": model(wrong)})
    raced = race(Evaluator.for_session(session, task), "leader", ["same", "late", "better"], task.dev)
    # "same" and "late" score as the leader on the first 20 (wrong on example 3 only); "late", better after
    # them, is the rule's price; "better" differs in the first 20 and runs on
    assert raced.dropped == {"same": 20, "late": 20}
    assert len(raced.results["better"].predictions) == 29 and raced.results["better"].score > raced.leader.score


def test_keep_lets_only_the_best_challengers_past_the_last_rung(offline_settings):
    task = _task()
    order = [int(e.text.split()[-1]) for e in task.dev]
    # All three are close to the leader (wrong on 3 of the first 20, each challenger on fewer or other ones).
    wrong = {"leader": set(order[:3]), "one": {order[0]}, "two": {order[1], order[2]}, "tie": {order[4]}}
    small = model(wrong)
    session = Session(offline_settings, models={"small": small})
    raced = race(Evaluator.for_session(session, task), "leader", ["two", "one", "tie"], task.dev, keep=1)
    # "one" and "tie" lead on the first 20 (one mistake each); on the tie the earlier challenger goes on
    assert raced.dropped == {"two": 20, "tie": 20}
    assert len(raced.results["one"].predictions) == 29 and len(raced.results["two"].predictions) == 20
    asked = [(m[0].content, m[-1].content) for m in small.received]
    assert len(asked) == len(set(asked)) == 29 + 29 + 20 + 20
    # Without `keep`, none of them is behind: all three run to the end
    unkept = race(
        Evaluator.for_session(Session(offline_settings, models={"small": model(wrong)}), task),
        "leader",
        ["two", "one", "tie"],
        task.dev,
    )
    assert unkept.dropped == {}


def test_the_budget_ends_a_race_and_keeps_what_was_answered(offline_settings):
    task = _task()
    small = model(_wrong_on(task, {"leader": 0, "other": 0}))
    session = Session(offline_settings, budget=Budget(small_calls=15), models={"small": small})
    raced = race(Evaluator.for_session(session, task), "leader", ["other"], task.dev)
    assert "15 small-model calls" in raced.stopped and session.ledger.usage["small"].calls == 15
    assert len(raced.results["other"].predictions) + len(raced.leader.predictions) == 15


def test_a_budget_spent_before_a_challenger_got_an_answer_leaves_it_out(offline_settings):
    task = _task()
    small = model(_wrong_on(task, {"leader": 0, "other": 0}))
    session = Session(offline_settings, budget=Budget(small_calls=0), models={"small": small})
    raced = race(Evaluator.for_session(session, task), "leader", ["other"], task.dev)
    assert raced.stopped and raced.results == {} and raced.leader is None
