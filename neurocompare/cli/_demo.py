"""`neurocompare demo`."""
from __future__ import annotations

from pathlib import Path

import typer

from ._app import app


@app.command()
def demo(out: Path = typer.Option(Path("neurocompare-demo"), help="Results folder to write."),
         quick: bool = typer.Option(False, help="A smaller, faster run (for checks)."),
         overwrite: bool = typer.Option(False, help="Replace OUT if it exists.")):
    """Run the main job on the embedded default data: stimuli, trained built-in nets, activations, figures."""
    from ..demo import run_demo

    summary = run_demo(out, quick=quick, overwrite=overwrite)
    typer.echo(summary)
