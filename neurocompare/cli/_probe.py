"""`neurocompare probe`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import _split, _table, app


@app.command()
def probe(activations: Path = typer.Argument(..., help="A saved extraction (.zarr folder or .nc file)."),
          stimuli_path: Path = typer.Option(..., "--stimuli", help="The stimulus folder the activations came from."),
          what: Optional[str] = typer.Option(None, help="Comma-separated what targets (default: the set's what "
                                                        "factors)."),
          where: Optional[str] = typer.Option(None, help="Comma-separated where targets (default: x,y,size)."),
          cv: int = typer.Option(5, help="Cross-validation folds."),
          split: Optional[str] = typer.Option(None, help="Generalisation test over a factor instead of random folds "
                                                         "(e.g. x, size, identity)."),
          permutations: int = typer.Option(0, help="Label permutations per layer and target for p-values."),
          seed: int = typer.Option(0, help="random_state."),
          out: Path = typer.Option(Path("probe-results"), help="Folder for the tables and figures.")):
    """Read what and where out of every extracted layer: profile across depth and cross-readout."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plotting, probes, stimuli
    from ..extraction import load

    tree = load(activations)
    st = stimuli.load(stimuli_path)
    res = probes.what_where(tree, st, what=_split(what), where=_split(where), cv=cv, split=split,
                            permutations=permutations, random_state=seed, progress=True)
    cross = probes.cross_readout(res)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    res.to_csv(out / "tables" / "probes.csv", index=False)
    cross.to_csv(out / "tables" / "cross_readout.csv", index=False)
    for model in res.model.unique():
        axes = plotting.plot_probe_profile(res[res.model == model])
        plotting.save_figure(axes[0].figure, out / "figures" / f"profile_{model}")
        ax = plotting.plot_cross_readout(cross, model=model)
        plotting.save_figure(ax.figure, out / "figures" / f"cross_readout_{model}")
        plt.close("all")
    main_rows = res[res.metric.isin(["balanced_accuracy", "r2"])]
    table = main_rows.pivot_table(index=["model", "layer"], columns="target", values="value", sort=False)
    typer.echo(_table(table, index=True))
    typer.echo(f"Wrote {out / 'tables'} and {out / 'figures'}")
