"""`neurocompare rsa`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import _split, _table, app

#: The options of each tidy human-data format: its loader's (nc.rsa.from_<format>) column parameters, and for
#: ratings what a high rating means and the scale. The flags are these names with dashes (--stimulus-a).
HUMAN_OPTIONS = {
    "ratings": ("subject", "stimulus_a", "stimulus_b", "rating", "kind", "scale"),
    "triplets": ("subject", "stimulus_1", "stimulus_2", "stimulus_3", "choice"),
    "arrangements": ("subject", "trial", "stimulus", "x", "y"),
    "confusions": ("subject", "stimulus", "response", "count"),
}
_COLUMNS = "Human data: the columns of a tidy CSV"
_RATINGS = "Human data: ratings (--format ratings)"


def _column(formats: str, default: str, what: str):
    return typer.Option(None, help=f"{what} (default: {default}; {formats}).", rich_help_panel=_COLUMNS)


@app.command()
def rsa(activations: Path = typer.Argument(..., help="A saved extraction (.zarr folder or .nc file)."),
        reference: Path = typer.Option(..., help="Reference RDMs: .npy, .mat, or .csv (see --format). Stimulus ids "
                                                 "are matched to the extraction's by id, file name or file stem."),
        format: Optional[str] = typer.Option(None, help="For CSV references, what the table holds: matrix, ratings, "
                                                        "triplets, arrangements, confusions."),
        kind: Optional[str] = typer.Option(None, help="dissimilarity (default) or similarity: what a high rating "
                                                      "means.", rich_help_panel=_RATINGS),
        scale: Optional[str] = typer.Option(None, metavar="MIN,MAX", help="The rating scale, e.g. 1,7 (ratings "
                                                                          "outside it are an error).",
                                            rich_help_panel=_RATINGS),
        subject: Optional[str] = typer.Option(None, help="Column of subject labels (default: subject; '' for "
                                                         "one subject, every row).", rich_help_panel=_COLUMNS),
        stimulus_a: Optional[str] = _column("ratings", "stimulus_a", "Column of the first stimulus of a pair"),
        stimulus_b: Optional[str] = _column("ratings", "stimulus_b", "Column of the second stimulus of a pair"),
        rating: Optional[str] = _column("ratings", "rating", "Column of the rating; empty cells are missed trials"),
        stimulus_1: Optional[str] = _column("triplets", "stimulus_1", "Column of a triplet's first stimulus"),
        stimulus_2: Optional[str] = _column("triplets", "stimulus_2", "Column of a triplet's second stimulus"),
        stimulus_3: Optional[str] = _column("triplets", "stimulus_3", "Column of a triplet's third stimulus"),
        choice: Optional[str] = _column("triplets", "choice", "Column of the odd one out"),
        trial: Optional[str] = _column("arrangements", "trial", "Column of trial labels"),
        stimulus: Optional[str] = _column("arrangements, confusions", "stimulus",
                                          "Column of the placed (or presented) stimulus"),
        x: Optional[str] = _column("arrangements", "x", "Column of the x position"),
        y: Optional[str] = _column("arrangements", "y", "Column of the y position"),
        response: Optional[str] = _column("confusions", "response", "Column of the response"),
        count: Optional[str] = _column("confusions", "none, one trial a row", "Column of trial counts"),
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
    """Compare every extracted layer with reference RDMs: scores, CIs, p-values, noise ceiling, figures.

    Human data in a tidy CSV name their columns with the flags of their --format, e.g. a rating study:
    --format ratings --kind similarity --scale 1,7 --stimulus-a stim_a --stimulus-b stim_b.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plotting
    from .. import rsa as _rsa
    from .._utils.checks import check_option
    from ..extraction import load

    given = {"subject": subject, "stimulus_a": stimulus_a, "stimulus_b": stimulus_b, "rating": rating,
             "stimulus_1": stimulus_1, "stimulus_2": stimulus_2, "stimulus_3": stimulus_3, "choice": choice,
             "trial": trial, "stimulus": stimulus, "x": x, "y": y, "response": response, "count": count,
             "kind": kind, "scale": scale}
    options = _human_options(reference, format, {k: v for k, v in given.items() if v is not None})
    tree = load(activations)
    # compute_rdm would name its own 'method', which here is the other flag
    rdms = _rsa.compute_rdm(tree, check_option("--rdm-method", rdm_method, _rsa.METHODS))
    ids = list(map(str, rdms.stimulus_a.values))
    ref = _rsa.load_rdms(reference, format=format, variable=variable,
                         stimulus_ids=ids if reference.suffix.lower() in (".npy", ".mat") else None, **options)
    ref = _rsa.match_stimuli(ref, ids, name="reference")
    res = _rsa.evaluate(rdms, ref, method=method, bootstrap=None if bootstrap == "none" else bootstrap,
                        n_bootstrap=n_bootstrap, permutations=permutations, random_state=seed,
                        target=target or reference.stem)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    res.to_csv(out / "tables" / "rsa.csv", index=False)
    streams = "stream" in res and res["stream"].nunique() > 1
    ax = plotting.plot_layer_profile(res, color_by="stream" if streams else None)
    plotting.save_figure(ax.figure, out / "figures" / "layer_profile")
    plt.close("all")
    cols = [c for c in ("model", "layer", "stream", "value", "ci_low", "ci_high", "p") if c in res.columns]
    typer.echo(_table(res[cols]))
    nc_lo, nc_hi = res["noise_ceiling_lower"].iloc[0], res["noise_ceiling_upper"].iloc[0]
    if nc_lo == nc_lo:
        typer.echo(f"Noise ceiling: {nc_lo:.3f} - {nc_hi:.3f}")
    n = len(ids)
    if int(res["n_pairs_min"].min()) < n * (n - 1) // 2:
        _rsa.pair_counts(rdms, ref).to_csv(out / "tables" / "rsa_pairs.csv", index=False)
        typer.echo(f"Missing pairs (pairwise deletion): each comparison used {int(res['n_pairs_min'].min())} to "
                   f"{int(res['n_pairs_max'].max())} of the {n * (n - 1) // 2} pairs; per subject in "
                   f"{out / 'tables' / 'rsa_pairs.csv'}")
    typer.echo(f"Wrote {out / 'tables' / 'rsa.csv'} and {out / 'figures' / 'layer_profile.png'}")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _human_options(reference: Path, format, given: dict) -> dict:
    """The options of the human-data flags given, for the loader of ``format``; a flag it does not take raises."""
    from .._utils.checks import check_option
    from ..rsa import CSV_FORMATS

    kind = given.get("kind")
    if kind in CSV_FORMATS:
        raise ValueError(f"Invalid value for '--kind': {kind!r} is what the table holds, and that is now --format: "
                         f"use --format {kind}. (--kind says whether ratings are similarities: --kind dissimilarity, "
                         "the default, or --kind similarity.)")
    if format is not None:
        check_option("--format", format, CSV_FORMATS)
    takes = HUMAN_OPTIONS.get(format, ())
    wrong = [name for name in given if name not in takes]
    if wrong:
        flags = ", ".join(repr(_flag(n)) for n in wrong)
        homes = sorted({f for n in wrong for f, names in HUMAN_OPTIONS.items() if n in names})
        if format is not None:
            context = f"with --format {format}"
        elif reference.suffix.lower() in (".npy", ".mat"):
            context = f"for a {reference.suffix.lower()!r} reference"
        else:
            context = "without --format"
        accepted = (f" --format {format} takes {', '.join(_flag(n) for n in takes)}." if takes else "")
        raise ValueError(f"Invalid option{'s' if len(wrong) > 1 else ''} {flags} {context}: "
                         f"{'they are' if len(wrong) > 1 else 'it is'} for "
                         f"{' or '.join(f'--format {f}' for f in homes)} (a tidy CSV of human data).{accepted}")
    options = dict(given)
    if options.get("subject") == "":
        options["subject"] = None
    if "scale" in options:
        try:
            lo, hi = (float(v) for v in _split(options["scale"]))
        except ValueError:
            raise ValueError(f"Invalid value for '--scale': expected MIN,MAX (two numbers, e.g. 1,7); got "
                             f"{options['scale']!r}.") from None
        options["scale"] = (lo, hi)
    return options
