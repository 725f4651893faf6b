"""The results file: one JSON line per (task, system) run, appended as each run ends, so a batch of hours can stop
anywhere. A rerun skips the pairs done under the same configuration; a run that failed left a row with an
`error`, and a rerun tries it again. The report reads the last row of each pair."""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path


def read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def append_row(path: Path, row: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(json.dumps(row) + "\n")


def latest(rows: Iterable[dict], config: dict) -> dict[tuple[str, str], dict]:
    """The last row of each (task, system) pair run under `config`."""
    return {(r["task"], r["system"]): r for r in rows if r.get("config") == config}


def pending(pairs: list[tuple[str, str]], path: Path, config: dict) -> list[tuple[str, str]]:
    """The pairs without a successful row under `config`."""
    done = {pair for pair, row in latest(read_rows(path), config).items() if "error" not in row}
    return [pair for pair in pairs if pair not in done]


def run_pending(
    pairs: list[tuple[str, str]],
    run_one: Callable[[str, str], dict],
    path: Path,
    *,
    config: dict,
    command: Callable[[str, str], str],
    after: Callable[[dict], None] | None = None,
    say: Callable[[str], None] = lambda line: print(line, flush=True),
) -> list[dict]:
    """Run each pair not yet done under `config`, appending its row, then calling `after` with it."""
    todo = pending(pairs, path, config)
    say(f"{len(pairs) - len(todo)} of {len(pairs)} runs already in {path}; {len(todo)} to go")
    written = []
    for i, (task, system) in enumerate(todo, 1):
        say(f"[{i}/{len(todo)}] {task} / {system} ...")
        started = time.perf_counter()
        try:
            row = run_one(task, system)
        except Exception as e:  # one failing system must not end a batch of hours: its row says what happened
            row = {"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(limit=8)}
        row = {
            "task": task,
            "system": system,
            "config": config,
            **row,
            "seconds": round(time.perf_counter() - started, 1),
            "command": command(task, system),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        append_row(path, row)
        written.append(row)
        say(f"[{i}/{len(todo)}] {task} / {system}: " + _summary(row))
        if after is not None:
            after(row)
    return written


def _summary(row: dict) -> str:
    if "error" in row:
        return f"FAILED after {row['seconds'] / 60:.1f} min: {row['error'].splitlines()[0][:300]}"
    return (
        f"test {row['test_accuracy']:.1%}, {row['small_calls']} small calls, {row['large_tokens']} large tokens, "
        f"{row['seconds'] / 60:.1f} min" + (" (cap hit)" if row.get("cap_hit") else "")
    )
