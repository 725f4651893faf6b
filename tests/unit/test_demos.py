"""Demonstrations chosen by code: copied verbatim from train, never from dev or test, by each selection."""

from idealprompt import Session
from idealprompt.graphs.context import Optimization
from idealprompt.search.beam import render
from idealprompt.search.demos import choose
from idealprompt.strategies import StrategyPool
from idealprompt.tasks import Task
from tests.fakes import ScriptedChatModel

ROWS = [(f"text {i}", ["red", "green", "blue"][i % 3]) for i in range(30)]


def _task() -> Task:
    return Task.from_dict(
        {
            "name": "colours",
            "description": "Name the colour.",
            "seed_prompt": "Which colour?",
            "labels": ["red", "green", "blue"],
            "data": {"format": "inline", "examples": [{"input": t, "target": y} for t, y in ROWS]},
            "split": {"train": 12, "dev": 9, "test": 9, "seed": 0},
        }
    )


def test_cover_shows_every_label_before_one_repeats():
    task = _task()
    demos = choose("cover", 4, task.train)
    assert len({d.answer for d in demos[:3]}) == 3 and len(demos) == 4
    by_id = {e.id: e for e in task.train}
    assert all(by_id[d.id].text == d.input and by_id[d.id].target == d.answer for d in demos)  # verbatim


def test_bootstrap_prefers_what_the_model_answers_right_and_mistakes_put_them_first():
    task = _task()
    right = [e.id for e in task.train if e.target == "blue"]
    assert all(d.answer == "blue" for d in choose("bootstrap", 2, task.train, right=right))
    mistakes = task.train[5:7]
    assert [d.id for d in choose("mistakes", 3, task.train, mistakes=mistakes)[:2]] == [e.id for e in mistakes]


def test_demonstration_strategies_copy_from_train_only_and_call_no_large_model(offline_settings):
    task = _task()
    truth = {e.text: e.target for split in (task.train, task.dev, task.test) for e in split}
    small = ScriptedChatModel(script=[lambda m: truth[m[-1].content] if "blue" in m[-1].content else "red"] * 100)
    large = ScriptedChatModel(script=[])
    run = Optimization(Session(offline_settings, models={"small": small, "large": large}), task, StrategyPool.builtin())
    train_ids = {e.id for e in task.train}
    for name in ("demos_cover_4", "demos_bootstrap_4", "demos_mistakes_4"):
        instruction, demos = run.apply(name, task.seed_prompt, [])
        assert instruction == task.seed_prompt and len(demos) == 4 and {d.id for d in demos} <= train_ids
        shown = render(instruction, {}, demos)
        assert all(f"Input: {d.input}\nAnswer: {d.answer}" in shown for d in demos)
    assert large.received == []
    assert all(m[-1].content in {e.text for e in task.train} for m in small.received)  # only train was asked


def _sums(answers: str) -> Task:
    rows = [{"input": f"{i} + {i}?", "target": str(2 * i), "working": f"{i} and {i} make {2 * i}"} for i in range(8)]
    data = {"format": "inline", "solution": "working", "examples": rows}
    spec = {"name": "sums", "description": "Add.", "seed_prompt": "Add.", "answer": "number", "answers": answers}
    spec |= {"data": data, "split": {"train": 4, "dev": 4}}
    return Task.from_dict(spec)


def test_free_answers_show_the_worked_solution_and_constrained_ones_the_bare_answer(offline_settings):
    for answers, worked in (("free", True), ("constrained", False)):
        task = _sums(answers)
        session = Session(
            offline_settings, models={"small": ScriptedChatModel(script=[]), "large": ScriptedChatModel(script=[])}
        )
        _, demos = Optimization(session, task, StrategyPool.builtin()).apply("demos_cover_4", task.seed_prompt, [])
        shown = render(task.seed_prompt, {}, demos)
        by_id = {e.id: e for e in task.train}
        for d in demos:
            working = by_id[d.id].solution
            assert (d.solution == working) is worked and (f"{working}\nThe answer is {d.answer}." in shown) is worked
            assert f"Input: {d.input}\nAnswer: " in shown
