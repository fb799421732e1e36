"""`neurocompare run`, `neurocompare study schema|check` and `neurocompare report`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ._app import _Typer, app

study_app = _Typer(help="Study files: check them, and print their JSON Schema.", no_args_is_help=True)
app.add_typer(study_app, name="study")


@app.command("run")
def run(study: Path = typer.Argument(..., metavar="STUDY", help="A study file (TOML)."),
        out: Optional[Path] = typer.Option(None, help="Results folder (default: STUDY's stem + '-results', beside "
                                                      "the file)."),
        overwrite: bool = typer.Option(False, help="Replace OUT if it holds another study's results."),
        dry_run: bool = typer.Option(False, "--dry-run", help="List the stages and their sizes; run nothing.")):
    """Run a study file: stimuli, models, activations, analyses -> figures, tables, report.html."""
    from ..study import plan_study, read_study, run_study

    parsed = read_study(study)
    if dry_run:
        for stage in plan_study(parsed):
            typer.echo(f"{stage.name:9s} {stage.what:30s} {stage.size}")
        return
    folder = run_study(parsed, out=out, overwrite=overwrite, progress=True)
    typer.echo(f"Wrote {folder}")
    typer.echo(f"Report: {folder / 'report.html'}")


@study_app.command("check")
def check(study: Path = typer.Argument(..., metavar="STUDY", help="A study file (TOML).")):
    """Check a study file without running it: every problem, with its TOML path."""
    from ..study import plan_study, read_study

    stages = plan_study(read_study(study))
    typer.echo(f"{study}: OK ({len(stages)} stages; `neurocompare run {study} --dry-run` lists them)")


@study_app.command("schema")
def schema():
    """Print the JSON Schema of study files (for editors: completion and checking)."""
    from ..study import json_schema

    typer.echo(json.dumps(json_schema(), indent=2))


@app.command("report")
def report(folder: Path = typer.Argument(..., metavar="FOLDER", help="A study's results folder."),
           out: Optional[Path] = typer.Option(None, help="The page to write (default: FOLDER/report.html).")):
    """Rebuild report.html from a study's results folder."""
    from ..report import build_report

    typer.echo(f"Wrote {build_report(folder, out=out)}")
