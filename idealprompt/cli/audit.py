"""`idealprompt audit [RUN]`: what was sent to remote routes (the audit log of idealprompt.routes.privacy)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from idealprompt.cli.common import out
from idealprompt.config import load_settings
from idealprompt.routes.privacy import AuditLog


def audit(
    run: Annotated[
        str | None, typer.Argument(metavar="[RUN]", help="a run id, or its start (default: every run)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the log's lines as they are, for machines")] = False,
):
    """Every request sent to a route off this machine: when, which run and route, its size and hash, what was
    redacted."""
    log = AuditLog(load_settings().audit_log)
    entries = log.read(run)
    if as_json:
        for entry in entries:
            print(json.dumps(entry, ensure_ascii=False))
        return
    if not entries:
        which = f"for run {run} " if run else ""
        out.print(f"no remote request {which}in {log.path}", markup=False, highlight=False)
        return
    table = Table(
        "time", "run", "role", "route", "host", "mode", "chars sent", "sha256", "redacted", title=str(log.path)
    )
    for e in entries:
        redacted = ", ".join(f"{k.lower()} {n}" for k, n in e["redacted"].items()) or "-"
        table.add_row(
            e["time"],
            e["run"],
            e["role"],
            e["route"],
            e["host"],
            e["mode"],
            str(e["request_chars"]),
            e["request_sha256"][:12],
            redacted,
        )
    out.print(table)
