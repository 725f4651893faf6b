"""`idealprompt priors ...`: the optimisation priors in the memory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from idealprompt.cli.common import MemoryOption, open_memory, out
from idealprompt.errors import MemoryStoreError

app = typer.Typer(help="The optimisation priors in the memory.", no_args_is_help=True)


@app.command("list")
def priors_list(memory: MemoryOption = None):
    """Every prior: task, target model, size, and its strategies by mean gain."""
    store = open_memory(memory)
    table = Table("id", "task", "model", "examples", "top strategies (mean gain)", "created")
    for p in store.priors.all():
        top = sorted(p.strategies, key=lambda s: -s.mean_gain)[:3]
        table.add_row(
            p.id[:12],
            p.task.name or p.task.description[:40],
            p.model,
            str(p.dataset_size),
            ", ".join(f"{s.strategy} {s.mean_gain:+.3f}" for s in top),
            f"{p.created:%Y-%m-%d}",
        )
    out.print(table)


@app.command("search")
def priors_search(
    query: Annotated[str, typer.Argument(help="a task description")],
    model: Annotated[
        str | None, typer.Option(help="the target model route: its own priors first, then its family's and size's")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="how many priors")] = 5,
    memory: MemoryOption = None,
):
    """The priors of the most similar tasks, and the strategies they recommend."""
    from idealprompt.memory import rank_strategies

    found = open_memory(memory).priors.search(query, model=model, k=k)
    table = Table("similarity", "model affinity", "id", "task", "model")
    for f in found:
        table.add_row(
            f"{f.similarity:.3f}", f"{f.affinity:.1f}", f.prior.id[:12], f.prior.task.description, f.prior.model
        )
    out.print(table)
    ranking = Table("strategy", "score", "support", title="strategies for this task")
    for s in rank_strategies(found):
        ranking.add_row(s.strategy, f"{s.score:+.4f}", str(s.support))
    out.print(ranking)


@app.command("explain")
def priors_explain(
    task_file: Annotated[Path, typer.Argument(help="a task file (YAML or JSON)", metavar="TASK")],
    memory: MemoryOption = None,
):
    """Which priors an optimisation of TASK would retrieve (for the configured small model), with their
    similarities, and what it would apply: the strategies they rank, and the lessons shown to the reflector."""
    from idealprompt.cli.common import open_session
    from idealprompt.graphs.context import Optimization
    from idealprompt.memory import rank_strategies
    from idealprompt.tasks import load_task

    session = open_session()
    task = load_task(task_file, trust_code=session.settings.trust_code)
    run = Optimization(session, task, memory=open_memory(memory))
    out.print(f"{run.task.name}, for target model {run.target}:", markup=False)
    table = Table(
        "similarity", "model affinity", "weight", "task", "model", "strategies", "lessons", title="priors retrieved"
    )
    for f in run.priors:
        table.add_row(
            f"{f.similarity:.3f}",
            f"{f.affinity:.1f}",
            f"{f.weight:.3f}",
            escape(f.prior.task.name or f.prior.task.description[:40]),
            f.prior.model,
            str(len(f.prior.strategies)),
            str(len(f.prior.edits)),
        )
    out.print(table)
    favoured, ranking = (
        set(run.favoured()),
        Table("strategy", "expected gain", "support", "applied", title="strategies, ranked"),
    )
    for s in rank_strategies(run.priors):
        ranking.add_row(s.strategy, f"{s.score:+.4f}", str(s.support), "yes" if s.strategy in favoured else "")
    out.print(ranking)
    for lesson in run.lessons():
        out.print(
            f"lesson from {lesson.task} (dev {lesson.edit.gain:+.2f}): {lesson.edit.diagnosis} "
            f"Rule: {lesson.edit.rule[:200]}",
            markup=False,
        )
    if not run.lessons():
        out.print("no lesson from a kept reflection applies")


@app.command("install")
def priors_install(
    pack: Annotated[str, typer.Argument(help="the pack to install: builtin")] = "builtin",
    memory: MemoryOption = None,
):
    """Install the built-in prior pack (learnt on public tasks for the default target model) into the memory."""
    from idealprompt.memory import pack_info

    if pack != "builtin":
        raise typer.BadParameter(f"unknown pack {pack!r}: the one pack is 'builtin'")
    count = open_memory(memory, create=True).install_builtin_priors()
    info = pack_info()
    out.print(
        f"installed the built-in prior pack v{info['version']} ({count} priors from {', '.join(info['tasks'])}; "
        f"target {info['target']})",
        markup=False,
    )


@app.command("show")
def priors_show(prior_id: Annotated[str, typer.Argument(metavar="ID")], memory: MemoryOption = None):
    """One prior, whole, as JSON."""
    out.print_json(open_memory(memory).priors.get(_full_id(prior_id, memory)).model_dump_json())


@app.command("export")
def priors_export(
    file: Annotated[Path, typer.Argument(help="a JSON Lines file to write")],
    force: Annotated[bool, typer.Option("--force", help="replace the file if it exists")] = False,
    memory: MemoryOption = None,
):
    """Write every prior to a JSON Lines file, to share with another machine or team."""
    if file.exists() and not force:
        raise MemoryStoreError(f"{file} exists: pass --force to replace it, or name another file")
    out.print(f"exported {open_memory(memory).priors.export(file)} priors to {file}")


@app.command("import")
def priors_import(
    file: Annotated[Path, typer.Argument(help="a JSON Lines file from `export`")], memory: MemoryOption = None
):
    """Add the priors of a JSON Lines file; a prior with an id already stored is replaced."""
    out.print(f"imported {open_memory(memory, create=True).priors.import_file(file)} priors from {file}")


@app.command("delete")
def priors_delete(prior_id: Annotated[str, typer.Argument(metavar="ID")], memory: MemoryOption = None):
    """Delete one prior."""
    full = _full_id(prior_id, memory)
    open_memory(memory).priors.delete(full)
    out.print(f"deleted {full}")


def _full_id(prefix: str, memory: str | None) -> str:
    """An id from its first characters, as `list` shows them."""
    from idealprompt.errors import MemoryStoreError

    if not prefix.strip():
        raise MemoryStoreError("give the first characters of a prior's id (`idealprompt priors list` shows them)")
    matches = [p.id for p in open_memory(memory).priors.all() if p.id.startswith(prefix)]
    if len(matches) != 1:
        raise MemoryStoreError(f"{len(matches) or 'no'} priors have an id starting with {prefix!r}")
    return matches[0]
