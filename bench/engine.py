"""The evaluator's cost per small-model call on label tasks: the engine before this change, constrained, scored and
free answers now, and the hardware's limit for the same requests measured with raw llama-cpp-python.

Per task, the seed prompt answers the first 20 training examples, one call each, with the embedded 0.5B model
(2 threads, greedy). Each measurement runs in a fresh process, after one untimed call that loads the model:
- `before`: the engine at `--before` (a git worktree of that commit): free answers, no output-space line;
- `constrained`, `scored`, `free`: the evaluator now (the system message ends with the output space's line;
  `scored` decodes nothing, it reads the labels' log-probabilities);
- `limit`: raw llama-cpp-python sending the same messages, decoding only the target label's own tokens (the
  prefix-cached pass over the example plus the answer's 1-3 tokens: what any engine must pay);
- `raw constrained`: raw llama-cpp-python sending exactly the constrained request (messages and grammar), so
  that framework overhead = constrained / raw constrained - 1.

    python bench/engine.py [--tasks examples/sports_understanding.yaml trec sst2 liar navigate] [--before 380719a]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
EXAMPLES = 20
REPEATS = 3  # fresh processes per measurement, modes interleaved; the median is reported
MODES = ("before", "constrained", "scored", "free", "limit", "raw constrained")
EVALUATED = ("before", "constrained", "scored", "free")  # through the evaluator; the others through raw llama.cpp


def worker(mode: str, task_file: str) -> dict:
    """One measurement, in this process (the idealprompt on sys.path is the engine measured)."""
    import dataclasses

    from idealprompt import Session, load_settings
    from idealprompt.scoring.evaluate import Evaluator
    from idealprompt.tasks import load_task

    settings = load_settings(threads=2)
    task = load_task(task_file)
    examples = task.train[: EXAMPLES + 1]
    if mode in ("constrained", "scored", "free"):
        task = dataclasses.replace(task, answers=mode)
    evaluator = Evaluator.for_session(Session(settings), task)
    if mode in EVALUATED:
        evaluator.evaluate(task.seed_prompt, examples[:1])  # loads the model; not timed
        started = time.perf_counter()
        result = evaluator.evaluate(task.seed_prompt, examples[1:])
        seconds = time.perf_counter() - started
        answers = [p.answer for p in result.predictions]
        return {"seconds": seconds / EXAMPLES, "accuracy": result.score, "tokens": _tokens(answers)}
    from llama_cpp import LlamaGrammar

    from idealprompt.routes import catalog
    from idealprompt.routes.embedded import _load

    task = dataclasses.replace(task, answers="constrained")
    llm = _load(
        str(catalog.gguf_path(catalog.lookup(settings.embedded_small), settings.models_dir)), settings.context_size, 2
    ).llm
    grammar = LlamaGrammar.from_string(task.output.grammar(), verbose=False)
    system = evaluator.system(task.seed_prompt)

    def ask(example) -> str:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": example.text}]
        if mode == "limit":  # the target's own tokens, no grammar: the least any engine decodes
            tokens = len(llm.tokenize(example.target.encode(), add_bos=False))
            out = llm.create_chat_completion(messages=messages, max_tokens=tokens, temperature=0.0, seed=0)
        else:
            out = llm.create_chat_completion(
                messages=messages,
                max_tokens=task.answer_tokens,
                temperature=0.0,
                seed=0,
                repeat_penalty=1.1,
                grammar=grammar,
            )
        return out["choices"][0]["message"]["content"]

    ask(examples[0])
    started = time.perf_counter()
    answers = [ask(e) for e in examples[1:]]
    seconds = time.perf_counter() - started
    right = sum(task.parse(a) == e.target for a, e in zip(answers, examples[1:], strict=True))
    return {"seconds": seconds / EXAMPLES, "accuracy": right / EXAMPLES, "tokens": _tokens(answers)}


def _tokens(answers: list[str]) -> float:
    from idealprompt.accounting import count_tokens

    return sum(count_tokens(a) for a in answers) / len(answers)


def measure(mode: str, task_file: Path, before: Path | None) -> dict:
    source = before if mode == "before" else REPO
    env = os.environ | {"PYTHONPATH": str(source)}
    ran = subprocess.run(
        [sys.executable, __file__, "--worker", mode, str(task_file)],
        env=env,
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    if ran.returncode != 0:
        raise RuntimeError(f"{mode} on {task_file.name} failed:\n{ran.stderr[-2000:]}")
    return json.loads(ran.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks",
        nargs="*",
        default=["examples/sports_understanding.yaml", "trec", "sst2", "liar", "navigate"],
        help="bench task names, or task file paths",
    )
    parser.add_argument("--before", default="380719a", help="the commit whose engine is 'before'")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    sys.path.insert(0, str(REPO))
    from bench.results import DATA, machine, write_section

    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        before = Path(folder) / "before"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(before), args.before],
            check=True,
            capture_output=True,
        )
        try:
            for name in args.tasks:
                task_file = REPO / name if name.endswith(".yaml") else BENCH / "tasks" / f"{name}.yaml"
                name = task_file.stem
                runs = [{mode: measure(mode, task_file, before) for mode in MODES} for _ in range(REPEATS)]
                found = {mode: median_run([r[mode] for r in runs]) for mode in MODES}
                print(name, {m: round(v["seconds"], 3) for m, v in found.items()}, flush=True)
                rows.append((name, found))
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(before)], check=False)
    lines = []
    for name, f in rows:
        cells = [f"{f[m]['seconds']:.3f}" for m in MODES]
        tokens = [f"{f[m]['tokens']:.1f}" for m in EVALUATED]
        accuracy = [f"{f[m]['accuracy']:.0%}" for m in EVALUATED]
        speedup = f["before"]["seconds"] / f["constrained"]["seconds"]
        vs_limit = f["constrained"]["seconds"] / f["limit"]["seconds"]
        scored_vs_limit = f["scored"]["seconds"] / f["limit"]["seconds"]
        overhead = f["constrained"]["seconds"] / f["raw constrained"]["seconds"] - 1
        lines.append(
            f"| {name} | {' | '.join(cells)} | {speedup:.1f}x | {vs_limit:.2f}x | {scored_vs_limit:.2f}x | "
            f"{overhead:+.1%} | {' / '.join(tokens)} | {' / '.join(accuracy)} |"
        )
    write_section(
        "engine",
        f"""
## The evaluator's cost per call (`bench/engine.py`)

Machine: {machine()}. Small model embedded:qwen2.5-coder-0.5b, 2 threads, greedy. Per task the seed prompt
answers {EXAMPLES} training examples, one call each, in a fresh process after one untimed call; each measurement
is repeated {REPEATS} times, modes interleaved, and the median run is shown. Seconds per call:
`before` is the engine at commit {args.before} (free answers, no output-space line); `constrained`, `scored` and
`free` the evaluator now (`scored`: the labels' log-probabilities read, nothing decoded); `limit` is raw
llama-cpp-python decoding only the target label's tokens for the same messages; `raw constrained` is raw
llama-cpp-python sending exactly the constrained request. Speed-up = before / constrained; "vs limit" =
constrained / limit and scored / limit (target: within 1.5x); overhead = constrained / raw constrained - 1
(target: under 5%). Tokens: mean tokens per answer (a scored answer's label counted as written); accuracy on
those {EXAMPLES} examples (seed prompt; information only).

| task | before s | constrained s | scored s | free s | limit s | raw constrained s | speed-up | vs limit | scored vs limit | overhead | tokens (before / constrained / scored / free) | accuracy (before / constrained / scored / free) |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(lines)}
""",
    )


if __name__ == "__main__":
    main()
