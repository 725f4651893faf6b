"""The `idealprompt` command.

Exit codes: 0 done; 1 done, but what was asked did not come out (a route that cannot serve, an optimisation that
scored nothing); 2 an error that says what to fix (bad input, settings, a route); typer's own 2 for bad options.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from idealprompt.cli import audit, models, notebench, optimize, priors, runs, train, warmup, write
from idealprompt.cli.common import err
from idealprompt.config import CONFIG_ENV, location
from idealprompt.errors import IdealpromptError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(models.app, name="models")
app.add_typer(priors.app, name="priors")
app.add_typer(write.app, name="style")
app.add_typer(train.app, name="train")
app.command()(models.chat)
app.command()(models.demo)
app.command()(warmup.warmup)
app.command()(optimize.optimize)
app.command()(write.write)
app.command("eval-style")(notebench.eval_style)
app.command()(audit.audit)
app.command()(runs.runs)
app.command()(runs.trace)
app.command()(runs.resume)
app.command()(runs.fork)
app.command()(runs.report)


def _version(shown: bool) -> None:
    if shown:
        from idealprompt import __version__

        print(f"idealprompt {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    config: Annotated[Path | None, typer.Option(help="a settings file instead of ./idealprompt.toml")] = None,
    runs_dir: Annotated[
        str | None,
        typer.Option("--runs", help="the run store's folder or postgresql:// database (default: the `runs` setting)"),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
):
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)
    if runs_dir is not None:
        where = location(runs_dir)
        os.environ["IDEALPROMPT_RUNS"] = str(where.resolve() if isinstance(where, Path) else where)


def main() -> None:
    try:
        app()
    except IdealpromptError as e:
        err.print("[red]error[/]:", escape(str(e)))
        sys.exit(2)
