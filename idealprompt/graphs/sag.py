"""Style-aligned writing (SAG): the large model plans the content, the small model writes it in the style, the
facts of the text are checked against the input, and a text that gets them wrong is written again.

    plan -> retrieve -> write -> check -> [write -> check] -> end

`plan` has the planner agent turn the instruction and the input facts into a neutral content plan (for key-value
facts, vetted by slot matching: sentences with invented or contradicted facts go, facts left out are appended);
`retrieve`
finds the style's exemplars closest to the plan; `write` has the stylist agent write the plan in the style (the
model is invoked inside the run, so LangGraph's "messages" stream mode streams its tokens); `check` compares the
text's facts with the input (`scoring.facts`: slot matching for key-value facts; for free text and triples the
lexical signal and the large model's per-claim check, or the lexical signal alone with `check_mode="cheap"`) and
scores its style (`scoring.style`). Up to `revisions` times, a text with a contradicted or
unsupported fact goes back to the stylist with the list of what was wrong.
"""

from __future__ import annotations

import operator
from typing import Annotated

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic (LangGraph server schemas) needs it on Python < 3.12

from idealprompt.agents import planner, stylist
from idealprompt.errors import BudgetExhausted
from idealprompt.facts import Facts
from idealprompt.graphs.context import Writing
from idealprompt.prompts.writing import INSTRUCTION
from idealprompt.scoring.facts import FactCheck, Mode, check_facts


class WriteOptions(BaseModel):
    # One: on 10 E2E dev inputs, the 0.5B stylist stated 0 of 62 facts wrong with one worked example, 9 of 67 with
    # two (it borrows their facts), for about the same style score.
    exemplars: int = Field(1, ge=0, description="exemplars of the style shown to the stylist")
    check: bool = Field(True, description="check the text's facts against the input")
    check_mode: Mode = Field(
        "full",
        description="free-text facts: 'full' (lexical and the large model), 'cheap' (lexical, no model) or "
        "'entities' (the lexical signal's names, numbers and dates: for a style that adds words)",
    )
    revisions: int = Field(1, ge=0, description="rewrites of a text whose facts the check finds wrong")
    stylist_tools: int = Field(
        0,
        ge=0,
        description="calls the stylist makes to check_facts, score_style or retrieve_exemplars on a draft before "
        "it writes the text, told what they said; 0: it writes in one call",
    )


# --- state -------------------------------------------------------------------------------------------------------
class WriteState(TypedDict, total=False):
    facts: dict  # Facts, as JSON
    instruction: str
    options: dict  # WriteOptions, as JSON
    plan: list[str]
    exemplars: list[dict]  # {"text", "neutral"} each
    drafts: Annotated[list[str], operator.add]  # every text written, the last one the answer
    check: dict  # the last text's FactCheck, as JSON
    style_score: float  # the last text's consistency with the style, 0 to 1
    notes: Annotated[list[str], operator.add]
    stopped: str  # why the run stopped early (a budget), if it did


# --- nodes -------------------------------------------------------------------------------------------------------
def plan(state: WriteState, runtime: Runtime[Writing]) -> WriteState:
    facts, instruction = Facts.model_validate(state["facts"]), state.get("instruction") or INSTRUCTION
    options = WriteOptions.model_validate(state.get("options") or {})
    update: WriteState = {"instruction": instruction, "options": options.model_dump()}
    try:
        answer = planner.plan(runtime.context.session.data_model("large"), facts=facts, instruction=instruction)
    except BudgetExhausted as e:
        return update | {"stopped": str(e)}
    if answer.value is not None:
        return update | _vetted(answer.value.facts, facts, runtime.context)
    # The facts themselves are a faithful (if plain) plan: the run goes on and says what happened.
    note = f"the planner gave no usable plan ({'; '.join(answer.errors)}): writing from the facts"
    plain = [f"{key}: {value}." for key, value in facts.slots.items()] + [f"{' '.join(t)}." for t in facts.triples]
    plain += [facts.text] if facts.text else []
    return update | {"plan": plain, "notes": [note]}


def _vetted(plan: list[str], facts: Facts, run: Writing) -> WriteState:
    """For key-value facts, the plan checked by slot matching: a small planner invents facts ("family-friendly")
    and drops others, and the stylist would write them faithfully. A sentence that states a fact the input lacks
    or contradicts is dropped; the input facts then missing are appended. (Free text has no such check.)"""
    if not facts.slots:
        return {"plan": plan}
    kept = [s for s in plan if not check_facts(facts, s, lexicon=run.lexicon).problems()]
    left_out = check_facts(facts, " ".join(kept), lexicon=run.lexicon).omitted
    notes = [
        f"the plan stated what the input does not: dropped {sentence!r}" for sentence in plan if sentence not in kept
    ]
    notes += [f"the plan left out {', '.join(left_out)}: added"] if left_out else []
    return {"plan": [*kept, *(f"{fact}." for fact in left_out)], "notes": notes}


def retrieve(state: WriteState, runtime: Runtime[Writing]) -> WriteState:
    k = WriteOptions.model_validate(state["options"]).exemplars
    return {"exemplars": runtime.context.exemplars("\n".join(state["plan"]), k)}


def write(state: WriteState, runtime: Runtime[Writing]) -> WriteState:
    run, options = runtime.context, WriteOptions.model_validate(state["options"])
    messages = stylist.stylist_messages(run.style, state["plan"], state.get("exemplars", []))
    if state.get("drafts"):  # a rewrite: the same request, with what the check found wrong in the last draft
        problems = FactCheck.model_validate(state["check"]).problems()
        messages = stylist.revision_messages(messages, problems)
    model, notes = run.session.model("small"), []
    try:
        text = None
        if options.stylist_tools:
            tools = run.stylist_tools(Facts.model_validate(state["facts"]), options.check_mode)
            text, consultation = stylist.write_with_tools(model, messages, tools, steps=options.stylist_tools)
            notes.append(f"draft {len(state.get('drafts', [])) + 1}, the stylist {consultation.said()}")
        return {"drafts": [text or stylist.write(model, messages)], "notes": notes}
    except BudgetExhausted as e:
        return {"stopped": str(e), "notes": notes}


def check(state: WriteState, runtime: Runtime[Writing]) -> WriteState:
    run, text = runtime.context, state["drafts"][-1]
    assert run.scorer is not None  # Writing.__post_init__ sets it
    score = run.scorer.probabilities([text], run.style.name)[0]
    mode = WriteOptions.model_validate(state["options"]).check_mode
    try:
        facts = Facts.model_validate(state["facts"])
        model = run.session.data_model("large") if mode == "full" else None
        found = check_facts(facts, text, model=model, lexicon=run.lexicon, mode=mode)
    except BudgetExhausted as e:
        return {"style_score": score, "stopped": str(e)}
    notes = [f"draft {len(state['drafts'])}: {p}" for p in found.problems()]
    return {"check": found.model_dump(), "style_score": score, "notes": notes}


# --- edges -------------------------------------------------------------------------------------------------------
def after_plan(state: WriteState) -> str:
    return END if state.get("stopped") else "retrieve"


def after_write(state: WriteState) -> str:
    wants_check = WriteOptions.model_validate(state["options"]).check
    return "check" if wants_check and not state.get("stopped") else END


def after_check(state: WriteState) -> str:
    revisions = WriteOptions.model_validate(state["options"]).revisions
    wrong = state.get("check") and FactCheck.model_validate(state["check"]).problems()
    return "write" if wrong and not state.get("stopped") and len(state["drafts"]) <= revisions else END


# --- compile -----------------------------------------------------------------------------------------------------
def build_sag_graph(checkpointer: BaseCheckpointSaver | None = None):
    graph = StateGraph(WriteState, context_schema=Writing)
    graph.add_node("plan", plan)
    graph.add_node("retrieve", retrieve)
    graph.add_node("write", write)
    graph.add_node("check", check)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", after_plan, ["retrieve", END])
    graph.add_edge("retrieve", "write")
    graph.add_conditional_edges("write", after_write, ["check", END])
    graph.add_conditional_edges("check", after_check, ["write", END])
    return graph.compile(checkpointer=checkpointer)
