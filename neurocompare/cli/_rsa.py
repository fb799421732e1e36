"""`neurocompare rsa`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import _table, app


@app.command()
def rsa(activations: Path = typer.Argument(..., help="A saved extraction (.zarr folder or .nc file)."),
        reference: Path = typer.Option(..., help="Reference RDMs: .npy, .mat, or .csv (see --format)."),
        format: Optional[str] = typer.Option(None, help="For CSV references: matrix, ratings, triplets, arrangements, "
                                                      "confusions."),
        variable: Optional[str] = typer.Option(None, help="For .mat references: the variable to read."),
        rdm_method: str = typer.Option("correlation", help="Dissimilarity of the model RDMs."),
        method: str = typer.Option("corr", help="Comparison: cosine, corr, spearman, rho-a, tau-a, tau-b, corr_cov, "
                                                "cosine_cov."),
        bootstrap: str = typer.Option("stimuli", help="stimuli, subjects, both or none."),
        n_bootstrap: int = typer.Option(1000, help="Bootstrap samples."),
        permutations: int = typer.Option(1000, help="Stimulus-label permutations for p-values (0: none)."),
        target: Optional[str] = typer.Option(None, help="Name of the reference in the table."),
        seed: int = typer.Option(0, help="random_state."),
        out: Path = typer.Option(Path("rsa-results"), help="Folder for the table and figures.")):
    """Compare every extracted layer with reference RDMs: scores, CIs, p-values, noise ceiling, figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plotting
    from .. import rsa as _rsa
    from .._utils.checks import check_option
    from ..extraction import load

    tree = load(activations)
    # compute_rdm would name its own 'method', which here is the other flag
    rdms = _rsa.compute_rdm(tree, check_option("--rdm-method", rdm_method, _rsa.METHODS))
    ids = list(map(str, rdms.stimulus_a.values))
    ref = _rsa.load_rdms(reference, format=format, variable=variable,
                         stimulus_ids=ids if reference.suffix.lower() in (".npy", ".mat") else None)
    res = _rsa.evaluate(rdms, ref, method=method, bootstrap=None if bootstrap == "none" else bootstrap,
                        n_bootstrap=n_bootstrap, permutations=permutations, random_state=seed,
                        target=target or reference.stem)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    res.to_csv(out / "tables" / "rsa.csv", index=False)
    ax = plotting.plot_layer_profile(res, colour_by_stream="stream" in res and res["stream"].nunique() > 1)
    plotting.save_figure(ax.figure, out / "figures" / "layer_profile")
    plt.close("all")
    cols = [c for c in ("model", "layer", "stream", "value", "ci_low", "ci_high", "p") if c in res.columns]
    typer.echo(_table(res[cols]))
    nc_lo, nc_hi = res["noise_ceiling_lower"].iloc[0], res["noise_ceiling_upper"].iloc[0]
    if nc_lo == nc_lo:
        typer.echo(f"Noise ceiling: {nc_lo:.3f} - {nc_hi:.3f}")
    typer.echo(f"Wrote {out / 'tables' / 'rsa.csv'} and {out / 'figures' / 'layer_profile.png'}")
