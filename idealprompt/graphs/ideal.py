"""IDEAL end to end: initialise the prompt from priors (or a short warm-up), then refine it by reflecting on the
small model's most consequential mistakes (Stage 2, empirical self-reflective optimisation).

    initialise -> score -> [warmup -> score] -> reflect -> score -> reflect -> ... -> test -> remember

`initialise` asks the memory for priors of similar tasks and applies the strategies they rank highest to the seed
prompt, and offers the seed with demonstrations chosen by code (`options.demos`: no large-model call); with no
usable prior, once these are scored (so that a small budget is not spent before the seed has a score), a short
warm-up (Stage 1, as a subgraph) offers its best prompt; the run starts from the best of these on dev, and says
how it was initialised. `score` races new candidates against the best so far on the held-aside dev split
(`scoring.race`: one clearly behind after 10 or 20 examples, or level with it on each of the first 20, is dropped,
survivors are scored on all of dev); the first round picks the start by dev score (so only its best challenger
after 20 examples runs on), later rounds keep a candidate only if it beats its parent on dev (`search.beam`).
`reflect` shows the reflector agent the mistakes that matter most (`scoring.evaluate.bad_cases`, read from the
first training examples) for each candidate of the beam and turns its proposal (a new task description and label
definitions; the demonstrations are kept) into a candidate; a rewrite the beam already holds is asked again with
sampling (`options.resample`). The loop ends on the budget, the round limit, the patience limit (scored rounds
without a better dev score) or a perfect dev score. `test` scores the seed and the best prompt on the test split,
counted apart from the budget; `remember` writes what worked back to memory.

Progress streams as custom events (`stream_mode="custom"`), one dict each, so a caller need not re-read the state:
`{"event": "scored", "round", "candidate", "kind", "origin", "dev", "dropped", "kept", "best_dev", "calls"}` for
each candidate `score` raced (`dropped`: the dev examples after which it was dropped; `calls`: small-model calls so
far), and `{"event": "tested", "seed", "optimized"}` with the test scores.
"""

from __future__ import annotations

import operator
from itertools import pairwise
from typing import Annotated

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic (LangGraph server schemas) needs it on Python < 3.12

from idealprompt.agents.reflector import Reflection, reflect_with_tools
from idealprompt.agents.reflector import reflect as reflector
from idealprompt.errors import BudgetExhausted
from idealprompt.graphs.context import Optimization
from idealprompt.graphs.warmup import build_warmup_graph
from idealprompt.memory import BestPath, Edit, Prior, StrategyStats
from idealprompt.scoring.evaluate import bad_cases
from idealprompt.scoring.race import race
from idealprompt.search.beam import Beam, Candidate, render
from idealprompt.search.tree import StrategyTree

RESAMPLE_TEMPERATURE = 0.8  # enough for another wording from a 1.5B model, little enough to stay on the task


class IdealOptions(BaseModel):
    """How Stage 2 runs; the defaults suit 10-50 training examples and a few hundred small-model calls."""

    beam_width: int = Field(2, ge=1, description="candidates kept between rounds")
    rounds: int = Field(8, ge=0, description="reflection rounds at most")
    patience: int = Field(3, ge=1, description="scored rounds without a better dev score before stopping")
    mistakes: int = Field(5, ge=1, description="mistakes shown to the reflector per candidate")
    resample: int = Field(
        1, ge=0, description="times the reflector is asked again, sampling, when its rewrite is one already made"
    )
    reflector_tools: int = Field(
        0,
        ge=0,
        description="turns in which the reflector may call its tools (show_bad_cases, evaluate_draft, retrieve_priors) "
        "before it proposes; 0: it proposes in one structured call. Not in private mode (the tools show examples)",
    )
    optimizer_tools: int = Field(
        0,
        ge=0,
        description="turns in which the optimizer may call its tools (evaluate_rewrite, retrieve_priors) before it "
        "rewrites a prompt by a strategy; 0: it rewrites in one structured call. Not in private mode",
    )
    prior_strategies: int = Field(2, ge=0, description="top-ranked prior strategies applied to the seed prompt")
    demos: list[str] = Field(
        ["demos_cover_4", "demos_bootstrap_4"],
        description="demonstration strategies tried on the seed prompt at the start",
    )
    warmup_iterations: int = Field(4, ge=0, description="expansions of the fallback warm-up; 0: none")
    warmup_minibatch: int = Field(10, ge=1)


# --- state -------------------------------------------------------------------------------------------------------
class IdealState(TypedDict, total=False):
    options: dict  # IdealOptions as JSON
    beam: dict  # the Beam as JSON: every candidate, and which are kept
    initialisation: str  # how the start was made: "seed prompt", "priors: a > b", "warm-up: a", "demonstrations: d"
    applied: list[str]  # the prior strategies applied to the seed prompt
    pending: list[int]  # candidates `score` scores next
    warmed_up: bool  # the fallback warm-up has run
    warmup_scored: int  # prompts the warm-up scored on its minibatch, the seed prompt aside
    round: int
    stopped: str | None  # why the optimisation ended; None: it goes on
    test: dict  # {"seed": score, "optimized": score} on the test split
    prior_id: str
    notes: Annotated[list[str], operator.add]


# --- nodes -------------------------------------------------------------------------------------------------------
def initialise(state: IdealState, runtime: Runtime[Optimization]) -> IdealState:
    run, options = runtime.context, IdealOptions.model_validate(state.get("options") or {})
    beam = Beam(width=options.beam_width)
    seed = beam.add(None, kind="seed", instruction=run.task.seed_prompt, origin="seed")
    update: IdealState = {
        "options": options.model_dump(),
        "round": 0,
        "applied": [],
        "pending": [seed.id],
        "initialisation": "seed prompt",
        "notes": [],
    }
    favoured = run.favoured_path(options.prior_strategies)
    if not favoured:
        update["notes"].append("no memory given" if run.memory is None else "no prior in memory applies to this task")
    try:
        instruction, demos = seed.instruction, seed.demos
        for name in favoured:
            applied = run.apply(name, instruction, demos, tools=options.optimizer_tools, notes=update["notes"])
            instruction, demos = applied or (instruction, demos)
        if favoured and (instruction, demos) != (seed.instruction, seed.demos):
            made = beam.add(
                seed,
                kind="priors",
                instruction=instruction,
                demos=demos,
                strategies=favoured,
                origin=f"priors: {' > '.join(favoured)}",
            )
            update |= {"initialisation": made.origin, "applied": favoured}
            update["pending"].append(made.id)
        for name in (n for n in options.demos if n in run.pool):
            if new := run.apply(name, seed.instruction, seed.demos):
                update["pending"].append(
                    beam.add(seed, kind="demos", demos=new[1], strategies=[name], origin=f"demonstrations: {name}").id
                )
    except BudgetExhausted as e:
        update["stopped"] = str(e)
    return update | {"beam": _json(beam)}


def warmup(state: IdealState, runtime: Runtime[Optimization], config: RunnableConfig) -> IdealState:
    """Stage 1 as a subgraph, briefly: its best prompt becomes a candidate, and its prior goes to memory. It shares
    the evaluator, so the seed prompt's answers are not asked again."""
    run, options = runtime.context, IdealOptions.model_validate(state["options"])
    search = {
        "iterations": options.warmup_iterations,
        "minibatch": options.warmup_minibatch,
        "optimizer_tools": options.optimizer_tools,
    }
    found = build_warmup_graph().invoke({"options": search}, config, context=run)
    tree = StrategyTree.model_validate(found["tree"])
    beam = Beam.model_validate(state["beam"])
    best, notes = tree.best(), [f"warm-up: {note}" for note in found.get("notes", [])]
    scored = max(0, len(tree.evaluated()) - 1)
    if best.parent is None:
        return {"warmed_up": True, "warmup_scored": scored, "notes": [*notes, "the short warm-up found nothing better"]}
    path = " > ".join(tree.strategies_of(best))
    child = beam.add(
        beam.get(0),
        kind="warmup",
        instruction=best.prompt,
        demos=best.demos,
        strategies=tree.strategies_of(best),
        origin=f"warm-up: {path}",
    )
    # Its best prompt is a candidate of the beam now, and counted there.
    return {"beam": _json(beam), "pending": [child.id], "warmed_up": True, "warmup_scored": scored - 1, "notes": notes}


def score(state: IdealState, runtime: Runtime[Optimization]) -> IdealState:
    """Race the pending candidates against the best so far (the seed in the first round) on dev."""
    run, beam = runtime.context, Beam.model_validate(state["beam"])
    leader = beam.best() if beam.kept else beam.get(0)
    challengers = [beam.get(i).render() for i in state["pending"]]
    keep = 1 if state["round"] == 0 else None  # the first round picks one start: only its best runs to the end
    raced = race(run.evaluator, leader.render(), challengers, run.task.dev, keep=keep)
    if raced.leader is not None and len(raced.leader.predictions) == len(run.task.dev):
        leader.dev = raced.leader.score
    for candidate in (beam.get(i) for i in state["pending"]):
        if (result := raced.results.get(candidate.render())) is not None:
            candidate.dev, candidate.calls = result.score, run.evaluator.calls
            candidate.dropped = raced.dropped.get(candidate.render())
            if candidate.dropped is None and len(result.predictions) < len(run.task.dev):
                candidate.dropped = len(result.predictions)  # the budget ended its race: not comparable
    if leader.calls is None and leader.dev is not None:
        leader.calls = run.evaluator.calls
    _settle(beam, state)
    for candidate in (beam.get(i) for i in state["pending"]):
        runtime.stream_writer(_scored(candidate, beam, state["round"], run.evaluator.calls))
    update: IdealState = {
        "beam": _json(beam),
        "pending": [],
        "stopped": raced.stopped or state.get("stopped") or _verdict(beam, state),
    }
    if state["round"] == 0 and beam.kept:
        start = beam.best()
        update["initialisation"] = "seed prompt" if start.kind == "seed" else start.origin
        others = [beam.get(i).origin for i in state["pending"] if i != 0]
        if start.kind == "seed" and others:
            update["notes"] = [f"{', '.join(others)}: no better than the seed prompt on dev: starting from it"]
    return update


def _scored(candidate: Candidate, beam: Beam, round: int, calls: int) -> dict:
    """The progress event of a candidate just raced (module docstring)."""
    return {
        "event": "scored",
        "round": round,
        "candidate": candidate.id,
        "kind": candidate.kind,
        "origin": candidate.origin,
        "dev": candidate.dev,
        "dropped": candidate.dropped,
        "kept": candidate.id in beam.kept,
        "best_dev": beam.best().dev if beam.kept else None,
        "calls": calls,
    }


def _settle(beam: Beam, state: IdealState) -> Beam:
    """Round 0 starts from the best scored candidate; later rounds keep what beats its parent on dev."""
    scored = [beam.get(i) for i in state["pending"] if beam.get(i).dev is not None and beam.get(i).dropped is None]
    if state["round"] == 0:
        if scored or beam.kept:  # on a tie, the fewer rewrites
            beam.start(max([*scored, *beam.beam()], key=lambda c: (c.dev, c.train or 0.0, -c.id)))
    else:
        for candidate in (beam.get(i) for i in state["pending"]):
            candidate.accepted = beam.consider(candidate)
        beam.end_round()
    return beam


def reflect(state: IdealState, runtime: Runtime[Optimization]) -> IdealState:
    run, beam = runtime.context, Beam.model_validate(state["beam"])
    options = IdealOptions.model_validate(state["options"])
    pending, notes = [], []
    try:
        kept = beam.beam()
        evaluations = {c.id: run.evaluator.evaluate(c.render(), run.mistake_pool()) for c in kept}  # memoised
        for candidate in kept:
            candidate.train = evaluations[candidate.id].score
            others = [e for i, e in evaluations.items() if i != candidate.id]
            # A candidate looked at again (its last look brought nothing kept) shows the next mistakes, and the
            # rewrites already tried: the reflector, greedy, proposes the same rewrite for the same mistakes.
            tried = [c for c in beam.candidates if c.parent == candidate.id and c.kind == "reflection"]
            mistakes = bad_cases(
                evaluations[candidate.id],
                others,
                labelled=run.task.answer == "label",
                k=options.mistakes,
                offset=candidate.looks * options.mistakes,
            )
            if not mistakes:
                continue
            candidate.looks += 1
            withheld = run.withheld(evaluations[candidate.id], mistakes) if run.session.private else None
            asked = {"mistakes": mistakes, "task": run.task, "lessons": run.lessons(), "tried": tried}
            proposal, definitions, consulted = _proposal(run, beam, candidate, options, asked | {"withheld": withheld})
            notes += [f"round {state['round'] + 1}: reflector on candidate {candidate.id}: {c}" for c in consulted]
            if proposal is None:
                notes.append(f"round {state['round'] + 1}: no new proposal from candidate {candidate.id}")
                continue
            child = beam.add(
                candidate,
                kind="reflection",
                instruction=proposal.task_description,
                definitions=definitions,
                origin=f"reflection, round {state['round'] + 1}",
                diagnosis=proposal.diagnosis,
                round=state["round"] + 1,
            )
            pending.append(child.id)
    except BudgetExhausted as e:
        return {"beam": _json(beam), "stopped": str(e), "notes": notes}
    update: IdealState = {"beam": _json(beam), "pending": pending, "round": state["round"] + 1, "notes": notes}
    if not pending:  # nothing to score, so no small-model call spent: the round counts against the round limit only
        update["stopped"] = _verdict(beam, state | update)
    return update


def score_test(state: IdealState, runtime: Runtime[Optimization]) -> IdealState:
    run, beam = runtime.context, Beam.model_validate(state["beam"])
    if not beam.kept:
        return {"notes": ["nothing was scored: no test scores"]}
    if not run.task.test:
        return {"notes": ["the task has no test split: no test scores"]}
    with run.session.ledger.apart("test"):
        seed = run.evaluator.evaluate(beam.get(0).render(), run.task.test).score
        best = run.evaluator.evaluate(beam.best().render(), run.task.test).score
    runtime.stream_writer({"event": "tested", "seed": seed, "optimized": best})
    return {"test": {"seed": seed, "optimized": best}}


def remember(state: IdealState, runtime: Runtime[Optimization]) -> IdealState:
    """What worked goes back to memory: the initial strategies' dev gain over the seed, each accepted
    reflection's dev gain over its parent, and the path to the best prompt."""
    run, beam = runtime.context, Beam.model_validate(state["beam"])
    if run.memory is None or not beam.kept:
        return {}
    seed, best = beam.get(0), beam.best()
    if seed.dev is None or best.dev is None:  # the best is kept, so scored; the seed may not be
        return {}
    strategies = [
        StrategyStats(strategy=s, visits=1, mean_reward=c.dev, mean_gain=c.dev - seed.dev)
        for c in beam.candidates
        if c.kind != "reflection" and c.parent == 0 and c.dev is not None and c.dropped is None
        for s in c.strategies
    ]
    lineage = _lineage(beam, best)
    edits = [
        Edit(diagnosis=c.diagnosis, gain=c.dev - parent.dev, rule=c.instruction, definitions=c.definitions)
        for parent, c in pairwise(lineage)
        if c.kind == "reflection" and c.dev is not None and parent.dev is not None  # kept, so scored
    ]
    path = [step for c in lineage[1:] for step in (["reflection"] if c.kind == "reflection" else c.strategies)]
    prior = Prior(
        task=run.descriptor(),
        model=run.target,
        strategies=strategies,
        edits=edits,
        best_paths=[BestPath(strategies=path, reward=best.dev, gain=best.dev - seed.dev)] if path else [],
        dataset_size=len(run.task.train),
    )
    run.memory.priors.add(prior)
    return {"prior_id": prior.id}


# --- helpers -------------------------------------------------------------------------------------------------------
def _proposal(
    run: Optimization, beam: Beam, candidate: Candidate, options: IdealOptions, asked: dict
) -> tuple[Reflection | None, dict[str, str], list[str]]:
    """The reflector's rewrite of `candidate` and its label definitions, if it is one the beam does not hold, and
    what it did with its tools (when it has them), a line per ask. A greedy reflector repeats a rewrite for a
    prompt it has seen (even when shown other mistakes), so a repeat is asked again, sampling, up to
    `options.resample` times (seeded by candidate and look: a rerun asks the same)."""
    model, consulted = run.session.model("large"), []
    with_tools = options.reflector_tools > 0 and asked["withheld"] is None
    for attempt in range(options.resample + 1):
        if attempt:
            model = run.session.model("large", temperature=RESAMPLE_TEMPERATURE, seed=_seed(candidate, attempt))
        if with_tools:
            tools = run.reflector_tools(candidate, options.mistakes)
            ask = {k: v for k, v in asked.items() if k != "withheld"}
            consultation = reflect_with_tools(model, tools, steps=options.reflector_tools, candidate=candidate, **ask)
            proposal = consultation.answer
            consulted.append(consultation.said())
        else:
            proposal = reflector(model, candidate=candidate, **asked)
        definitions = {} if proposal is None else {d.label: d.definition for d in proposal.label_definitions}
        if proposal is not None and not beam.holds(render(proposal.task_description, definitions, candidate.demos)):
            return proposal, definitions, consulted
    return None, {}, consulted


def _seed(candidate: Candidate, attempt: int) -> int:
    return 1000 * candidate.id + 10 * candidate.looks + attempt


def _verdict(beam: Beam, state: IdealState) -> str | None:
    """Why the reflection loop ends now, if it does."""
    options = IdealOptions.model_validate(state["options"])
    if not beam.kept:
        return "no candidate could be scored"
    if beam.best().dev == 1.0:
        return "a perfect dev score"
    if beam.stale_rounds >= options.patience:
        return f"patience: {beam.stale_rounds} rounds without a better dev score"
    if state["round"] >= options.rounds:
        return f"{options.rounds} rounds done"
    return None


def _lineage(beam: Beam, candidate: Candidate) -> list[Candidate]:
    """The candidates from the seed to `candidate`."""
    out = [candidate]
    while out[-1].parent is not None:
        out.append(beam.get(out[-1].parent))
    return out[::-1]


def _json(beam: Beam) -> dict:
    return beam.model_dump(mode="json")


# --- edges -------------------------------------------------------------------------------------------------------
def after_score(state: IdealState) -> str:
    if state.get("stopped"):
        return "test"
    options = IdealOptions.model_validate(state["options"])
    wants_warmup = not state.get("applied") and options.warmup_iterations > 0
    return "warmup" if wants_warmup and state["round"] == 0 and not state.get("warmed_up") else "reflect"


def after_warmup(state: IdealState) -> str:
    return "score" if state["pending"] else "reflect"


def after_reflect(state: IdealState) -> str:
    if state.get("stopped"):
        return "test"
    return "score" if state["pending"] else "reflect"


# --- compile -----------------------------------------------------------------------------------------------------
def build_ideal_graph(checkpointer: BaseCheckpointSaver | None = None):
    graph = StateGraph(IdealState, context_schema=Optimization)
    graph.add_node("initialise", initialise)
    # LangGraph passes a node both config and runtime when it asks for both; its node types lack that pair. mypy
    # calls the mismatch arg-type on a full run and call-overload on an incremental one, hence both codes.
    graph.add_node("warmup", warmup)  # type: ignore[arg-type, call-overload, unused-ignore]
    graph.add_node("score", score)
    graph.add_node("reflect", reflect)
    graph.add_node("test", score_test)
    graph.add_node("remember", remember)
    graph.add_edge(START, "initialise")
    graph.add_edge("initialise", "score")
    graph.add_conditional_edges("score", after_score, ["warmup", "reflect", "test"])
    graph.add_conditional_edges("warmup", after_warmup, ["score", "reflect"])
    graph.add_conditional_edges("reflect", after_reflect, ["score", "reflect", "test"])
    graph.add_edge("test", "remember")
    graph.add_edge("remember", END)
    return graph.compile(checkpointer=checkpointer)
