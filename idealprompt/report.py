"""One self-contained HTML page of a run (`idealprompt report RUN --html FILE`): its charts are inline SVG drawn by
matplotlib (the `report` extra), its text escaped, and nothing is fetched when it is opened.

An optimisation: its scores, the score curve (each candidate's train and dev score against the small-model calls
spent when it was scored, kept or not), the tree of candidates coloured by dev score, the diff from the seed's
system message to the optimised one, the test mistakes before and after, the steps and the ledger. A warm-up: its
strategy tree coloured by reward. A writing run: the plan, the text, the fact check and the style score.
"""

from __future__ import annotations

import difflib
import html
import io
from pathlib import Path
from typing import Any

from idealprompt.errors import OutputError
from idealprompt.ideal import MISTAKES_SHOWN
from idealprompt.runs import RunRecord, Step
from idealprompt.userfiles import write_text

EXTRA = "pip install 'idealprompt[report]'"
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; } td, th { padding: .2em .6em; border-bottom: 1px solid #eee; text-align: left;
vertical-align: top; } pre { white-space: pre-wrap; background: #f6f6f6; padding: .6em; }
table.diff { font: 12px monospace; } .diff_add { background: #cfc; } .diff_chg { background: #ffa; }
.diff_sub { background: #fcc; } svg { max-width: 100%; height: auto; }
"""


def write_report(record: RunRecord, steps: list[Step], result: Any, path: Path) -> Path:
    """The page of a run (its record, steps, and `result` as the run store keeps it), written to `path`."""
    if result is None:
        raise OutputError(f"run {record.id} is {record.status} and left no result to report")
    sections = [_section("Run", _run_table(record))]
    if record.kind == "optimize":
        sections += _optimisation(result)
    elif record.kind == "warmup":
        sections.append(_section("Strategy tree", _svg(_warmup_tree(result))))
    elif record.kind == "write":
        sections += _writing(result)
    sections.append(_section("Steps", _steps_table(steps)))
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(record.id)}</title><style>{STYLE}</style>"
        f"</head><body><h1>{_e(record.kind)} run {_e(record.id)}: {_e(record.task)}</h1>{''.join(sections)}"
        "</body></html>"
    )
    write_text(path, page, OutputError, "report")
    return path


# --- an optimisation -------------------------------------------------------------------------------------------
def _optimisation(result: dict) -> list[str]:
    scores = _table(
        ["prompt", "train", "dev", "test"],
        [[name, *(_num(result[key].get(s)) for s in ("train", "dev", "test"))] for name, key in _PROMPTS],
    )
    diff = difflib.HtmlDiff(wrapcolumn=80).make_table(
        result["seed_message"].splitlines(), result["prompt"].splitlines(), "seed", "optimised"
    )
    mistakes = "".join(
        f"<h3>{name}: {len(result['mistakes'][key])} wrong answers shown (at most {MISTAKES_SHOWN})</h3>"
        + _table(
            ["id", "input", "expected", "answer"],
            [[m[k] for k in ("id", "input", "expected", "answer")] for m in result["mistakes"][key]],
        )
        for name, key in _PROMPTS
    )
    ledger = _table(
        ["role", "calls", "cached", "prompt tokens", "completion tokens", "seconds"],
        [
            [role, u["calls"], u["cached"], u["prompt_tokens"], u["completion_tokens"], f"{u['seconds']:.1f}"]
            for role, u in result["usage"].items()
        ],
    )
    return [
        _section(
            "Scores",
            scores + f"<p>initialisation: {_e(result['initialisation'])}; stopped: "
            f"{_e(result['stopped'] or '-')}; target {_e(result['target'])}</p>",
        ),
        _section("Score curve", _svg(_curve(result["candidates"]))),
        _section("Candidate tree", _svg(_candidate_tree(result["candidates"]))),
        _section("Prompt: seed to optimised", diff),
        _section("Mistakes on test, before and after", mistakes),
        _section("Ledger", ledger),
    ]


_PROMPTS = (("seed", "seed"), ("optimised", "optimized"))


def _curve(candidates: list[dict]):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    scored = sorted((c for c in candidates if c.get("dev") is not None), key=lambda c: c.get("calls") or 0)
    for c in scored:
        x, raced = c.get("calls") or 0, c.get("dropped") is not None
        colour = "tab:green" if c["kept"] or c.get("accepted") else "tab:grey"
        ax.scatter(x, c["dev"], marker="x" if raced else "o", color=colour, zorder=3)
        ax.annotate(f"#{c['id']}", (x, c["dev"]), textcoords="offset points", xytext=(4, 4), fontsize=8)
        if c.get("train") is not None:
            ax.scatter(x, c["train"], marker="^", color="tab:blue", alpha=0.6)
    xs: list[int] = []
    ys: list[float] = []
    for c in (c for c in scored if c.get("dropped") is None):
        xs.append(c.get("calls") or 0)
        ys.append(max([*ys, c["dev"]]))
    ax.step(xs, ys, where="post", color="tab:green", alpha=0.5, label="best dev so far")
    ax.scatter([], [], marker="o", color="tab:green", label="dev, kept")
    ax.scatter([], [], marker="o", color="tab:grey", label="dev, not kept")
    ax.scatter([], [], marker="x", color="tab:grey", label="dev, raced out (partial)")
    ax.scatter([], [], marker="^", color="tab:blue", label="train")
    ax.set(xlabel="small-model calls spent when scored", ylabel="score", ylim=(-0.02, 1.02))
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _candidate_tree(candidates: list[dict]):
    nodes = {c["id"]: (c.get("parent"), c.get("dev"), f"#{c['id']} {c.get('origin', '')}") for c in candidates}
    return _tree(nodes, "dev score")


def _warmup_tree(tree: dict):
    nodes = {
        n["id"]: (n.get("parent"), n.get("reward"), f"#{n['id']} {n.get('strategy') or 'seed'}")
        for n in tree.get("nodes", [])
    }
    return _tree(nodes, "reward")


def _tree(nodes: dict[int, tuple[int | None, float | None, str]], measure: str):
    """A tree drawn left to right: depth across, each leaf on its own row, a parent beside the middle of its
    children; nodes coloured by `measure` (grey: not scored)."""
    plt = _pyplot()
    children: dict[int | None, list[int]] = {}
    for node, (parent, _, _) in sorted(nodes.items()):
        children.setdefault(parent, []).append(node)
    place: dict[int, tuple[int, float]] = {}
    rows = iter(range(len(nodes)))

    def lay(node: int, depth: int) -> float:
        kids = children.get(node, [])
        y = sum(lay(k, depth + 1) for k in kids) / len(kids) if kids else float(next(rows))
        place[node] = (depth, y)
        return y

    for root in children.get(None, []):
        lay(root, 0)
    fig, ax = plt.subplots(figsize=(10, max(2.5, 0.45 * len(nodes))))
    for node, (parent, _, _) in nodes.items():
        if parent in place and node in place:
            (x0, y0), (x1, y1) = place[parent], place[node]
            ax.plot([x0, x1], [y0, y1], color="#bbb", zorder=1)
    colormap = plt.get_cmap("RdYlGn")
    for node, (x, y) in place.items():
        value = nodes[node][1]
        ax.scatter(x, y, s=120, color="#ccc" if value is None else colormap(value), edgecolor="#555", zorder=2)
        label = nodes[node][2] if value is None else f"{nodes[node][2]} ({value:.2f})"
        ax.annotate(label[:60], (x, y), textcoords="offset points", xytext=(9, -3), fontsize=8)
    ax.set_axis_off()
    ax.set_xlim(-0.3, max((x for x, _ in place.values()), default=0) + 1.5)
    ax.invert_yaxis()
    fig.colorbar(plt.cm.ScalarMappable(cmap=colormap, norm=plt.Normalize(0, 1)), ax=ax, label=measure, shrink=0.6)
    return fig


# --- a writing run ---------------------------------------------------------------------------------------------
def _writing(result: dict) -> list[str]:
    if not result:
        return [_section("Text", "<p>the run wrote nothing</p>")]
    check = result.get("check") or {}
    rows = [
        [kind, fact] for kind in ("supported", "contradicted", "unsupported", "omitted") for fact in check.get(kind, [])
    ]
    style = result.get("style_score")
    return [
        _section("Plan", "<ul>" + "".join(f"<li>{_e(f)}</li>" for f in result.get("plan", [])) + "</ul>"),
        _section("Text", f"<pre>{_e(result.get('text', ''))}</pre>"),
        _section(f"Fact check ({_e(check.get('method', 'none'))})", _table(["verdict", "fact"], rows)),
        _section("Style", f"<p>style consistency: {_num(style)}</p>"),
    ]


# --- shared ----------------------------------------------------------------------------------------------------
def _run_table(record: RunRecord) -> str:
    rows = [
        ["status", record.status],
        ["small-model calls", f"{record.calls}" + (f" of {record.budget}" if record.budget else "")],
        ["folder", record.folder],
        ["command", "idealprompt " + " ".join(record.command)],
    ]
    if record.parent:
        rows.append(["forked from", record.parent])
    return _table(["", ""], rows)


def _steps_table(steps: list[Step]) -> str:
    rows = []
    for s in steps:
        used = "; ".join(f"{role}: {u.get('calls', 0)} calls" for role, u in s.usage.items())
        rows.append([s.step, s.node, f"{s.seconds:.1f}", used, "\n".join(s.summary)])
    return _table(["step", "node", "seconds", "calls", "what it produced"], rows)


def _section(title: str, body: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{body}</section>"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: Any) -> str:
    return _e(value).replace("\n", "<br>")


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # the XML prolog and doctype may not stand inside HTML


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display
        import matplotlib.pyplot as plt
    except ImportError:
        raise OutputError(f"the report's charts are drawn by matplotlib: {EXTRA}") from None
    plt.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, and small
    return plt


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _e(value: Any) -> str:
    return html.escape(str(value))
