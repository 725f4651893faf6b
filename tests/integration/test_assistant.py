"""The chat assistant on the embedded models, through a short scripted conversation: it writes facts in a house
style with its tool and streams the answer, then shows the last run's scores with another."""

import json

from langchain_core.messages import AIMessageChunk, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from idealprompt.assistant import Assistance, build_assistant
from idealprompt.session import Session


def test_a_conversation_that_writes_then_shows_the_scores(real_settings, tmp_path):
    settings = real_settings.model_copy(update={"runs": tmp_path / "runs"})
    graph, config = build_assistant(InMemorySaver()), {"configurable": {"thread_id": "chat"}}
    context = Assistance(Session(settings))

    def turn(question: str) -> tuple[list[ToolMessage], str]:
        tools, tokens = [], []
        asked = {"messages": [("user", question)]}
        for message, meta in graph.stream(asked, config, context=context, stream_mode="messages"):
            if isinstance(message, ToolMessage):
                tools.append(message)
            elif isinstance(message, AIMessageChunk) and meta["langgraph_node"] == "respond" and message.text:
                tokens.append(message.text)
        assert len(tokens) > 3, tokens  # streamed, not one piece
        return tools, "".join(tokens)

    [wrote], answer = turn("Write these facts in the tablenotes style: name[The Eagle], eatType[pub], area[riverside]")
    text = json.loads(wrote.text)["text"]
    assert wrote.name == "write_in_style" and "Eagle" in text and "Eagle" in answer
    [scores], answer = turn("What were the scores of the last run?")
    last = json.loads(scores.text)
    assert scores.name == "last_run_scores" and last["kind"] == "write" and last["task"] == "tablenotes"
    assert last["status"] == "done" and context.session.ledger.snapshot()["tool:write_in_style"]["calls"] == 1
