"""SAG writing against single-model baselines: the small model alone, the large model alone, and plan+write, on
E2E (key-value facts to a neutral restaurant description) and on image captions (a factual caption rewritten in a
style), with the embedded models. Writes its section of bench/RESULTS.md.

    python bench/style.py [--e2e 100] [--captions 30] [--caption-style humorous] [--systems small large plan+write]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import DATA, machine, write_section
from idealprompt import Session, load_settings
from idealprompt.notebench.data import load_captions, load_e2e
from idealprompt.notebench.evaluate import SYSTEMS, evaluate_writing, table, writing_for


def run(name: str, examples, writing, systems, judge: bool) -> tuple[list, float]:
    started = time.perf_counter()
    last = {}

    def progress(system: str, done: int, total: int) -> None:
        if done == total or time.perf_counter() - last.get(system, 0) > 60:
            last[system] = time.perf_counter()
            print(f"{name} {system}: {done}/{total} ({(time.perf_counter() - started) / 60:.1f} min)", flush=True)

    scores = evaluate_writing(examples, writing, systems=systems, judge=judge, progress=progress)
    return scores, (time.perf_counter() - started) / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--e2e", type=int, default=100, help="E2E test inputs (MRs), the first N")
    parser.add_argument("--captions", type=int, default=30, help="caption test inputs, the first N")
    parser.add_argument("--caption-style", default="humorous", choices=["humorous", "romantic"])
    parser.add_argument("--systems", nargs="*", default=list(SYSTEMS[:3]), choices=SYSTEMS)
    parser.add_argument("--outputs", type=Path, help="a JSON file for every output and check")
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    settings = load_settings()
    e2e_file, captions = DATA / "e2e_nlg" / "testset_w_refs.csv", DATA / "style_transfer_lijuncen" / "imagecaption"
    session = Session(settings)
    e2e_scores, e2e_minutes = run(
        "e2e", load_e2e(e2e_file, limit=args.e2e), writing_for(e2e_file, "neutral", session), args.systems, judge=False
    )
    style = args.caption_style
    caption_scores, caption_minutes = run(
        "captions",
        load_captions(captions, style=style, limit=args.captions),
        writing_for(captions, style, session),
        args.systems,
        judge=True,
    )
    if args.outputs:
        args.outputs.write_text(
            json.dumps(
                {"e2e": [s.model_dump() for s in e2e_scores], "captions": [s.model_dump() for s in caption_scores]},
                indent=1,
            )
        )
    write_section(
        "style",
        f"""
## SAG writing against single-model baselines (`bench/style.py`)

Machine: {machine()}. Small model (the stylist, and "small" alone) {session.describe("small")}, large model (the
planner, "large" alone, and the judge of free-text facts) {session.describe("large")}, greedy. Every system gets
the same instruction and the style's name and description; plan+write also gets one exemplar of the style (a
worked example when its neutral version is known), and runs without its fact-check loop. ROUGE-L: rouge-score, F-measure with stemming, the best reference
per text, mean over texts (0-100). BLEU-4: sacrebleu {importlib.metadata.version("sacrebleu")} corpus BLEU over all
references, standard settings (13a tokenizer, mixed case, exponential smoothing). Unsupported and
contradicted facts are per stated fact. Style: the mean probability of the target style under the style
classifier (`scoring/style.py`). s/text: generation wall time per text.

**E2E** (the first {args.e2e} MRs of the test set with their references; style `neutral`, scored against the
built-in `tablenotes`; facts checked by slot matching; {e2e_minutes:.0f} min):

{table(e2e_scores)}

**Image captions, {style}** (the first {args.captions} factual captions of the test set, with the human {style}
rewrites as references; exemplars and the style classifier from the train corpora, {style} against the other
style; facts checked by the large model, which is also a system under test; {caption_minutes:.0f} min):

{table(caption_scores)}
""",
    )


if __name__ == "__main__":
    main()
