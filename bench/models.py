"""Embedded models: speed through the framework versus raw llama-cpp-python, and the quality that picks their roles.

Speed: the same greedy chat requests go to a raw `llama_cpp.Llama` and to the framework's chat model (a Session
with its ledger, tiktoken counting and LangChain callbacks), alternating which goes first. Overhead is the ratio
of total wall times. Quality, through the framework: sentiment accuracy on SST-2 (the small role's kind of work)
and content plans from E2E meaning representations (the large role's kind): first-answer JSON validity and how
many slot values the plan keeps.

    python bench/models.py [--models NAME ...] [--rounds 2] [--sst2 40] [--e2e 10]
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from pathlib import Path

from langchain_core.messages import HumanMessage
from pydantic import BaseModel
from rich.progress import track

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import DATA, machine, write_section
from idealprompt import Session, ask_structured, load_settings
from idealprompt.routes import catalog

SPEED_PROMPTS = [
    "Explain in a short paragraph why the sky is blue.",
    "Write a product description for a steel water bottle.",
    "List five tips for writing clear emails, one line each.",
    "Summarise the plot of a heist film you invent, in four sentences.",
]
SENTIMENT = "Is the sentiment of this movie review positive or negative? Answer with one word.\n\nReview: {text}"
PLAN = "Plan a short restaurant description: one plain sentence per fact below, using only these facts.\n\n{facts}"


class Plan(BaseModel):
    sentences: list[str]


def speed(name: str, settings, rounds: int, max_tokens: int) -> dict:
    from llama_cpp import Llama

    path = str(catalog.gguf_path(catalog.lookup(name), settings.models_dir))
    raw = Llama(
        model_path=path,
        n_ctx=settings.context_size,
        n_threads=settings.threads,
        n_threads_batch=settings.threads,
        verbose=False,
    )
    session = Session(settings.model_copy(update={"small": f"embedded:{name}", "max_tokens": max_tokens}))
    framework = session.model("small")
    framework.invoke("warm up")  # load outside the timings, as `raw` was
    times = {"raw": [], "framework": []}
    tokens = {"raw": 0, "framework": 0}
    same = 0

    def run_raw(prompt):
        r = raw.create_chat_completion(
            [{"role": "user", "content": prompt}],
            max_tokens=max_tokens,
            temperature=0.0,
            seed=settings.seed,
            repeat_penalty=1.1,
        )
        return r["choices"][0]["message"]["content"], r["usage"]["completion_tokens"]

    def run_framework(prompt):
        m = framework.invoke(prompt)
        return m.text, m.usage_metadata["output_tokens"]

    runs = {"raw": run_raw, "framework": run_framework}
    for i in track(range(rounds * len(SPEED_PROMPTS)), description=f"speed {name}"):
        prompt = SPEED_PROMPTS[i % len(SPEED_PROMPTS)]
        order = ["raw", "framework"] if i % 2 == 0 else ["framework", "raw"]
        texts = {}
        for kind in order:
            start = time.perf_counter()
            texts[kind], n = runs[kind](prompt)
            times[kind].append(time.perf_counter() - start)
            tokens[kind] += n
        same += texts["raw"] == texts["framework"]
    raw.close()
    total = {k: sum(v) for k, v in times.items()}
    # Paired by prompt and adjacent in time, so a passing slowdown of the machine hits both sides of a pair.
    paired = statistics.median(f / r for f, r in zip(times["framework"], times["raw"], strict=True))
    return {
        "raw_tps": tokens["raw"] / total["raw"],
        "fw_tps": tokens["framework"] / total["framework"],
        "raw_latency": statistics.median(times["raw"]),
        "fw_latency": statistics.median(times["framework"]),
        "overhead": paired - 1,
        "overhead_total": total["framework"] / total["raw"] - 1,
        "same": f"{same}/{len(times['raw'])}",
    }


def fixed_cost(calls: int = 300) -> float:
    """Milliseconds the framework adds to one call, measured on a model that answers instantly."""
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    answer = AIMessage(" ".join(["word"] * 96))
    bare = GenericFakeChatModel(messages=iter([answer] * calls))
    metered = Session(models={"small": GenericFakeChatModel(messages=iter([answer] * calls))}).model("small")
    elapsed = {}
    for kind, model in (("bare", bare), ("metered", metered)):
        start = time.perf_counter()
        for _ in range(calls):
            model.invoke(SPEED_PROMPTS[0])
        elapsed[kind] = (time.perf_counter() - start) / calls
    return (elapsed["metered"] - elapsed["bare"]) * 1000


def sst2(limit: int) -> list[tuple[str, str]]:
    rows = (DATA / "evoprompt_cls/sst2/seed5/dev.txt").read_text().splitlines()[:limit]
    return [(text, "positive" if label == "1" else "negative") for text, label in (r.rsplit("\t", 1) for r in rows)]


def e2e(limit: int) -> list[str]:
    with (DATA / "e2e_nlg/devset.csv").open() as f:
        mrs = list(dict.fromkeys(row["mr"] for row in csv.DictReader(f)))
    return mrs[:: max(1, len(mrs) // limit)][:limit]


def quality(name: str, settings, sst2_n: int, e2e_n: int) -> dict:
    session = Session(settings.model_copy(update={"small": f"embedded:{name}", "large": f"embedded:{name}"}))
    correct = 0
    for text, gold in track(sst2(sst2_n), description=f"sst2 {name}"):
        answer = session.model("small").bind(max_tokens=4).invoke(SENTIMENT.format(text=text)).text.lower()
        correct += gold in answer and ({"positive", "negative"} - {gold}).pop() not in answer
    first_try, coverage = 0, []
    for mr in track(e2e(e2e_n), description=f"e2e {name}"):
        slots = re.findall(r"(\w+)\[([^\]]*)\]", mr)
        facts = "\n".join(f"- {k}: {v}" for k, v in slots)
        result = ask_structured(session.model("large"), [HumanMessage(PLAN.format(facts=facts))], Plan)
        first_try += result.ok and len(result.answers) == 1
        plan = " ".join(result.value.sentences).lower() if result.ok else ""
        values = [v.lower() for k, v in slots if v.lower() not in ("yes", "no")]
        coverage.append(sum(v in plan for v in values) / max(1, len(values)))
    return {"sst2": correct / sst2_n, "json": first_try / e2e_n, "coverage": statistics.mean(coverage)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(catalog.CATALOG))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--sst2", type=int, default=40)
    parser.add_argument("--e2e", type=int, default=10)
    args = parser.parse_args()
    settings = load_settings()
    cost = fixed_cost()
    rows = []
    for name in args.models:
        s, q = speed(name, settings, args.rounds, args.max_tokens), quality(name, settings, args.sst2, args.e2e)
        rows.append(
            f"| {name} | {s['raw_tps']:.1f} | {s['fw_tps']:.1f} | {s['raw_latency']:.2f} | {s['fw_latency']:.2f} "
            f"| {s['overhead']:+.1%} ({s['overhead_total']:+.1%}) | {s['same']} | {q['sst2']:.0%} | {q['json']:.0%} | {q['coverage']:.0%} |"
        )
        print(rows[-1])
    write_section(
        "models",
        f"""
## Embedded models (`bench/models.py`)

Machine: {machine()}; {settings.threads} threads, n_ctx {settings.context_size}, greedy, {args.max_tokens} new
tokens at most. Speed: {args.rounds} rounds of {len(SPEED_PROMPTS)} prompts, raw llama-cpp-python and the framework
alternating; tok/s = completion tokens / wall time; latency = median seconds per call; overhead = framework wall
time / raw wall time - 1, the median over prompt pairs (in brackets: over total time); "same text" = greedy answers
identical on both paths. The framework's fixed cost per call (ledger callback, tiktoken counting, LangChain
plumbing), measured on a model that answers 96 words instantly: {cost:.2f} ms. Quality, through the framework:
SST-2 accuracy on the first {args.sst2} examples of `evoprompt_cls/sst2/seed5/dev.txt` (a one-word answer), and
content plans for {args.e2e} E2E dev meaning representations: JSON valid on the first answer, and the share of slot
values (yes/no slots left out) that the plan keeps.

| model | raw tok/s | framework tok/s | raw latency s | framework latency s | overhead (total) | same text | SST-2 acc | plan JSON first try | plan slot coverage |
|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}
""",
    )


if __name__ == "__main__":
    main()
