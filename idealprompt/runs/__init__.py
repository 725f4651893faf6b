"""Runs kept for reading and resuming: the run store (every run, its steps and calls), the journal that fills it
as a graph streams, and the LangGraph checkpoints of a run's state."""

from idealprompt.runs.checkpoints import NamedTrace, TraceSaver, open_trace, trace_location
from idealprompt.runs.databases import is_database
from idealprompt.runs.journal import Journal, Recorder, follow, recorded
from idealprompt.runs.store import Call, RunRecord, RunStore, Step

__all__ = [
    "Call",
    "Journal",
    "NamedTrace",
    "Recorder",
    "RunRecord",
    "RunStore",
    "Step",
    "TraceSaver",
    "follow",
    "is_database",
    "open_trace",
    "recorded",
    "trace_location",
]
