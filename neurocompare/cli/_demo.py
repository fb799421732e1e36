"""`neurocompare demo`."""
from __future__ import annotations

from pathlib import Path

import typer

from ._app import app


@app.command()
def demo(out: Path = typer.Option(Path("neurocompare-demo"), help="Results folder to write (a rerun resumes)."),
         quick: bool = typer.Option(False, help="A smaller, faster run (for checks)."),
         overwrite: bool = typer.Option(False, help="Start afresh if OUT holds another study's results.")):
    """Run the demo study on the embedded default data: every stage, ending with report.html."""
    from ..demo import run_demo

    summary = run_demo(out, quick=quick, overwrite=overwrite, progress=True)
    typer.echo(summary)
