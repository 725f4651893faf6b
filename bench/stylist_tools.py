"""Whether the stylist's tools help: SAG on E2E with the graph's check loop (the check after the draft, one rewrite
of a text that gets a fact wrong) against the stylist checking its own draft with its tools (`check_facts`,
`score_style`, `retrieve_exemplars`: one call on a draft, no check loop), beside plain plan+write; the embedded models.
Writes its section of bench/RESULTS.md.

    python bench/stylist_tools.py [--e2e 30] [--styles neutral tablenotes]
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


def bench_style(style: str, examples, e2e_file: Path) -> tuple[str, str]:
    """The systems' table and their calls, each system in a fresh session (its ledger counts its calls alone)."""
    scores, calls = [], []
    for system in SYSTEMS:
        session = Session(load_settings())
        (score,) = evaluate_writing(examples, writing_for(e2e_file, style, session), systems=[system], judge=False)
        scores.append(score)
        used = session.ledger.snapshot()
        tools = {role.removeprefix("tool:"): u["calls"] for role, u in used.items() if role.startswith("tool:")}
        shown = ", ".join(f"{name} {n / len(examples):.1f}" for name, n in sorted(tools.items())) or "none"
        calls.append(f"| {system} | {used['small']['calls'] / len(examples):.1f} | {shown} |")
        print(f"{style} {system}: done", flush=True)
    head = "| system | small-model calls per text | tool calls per text |\n|---|---|---|\n"
    return table(scores), head + "\n".join(calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--e2e", type=int, default=30, help="E2E test inputs (MRs), the first N")
    parser.add_argument("--styles", nargs="*", default=["neutral", "tablenotes"], help="built-in styles to write in")
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    e2e_file = DATA / "e2e_nlg" / "testset_w_refs.csv"
    examples, started, parts = load_e2e(e2e_file, limit=args.e2e), time.perf_counter(), []
    for style in args.styles:
        scores, calls = bench_style(style, examples, e2e_file)
        other = "the built-in `tablenotes`" if style == "neutral" else "the other built-in styles"
        parts.append(f"**Style `{style}`** (scored against {other}):\n\n{scores}\n\n{calls}\n")
    session = Session(load_settings())
    markdown = f"""## The stylist with its tools against the check loop (`bench/stylist_tools.py`)

Machine: {machine()}. Planner {session.describe("large")}, stylist {session.describe("small")},
greedy; the first {args.e2e} MRs of the E2E test set, one exemplar, facts checked by slot matching.
plan+write+check: the graph checks each draft and has the stylist rewrite one that gets a fact wrong (once).
plan+write+tools: no check loop; the stylist must call one of `check_facts`, `score_style` and
`retrieve_exemplars` on a draft ({TOOL_TURNS} call), then writes the text, told what the tool said. Each system
in a fresh session (the first loads the models); {(time.perf_counter() - started) / 60:.0f} min in all.

""" + "\n".join(parts)
    write_section("stylist-tools", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
