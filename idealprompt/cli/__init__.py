"""The `idealprompt` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from idealprompt.cli import models, notebench, optimize, priors, warmup, write
from idealprompt.cli.common import err
from idealprompt.config import CONFIG_ENV
from idealprompt.errors import IdealpromptError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(models.app, name="models")
app.add_typer(priors.app, name="priors")
app.add_typer(write.app, name="style")
app.command()(models.chat)
app.command()(models.demo)
app.command()(warmup.warmup)
app.command()(optimize.optimize)
app.command()(write.write)
app.command("eval-style")(notebench.eval_style)


@app.callback()
def _global(
    config: Annotated[Path | None, typer.Option(help="a settings file instead of ./idealprompt.toml")] = None,
):
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)


def main() -> None:
    try:
        app()
    except IdealpromptError as e:
        err.print(f"[red]error[/]: {e}")
        sys.exit(2)
