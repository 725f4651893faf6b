"""The run's trace: a write error under checkpoints.sqlite (a full disk) names the file, and the steps checkpointed
before it stay readable."""

import sqlite3
from typing import TypedDict

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph

from idealprompt.errors import OutputError
from idealprompt.runstore import open_trace


class Count(TypedDict):
    n: int


def _graph(checkpointer):
    graph = StateGraph(Count)
    graph.add_node("one", lambda s: {"n": s["n"] + 1})
    graph.add_node("two", lambda s: {"n": s["n"] + 1})
    graph.add_edge(START, "one")
    graph.add_edge("one", "two")
    graph.add_edge("two", END)
    return graph.compile(checkpointer=checkpointer)


def test_a_full_disk_under_the_trace_names_the_file_and_keeps_the_steps_before(tmp_path, monkeypatch):
    path, real, puts = tmp_path / "run" / "checkpoints.sqlite", SqliteSaver.put, []

    def fills_up(self, *args, **kwargs):
        puts.append(1)
        if len(puts) == 3:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SqliteSaver, "put", fills_up)
    config = {"configurable": {"thread_id": "t"}}
    with open_trace(path) as saver:
        with pytest.raises(OutputError, match=r"checkpoints.sqlite: cannot write the run's trace \(database or disk"):
            _graph(saver).invoke({"n": 0}, config)
        kept = list(saver.list(config))
    assert [c.metadata["step"] for c in kept] == [0, -1]  # the input and the first step: it resumes from there
    assert kept[0].checkpoint["channel_values"]["n"] == 0


def test_a_trace_that_cannot_be_opened_is_named(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with (
        pytest.raises(OutputError, match=r"file/checkpoints.sqlite: cannot open the run's trace"),
        open_trace(tmp_path / "file" / "checkpoints.sqlite"),
    ):
        pass
