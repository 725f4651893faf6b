"""Whether the stylist's tools help: SAG on E2E with the graph's check loop (the check after the draft, one rewrite
of a text that gets a fact wrong) against the stylist checking its own draft with its tools (`check_facts`,
`score_style`, `retrieve_exemplars`, up to 3 turns, no check loop), beside plain plan+write; the embedded models.
Writes its section of bench/RESULTS.md.

    python bench/stylist_tools.py [--e2e 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import DATA, machine, write_section
from idealprompt import Session, load_settings
from idealprompt.notebench.data import load_e2e
from idealprompt.notebench.evaluate import TOOL_TURNS, evaluate_writing, table, writing_for

SYSTEMS = ("plan+write", "plan+write+check", "plan+write+tools")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--e2e", type=int, default=30, help="E2E test inputs (MRs), the first N")
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    e2e_file = DATA / "e2e_nlg" / "testset_w_refs.csv"
    examples = load_e2e(e2e_file, limit=args.e2e)
    scores, calls, started = [], [], time.perf_counter()
    for system in SYSTEMS:  # a session per system: its ledger counts that system's calls alone
        session = Session(load_settings())
        (score,) = evaluate_writing(examples, writing_for(e2e_file, "neutral", session), systems=[system], judge=False)
        scores.append(score)
        used = session.ledger.snapshot()
        tools = {role.removeprefix("tool:"): u["calls"] for role, u in used.items() if role.startswith("tool:")}
        shown = ", ".join(f"{name} {n / len(examples):.1f}" for name, n in sorted(tools.items())) or "none"
        calls.append(f"| {system} | {used['small']['calls'] / len(examples):.1f} | {shown} |")
        print(f"{system}: done ({(time.perf_counter() - started) / 60:.1f} min)", flush=True)
    markdown = f"""## The stylist with its tools against the check loop (`bench/stylist_tools.py`)

Machine: {machine()}. Planner {session.describe("large")}, stylist {session.describe("small")}, greedy; the first
{args.e2e} MRs of the E2E test set, style `neutral` (scored against the built-in `tablenotes`), one exemplar,
facts checked by slot matching. plan+write+check: the graph checks each draft and has the stylist rewrite one that
gets a fact wrong (once). plan+write+tools: no check loop; the stylist may call `check_facts`, `score_style` and
`retrieve_exemplars` on its draft for up to {TOOL_TURNS} turns and answers by calling `Text`; a stylist that
answers in words instead is asked in JSON (up to 3 tries), then plainly. {(time.perf_counter() - started) / 60:.0f} min.

{table(scores)}

| system | small-model calls per text | tool calls per text |
|---|---|---|
""" + "\n".join(calls)
    write_section("stylist-tools", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
