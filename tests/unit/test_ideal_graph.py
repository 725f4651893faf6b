"""IDEAL Stage 2 with scripted models: a small model that is right only when the prompt holds a rule, a reflector
that proposes one, an optimizer that marks the strategy it applied."""

import json

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from idealprompt import Budget, Session, optimize
from idealprompt.graphs.ideal import IdealOptions
from idealprompt.memory import Memory, Prior, StrategyStats, TaskDescriptor
from idealprompt.strategies import Strategy, StrategyPool
from idealprompt.tasks import Task
from tests.fakes import ScriptedChatModel

POSITIVE = [
    "a delight",
    "the cast shines",
    "warm and funny",
    "pure joy",
    "a triumph",
    "moving",
    "sharp and witty",
    "gorgeous",
    "a gem",
    "uplifting",
]
NEGATIVE = [
    "dull",
    "I walked out",
    "a tedious mess",
    "forgettable",
    "a chore",
    "lifeless",
    "clumsy",
    "grating",
    "a slog",
    "hollow",
]
TRUTH = {t: "positive" for t in POSITIVE} | {t: "negative" for t in NEGATIVE}
POOL = StrategyPool([Strategy("add_role", "Add a role.", "Add a role [ROLE].")])


def _task() -> Task:
    examples = [{"input": t, "target": y} for t, y in TRUTH.items()]
    return Task.from_dict(
        {
            "name": "reviews",
            "description": "Classify film reviews by sentiment.",
            "seed_prompt": "Classify.",
            "labels": ["positive", "negative"],
            "data": {"format": "inline", "examples": examples},
            "split": {"train": 8, "dev": 6, "test": 6, "seed": 0},
        }
    )


def share_positive(examples) -> float:
    """What 'positive for everything' scores."""
    return sum(e.target == "positive" for e in examples) / len(examples)


def small_model(train_only: set[str] = frozenset()):
    """Right on everything under [RULE]; under [FIT], right only on `train_only`; else always 'positive'."""

    def answer(messages) -> str:
        prompt, text = messages[0].content, messages[-1].content
        if "[RULE]" in prompt or ("[FIT]" in prompt and text in train_only):
            return TRUTH[text]
        return "positive"

    return ScriptedChatModel(script=[answer] * 1000)


def reflector(marker: str):
    def answer(messages) -> str:
        text = messages[-1].content
        prompt = text.split("<prompt>\n", 1)[1].split("\n</prompt>", 1)[0].split("\n\nLabel definitions:")[0]
        return json.dumps(
            {
                "diagnosis": f"needs {marker}",
                "task_description": f"{prompt} {marker}",
                "label_definitions": [
                    {"label": "Positive", "definition": "praise"},
                    {"label": "neutral", "definition": "not a label"},
                ],
            }
        )

    return answer


def optimizer(messages) -> str:
    text = messages[-1].content
    prompt = text.split("<prompt>\n", 1)[1].split("\n</prompt>", 1)[0]
    return json.dumps({"prompt": f"{prompt} [ROLE]"})


def large(marker: str):
    """The optimizer when asked to apply a strategy, the reflector otherwise."""
    reflect = reflector(marker)
    return lambda messages: (optimizer if "Strategy to apply" in messages[-1].content else reflect)(messages)


def _optimize(settings, large_script, *, small=None, budget=None, memory=None, pool=POOL, **options):
    small = small or small_model()
    large = ScriptedChatModel(script=large_script)
    session = Session(settings, budget=budget, models={"large": large, "small": small})
    options = IdealOptions(**({"warmup_iterations": 0} | options))
    result = optimize(_task(), session=session, memory=memory, options=options, pool=pool, checkpointer=InMemorySaver())
    return result, small, large


def test_reflection_finds_the_rule_and_stops_at_a_perfect_dev_score(offline_settings, tmp_path):
    result, _small, _ = _optimize(offline_settings, [reflector("[RULE]")] * 5)
    task = _task()
    assert result.initialisation == "seed prompt" and result.seed.dev == share_positive(task.dev)
    assert result.optimized.dev == 1.0 and result.optimized.test == 1.0
    assert result.seed.test == share_positive(task.test) < 1
    assert result.stopped == "a perfect dev score" and result.rounds == 1
    assert result.prompt.startswith("Classify. [RULE]")
    assert result.prompt.endswith("Answer with exactly one of: positive, negative.")  # the output space, last
    # Only the task's labels get definitions, under their own spelling.
    assert result.label_definitions == {"positive": "praise"} and "- positive: praise" in result.prompt
    assert result.usage["small/test"]["calls"] == 12  # the seed and the best on 6 test examples, apart
    prompt_txt, result_json = result.write(tmp_path / "out")
    assert prompt_txt.read_text().strip() == result.prompt
    assert json.loads(result_json.read_text())["optimized"]["test"] == 1.0


def test_a_run_from_python_is_recorded_in_a_run_store_and_told_to_a_progress_callback(offline_settings, tmp_path):
    from idealprompt.runs import RunStore

    runs, seen = RunStore(tmp_path / "runs"), []
    session = Session(
        offline_settings, models={"large": ScriptedChatModel(script=[reflector("[RULE]")] * 5), "small": small_model()}
    )
    options = IdealOptions(warmup_iterations=0)
    result = optimize(
        _task(), session=session, options=options, pool=POOL, runs=runs, progress=lambda n, u: seen.append(n)
    )
    [record] = runs.runs()
    steps = runs.steps(record.id)
    assert record.id == result.run_id and record.status == "done" and record.best == result.optimized.dev == 1.0
    assert [s.node for s in steps] == seen == ["initialise", "score", "reflect", "score", "test", "remember"]
    assert sum(s.usage.get("small", {}).get("calls", 0) for s in steps) == result.usage["small"]["calls"]
    [proposal] = [c for c in runs.calls(record.id, 3) if c.role == "large"]  # the mistakes are read from train
    assert "[RULE]" in proposal.answer and proposal.messages[0]["type"] == "system"
    assert runs.result(record.id)["prompt"] == result.prompt


def test_a_candidate_that_only_fits_train_is_not_kept(offline_settings):
    train = {e.text for e in _task().train}
    result, _, large = _optimize(
        offline_settings, [reflector("[FIT]")] * 10, small=small_model(train), patience=2, rounds=4, resample=0
    )
    fitted = [c for c in result.candidates if c["kind"] == "reflection"]
    assert fitted and fitted[0]["dev"] == result.seed.dev and fitted[0]["dropped"] is None
    assert not fitted[0]["kept"] and result.prompt.startswith("Classify.\n\n")
    assert result.reflections[0].kept is False and result.reflections[0].dev == result.seed.dev
    assert result.reflections[0].round == 1 and result.reflections[0].parent == 0
    # The same proposal again is not scored again: one reflection candidate, and a note for the repeat. A round
    # that scores nothing spends no small-model call, so it counts against the round limit, not the patience.
    assert len(fitted) == 1 and "round 2: no new proposal from candidate 0" in result.notes
    assert result.stopped == "4 rounds done" and len(large.received) == 4


def test_a_repeated_rewrite_is_asked_again_with_sampling(offline_settings, monkeypatch):
    """The greedy reflector repeats its first rewrite; asked again at a temperature, it makes another."""
    sampled = []

    def shaped(model, shape):
        sampled.append((shape.temperature, shape.seed))
        return model  # the scripted model has no temperature: its script says what a sampled answer is

    monkeypatch.setattr("idealprompt.session.shaped", shaped)
    train = {e.text for e in _task().train}
    script = [reflector("[FIT]"), reflector("[FIT]"), reflector("[RULE]")] + [reflector("[FIT]")] * 5
    result, _, large = _optimize(offline_settings, script, small=small_model(train), patience=3, rounds=3)
    assert [r.diagnosis for r in result.reflections] == ["needs [FIT]", "needs [RULE]"]
    assert "[RULE]" in result.prompt and result.optimized.dev == 1.0
    assert len(large.received) == 3 and large.received[2] == large.received[1]  # the same request, sampled
    assert sampled == [(0.8, 21)]  # candidate 0 (the seed prompt), its second look, the first resample
    assert "no new proposal" not in " ".join(result.notes)


def _tool_call(name: str, args: dict) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call_{name}"}])


def test_the_reflector_calls_its_tools_and_they_are_metered_and_noted(offline_settings):
    proposal = {"diagnosis": "needs a rule", "task_description": "Classify. [RULE]", "label_definitions": []}
    script = [
        _tool_call("show_bad_cases", {"page": 2}),
        _tool_call("evaluate_draft", {"task_description": "Classify. [RULE]"}),
        _tool_call("Reflection", proposal),
    ]
    result, small, large = _optimize(offline_settings, script, reflector_tools=3)
    assert result.optimized.dev == 1.0 and result.prompt.startswith("Classify. [RULE]")
    shown, scored = large.received[1][-1], large.received[2][-1]
    assert isinstance(shown, ToolMessage) and '"expected": "negative"' in shown.content
    assert isinstance(scored, ToolMessage) and json.loads(scored.content)["score"] == 1.0
    assert json.loads(scored.content)["fixed"] == sum(e.target == "negative" for e in _task().train)
    assert result.usage["tool:show_bad_cases"]["calls"] == 1 and result.usage["tool:evaluate_draft"]["calls"] == 1
    # The draft's answers on the training examples were paid once: the proposal's are taken from the memo.
    assert len(small.received) == result.usage["small"]["calls"] + result.usage["small/test"]["calls"]
    assert len({(m[0].content, m[-1].content) for m in small.received}) == len(small.received)
    assert any(
        "reflector on candidate 0: called show_bad_cases(page=2), evaluate_draft(" in n and "answered by tool call" in n
        for n in result.notes
    )


def test_the_trace_shows_the_reflectors_tool_calls_and_what_they_answered(offline_settings, tmp_path):
    from idealprompt.runs import RunStore

    proposal = {"diagnosis": "needs a rule", "task_description": "Classify. [RULE]", "label_definitions": []}
    script = [_tool_call("show_bad_cases", {"page": 1}), _tool_call("Reflection", proposal)]
    session = Session(offline_settings, models={"large": ScriptedChatModel(script=script), "small": small_model()})
    runs = RunStore(tmp_path / "runs")
    result = optimize(
        _task(), session=session, options=IdealOptions(warmup_iterations=0, reflector_tools=2), pool=POOL, runs=runs
    )
    calls = runs.calls(result.run_id, 3)  # the reflect step
    asked, told, answered = (c for c in calls if c.role in ("large", "tool:show_bad_cases"))
    assert asked.answer == '-> show_bad_cases({"page": 1})'
    assert told.role == "tool:show_bad_cases" and '"expected": "negative"' in told.answer
    assert answered.answer.startswith("-> Reflection(")
    assert answered.messages[-2]["tool_calls"][0]["name"] == "show_bad_cases"


def test_private_mode_keeps_the_reflector_off_its_tools(offline_settings, monkeypatch):
    monkeypatch.setattr(Session, "private", property(lambda self: True))
    monkeypatch.setattr("idealprompt.graphs.context.describe_mistake", lambda model, m, task: "a review")
    result, _, large = _optimize(offline_settings, [reflector("[RULE]")] * 5, reflector_tools=3)
    assert "tools" not in large.kwargs_seen[0] and result.optimized.dev == 1.0


def test_patience_counts_the_rounds_that_scored_and_did_not_gain(offline_settings):
    train = {e.text for e in _task().train}
    script = [reflector(f"[FIT] {n}") for n in range(10)]  # a new rewrite every time, each fitting train only
    result, _, large = _optimize(offline_settings, script, small=small_model(train), patience=2)
    assert result.stopped.startswith("patience: 2 rounds") and len(large.received) == 2
    assert [r.kept for r in result.reflections] == [False, False]


def test_a_second_look_shows_the_next_mistakes_and_the_rewrite_that_failed(offline_settings):
    train = {e.text for e in _task().train}
    _, _, large = _optimize(
        offline_settings, [reflector("[FIT]")] * 10, small=small_model(train), patience=2, mistakes=2, resample=0
    )
    first, second = (messages[-1].content for messages in large.received[:2])
    assert "already tried" not in first
    assert "already tried, which did not score better" in second and "- Classify. [FIT] (scored, no better)" in second
    negatives = [e.text for e in _task().train if e.target == "negative"]
    shown = [[t for t in negatives if f"Input: {t}\n" in text] for text in (first, second)]
    assert len(shown[0]) == len(shown[1]) == 2 and shown[0] != shown[1]


def test_each_look_shows_the_next_mistakes_even_when_the_last_brought_nothing_new(offline_settings):
    train = {e.text for e in _task().train}
    _, _, large = _optimize(
        offline_settings,
        [reflector("[FIT]")] * 10,
        small=small_model(train),
        mistakes=2,
        rounds=3,
        patience=5,
        resample=0,
    )
    negatives = [e.text for e in _task().train if e.target == "negative"]
    shown = [{t for t in negatives if f"Input: {t}\n" in m[-1].content} for m in large.received]
    assert len(shown) == 3 and all(len(s) == 2 for s in shown)
    assert shown[1] != shown[0] and shown[2] != shown[1]  # the third look (after a repeat) moved on too


def test_the_round_limit(offline_settings):
    train = {e.text for e in _task().train}
    result, _, large = _optimize(
        offline_settings, [reflector("[FIT]")] * 10, small=small_model(train), rounds=1, patience=5
    )
    assert result.stopped == "1 rounds done" and len(large.received) == 1


def test_the_budget_stops_the_run_and_test_scores_are_still_reported(offline_settings):
    # The seed on dev (6) and on the training mistakes (8), then 3 dev answers of the reflection.
    result, _small, _ = _optimize(offline_settings, [reflector("[RULE]")] * 5, budget=Budget(small_calls=17))
    assert "17 small-model calls" in result.stopped
    assert result.usage["small"]["calls"] == 17 and result.seed.test is not None
    assert result.reflections[0].dropped == 3 and not result.reflections[0].kept  # not comparable: not kept


def test_bad_cases_reach_the_reflector(offline_settings):
    _, _, large = _optimize(offline_settings, [reflector("[RULE]")] * 5)
    shown = large.received[0][-1].content
    negatives = [e.text for e in _task().train if e.target == "negative"]
    assert "Correct answer: negative" in shown and "Model's answer: positive" in shown
    assert sum(f"Input: {t}\n" in shown for t in negatives) == min(5, len(negatives))


def test_priors_initialise_the_prompt_and_what_worked_is_written_back(offline_settings, tmp_path):
    memory = Memory.open(tmp_path / "memory")
    memory.priors.add(
        Prior(
            task=TaskDescriptor(description="Classify film reviews by sentiment."),
            model="m",
            strategies=[StrategyStats(strategy="add_role", visits=4, mean_reward=0.8, mean_gain=0.2)],
            dataset_size=30,
        )
    )
    result, _, _ = _optimize(offline_settings, [large("[RULE]")] * 2, memory=memory)
    assert [c["origin"] for c in result.candidates] == ["seed", "priors: add_role", "reflection, round 1"]
    # [ROLE] scores as the seed does on dev: on a tie the start is the prompt with fewer rewrites.
    assert result.initialisation == "seed prompt"
    assert result.candidates[1]["dev"] == result.seed.dev and result.candidates[2]["parent"] == 0
    assert "priors: add_role: no better than the seed prompt on dev: starting from it" in result.notes
    assert result.prompt.startswith("Classify. [RULE]")
    written = memory.priors.get(result.prior_id)
    assert written.strategies[0].strategy == "add_role" and written.strategies[0].mean_gain == 0.0
    gain = 1 - share_positive(_task().dev)
    assert written.edits[0].diagnosis == "needs [RULE]" and written.edits[0].gain == pytest.approx(gain)
    assert written.best_paths[0].strategies == ["reflection"]  # the path to the best prompt
    assert written.model == "custom:ScriptedChatModel" and len(memory.priors) == 2
    memory.close()


def test_priors_apply_one_demonstrations_strategy_at_most(offline_settings, tmp_path):
    """A second demonstrations strategy would replace the first's demonstrations: the next-ranked rewrite goes."""
    demos = [Strategy(f"demos_cover_{k}", "Show examples.", "Show examples.", selection="cover", k=k) for k in (4, 2)]
    memory = Memory.open(tmp_path / "memory")
    gains = {"demos_cover_4": 0.3, "demos_cover_2": 0.25, "add_role": 0.1}
    memory.priors.add(
        Prior(
            task=TaskDescriptor(description="Classify film reviews by sentiment."),
            model="m",
            strategies=[StrategyStats(strategy=s, visits=4, mean_reward=0.8, mean_gain=g) for s, g in gains.items()],
            dataset_size=30,
        )
    )
    pool = StrategyPool([*POOL, *demos])
    result, _, _ = _optimize(offline_settings, [large("[RULE]")] * 3, memory=memory, pool=pool, demos=[], rounds=0)
    made = result.candidates[1]
    assert made["origin"] == "priors: demos_cover_4 > add_role"
    assert made["strategies"] == ["demos_cover_4", "add_role"] and made["kind"] == "priors"
    memory.close()


def test_with_an_empty_memory_a_short_warmup_initialises(offline_settings, tmp_path):
    memory = Memory.open(tmp_path / "memory")
    result, _, _ = _optimize(
        offline_settings, [large("[RULE]")] * 5, memory=memory, warmup_iterations=1, warmup_minibatch=4
    )
    assert "no prior in memory applies" in result.notes[0]
    # [ROLE] alone does not help, so the warm-up found nothing better and reflection starts from the seed.
    assert result.initialisation == "seed prompt" and any("found nothing better" in n for n in result.notes)
    assert len(memory.priors) == 2  # the warm-up's prior and the optimisation's
    # Compared: the seed and the reflection on dev, and the warm-up's one [ROLE] prompt on its minibatch.
    assert result.candidates_scored == 3
    memory.close()


def test_the_reflector_sees_a_beam(offline_settings):
    result, _, large = _optimize(
        offline_settings, [reflector("[FIT]")] * 10, small=small_model(), rounds=2, beam_width=2, patience=3, resample=0
    )
    assert result.rounds == 2 and len(large.received) == 2  # one kept candidate: one proposal per round


def test_an_image_task_on_a_model_without_vision_fails_before_any_call(offline_settings):
    from pathlib import Path

    from idealprompt.errors import RouteError
    from idealprompt.routes.embedded import EmbeddedChatModel
    from idealprompt.tasks import load_task

    task = load_task(Path(__file__).resolve().parents[2] / "examples" / "easy_vqa.yaml")
    embedded = EmbeddedChatModel(model_name="qwen2.5-coder-0.5b", model_path="unused.gguf", sha256="0" * 64)
    large = ScriptedChatModel(script=[])
    with pytest.raises(RouteError, match="task 'easy_vqa' has images"):
        optimize(task, session=Session(offline_settings, models={"small": embedded, "large": large}))
    assert large.received == []


def test_the_seed_is_scored_before_a_warmup_can_spend_a_small_budget(offline_settings, tmp_path):
    memory = Memory.open(tmp_path / "memory")
    result, _, _ = _optimize(
        offline_settings,
        [large("[RULE]")] * 5,
        memory=memory,
        budget=Budget(small_calls=16),
        warmup_iterations=2,
        warmup_minibatch=4,
    )
    task = _task()
    assert result.seed.dev == share_positive(task.dev) and result.seed.test == share_positive(task.test)
    assert "16 small-model calls" in result.stopped and result.usage["small"]["calls"] == 16
    memory.close()


async def test_cancelling_aoptimize_stops_its_calls(offline_settings):
    import asyncio
    import time

    from idealprompt import aoptimize

    def slow(messages) -> str:
        time.sleep(0.02)
        return "positive"

    examples = [{"input": f"review {i}", "target": "positive"} for i in range(40)]
    task = Task.from_dict(
        {
            "name": "long",
            "description": "d",
            "seed_prompt": "Classify.",
            "labels": ["positive", "negative"],
            "data": {"format": "inline", "examples": examples},
            "split": {"train": 5, "dev": 30, "test": 5},
        }
    )
    small = ScriptedChatModel(script=[slow] * 1000)
    session = Session(offline_settings, models={"large": ScriptedChatModel(script=[]), "small": small})
    run = asyncio.create_task(aoptimize(task, session=session, pool=POOL, options=IdealOptions(warmup_iterations=0)))
    for _ in range(500):  # until the seed's evaluation on dev (30 calls in one node) is under way
        if len(small.received) >= 5:
            break
        await asyncio.sleep(0.01)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    at_cancel = len(small.received)
    await asyncio.sleep(0.5)  # the node's thread goes on, but every later call is refused before it is sent
    assert 5 <= at_cancel < 30 and len(small.received) <= at_cancel + 1


def test_a_reflection_only_gain_is_written_back_and_reaches_the_next_reflector(offline_settings, tmp_path):
    memory = Memory.open(tmp_path / "memory")
    first, _, _ = _optimize(offline_settings, [reflector("[RULE]")] * 5, memory=memory)
    written = memory.priors.get(first.prior_id)
    assert written.strategies == [] and written.edits[0].gain > 0  # all of the gain came from reflection
    assert "[RULE]" in written.edits[0].rule and written.edits[0].definitions == {"positive": "praise"}
    # The next optimisation of a similar task shows that lesson to its reflector before it proposes.
    _, _, large = _optimize(offline_settings, [reflector("[RULE]")] * 5, memory=memory)
    shown = large.received[0][-1].content
    assert "Lessons from similar tasks" in shown and "needs [RULE] The rule that helped: Classify. [RULE]" in shown
    memory.close()


def test_progress_streams_as_custom_events(offline_settings):
    from idealprompt.graphs.context import Optimization
    from idealprompt.graphs.ideal import build_ideal_graph

    large = ScriptedChatModel(script=[reflector("[RULE]")] * 5)
    session = Session(offline_settings, models={"large": large, "small": small_model()})
    run = Optimization(session, _task(), POOL)
    inputs = {"options": IdealOptions(warmup_iterations=0).model_dump()}
    events = list(build_ideal_graph().stream(inputs, context=run, stream_mode="custom"))
    scored = [e for e in events if e["event"] == "scored"]
    seed, rule = scored[0], scored[-1]
    assert seed["candidate"] == 0 and seed["kind"] == "seed" and seed["dev"] == share_positive(_task().dev)
    assert rule["round"] == 1 and rule["dev"] == 1.0 and rule["kept"] and rule["best_dev"] == 1.0
    assert rule["calls"] >= seed["calls"] > 0
    assert events[-1] == {"event": "tested", "seed": share_positive(_task().test), "optimized": 1.0}


def test_the_first_round_runs_only_its_best_start_past_the_last_rung(offline_settings):
    # Two demonstration starts, both far ahead of the seed and level with each other: one start is chosen, so
    # only the first of them is scored on the rest of dev (racing's `keep`).
    texts = {f"{word} {i}": label for i in range(20) for word, label in (("good", "positive"), ("bad", "negative"))}
    task = Task.from_dict(
        {
            "name": "many reviews",
            "description": "Classify film reviews by sentiment.",
            "seed_prompt": "Classify.",
            "labels": ["positive", "negative"],
            "data": {"format": "inline", "examples": [{"input": t, "target": y} for t, y in texts.items()]},
            "split": {"train": 10, "dev": 25, "test": 5, "seed": 0},
        }
    )

    def answer(messages) -> str:  # right under demonstrations, else always "positive"
        return texts[messages[-1].content] if "Examples:" in messages[0].content else "positive"

    session = Session(
        offline_settings,
        models={"large": ScriptedChatModel(script=[]), "small": ScriptedChatModel(script=[answer] * 200)},
    )
    result = optimize(task, session=session, options=IdealOptions(warmup_iterations=0, rounds=0))
    starts = {c["origin"]: c for c in result.candidates if c["kind"] == "demos"}
    cover, bootstrap = starts["demonstrations: demos_cover_4"], starts["demonstrations: demos_bootstrap_4"]
    assert cover["dev"] == 1.0 and cover["dropped"] is None and result.initialisation == cover["origin"]
    assert bootstrap["dropped"] == 20
    # The seed on train (for the bootstrap) and on dev, the chosen start on dev, the other on 20 of it
    assert result.usage["small"]["calls"] == 10 + 25 + 25 + 20
