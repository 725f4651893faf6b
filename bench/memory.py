"""Vector memory: embedding throughput, search latency at 10, 1k and 100k priors, and store size on disk.

Priors are synthetic (task descriptions combined from domains, task kinds and label sets, with a seed), written
in batches of 1,000 through `PriorMemory.add`. Search = embed the query + vector query + decode k=5 records, the
median of 50 queries; "vector query" is Chroma's part alone.

    python bench/memory.py [--sizes 10 1000 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.progress import track

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import machine, write_section
from idealprompt.memory import Memory, Prior, StrategyStats, TaskDescriptor
from idealprompt.memory.embeddings import embedder

DOMAINS = [
    "retail banking",
    "e-commerce returns",
    "hospital triage notes",
    "insurance claims",
    "telecom support",
    "legal contracts",
    "pharmacy orders",
    "airline complaints",
    "energy bills",
    "HR tickets",
    "car repairs",
    "school admissions",
    "real-estate listings",
    "food delivery",
    "cloud outages",
    "tax questions",
]
KINDS = [
    "Classify {d} messages by {x}",
    "Decide whether {d} texts mention {x}",
    "Extract the {x} from {d} records",
    "Route {d} requests by {x}",
    "Detect {x} in {d} reviews",
    "Summarise {d} documents focusing on {x}",
]
ASPECTS = [
    "urgency",
    "sentiment",
    "topic",
    "fraud risk",
    "product category",
    "customer intent",
    "language",
    "the amount",
    "the deadline",
    "the responsible team",
    "compliance issues",
    "missing information",
]
STRATEGIES = [
    "define_labels",
    "add_role",
    "output_format",
    "demonstrations",
    "decompose",
    "glossary",
    "decision_rules",
    "simplify",
]


def synthetic_prior(rng: random.Random, i: int) -> Prior:
    domain, kind, aspect = rng.choice(DOMAINS), rng.choice(KINDS), rng.choice(ASPECTS)
    labels = rng.sample(["low", "medium", "high", "yes", "no", "other", "billing", "tech", "sales"], 3)
    return Prior(
        task=TaskDescriptor(
            name=f"task-{i}", description=kind.format(d=domain, x=aspect) + f" (variant {i}).", labels=labels
        ),
        model=rng.choice(["embedded:qwen2.5-coder-0.5b", "ollama:llama3.2:1b"]),
        strategies=[
            StrategyStats(
                strategy=s, visits=rng.randint(1, 9), mean_reward=rng.random(), mean_gain=rng.uniform(-0.1, 0.2)
            )
            for s in rng.sample(STRATEGIES, 4)
        ],
        dataset_size=rng.randint(10, 50),
    )


def throughput() -> tuple[float, float]:
    texts = [
        f"Classify {d} messages by {a}, case {i}."
        for i, (d, a) in enumerate((d, a) for d in DOMAINS for a in ASPECTS for _ in range(6))
    ]
    model = embedder()
    model.embed(texts[:64])
    start = time.perf_counter()
    model.embed(texts)
    batch = len(texts) / (time.perf_counter() - start)
    times = []
    for text in texts[:100]:
        start = time.perf_counter()
        model.embed([text])
        times.append(time.perf_counter() - start)
    return batch, statistics.median(times) * 1000


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 1000, 100_000])
    args = parser.parse_args()
    per_second, single_ms = throughput()
    print(f"embedding: {per_second:.0f} texts/s in batches, {single_ms:.1f} ms for one")
    rng = random.Random(0)
    queries = [
        TaskDescriptor(description=f"{rng.choice(KINDS).format(d=rng.choice(DOMAINS), x=rng.choice(ASPECTS))}")
        for _ in range(50)
    ]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        memory = Memory.open(folder)
        stored, write_seconds = 0, 0.0
        for size in sorted(args.sizes):
            for start in track(range(stored, size, 1000), description=f"writing up to {size:,} priors"):
                batch = [synthetic_prior(rng, i) for i in range(start, min(size, start + 1000))]
                began = time.perf_counter()
                memory.priors.add(*batch)
                write_seconds += time.perf_counter() - began
            stored = size
            collection = memory.store.collection("priors")
            search, vector = [], []
            for q in queries:
                began = time.perf_counter()
                memory.priors.search(q, k=5)
                search.append(time.perf_counter() - began)
                query_vector = embedder().embed([q.text()])[0]
                began = time.perf_counter()
                collection.query(query_vector, 5)
                vector.append(time.perf_counter() - began)
            rows.append(
                f"| {size:,} | {statistics.median(search) * 1000:.1f} | {statistics.median(vector) * 1000:.1f} "
                f"| {folder_size(Path(folder)) / 2**20:.1f} | {stored / write_seconds:.0f} |"
            )
            print(rows[-1])
        memory.close()
    write_section(
        "memory",
        f"""
## Vector memory (`bench/memory.py`)

Machine: {machine()}. Embedder: all-MiniLM-L6-v2 int8 ONNX on onnxruntime (offline), {per_second:.0f} texts/s in
batches of 64, {single_ms:.1f} ms for a single query text. Store: Chroma PersistentClient, cosine HNSW, one record
per prior with its JSON in the metadata. Priors are synthetic task descriptions (seeded); search = embed the
query + vector query + decode 5 records, median of 50 queries; "vector query" = Chroma's part alone; write rate =
priors stored per second through `PriorMemory.add` in batches of 1,000 (embedding included), cumulative.

| priors | search ms | vector query ms | store on disk MiB | write rate priors/s |
|---|---|---|---|---|
{chr(10).join(rows)}
""",
    )


if __name__ == "__main__":
    main()
