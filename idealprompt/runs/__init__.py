"""Runs kept for reading and resuming: the run store (every run, its steps and calls), the journal that fills it
as a graph streams, and the LangGraph checkpoints of a run's state."""

from idealprompt.runs.checkpoints import TraceSaver, open_trace
from idealprompt.runs.journal import Journal, Recorder, follow, recorded
from idealprompt.runs.store import Call, RunRecord, RunStore, Step

__all__ = [
    "Call",
    "Journal",
    "Recorder",
    "RunRecord",
    "RunStore",
    "Step",
    "TraceSaver",
    "follow",
    "open_trace",
    "recorded",
]
