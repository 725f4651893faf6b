"""`write(facts, style=...)`: style-aligned writing end to end, the large model planning and the small one writing.

result = write({"name": "The Eagle", "food": "Italian"}, style="tablenotes")
print(result.plan, result.text, result.check)
for kind, value in stream_write(facts, style="tablenotes"):   # ("plan", [...]), ("token", "..."), ...
    ...
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel, Field

from idealprompt.facts import Facts, load_facts
from idealprompt.facts.slots import SlotLexicon
from idealprompt.graphs.context import Writing, with_thread
from idealprompt.graphs.sag import WriteOptions, build_sag_graph
from idealprompt.memory import Memory
from idealprompt.runs import RunStore, recorded
from idealprompt.session import Session
from idealprompt.styles import Style


class WriteResult(BaseModel):
    run_id: str
    style: str
    plan: list[str]
    text: str
    drafts: list[str] = Field(description="every text written; the last is `text`")
    exemplars: list[dict[str, str]] = Field(description='shown to the stylist: {"text", "neutral"} each')
    check: dict[str, Any] | None = Field(description="the last text's fact check (scoring.facts.FactCheck)")
    style_score: float | None = Field(description="the last text's consistency with the style, 0 to 1")
    usage: dict[str, dict[str, Any]] = Field(description="the ledger: calls, tokens, seconds per role")
    notes: list[str]
    stopped: str | None

    @classmethod
    def from_state(cls, state: dict, run: Writing, run_id: str) -> WriteResult:
        drafts = state.get("drafts", [])
        return cls(
            run_id=run_id,
            style=run.style.name,
            plan=state.get("plan", []),
            text=drafts[-1] if drafts else "",
            drafts=drafts,
            exemplars=state.get("exemplars", []),
            check=state.get("check"),
            style_score=state.get("style_score"),
            usage=run.session.ledger.snapshot(),
            notes=state.get("notes", []),
            stopped=state.get("stopped"),
        )


def as_facts(facts: Facts | dict | str | Path) -> Facts:
    """Facts from a path to a facts file, a mapping (key-value) or a string (an E2E MR or free text)."""
    return load_facts(facts) if isinstance(facts, Path) else Facts.of(facts)


def _prepare(facts, style, instruction, session, memory, options, lexicon, run_id, config):
    run = Writing.of(session or Session(), style, memory, lexicon=lexicon)
    inputs = {
        "facts": as_facts(facts).model_dump(),
        "instruction": instruction or "",
        "options": (options or WriteOptions()).model_dump(),
    }
    run_id = run_id or f"sag-{run.style.name}-{uuid.uuid4().hex[:8]}"
    return run, inputs, with_thread(config, run_id), run_id


def write(
    facts: Facts | dict | str | Path,
    *,
    style: Style | str = "neutral",
    instruction: str | None = None,
    session: Session | None = None,
    memory: Memory | None = None,
    options: WriteOptions | None = None,
    lexicon: SlotLexicon | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    run_id: str | None = None,
    config: RunnableConfig | None = None,
    runs: RunStore | None = None,
) -> WriteResult:
    """Plan (large role) and write (small role) a text stating `facts` in `style`; `memory` (None: built-in styles
    only) holds styles and their exemplars; `checkpointer` keeps the trace under `run_id`; `config` is LangGraph's
    (callbacks, tags, metadata pass through to every step and model call); `runs` records the run, its steps and
    its calls in a run store."""
    run, inputs, config, run_id = _prepare(facts, style, instruction, session, memory, options, lexicon, run_id, config)
    graph = build_sag_graph(checkpointer)
    if runs is None:
        return WriteResult.from_state(graph.invoke(inputs, config, context=run), run, run_id)
    started = {"kind": "write", "task": run.style.name, "folder": Path().resolve(), "command": [], "budget": None}
    usage = run.session.ledger.snapshot
    state = recorded(
        graph, inputs, config, context=run, run=run_id, store=runs, started=started, usage=usage, progress=_ignore
    )
    result = WriteResult.from_state(state, run, run_id)
    status = "done" if result.text else "failed"
    runs.finish(
        run_id, status, best=result.style_score, scores={"style": result.style_score}, result=result.model_dump()
    )
    return result


def _ignore(node: str, update: dict) -> None:
    pass


async def awrite(
    facts: Facts | dict | str | Path,
    *,
    style: Style | str = "neutral",
    instruction: str | None = None,
    session: Session | None = None,
    memory: Memory | None = None,
    options: WriteOptions | None = None,
    lexicon: SlotLexicon | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    run_id: str | None = None,
    config: RunnableConfig | None = None,
) -> WriteResult:
    """`write`, for an event loop."""
    run, inputs, config, run_id = _prepare(facts, style, instruction, session, memory, options, lexicon, run_id, config)
    state = await build_sag_graph(checkpointer).ainvoke(inputs, config, context=run)
    return WriteResult.from_state(state, run, run_id)


def stream_write(
    facts: Facts | dict | str | Path,
    *,
    style: Style | str = "neutral",
    instruction: str | None = None,
    session: Session | None = None,
    memory: Memory | None = None,
    options: WriteOptions | None = None,
    lexicon: SlotLexicon | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    run_id: str | None = None,
    config: RunnableConfig | None = None,
    steps: bool = False,
) -> Iterator[tuple[str, Any]]:
    """`write`, as it happens: ("plan", the plan's facts), ("draft", n) as draft n starts, ("token", text) as the
    stylist writes it, ("text", the whole text) when it is done, ("check", FactCheck as JSON) after each check,
    with `steps` also ("step", (node, update)) as each step of the graph ends, and last ("result", WriteResult)."""
    run, inputs, config, run_id = _prepare(facts, style, instruction, session, memory, options, lexicon, run_id, config)
    events = _Events(steps)
    for mode, event in build_sag_graph(checkpointer).stream(inputs, config, context=run, stream_mode=_Events.MODES):
        yield from events.told(mode, event)
    yield "result", WriteResult.from_state(events.state, run, run_id)


async def astream_write(
    facts: Facts | dict | str | Path,
    *,
    style: Style | str = "neutral",
    instruction: str | None = None,
    session: Session | None = None,
    memory: Memory | None = None,
    options: WriteOptions | None = None,
    lexicon: SlotLexicon | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    run_id: str | None = None,
    config: RunnableConfig | None = None,
    steps: bool = False,
) -> AsyncIterator[tuple[str, Any]]:
    """`stream_write`, for an event loop: the same events, as they happen."""
    run, inputs, config, run_id = _prepare(facts, style, instruction, session, memory, options, lexicon, run_id, config)
    events = _Events(steps)
    graph = build_sag_graph(checkpointer)
    async for mode, event in graph.astream(inputs, config, context=run, stream_mode=_Events.MODES):
        for told in events.told(mode, event):
            yield told
    yield "result", WriteResult.from_state(events.state, run, run_id)


class _Events:
    """The graph's stream (updates, messages, values) told as a writer's events."""

    MODES: ClassVar[list[str]] = ["updates", "messages", "values"]

    def __init__(self, steps: bool):
        self.steps, self.drafts, self.writing = steps, 0, False
        self.state: dict[str, Any] = {}  # the last values: what the result is read from

    def told(self, mode: str, event: Any) -> Iterator[tuple[str, Any]]:
        if mode == "values":
            self.state = event
        elif mode == "messages":
            chunk, metadata = event
            if metadata.get("langgraph_node") == "write" and chunk.text:
                if not self.writing:
                    self.drafts, self.writing = self.drafts + 1, True
                    yield "draft", self.drafts
                yield "token", chunk.text
        else:
            for node, update in event.items():
                if self.steps:
                    yield "step", (node, update or {})
                if node == "plan" and update.get("plan"):
                    yield "plan", update["plan"]
                elif node == "write" and update.get("drafts"):
                    self.writing = False
                    yield "text", update["drafts"][-1]
                elif node == "check" and update.get("check"):
                    yield "check", update["check"]
