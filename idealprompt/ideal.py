"""`optimize(task)`: IDEAL end to end, and its result, exported as plain text and JSON usable without the framework.

    result = optimize("examples/navigate.yaml", budget=Budget(small_calls=300), memory=Memory.open())
    print(result.scores, result.prompt)
    result.write("out/")            # out/prompt.txt and out/result.json
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel, Field

from idealprompt.accounting import Budget
from idealprompt.graphs.context import Optimization
from idealprompt.graphs.ideal import IdealOptions, build_ideal_graph
from idealprompt.memory import Memory
from idealprompt.search.beam import Beam
from idealprompt.session import Session
from idealprompt.strategies import StrategyPool
from idealprompt.tasks import Task, load_task


class Scores(BaseModel):
    train: float | None = None
    dev: float | None = None
    test: float | None = None


class OptimizeResult(BaseModel):
    run_id: str
    task: str
    prompt: str = Field(description="the optimised prompt, as the model receives it")
    instruction: str
    label_definitions: dict[str, str]
    seed_prompt: str
    initialisation: str
    seed: Scores
    optimized: Scores
    rounds: int
    stopped: str | None
    usage: dict[str, dict[str, Any]] = Field(description="the ledger: calls, tokens, seconds per role")
    budget: dict[str, int | None]
    prior_id: str | None
    notes: list[str]
    candidates: list[dict[str, Any]] = Field(description="every candidate: origin, scores, whether it was kept")

    @classmethod
    def from_state(cls, state: dict, run: Optimization, run_id: str) -> OptimizeResult:
        beam = Beam.model_validate(state["beam"])
        seed, best = beam.get(0), beam.best() if beam.kept else beam.get(0)
        test = state.get("test") or {}
        return cls(
            run_id=run_id,
            task=run.task.name,
            prompt=best.render(),
            instruction=best.instruction,
            label_definitions=best.definitions,
            seed_prompt=seed.instruction,
            initialisation=state.get("initialisation", "seed prompt"),
            seed=Scores(train=seed.train, dev=seed.dev, test=test.get("seed")),
            optimized=Scores(train=best.train, dev=best.dev, test=test.get("optimized")),
            rounds=state.get("round", 0),
            stopped=state.get("stopped"),
            usage=run.session.ledger.snapshot(),
            budget={"small_calls": run.session.ledger.budget.small_calls,
                    "large_tokens": run.session.ledger.budget.large_tokens},
            prior_id=state.get("prior_id"),
            notes=state.get("notes", []),
            candidates=[c.model_dump(exclude={"instruction", "definitions"}) | {"kept": c.id in beam.kept}
                        for c in beam.candidates],
        )

    def write(self, folder: Path | str) -> tuple[Path, Path]:
        """`prompt.txt` (the prompt alone) and `result.json` (everything) in `folder`."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        prompt, result = folder / "prompt.txt", folder / "result.json"
        prompt.write_text(self.prompt + "\n")
        result.write_text(self.model_dump_json(indent=2) + "\n")
        return prompt, result


def _prepare(task, session, budget, memory, options, pool, run_id):
    task = task if isinstance(task, Task) else load_task(task)
    session = session or Session(budget=budget)
    run = Optimization(session, task, pool or StrategyPool.builtin(), memory=memory)
    run_id = run_id or f"ideal-{task.name}-{uuid.uuid4().hex[:8]}"
    inputs = {"options": (options or IdealOptions()).model_dump()}
    return run, run_id, inputs, {"configurable": {"thread_id": run_id}}


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
) -> OptimizeResult:
    """Optimise the task's prompt for the session's small model. `budget` applies when no `session` is given;
    `memory` (None: none) gives priors and receives what worked; `checkpointer` keeps the trace under `run_id`."""
    run, run_id, inputs, config = _prepare(task, session, budget, memory, options, pool, run_id)
    state = build_ideal_graph(checkpointer).invoke(inputs, config, context=run)
    return OptimizeResult.from_state(state, run, run_id)


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
) -> OptimizeResult:
    """`optimize`, for an event loop."""
    run, run_id, inputs, config = _prepare(task, session, budget, memory, options, pool, run_id)
    state = await build_ideal_graph(checkpointer).ainvoke(inputs, config, context=run)
    return OptimizeResult.from_state(state, run, run_id)
