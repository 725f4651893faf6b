"""`idealprompt priors ...`: the optimisation priors in the memory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from idealprompt.cli.common import MemoryOption, open_memory, out

app = typer.Typer(help="The optimisation priors in the memory.", no_args_is_help=True)


@app.command("list")
def priors_list(memory: MemoryOption = None):
    """Every prior: task, target model, size, and its strategies by mean gain."""
    store = open_memory(memory)
    table = Table("id", "task", "model", "examples", "top strategies (mean gain)", "created")
    for p in store.priors.all():
        top = sorted(p.strategies, key=lambda s: -s.mean_gain)[:3]
        table.add_row(p.id[:12], p.task.name or p.task.description[:40], p.model, str(p.dataset_size),
                      ", ".join(f"{s.strategy} {s.mean_gain:+.3f}" for s in top), f"{p.created:%Y-%m-%d}")
    out.print(table)


@app.command("search")
def priors_search(
    query: Annotated[str, typer.Argument(help="a task description")],
    model: Annotated[str | None, typer.Option(help="only priors of this target model route")] = None,
    k: Annotated[int, typer.Option("-k", help="how many priors")] = 5,
    memory: MemoryOption = None,
):
    """The priors of the most similar tasks, and the strategies they recommend."""
    from idealprompt.memory import rank_strategies

    found = open_memory(memory).priors.search(query, model=model, k=k)
    table = Table("similarity", "id", "task", "model")
    for f in found:
        table.add_row(f"{f.similarity:.3f}", f.prior.id[:12], f.prior.task.description, f.prior.model)
    out.print(table)
    ranking = Table("strategy", "score", "support", title="strategies for this task")
    for s in rank_strategies(found):
        ranking.add_row(s.strategy, f"{s.score:+.4f}", str(s.support))
    out.print(ranking)


@app.command("show")
def priors_show(prior_id: Annotated[str, typer.Argument(metavar="ID")], memory: MemoryOption = None):
    """One prior, whole, as JSON."""
    out.print_json(open_memory(memory).priors.get(_full_id(prior_id, memory)).model_dump_json())


@app.command("export")
def priors_export(file: Annotated[Path, typer.Argument(help="a JSON Lines file to write")], memory: MemoryOption = None):
    """Write every prior to a JSON Lines file, to share with another machine or team."""
    out.print(f"exported {open_memory(memory).priors.export(file)} priors to {file}")


@app.command("import")
def priors_import(file: Annotated[Path, typer.Argument(help="a JSON Lines file from `export`")], memory: MemoryOption = None):
    """Add the priors of a JSON Lines file; a prior with an id already stored is replaced."""
    out.print(f"imported {open_memory(memory, create=True).priors.import_file(file)} priors from {file}")


@app.command("delete")
def priors_delete(prior_id: Annotated[str, typer.Argument(metavar="ID")], memory: MemoryOption = None):
    """Delete one prior."""
    full = _full_id(prior_id, memory)
    open_memory(memory).priors.delete(full)
    out.print(f"deleted {full}")


def _full_id(prefix: str, memory: Path | None) -> str:
    """An id from its first characters, as `list` shows them."""
    from idealprompt.errors import MemoryStoreError

    matches = [p.id for p in open_memory(memory).priors.all() if p.id.startswith(prefix)]
    if len(matches) != 1:
        raise MemoryStoreError(f"{len(matches) or 'no'} priors have an id starting with {prefix!r}")
    return matches[0]
