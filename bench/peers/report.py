"""The report, rebuilt from the results file alone: a section of bench/RESULTS.md (per task, each system's test
accuracy, small-model calls, large-model tokens and minutes; a summary) and a plot, bench/peers.png."""

from __future__ import annotations

import statistics
import textwrap
from pathlib import Path

from bench.peers.systems import SYSTEMS
from bench.results import write_section

REFERENCE = "large-as-target"  # a row to compare with, not a contender: it changes the model, not the prompt
SETUP = {  # how each system was run and held to the budget
    "seed": "the seed prompt as the system message; no optimisation",
    "ideal": "idealprompt's `optimize` from an empty memory, through its `openai:` route; exact: its session "
    "refuses a small-model call past `Budget(small_calls)`",
    "ideal-priors": "as `ideal`, from a memory holding the priors the other tasks' `ideal` runs wrote",
    "copro": "COPRO, breadth x depth candidates each scored on the whole training split (it has no validation "
    "set), chosen to fit the budget; not exact",
    "mipro-0shot": "MIPROv2 instructions only (no demos), `auto` off: its light preset's 6 candidates, no "
    "minibatches (its presets' choice for a dev split of 50), as many whole-dev trials as fit after "
    "an estimated demo bootstrap; not exact",
    "mipro-demos": "as mipro-0shot, with MIPROv2's default 4 bootstrapped and 4 labelled demos",
    "gepa": "dspy.GEPA as its documentation recommends: a metric that returns feedback (`dspy.Prediction(score, "
    "feedback)`), the large model reflecting at temperature 1.0, `max_metric_calls` = the budget, the rest "
    "at its defaults (reflection minibatch 3, Pareto selection, merge on); not exact: it checks the budget "
    "between iterations",
    REFERENCE: "the seed prompt on the large model: a reference, not a contender",
    "ideal-redact": "as `ideal`, in privacy mode `redact`, the large server counted as remote (a stand-in for an "
    "API): what redaction costs; not a contender",
    "ideal-private": "as `ideal`, in privacy mode `private`, the large server counted as remote: the reflector "
    "sees no example, only error statistics and the small model's descriptions of mistakes, which are small-model "
    "calls of the same budget; not a contender",
    "ideal-tools": "as `ideal`, the reflector calling its tools (`show_bad_cases`, `evaluate_draft`, whose small-model "
    "calls count in the budget) for up to 3 turns before it proposes: whether tools help; not a contender",
}
PRIVACY = ("ideal", "ideal-redact", "ideal-private")  # the same engine in the modes open, redact and private
VARIANTS = {"ideal-redact": "privacy variant", "ideal-private": "privacy variant", "ideal-tools": "engine variant"}
NOT_CONTENDERS = {REFERENCE, *VARIANTS}
DSPY_PROGRAM = (
    "DSPy's program: one `dspy.Predict`, text -> answer, the seed prompt as its instructions, a `str` "
    "answer whose description lists the labels (so that an answer outside them is read by the task's "
    "parser, as IDEAL's is), run through DSPy's default ChatAdapter; on GSM8K text -> reasoning, answer "
    "(`dspy.ChainOfThought`'s signature, as DSPy's GSM8K tutorial), within the same answer tokens as every "
    "system. That adapter asks again in JSON when "
    "it cannot parse an answer: no DSPy row is exact, and `planned_calls` in the results file is what "
    "its knobs alone would spend."
)


def by_task(rows: dict[tuple[str, str], dict]) -> dict[str, dict[str, dict]]:
    tasks: dict[str, dict[str, dict]] = {}
    for (task, system), row in rows.items():
        tasks.setdefault(task, {})[system] = row
    order = list(SYSTEMS)
    return {
        t: dict(sorted(s.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
        for t, s in tasks.items()
    }


def markdown(rows: dict[tuple[str, str], dict], config: dict, png: str) -> str:
    tasks = by_task(rows)
    done = {k: r for k, r in rows.items() if "error" not in r}
    machines = sorted({r["machine"] for r in done.values() if r.get("machine")})
    intro = (
        f"Machine: {'; '.join(machines) or 'not recorded'}. Small (target) model `{config['small']}`, large "
        f"(proposals, reflection) `{config['large']}`, each served by llama.cpp's OpenAI-compatible server; every "
        "request went through one counting proxy, and every count below is the proxy's, not a framework's. Per "
        f"task: {config['sizes'][0]} train, {config['sizes'][1]} dev, up to {config['sizes'][2]} test examples "
        f"(seed 0), the same plain seed prompt for every system, a budget of {config['budget']} small-model calls "
        "for the optimisation (the proxy refuses more), then each final program scored on test as its users would "
        "run it (IDEAL's prompt by a plain chat call; DSPy's program through its adapter), counted apart. Large "
        "tokens: prompt and completion tokens of the optimisation, as the server counted them; minutes: the whole run, "
        "optimisation and test. No multimodal task: "
        "no vision route exists offline (no embedded model sees images)."
    )
    lines = [
        "## Side by side with DSPy and GEPA (`bench/peers`)",
        "",
        textwrap.fill(intro, 120),
        "",
        "How each system was run and held to the budget:",
        "",
        *[textwrap.fill(f"- `{s}`: {how}", 120, subsequent_indent="  ") for s, how in SETUP.items()],
        "",
        textwrap.fill(DSPY_PROGRAM, 120),
        "",
    ]
    seeds = {t: s["seed"]["test_accuracy"] for t, s in tasks.items() if "test_accuracy" in s.get("seed", {})}
    for task, systems in tasks.items():
        lines += [
            f"### {task}",
            "",
            "| system | test accuracy | vs seed | small calls | large tokens | minutes | capped exactly |",
            "|---|---|---|---|---|---|---|",
        ]
        for system, row in systems.items():
            if "error" in row:
                error = row["error"].splitlines()[0][:120].replace("|", "\\|")
                lines.append(f"| {system} | failed: {error} | | | | {row['seconds'] / 60:.1f} | |")
                continue
            gain = row["test_accuracy"] - seeds[task] if task in seeds else None
            refused = row.get("small_refused")
            calls = f"{row['small_calls']}" + (f" (+{refused} refused)" if refused else "")
            lines.append(
                f"| {system} | {row['test_accuracy']:.1%} | {'' if gain is None else f'{gain * 100:+.1f}'} | "
                f"{calls} | {row['large_tokens']:,} | {row['seconds'] / 60:.1f} | "
                f"{'yes' if row['capped_exactly'] else 'no'} |"
            )
        lines.append("")
    lines += summary(tasks, seeds)
    lines += privacy_cost(tasks)
    overheads = [
        r["framework_overhead"]
        for (_, s), r in done.items()
        if s.startswith("ideal") and r.get("framework_overhead") is not None
    ]
    if overheads:
        lines += [
            f"IDEAL's framework overhead (share of its optimisation's wall time with no model request in "
            f"flight, from the proxy's timings): mean {statistics.fmean(overheads):.1%}, range "
            f"{min(overheads):.1%} to {max(overheads):.1%} over {len(overheads)} runs.",
            "",
        ]
    example = next(iter(rows.values()), {}).get("command")
    lines += [
        f"![test and dev score against small-model calls]({png})",
        "",
        "Every row's command, prompt and knobs are in the results file"
        + (f"; for instance `{example}`." if example else "."),
    ]
    return "\n".join(lines)


def summary(tasks: dict[str, dict[str, dict]], seeds: dict[str, float]) -> list[str]:
    """Mean test accuracy, mean gain over the seed prompt, and wins (best test accuracy of a task among the
    systems on the small model, ties to each; a task counts once two of them have run) per system."""
    wins: dict[str, int] = {}
    for systems in tasks.values():
        scored = {s: r["test_accuracy"] for s, r in systems.items() if "test_accuracy" in r and s not in NOT_CONTENDERS}
        if len(scored) < 2:
            continue
        best = max(scored.values())
        for s, accuracy in scored.items():
            wins[s] = wins.get(s, 0) + (accuracy == best)
    lines = [
        "### Summary",
        "",
        "| system | tasks | mean test accuracy | mean gain over seed | wins |",
        "|---|---|---|---|---|",
    ]
    for system in SYSTEMS:
        rows = {t: s[system] for t, s in tasks.items() if "test_accuracy" in s.get(system, {})}
        if not rows:
            continue
        gains = [r["test_accuracy"] - seeds[t] for t, r in rows.items() if t in seeds]
        mean_gain = f"{statistics.fmean(gains) * 100:+.1f} points" if gains else ""
        lines.append(
            f"| {system} | {len(rows)} | {statistics.fmean(r['test_accuracy'] for r in rows.values()):.1%} "
            f"| {mean_gain} | {_wins(system, wins)} |"
        )
    return [*lines, ""]


def _wins(system: str, wins: dict[str, int]) -> str:
    if system == REFERENCE:
        return "reference"
    return VARIANTS[system] if system in VARIANTS else str(wins.get(system, 0))


def privacy_cost(tasks: dict[str, dict[str, dict]]) -> list[str]:
    """IDEAL's test accuracy and spend in the modes open, redact and private, where a task has a private run."""
    compared = {t: s for t, s in tasks.items() if all("test_accuracy" in s.get(m, {}) for m in PRIVACY)}
    if not compared:
        return []
    lines = [
        "### What privacy costs",
        "",
        "| task | open | redact | private | private: small calls, large tokens (open's) |",
        "|---|---|---|---|---|",
    ]
    for task, s in compared.items():
        o, r, p = (s[m] for m in PRIVACY)
        lines.append(
            f"| {task} | {o['test_accuracy']:.1%} | {r['test_accuracy']:.1%} ({(r['test_accuracy'] - o['test_accuracy']) * 100:+.1f}) "
            f"| {p['test_accuracy']:.1%} ({(p['test_accuracy'] - o['test_accuracy']) * 100:+.1f}) "
            f"| {p['small_calls']}, {p['large_tokens']:,} ({o['small_calls']}, {o['large_tokens']:,}) |"
        )
    return [*lines, ""]


def plot(rows: dict[tuple[str, str], dict], path: Path) -> None:
    """One panel per task: per system, its best dev score so far against small-model calls (a line, as the system
    counted them) and its test accuracy at the proxy's count (a marker); seed and reference as levels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = by_task({k: r for k, r in rows.items() if "error" not in r})
    columns = min(3, max(1, len(tasks)))
    grid_rows = -(-len(tasks) // columns) if tasks else 1
    figure, axes = plt.subplots(grid_rows, columns, figsize=(5 * columns, 3.6 * grid_rows), squeeze=False)
    colours = {s: plt.get_cmap("tab10")(i % 10) for i, s in enumerate(SYSTEMS)}
    for ax, (task, systems) in zip(axes.flat, tasks.items(), strict=False):
        for system, row in systems.items():
            colour = colours.get(system, "grey")
            if system in ("seed", REFERENCE):
                ax.axhline(row["test_accuracy"], color=colour, linestyle=":", label=system)
                continue
            curve = row.get("curve") or []
            if curve:
                xs, ys = zip(*curve, (max(curve[-1][0], row["small_calls"]), curve[-1][1]), strict=True)  # to the end
                ax.step(xs, ys, where="post", color=colour, alpha=0.6, linestyle="--")
            ax.plot([row["small_calls"]], [row["test_accuracy"]], "o", color=colour, label=system)
        ax.set_title(task)
        ax.set_xlabel("small-model calls")
        ax.set_ylabel("score")
        ax.set_ylim(0, 1)
        ax.set_xlim(left=0)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    handles = {h.get_label(): h for ax in axes.flat for h in ax.get_legend_handles_labels()[0]}
    figure.legend(handles.values(), handles.keys(), loc="lower center", ncol=min(8, len(handles)) or 1)
    figure.suptitle("Test accuracy (markers), best dev score so far (dashed)", fontsize="medium")
    figure.tight_layout(rect=(0, 0.08, 1, 0.95))
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write(rows: dict[tuple[str, str], dict], config: dict, results: Path, *, canonical: bool) -> None:
    """The plot beside the results file; the tables in RESULTS.md for the canonical results file, else beside it."""
    png = results.with_suffix(".png")
    plot(rows, png)
    text = markdown(rows, config, png.name)
    if canonical:
        write_section("peers", text)
    else:
        results.with_suffix(".md").write_text(text + "\n")
