"""SAG writing with scripted models: the plan reaches the stylist, a text that gets a fact wrong is written again
with what was wrong, and the run's events stream in order."""

import json

from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver

from idealprompt import Budget, Session
from idealprompt.facts import Facts
from idealprompt.graphs.sag import WriteOptions
from idealprompt.memory import Memory
from idealprompt.sag import astream_write, awrite, stream_write, write
from idealprompt.styles import Style, builtin_styles
from tests.fakes import ScriptedChatModel

FACTS = Facts.parse("name[The Eagle], eatType[pub], area[riverside]")
PLAN = ["The Eagle is a pub.", "It is by the riverside."]
FAITHFUL = "Fancy a pint? The Eagle is a pub by the riverside. #TableNotes"
INVENTED = "Fancy a pint? The Eagle is a family-friendly pub by the riverside. #TableNotes"


def _session(settings, large, small, budget=None) -> Session:
    return Session(
        settings,
        budget=budget,
        models={"large": ScriptedChatModel(script=large), "small": ScriptedChatModel(script=small)},
    )


def test_a_writing_run_from_python_is_recorded_in_a_run_store(offline_settings, tmp_path):
    from idealprompt.runs import RunStore

    runs = RunStore(tmp_path / "runs")
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [INVENTED, FAITHFUL])
    result = write(FACTS, style="tablenotes", session=session, runs=runs)
    [record] = runs.runs()
    nodes = [s.node for s in runs.steps(record.id)]
    assert record.kind == "write" and record.status == "done" and runs.result(record.id)["text"] == FAITHFUL
    assert nodes.count("write") == 2 and nodes.index("plan") < nodes.index("write")  # a rewrite after the check
    assert [c.answer for c in runs.calls(record.id) if c.role == "small"] == [INVENTED, FAITHFUL]
    assert result.text == FAITHFUL


def test_the_stylist_writes_the_plan_and_rewrites_an_invented_fact(offline_settings):
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [INVENTED, FAITHFUL])
    result = write(FACTS, style="tablenotes", session=session, checkpointer=InMemorySaver())
    assert len(result.exemplars) == 1 and result.exemplars[0]["neutral"] in builtin_styles()["neutral"].exemplars
    assert result.plan == PLAN and result.drafts == [INVENTED, FAITHFUL] and result.text == FAITHFUL
    small = session.model("small")
    first, second = small.received
    assert first[-1].content == "Facts:\n- The Eagle is a pub.\n- It is by the riverside."
    # tablenotes' exemplars have neutral versions: shown as worked examples, facts in and text out
    assert [m.type for m in first] == ["system", "human", "ai", "human"]
    assert first[1].content.startswith("Facts:\n- ") and "#TableNotes" in first[2].content
    assert "#TableNotes" not in first[1].content
    assert second[:-1] == first[:-1] and second[-1].content.startswith(first[-1].content)
    assert "familyFriendly: yes: not in the input" in second[-1].content
    assert result.check["method"] == "slots" and result.check["unsupported"] == []
    assert sorted(result.check["supported"]) == ["area: riverside", "eatType: pub", "name: The Eagle"]
    assert result.notes == ["draft 1: familyFriendly: yes: not in the input"]
    assert result.style_score > 0.5  # reads like tablenotes rather than neutral


def test_revisions_are_bounded(offline_settings):
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [INVENTED, INVENTED])
    result = write(FACTS, style="tablenotes", session=session, options=WriteOptions(revisions=1))
    assert len(result.drafts) == 2 and result.check["unsupported"] == ["familyFriendly: yes"]


def test_an_unusable_plan_falls_back_to_the_facts(offline_settings):
    session = _session(offline_settings, ["no plan here"] * 3, [FAITHFUL])
    result = write(FACTS, style="tablenotes", session=session)
    assert result.plan == ["name: The Eagle.", "eatType: pub.", "area: riverside."]
    assert result.notes[0].startswith("the planner gave no usable plan")


def test_a_budget_stops_the_run_with_what_it_has(offline_settings):
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [FAITHFUL], budget=Budget(small_calls=0))
    result = write(FACTS, style="neutral", session=session)
    assert result.plan == PLAN and result.text == "" and "0 small-model calls" in result.stopped


def test_free_text_facts_are_checked_by_the_large_model(offline_settings):
    claims = {"claims": ["a dog runs", "it is raining"]}
    verdicts = [{"evidence": "a dog runs", "verdict": "supported"}, {"evidence": "none", "verdict": "unsupported"}]
    large = [json.dumps({"facts": ["A dog runs."]}), json.dumps(claims), *map(json.dumps, verdicts)]
    session = _session(offline_settings, large, ["A dog runs in the rain."])
    result = write("a dog runs on the beach .", style="neutral", session=session, options=WriteOptions(revisions=0))
    assert result.check == {
        "method": "combined",
        "supported": ["a dog runs"],
        "contradicted": [],
        "unsupported": ["it is raining"],
        "omitted": [],
    }
    assert "A dog runs in the rain." in session.model("large").received[1][-1].content


def test_exemplars_come_from_the_memory_closest_to_the_plan(offline_settings, tmp_path):
    memory = Memory.open(tmp_path / "memory")
    texts = [
        "Boots for wet trails, friends!",
        "Our riverside pub pours a fine pint, friends!",
        "A kettle that boils in a minute, friends!",
    ]
    memory.add_style(Style(name="friends", description="Cheery, ends with 'friends!'", exemplars=texts))
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [FAITHFUL])
    result = write(
        FACTS, style="friends", session=session, memory=memory, options=WriteOptions(exemplars=1, check=False)
    )
    assert result.exemplars == [{"text": "Our riverside pub pours a fine pint, friends!", "neutral": ""}]
    assert result.check is None
    # without neutral versions, exemplars go in the system message, away from the facts to write
    system, user = session.model("small").received[0]
    assert "Example 1: Our riverside pub pours a fine pint, friends!" in system.content
    assert "friends!" not in user.content
    memory.close()


def test_the_run_streams_plan_text_check_and_result_in_order(offline_settings):
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [INVENTED, FAITHFUL])
    events = list(stream_write(FACTS, style="tablenotes", session=session))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "plan" and kinds[-1] == "result"
    assert [k for k in kinds if k in ("draft", "text", "check")] == ["draft", "text", "check", "draft", "text", "check"]
    assert [value for kind, value in events if kind == "draft"] == [1, 2]
    streamed = "".join(value for kind, value in events if kind == "token")
    assert streamed == INVENTED + FAITHFUL and events[-1][1].text == FAITHFUL


async def test_the_async_stream_tells_the_same_events(offline_settings):
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [INVENTED, FAITHFUL])
    events = [event async for event in astream_write(FACTS, style="tablenotes", session=session, steps=True)]
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "step" and events[0][1][0] == "plan" and kinds[-1] == "result"
    assert [k for k in kinds if k in ("draft", "text", "check")] == ["draft", "text", "check", "draft", "text", "check"]
    assert "".join(v for k, v in events if k == "token") == INVENTED + FAITHFUL and events[-1][1].text == FAITHFUL


def test_a_style_prompt_replaces_the_default_system_message(offline_settings):
    style = Style(name="house", description="Warm.", exemplars=["Hello, friends!"], prompt="Write like a shopkeeper.")
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [FAITHFUL])
    write(FACTS, style=style, session=session, options=WriteOptions(check=False))
    sent = session.model("small").received[0]
    assert sent[0].content.startswith("Write like a shopkeeper.\n\nExamples of the style")
    assert "Example 1: Hello, friends!" in sent[0].content


def test_key_value_facts_the_plan_leaves_out_are_added(offline_settings):
    session = _session(offline_settings, [json.dumps({"facts": ["The Eagle is a pub."]})], [FAITHFUL])
    result = write(FACTS, style="neutral", session=session, options=WriteOptions(check=False))
    assert result.plan == ["The Eagle is a pub.", "area: riverside."]
    assert result.notes == ["the plan left out area: riverside: added"]


async def test_awrite_runs_the_same_graph_in_an_event_loop(offline_settings):
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [FAITHFUL])
    result = await awrite(FACTS, style="tablenotes", session=session)
    assert result.plan == PLAN and result.text == FAITHFUL and result.check["unsupported"] == []


def test_plan_sentences_with_invented_facts_are_dropped(offline_settings):
    plan = ["The Eagle is a pub by the riverside.", "It is family-friendly."]
    session = _session(offline_settings, [json.dumps({"facts": plan})], [FAITHFUL])
    result = write(FACTS, style="neutral", session=session, options=WriteOptions(check=False))
    assert result.plan == ["The Eagle is a pub by the riverside."]
    assert result.notes == ["the plan stated what the input does not: dropped 'It is family-friendly.'"]


def test_the_stylist_with_tools_checks_its_draft_and_answers_with_the_fixed_text(offline_settings):
    """It must call a tool on a draft (check_facts, on one with an invented fact), and then writes the text told
    what the check found; the check loop is off, the tool call is metered and said in the notes."""
    check = AIMessage("", tool_calls=[{"name": "check_facts", "args": {"text": INVENTED}, "id": "c0"}])
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [check, FAITHFUL])
    result = write(FACTS, style="tablenotes", session=session, options=WriteOptions(check=False, stylist_tools=1))
    assert result.drafts == [FAITHFUL]
    small = session.model("small")
    first, last = small.kwargs_seen
    assert [t["function"]["name"] for t in first["tools"]] == ["check_facts", "score_style", "retrieve_exemplars"]
    assert first["tool_choice"] == "required" and "tools" not in last  # no answer tool: the text comes in words
    told = small.received[1][-1].content
    assert f'check_facts(text="{INVENTED}"): familyFriendly: yes: not in the input' in told
    assert session.ledger.snapshot()["tool:check_facts"]["calls"] == 1
    [note] = result.notes
    assert note.startswith('draft 1, the stylist called check_facts(text="Fancy a pint?')
    assert note.endswith("); answered in words")


def test_a_stylist_on_a_route_that_lets_it_answer_in_words_gives_those_words(offline_settings):
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [f'"{FAITHFUL}"'])
    result = write(FACTS, style="tablenotes", session=session, options=WriteOptions(check=False, stylist_tools=2))
    assert result.drafts == [FAITHFUL] and result.notes == ["draft 1, the stylist called no tool; answered in words"]


def test_a_stylist_that_gives_no_text_with_tools_is_asked_once_more_plainly(offline_settings):
    session = _session(offline_settings, [json.dumps({"facts": PLAN})], [" ", FAITHFUL])
    result = write(FACTS, style="tablenotes", session=session, options=WriteOptions(check=False, stylist_tools=2))
    assert result.drafts == [FAITHFUL] and "tools" not in session.model("small").kwargs_seen[1]
    assert result.notes == ["draft 1, the stylist called no tool; answered in words (an empty answer)"]
