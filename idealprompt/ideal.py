"""`optimize(task)`: IDEAL end to end, and its result, exported as plain text and JSON usable without the framework.

result = optimize("examples/navigate.yaml", budget=Budget(small_calls=300), memory=Memory.open())
print(result.optimized, result.prompt)
result.write("out/")   # prompt.txt, result.json; for a constrained task answer.gbnf and answer.schema.json;
                       # and a Modelfile for `ollama create`
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel, Field

from idealprompt.accounting import Budget
from idealprompt.errors import OutputError, TaskError
from idealprompt.graphs.context import Optimization, with_thread
from idealprompt.graphs.ideal import IdealOptions, build_ideal_graph
from idealprompt.memory import Memory
from idealprompt.runs import RunStore, recorded
from idealprompt.scoring.evaluate import system_message
from idealprompt.search.beam import Beam
from idealprompt.session import Session
from idealprompt.strategies import StrategyPool
from idealprompt.tasks import Task, load_task
from idealprompt.tasks.output import Mode
from idealprompt.userfiles import write_text

MISTAKES_SHOWN = 10


class Scores(BaseModel):
    train: float | None = None
    dev: float | None = None
    test: float | None = None


class Reflection(BaseModel):
    """One reflection of Stage 2 and what came of it."""

    round: int
    candidate: int
    parent: int
    parent_dev: float | None
    dev: float | None = Field(description="over the dev examples it was raced on (all of them unless dropped)")
    dropped: int | None = Field(description="raced out after this many dev examples")
    kept: bool = Field(description="it beat its parent on dev and entered the beam")
    diagnosis: str


class OptimizeResult(BaseModel):
    run_id: str
    task: str
    target: str = Field(description="the small model's route the prompt was optimised for")
    prompt: str = Field(description="the optimised system message, as the model receives it")
    instruction: str
    label_definitions: dict[str, str]
    demonstrations: list[dict[str, str]] = Field(
        description="worked examples copied from train: id, input, answer, solution"
    )
    answers: Mode = Field(
        description="constrained: answers held to the output space (answer.gbnf, answer.schema.json); scored: the "
        "likeliest label, scored by the embedded route (the grammar decodes the same label in one to three tokens)"
    )
    answer_grammar: str | None = Field(description="the GBNF grammar the answers were held to, if constrained")
    answer_schema: dict | None = Field(description="the same constraint as a JSON schema")
    answer_tokens: int = Field(description="the most tokens an answer was given")
    seed_prompt: str
    seed_message: str = Field(description="the seed prompt's system message, as the model received it")
    initialisation: str
    seed: Scores
    optimized: Scores
    rounds: int
    candidates_scored: int = Field(
        description="candidate prompts compared: scored on dev (raced out or not), and "
        "the warm-up's on its training minibatch"
    )
    reflections: list[Reflection]
    stopped: str | None
    usage: dict[str, dict[str, Any]] = Field(description="the ledger: calls, tokens, seconds per role")
    budget: dict[str, int | None]
    prior_id: str | None
    notes: list[str]
    candidates: list[dict[str, Any]] = Field(description="every candidate: origin, scores, whether it was kept")
    mistakes: dict[str, list[dict[str, str]]] = Field(
        description=f"the first {MISTAKES_SHOWN} wrong test answers of the seed and the optimised prompt: id, input, "
        "expected, answer"
    )

    @classmethod
    def from_state(cls, state: dict, run: Optimization, run_id: str) -> OptimizeResult:
        beam = Beam.model_validate(state["beam"])
        seed, best = beam.get(0), beam.best() if beam.kept else beam.get(0)
        test, space = state.get("test") or {}, run.task.output
        reflections = [
            Reflection(
                round=c.round,
                candidate=c.id,
                parent=c.parent,
                parent_dev=beam.get(c.parent).dev,
                dev=c.dev,
                dropped=c.dropped,
                kept=bool(c.accepted),
                diagnosis=c.diagnosis,
            )
            for c in beam.candidates
            if c.kind == "reflection" and c.parent is not None  # a reflection always has a parent
        ]
        return cls(
            run_id=run_id,
            task=run.task.name,
            target=run.target,
            prompt=system_message(run.task, best.render()),
            instruction=best.instruction,
            label_definitions=best.definitions,
            demonstrations=[d.model_dump() for d in best.demos],
            answers=space.mode,  # Task.output already makes a text answer free
            answer_grammar=space.grammar(),
            answer_schema=space.schema(),
            answer_tokens=run.task.answer_tokens,
            seed_prompt=seed.instruction,
            seed_message=system_message(run.task, seed.render()),
            initialisation=state.get("initialisation", "seed prompt"),
            seed=Scores(train=seed.train, dev=seed.dev, test=test.get("seed")),
            optimized=Scores(train=best.train, dev=best.dev, test=test.get("optimized")),
            rounds=state.get("round", 0),
            candidates_scored=sum(c.dev is not None for c in beam.candidates) + state.get("warmup_scored", 0),
            reflections=reflections,
            stopped=state.get("stopped"),
            usage=run.session.ledger.snapshot(),
            budget={
                "small_calls": run.session.ledger.budget.small_calls,
                "large_tokens": run.session.ledger.budget.large_tokens,
            },
            prior_id=state.get("prior_id"),
            notes=state.get("notes", []),
            candidates=[
                c.model_dump(exclude={"instruction", "definitions", "demos"}) | {"kept": c.id in beam.kept}
                for c in beam.candidates
            ],
            mistakes={"seed": _mistakes(run, seed.render()), "optimized": _mistakes(run, best.render())},
        )

    def write(self, folder: Path | str) -> tuple[Path, Path]:
        """What reproduces the score without the framework, in `folder`: `prompt.txt` (the system message; the
        input goes in the user message), for a constrained task `answer.gbnf` (llama.cpp's `grammar`) and
        `answer.schema.json` (Ollama's `format`, OpenAI's `response_format`), a `Modelfile` (`ollama create`),
        and `result.json` (everything). A scored task's answers were the likeliest labels; the grammar decodes
        a label too, and the same one where greedy decoding agrees with the scores."""
        folder = Path(folder)
        prompt, result = folder / "prompt.txt", folder / "result.json"
        files = {prompt: self.prompt + "\n", folder / "Modelfile": self.modelfile()}
        if self.answer_grammar is not None:
            files[folder / "answer.gbnf"] = self.answer_grammar + "\n"
            files[folder / "answer.schema.json"] = json.dumps(self.answer_schema, indent=2) + "\n"
        files[result] = self.model_dump_json(indent=2) + "\n"  # last: a result.json means the rest is there
        for path, text in files.items():
            write_text(path, text, OutputError, "result")
        return prompt, result

    def modelfile(self) -> str:
        """An Ollama Modelfile that makes the optimised prompt a task model: `ollama create NAME -f Modelfile`."""
        provider, _, model = self.target.partition(":")
        # The embedded models are Ollama library models spelt otherwise: qwen2.5-coder-0.5b is qwen2.5-coder:0.5b.
        base = "-".join(model.split("-")[:-1]) + ":" + model.split("-")[-1] if provider == "embedded" else model
        lines = [f"# idealprompt: {self.task}, optimised for {self.target}"]
        if self.answer_schema is not None:
            lines.append("# Ollama takes the answer constraint per request: send answer.schema.json as `format`.")
        system = self.prompt.replace('"""', "'''")  # a triple quote would end Ollama's SYSTEM block
        lines += [
            f"FROM {base}",
            f'SYSTEM """{system}"""',
            "PARAMETER temperature 0",
            f"PARAMETER num_predict {self.answer_tokens}",
        ]
        return "\n".join(lines) + "\n"


def _mistakes(run: Optimization, prompt: str) -> list[dict[str, str]]:
    """The prompt's wrong answers on test, from what the test step was told (no call)."""
    wrong = [p for p in run.evaluator.known(prompt, run.task.test).predictions if p.score < 1]
    return [
        {"id": p.example.id, "input": p.example.text, "expected": p.example.target, "answer": p.answer}
        for p in wrong[:MISTAKES_SHOWN]
    ]


def new_run_id(task: str) -> str:
    """A fresh id for an optimisation of `task` (the Python front door's and the CLI's)."""
    return f"ideal-{task}-{uuid.uuid4().hex[:8]}"


def _prepare(task, session, budget, memory, options, pool, run_id, answers, config):
    task = task if isinstance(task, Task) else load_task(task)
    if answers == "scored" and task.answer != "label":
        raise TaskError(f"task {task.name!r}: answers scored needs labels to score, and it answers a {task.answer}")
    task = task if answers is None else dataclasses.replace(task, answers=answers)
    session = session or Session(budget=budget)
    run = Optimization(session, task, pool or StrategyPool.builtin(), memory=memory)
    run_id = run_id or new_run_id(task.name)
    inputs = {"options": (options or IdealOptions()).model_dump()}
    return run, run_id, inputs, with_thread(config, run_id)


def optimize(
    task: Task | Path | str,
    *,
    session: Session | None = None,
    budget: Budget | None = None,
    memory: Memory | None = None,
    options: IdealOptions | None = None,
    pool: StrategyPool | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    run_id: str | None = None,
    answers: Mode | None = None,
    config: RunnableConfig | None = None,
    runs: RunStore | None = None,
    progress: Callable[[str, dict], None] | None = None,
) -> OptimizeResult:
    """Optimise the task's prompt for the session's small model. `budget` applies when no `session` is given;
    `memory` (None: none) gives priors and receives what worked; `checkpointer` keeps the trace under `run_id`;
    `answers` overrides the task's answer mode (constrained, scored or free); `config` is LangGraph's (callbacks, tags,
    metadata pass through to every step and model call); `runs` records the run, its steps and its calls in a run
    store (`idealprompt runs`, `trace`, `report` read it); `progress(node, update)` is called as each step ends."""
    run, run_id, inputs, config = _prepare(task, session, budget, memory, options, pool, run_id, answers, config)
    graph = build_ideal_graph(checkpointer)
    if runs is None and progress is None:
        return OptimizeResult.from_state(graph.invoke(inputs, config, context=run), run, run_id)
    started = {
        "kind": "optimize",
        "task": run.task.name,
        "folder": Path().resolve(),
        "command": [],
        "budget": run.session.ledger.budget.small_calls,
    }
    state = recorded(
        graph,
        inputs,
        config,
        context=run,
        run=run_id,
        store=runs,
        started=started,
        usage=run.session.ledger.snapshot,
        progress=progress or (lambda node, update: None),
    )
    result = OptimizeResult.from_state(state, run, run_id)
    if runs is not None:
        scores = {"seed": result.seed.model_dump(), "optimized": result.optimized.model_dump()}
        runs.finish(run_id, "done", best=result.optimized.dev, scores=scores, result=result.model_dump(mode="json"))
    return result


async def aoptimize(
    task: Task | Path | str,
    *,
    session: Session | None = None,
    budget: Budget | None = None,
    memory: Memory | None = None,
    options: IdealOptions | None = None,
    pool: StrategyPool | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    run_id: str | None = None,
    answers: Mode | None = None,
    config: RunnableConfig | None = None,
) -> OptimizeResult:
    """`optimize`, for an event loop. Cancelling it stops its spending: no model call is sent after the cancel."""
    run, run_id, inputs, config = _prepare(task, session, budget, memory, options, pool, run_id, answers, config)
    try:
        state = await build_ideal_graph(checkpointer).ainvoke(inputs, config, context=run)
    except asyncio.CancelledError:
        run.session.ledger.cancel()
        raise
    return OptimizeResult.from_state(state, run, run_id)
