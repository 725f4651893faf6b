"""The free-text fact check against labelled texts: each signal alone and the combined check, precision, recall
and F1 for invented and for contradicted facts, and seconds per text. Writes its section of bench/RESULTS.md.

The validation set is built by `bench/factcheck_data.py` (deterministic); its "tune" slice is where thresholds
were set, its "report" slice is what is reported. A text counts as flagged invented when the check finds an
unsupported fact in it, contradicted when it finds a contradicted one (a text may be both).

    python bench/factcheck.py                                  # every signal on the whole report slice
    python bench/factcheck.py --signals lexical                # the cheap mode alone: seconds
    python bench/factcheck.py --signals model combined --limit 20 --no-write
    python bench/factcheck.py --outputs run.json ...; python bench/factcheck.py --rescore run.json  # a new rule

`--outputs` keeps every item's checks and the seconds per signal; `--rescore` reads them back and applies the
rule of today's code to the model's saved verdicts (no model call), so a change of the rule is measured in a
second on the texts the model already judged.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.factcheck_data import LABELS, Item, build
from bench.results import DATA, machine, write_section
from idealprompt import Session, load_settings
from idealprompt.scoring.claims import JudgedClaim, Verdict, judge_claims
from idealprompt.scoring.facts import FactCheck, combine, lexical

SIGNALS = ("lexical", "model", "combined")
FULL = "python bench/factcheck.py --signals lexical model combined --split report"


def flags(check: FactCheck | None) -> set[str]:
    if check is None:
        return set()
    return {label for label, found in (("invented", check.unsupported), ("contradicted", check.contradicted)) if found}


def checkers(session: Session | None) -> dict[str, Callable[[Item], FactCheck | None]]:
    """Each signal as a check of one item. The model and combined signals share one run of the model per item."""
    judged: dict[str, object] = {}

    def claims(item: Item):
        if item.id not in judged:
            assert session is not None
            judged[item.id] = judge_claims(session.data_model("large"), item.facts, item.text)
        return judged[item.id]

    def model(item: Item) -> FactCheck | None:
        found = claims(item)
        if found is None:
            return None
        verdicts: dict[str, list[str]] = {"supported": [], "contradicted": [], "unsupported": []}
        for claim in found:  # type: ignore[attr-defined]
            verdicts[claim.verdict].append(claim.claim)
        return FactCheck(method="combined", **verdicts)

    def combined(item: Item) -> FactCheck | None:
        found = claims(item)
        return lexical(item.facts, item.text) if found is None else combine(item.facts, item.text, found)  # type: ignore[arg-type]

    return {"lexical": lambda item: lexical(item.facts, item.text), "model": model, "combined": combined}


def rescored(saved: dict) -> tuple[list[Item], dict[str, list[FactCheck | None]], dict]:
    """A saved run's items, its model verdicts, and every other signal recomputed by today's code."""
    kept = [Item.of_json(row) for row in saved["items"]]
    model = [FactCheck.model_validate(row["model"]) if row.get("model") else None for row in saved["items"]]
    verdicts: tuple[Verdict, ...] = ("supported", "contradicted", "unsupported")
    judged = [None if m is None else [JudgedClaim(c, v) for v in verdicts for c in getattr(m, v)] for m in model]
    results: dict[str, list[FactCheck | None]] = {
        "lexical": [lexical(i.facts, i.text) for i in kept],
        "model": model,
        "combined": [
            lexical(i.facts, i.text) if j is None else combine(i.facts, i.text, j)
            for i, j in zip(kept, judged, strict=True)
        ],
    }
    return kept, results, saved["seconds"]


def scores(items: Sequence[Item], predicted: Sequence[set[str]]) -> dict[str, tuple[float, float, float, int]]:
    """Per class: precision, recall, F1 and the number of texts of that label."""
    out = {}
    for label in ("invented", "contradicted"):
        tp = sum(label in p and i.label == label for i, p in zip(items, predicted, strict=True))
        fp = sum(label in p and i.label != label for i, p in zip(items, predicted, strict=True))
        positives = sum(i.label == label for i in items)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / positives if positives else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = (precision, recall, f1, positives)
    # Any flag at all, against any error: how well the check tells faithful from not.
    tp = sum(bool(p) and i.label != "faithful" for i, p in zip(items, predicted, strict=True))
    fp = sum(bool(p) and i.label == "faithful" for i, p in zip(items, predicted, strict=True))
    positives = sum(i.label != "faithful" for i in items)
    precision, recall = (tp / (tp + fp) if tp + fp else 0.0), (tp / positives if positives else 0.0)
    out["any error"] = (precision, recall, 2 * precision * recall / (precision + recall or 1), positives)
    return out


def row(name: str, result: dict, seconds: float) -> str:
    cells = [f"{p:.2f} / {r:.2f} / **{f:.2f}**" for p, r, f, _ in result.values()]
    return f"| {name} | {' | '.join(cells)} | {seconds:.3f} |"


def table(rows: list[str]) -> str:
    head = "| signal | invented P / R / F1 | contradicted P / R / F1 | any error P / R / F1 | s/text |"
    return "\n".join([head, "|---|---|---|---|---|", *rows])


def run(items: Sequence[Item], signals: Sequence[str], checks: dict) -> tuple[dict[str, list], dict[str, float]]:
    """Each signal's check of every item, and its seconds per text."""
    results: dict[str, list[FactCheck | None]] = {}
    seconds: dict[str, float] = {}
    for signal in signals:
        started = time.perf_counter()
        results[signal] = []
        for n, item in enumerate(items, 1):
            results[signal].append(checks[signal](item))
            if signal != "lexical" and n % 10 == 0:
                print(f"{signal}: {n}/{len(items)} ({time.perf_counter() - started:.0f} s)", flush=True)
        seconds[signal] = (time.perf_counter() - started) / max(len(items), 1)
    if "combined" in seconds and "model" in seconds:  # the model ran once, under "model": combining is the rest
        seconds["combined"] += seconds["model"]
    return results, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", nargs="*", default=list(SIGNALS), choices=SIGNALS)
    parser.add_argument("--split", default="report", choices=["report", "tune"])
    parser.add_argument("--limit", type=int, help="at most N texts, drawn evenly (seeded) from the slice")
    parser.add_argument("--outputs", type=Path, help="a JSON file for every item and its checks")
    parser.add_argument("--rescore", type=Path, help="an --outputs file: its model verdicts under today's rule")
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=True, help="write RESULTS.md")
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    items = [i for i in build(DATA) if i.split == args.split]
    if args.limit and args.limit < len(items):
        items = sorted(random.Random(0).sample(items, args.limit), key=lambda i: i.id)
    if args.rescore:
        saved = json.loads(args.rescore.read_text())
        items, results, seconds = rescored(saved)
        args.signals, args.split, args.limit, model = list(seconds), saved["split"], saved["limit"], saved["model"]
    else:
        session = Session(load_settings()) if {"model", "combined"} & set(args.signals) else None
        results, seconds = run(items, args.signals, checkers(session))
        model = session.describe("large") if session else "none"
    by_source: dict[str, list[int]] = defaultdict(list)
    for n, item in enumerate(items):
        by_source[item.source].append(n)
    overall = [row(s, scores(items, [flags(c) for c in results[s]]), seconds[s]) for s in args.signals]
    per_source = []
    for source, rows in sorted(by_source.items()):
        subset = [items[n] for n in rows]
        counts = ", ".join(f"{sum(i.label == label for i in subset)} {label}" for label in LABELS)
        lines = [row(s, scores(subset, [flags(results[s][n]) for n in rows]), seconds[s]) for s in args.signals]
        per_source.append(f"**{source}** ({counts}):\n\n{table(lines)}")
    counts = ", ".join(f"{sum(i.label == label for i in items)} {label}" for label in LABELS)
    report = "\n\n".join([f"All {len(items)} texts ({counts}):\n\n{table(overall)}", *per_source])
    print(report)
    print(f"\nThe full run: {FULL}")
    if args.outputs:
        dump = [
            i.to_json() | {s: (results[s][n] and results[s][n].model_dump()) for s in args.signals}
            for n, i in enumerate(items)
        ]
        args.outputs.write_text(
            json.dumps(
                {"split": args.split, "limit": args.limit, "model": model, "seconds": seconds, "items": dump},
                indent=1,
                ensure_ascii=False,
            )
        )
    if args.write:
        limited = f", {len(items)} texts drawn from it (`--limit`)" if args.limit else ""
        write_section(
            "factcheck",
            f"""
## The free-text fact check (`bench/factcheck.py`)

Machine: {machine()}. Model signal: {model}, greedy, one call to split the text into claims and one per claim.
Validation set: `bench/factcheck_data.py` (E2E dev references and their corruptions, the E2E cleaned set's
re-annotations with the input as triples, imagecaption train captions and their corruptions), the
`{args.split}` slice{limited}; thresholds were set on the other ("tune") slice. Per class: a text is flagged
invented when the check finds an unsupported fact in it, contradicted when it finds a contradicted one;
precision / recall / F1 over texts. "Any error": flagged at all, against invented or contradicted. s/text: wall
time per text. Signals: `lexical` (`facts/align.py`, the cheap mode), `model` (the claims' verdicts alone),
`combined` (the rule of `scoring/facts.py`, what `check_facts` does).

{report}
""",
        )


if __name__ == "__main__":
    main()
