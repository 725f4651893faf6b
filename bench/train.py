"""The stylist's training (SAG in small): the 0.5B stylist in plan+write before training, after style SFT, after
one self-improvement round and after content DPO, beside the 1.5B model alone; on the built-in `tablenotes` style
and on humorous image captions. Writes its section of bench/RESULTS.md.

Each training step runs in a process of its own (its peak memory is its own), through the jobs `idealprompt train`
runs. Nothing the scores are computed on is trained on: tablenotes' 32 parallel texts are split into training
pairs and held-out ones (references); the captions' stylist trains on humorous captions of the train split (their
neutral sides written by the 1.5B planner) and is scored on the test split's factual captions and their human
rewrites. Facts are checked by the lexical signal's entities (names, numbers, dates, colours, sex: the fact
check's mode "entities", which the filter uses too), since a style adds words by design.

    python bench/train.py [--styles tablenotes captions] [--train 24] [--test 8] [--steps 30]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import DATA, machine, write_section
from idealprompt import Session, load_settings
from idealprompt.facts import Facts
from idealprompt.graphs.context import Writing
from idealprompt.notebench.data import CAPTION_DESCRIPTIONS, WritingExample, caption_corpus, load_captions
from idealprompt.notebench.evaluate import evaluate_writing, table
from idealprompt.scoring.style import StyleScorer
from idealprompt.styles import Style, builtin_styles
from idealprompt.train.jobs import started_from

SMALL, LARGE = "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"
WORK = Path(__file__).with_name(".train")  # the steps' folders (git-ignored)
CAPTIONS = DATA / "style_transfer_lijuncen" / "imagecaption"
STYLES = ("tablenotes", "captions")


def tablenotes(n_train: int, n_test: int) -> tuple[Style, list[WritingExample], StyleScorer]:
    full = builtin_styles()["tablenotes"]
    train = full.model_copy(update={"exemplars": full.exemplars[:n_train], "neutral": full.neutral[:n_train]})
    held = range(len(full.exemplars) - n_test, len(full.exemplars))
    examples = [WritingExample(f"tablenotes-{i}", Facts(text=full.neutral[i]), [full.exemplars[i]]) for i in held]
    scorer = StyleScorer({"tablenotes": train.exemplars, "neutral": train.neutral})
    return train, examples, scorer


def captions(n_train: int, n_test: int) -> tuple[Style, list[WritingExample], StyleScorer]:
    humorous, romantic = (caption_corpus(CAPTIONS, style=s) for s in ("humorous", "romantic"))
    style = Style(name="humorous", description=CAPTION_DESCRIPTIONS["humorous"], exemplars=humorous[:n_train])
    scorer = StyleScorer({"humorous": humorous, "romantic": romantic})
    return style, load_captions(CAPTIONS, style="humorous", limit=n_test), scorer


def _settings(small: str | None = None):
    settings = load_settings()
    update = {
        "small": f"embedded:{small or SMALL}",
        "large": f"embedded:{LARGE}",
        "replay_cache": WORK / "calls.sqlite",
    }
    return settings.model_copy(update=update)


def _sft(style, folder, steps):
    from idealprompt.train.jobs import sft_job
    from idealprompt.train.trainer import Base, Options

    settings = _settings()
    session = Session(settings)
    planner = None if style.neutral else session.data_model("large")
    return sft_job(style, Base.of(SMALL, settings.models_dir), folder, Options(steps=steps), planner=planner)


def _improve(style, start, folder, steps, k, scorer):
    from idealprompt.routes import Route, make_chat_model
    from idealprompt.train.jobs import improve_job, served
    from idealprompt.train.trainer import Options

    stylist = make_chat_model(Route(f"embedded:{served(start)}"), _settings())
    return improve_job(style, start, folder, Options(steps=steps), stylist=stylist, scorer=scorer, checker=None, k=k)


def _dpo(style, start, folder, steps):
    from idealprompt.train.jobs import dpo_job
    from idealprompt.train.trainer import Options

    return dpo_job(style, start, folder, Options(steps=steps, batch_size=2, learning_rate=5e-5))


def in_own_process(function, *args):
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def bench_style(name: str, args) -> str:
    style, examples, scorer = (tablenotes if name == "tablenotes" else captions)(args.train, args.test)
    root = WORK / name
    started = time.perf_counter()
    plan = {
        "S-SFT": (root / "sft", _sft, (style, root / "sft", args.steps)),
        "+ self-improvement": (
            root / "improve",
            _improve,
            (style, root / "sft", root / "improve", args.steps // 3, args.k, scorer),
        ),
        "+ C-DPO": (root / "dpo", _dpo, (style, root / "improve", root / "dpo", args.steps // 3)),
    }
    steps = {}
    for label, (folder, function, arguments) in plan.items():
        done = (folder / "train.json").is_file()  # a rerun goes on from the steps already trained
        steps[label] = started_from(folder) if done else in_own_process(function, *arguments)
        print(
            f"{name}: {label} {'kept' if done else 'done'} ({(time.perf_counter() - started) / 60:.1f} min)", flush=True
        )

    rows = []
    untrained = Writing(Session(_settings()), style, scorer=scorer)
    for system in ("large", "plan+write"):
        (score,) = evaluate_writing(examples, untrained, systems=[system], judge=False, check_mode="entities")
        rows.append(score.model_copy(update={"system": "1.5B alone" if system == "large" else "plan+write, untrained"}))
    for label, trained in steps.items():
        run = Writing(Session(_settings(trained.files["gguf"])), style, scorer=scorer)
        (score,) = evaluate_writing(examples, run, systems=["plan+write"], judge=False, check_mode="entities")
        rows.append(score.model_copy(update={"system": f"plan+write, {label}"}))
    print(f"{name}: evaluated ({(time.perf_counter() - started) / 60:.1f} min)", flush=True)

    training = [
        "| step | rows | steps | loss first -> last | minutes | peak memory (GiB) |",
        "|---|---|---|---|---|---|",
    ]
    for label, t in steps.items():
        minutes = f"{t.seconds / 60:.1f}"
        if "generation_seconds" in t.extra:
            minutes += f" (+ {t.extra['generation_seconds'] / 60:.1f} writing candidates)"
        losses = f"{t.losses[0]:.2f} -> {t.losses[-1]:.2f}"
        training.append(f"| {label} | {t.rows} | {t.steps} | {losses} | {minutes} | {t.peak_memory_mb / 1024:.1f} |")
    round_ = steps["+ self-improvement"].extra["round"]
    dpo = steps["+ C-DPO"].extra
    return (
        f"**{name}** ({len(style.exemplars)} training texts, {len(examples)} held-out inputs; "
        f"{(time.perf_counter() - started) / 60:.0f} min in all)\n\n{table(rows)}\n\n" + "\n".join(training) + "\n\n"
        f"Self-improvement: {round_['kept']} of {round_['inputs']} inputs kept a candidate ({round_['candidates']} "
        f"candidates, mean style {round_['style']:.2f}, {round_['faithful']:.0%} passed the check). C-DPO pairs: "
        f"{dpo['own_output_pairs']} from the stylist's own outputs, {dpo['corruption_pairs']} by corruption.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", nargs="*", default=list(STYLES), choices=STYLES)
    parser.add_argument("--train", type=int, default=24, help="training texts")
    parser.add_argument("--test", type=int, default=8, help="held-out inputs")
    parser.add_argument("--steps", type=int, default=30, help="S-SFT steps; self-improvement and C-DPO get a third")
    parser.add_argument("-k", type=int, default=4, help="self-improvement candidates per input")
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    os.environ.setdefault("IDEALPROMPT_DATA", str(DATA))
    for name in args.styles:  # the section is written after each style: a stopped run keeps what it finished
        part = bench_style(name, args)
        (WORK / name / "section.md").write_text(part, encoding="utf-8")
        print(part)
        if args.write:  # with the parts of the styles run before, which a rerun of one style keeps
            parts = [WORK / n / "section.md" for n in STYLES]
            write_section("train", header() + "\n".join(p.read_text(encoding="utf-8") for p in parts if p.is_file()))


def header() -> str:
    return f"""## Training the stylist (`bench/train.py`)

Machine: {machine()}. Stylist {SMALL} (LoRA rank 16 on every linear layer, float32 on CPU, batch 4, lr 2e-4;
C-DPO batch 2, lr 5e-5, beta 0.1), planner and "alone" baseline {LARGE}, greedy. Every stylist runs in the same
plan+write graph (one exemplar of the style, no fact-check loop); the plans are the same for all (the planner's
calls are replayed). ROUGE-L and BLEU-4 against the held-out human texts; unsupported and contradicted facts per
stated fact by the lexical signal's entities (mode "entities"); style: the mean probability of the style under a classifier fit on the
training texts only. s/text: generation time per text. A rerun keeps the steps already trained in bench/.train, and the parts of the styles it does not run.

"""


if __name__ == "__main__":
    main()
