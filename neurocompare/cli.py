"""The ``neurocompare`` command."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="neurocompare: compare deep networks with each other and with human data.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
stimuli_app = typer.Typer(help="Make and inspect stimulus sets.", no_args_is_help=True)
models_app = typer.Typer(help="The model zoo and the built-in nets.", no_args_is_help=True)
app.add_typer(stimuli_app, name="stimuli")
app.add_typer(models_app, name="models")

_USER_ERRORS = (ValueError, KeyError, TypeError, FileNotFoundError, FileExistsError, ConnectionError, ImportError,
                RuntimeError)


def _fail(err: Exception) -> None:
    from rich.console import Console

    msg = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
    Console(stderr=True).print(f"[bold red]Error:[/] {msg}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _table(df, *, index: bool = False, digits: int = 3) -> str:
    """A table for the console: numbers to ``digits`` decimals; p-values too small to show as ``<0.001``."""
    import numpy as np

    show = df.copy()
    floor = 10.0 ** -digits
    for col in show.columns:
        if str(col) == "p" or str(col).startswith("p_"):
            vals = show[col].to_numpy(dtype=float)
            show[col] = [f"<{floor:.{digits}f}" if np.isfinite(v) and v < floor else
                         (f"{v:.{digits}f}" if np.isfinite(v) else "NaN") for v in vals]
    return show.to_string(index=index, float_format=lambda v: f"{v:.{digits}f}")


def _parse_options(options: list[str]) -> dict:
    out = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"Invalid value for '--option': expected KEY=VALUE; got {item!r}.")
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show progress messages.")):
    from ._utils.logging import set_log_level

    set_log_level("INFO" if verbose else "WARNING")


@app.command()
def demo(out: Path = typer.Option(Path("neurocompare-demo"), help="Results folder to write."),
         quick: bool = typer.Option(False, help="A smaller, faster run (for checks)."),
         overwrite: bool = typer.Option(False, help="Replace OUT if it exists.")):
    """Run the main job on the embedded default data: stimuli, trained built-in nets, activations, figures."""
    from .demo import run_demo

    try:
        summary = run_demo(out, quick=quick, overwrite=overwrite)
    except _USER_ERRORS as err:
        _fail(err)
    typer.echo(summary)


@stimuli_app.command("make")
def stimuli_make(out: Path = typer.Argument(..., help="Folder to create."),
                 spec: Optional[str] = typer.Option(None, help="A shipped spec name or a .toml path "
                                                              "(other options are then ignored)."),
                 n_per_category: int = typer.Option(20, help="Stimuli per category."),
                 image_size: int = typer.Option(64, help="Image side in pixels."),
                 categories: int = typer.Option(8, help="Number of shape categories (2-8)."),
                 background: str = typer.Option("blank", help="blank, noise or texture."),
                 clutter: int = typer.Option(0, help="Distractor shapes per image."),
                 colour: bool = typer.Option(False, help="Random hue per target."),
                 seed: int = typer.Option(0, help="random_state."),
                 overwrite: bool = typer.Option(False, help="Replace OUT if it exists.")):
    """Generate a what/where stimulus set (images, masks, stimuli.csv)."""
    from . import stimuli

    try:
        if spec:
            st = stimuli.make_from_spec(spec, out, overwrite=overwrite)
        else:
            st = stimuli.make_whatwhere(out, n_per_category=n_per_category, image_size=image_size,
                                        categories=categories, background=background, clutter=clutter, colour=colour,
                                        random_state=seed, overwrite=overwrite)
    except _USER_ERRORS as err:
        _fail(err)
    typer.echo(f"Wrote {len(st)} stimuli to {st.root}")


@stimuli_app.command("specs")
def stimuli_specs():
    """List the shipped stimulus specs."""
    from . import stimuli

    for name in stimuli.list_specs():
        typer.echo(f"{name}: {stimuli.read_spec(name)['description']}")


@stimuli_app.command("info")
def stimuli_info(path: Path = typer.Argument(..., help="A stimulus folder.")):
    """Check a stimulus folder and summarise it."""
    from . import stimuli

    try:
        st = stimuli.load(path)
    except _USER_ERRORS as err:
        _fail(err)
    typer.echo(repr(st))
    typer.echo(st.metadata.describe(include="all").T.to_string())


@models_app.command("list")
def models_list():
    """List the models that load by name."""
    from .models import list_models

    typer.echo(list_models().to_string(index=False))
    typer.echo("\nAny other torchvision classification, segmentation or detection model also loads by its name.")


@models_app.command("layers")
def models_layers(name: str = typer.Argument(..., help="Model name."),
                  all_layers: bool = typer.Option(False, "--all", help="Every layer, not just the defaults.")):
    """Show a model's layers and their streams."""
    from .models import load

    try:
        m = load(name)
    except _USER_ERRORS as err:
        _fail(err)
    for layer in (m.layers if all_layers else m.default_layers):
        typer.echo(f"{m.streams[layer]:7s} {layer}")


@models_app.command("train")
def models_train(name: str = typer.Argument(..., help="smallcnn, twostreamnet or unet."),
                 stimuli_path: Path = typer.Argument(..., metavar="STIMULI", help="A stimulus folder."),
                 out: Path = typer.Option(..., help="Checkpoint file to write (.pt)."),
                 epochs: Optional[int] = typer.Option(None, help="Training epochs."),
                 seed: int = typer.Option(0, help="random_state."),
                 device: str = typer.Option("auto", help="auto, cpu, cuda, mps.")):
    """Train a built-in net on a stimulus folder and save the checkpoint."""
    from . import models, stimuli

    try:
        st = stimuli.load(stimuli_path)
        m = models.train(name, st, epochs=epochs, random_state=seed, device=device)
        models.save(m, out)
    except _USER_ERRORS as err:
        _fail(err)
    last = m.history[(m.history.epoch == m.history.epoch.max()) & (m.history.split == "validation")]
    typer.echo(f"Saved {out}; final validation: " + ", ".join(f"{r.metric}={r.value:.3f}" for r in last.itertuples()))


@app.command()
def extract(model: str = typer.Argument(..., help="Model name (see `neurocompare models list`)."),
            stimuli_path: Path = typer.Argument(..., metavar="STIMULI", help="A stimulus folder."),
            out: Path = typer.Option(..., help="Output: a .zarr folder (streamed, resumable) or a .nc file."),
            weights: Optional[str] = typer.Option(None, help="None (random), DEFAULT, whatwhere, or a .pth file."),
            layers: Optional[str] = typer.Option(None, help="Comma-separated layer names, or all/what/where/shared."),
            reduce: Optional[str] = typer.Option(None, help="avgpool, grid:K, project:K or pca:K."),
            batch_size: int = typer.Option(32, help="Stimuli per batch."),
            device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
            seed: int = typer.Option(0, help="random_state (initialisation and projections)."),
            option: list[str] = typer.Option([], help="Model option KEY=VALUE (repeatable), e.g. min_size=224."),
            overwrite: bool = typer.Option(False, help="Replace OUT instead of resuming it.")):
    """Extract layer activations of a model on a stimulus folder."""
    from . import models, stimuli
    from .extraction import extract as _extract
    from .extraction import to_frame

    try:
        st = stimuli.load(stimuli_path)
        w = None if weights in (None, "None", "none") else weights
        m = models.load(model, weights=w, random_state=seed, train_if_missing=True, **_parse_options(option))
        names = None if layers is None else (layers if layers in ("all", "what", "where", "shared")
                                             else [s.strip() for s in layers.split(",") if s.strip()])
        tree = _extract(m, st, layers=names, batch_size=batch_size, reduce=reduce, device=device, out=out,
                        overwrite=overwrite, random_state=seed, progress=sys.stderr.isatty())
    except _USER_ERRORS as err:
        _fail(err)
    typer.echo(to_frame(tree).to_string(index=False))
    typer.echo(f"Wrote {out}")


@app.command()
def rsa(activations: Path = typer.Argument(..., help="A saved extraction (.zarr folder or .nc file)."),
        reference: Path = typer.Option(..., help="Reference RDMs: .npy, .mat, or .csv (see --kind)."),
        kind: Optional[str] = typer.Option(None, help="For CSV references: matrix, ratings, triplets, arrangements, "
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

    from . import plotting
    from . import rsa as _rsa
    from .extraction import load

    try:
        tree = load(activations)
        rdms = _rsa.compute_rdm(tree, rdm_method)
        ids = list(map(str, rdms.stimulus_a.values))
        ref = _rsa.load_rdms(reference, kind=kind, variable=variable,
                             stimulus_ids=ids if reference.suffix.lower() in (".npy", ".mat") else None)
        res = _rsa.evaluate(rdms, ref, method=method, bootstrap=None if bootstrap == "none" else bootstrap,
                            n_bootstrap=n_bootstrap, permutations=permutations, random_state=seed,
                            target=target or reference.stem)
    except _USER_ERRORS as err:
        _fail(err)
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

    from . import plotting, probes, stimuli
    from .extraction import load

    def names(arg):
        return None if arg is None else [a.strip() for a in arg.split(",") if a.strip()]

    try:
        tree = load(activations)
        st = stimuli.load(stimuli_path)
        res = probes.what_where(tree, st, what=names(what), where=names(where), cv=cv, split=split,
                                permutations=permutations, random_state=seed, progress=sys.stderr.isatty())
    except _USER_ERRORS as err:
        _fail(err)
    cross = probes.cross_readout(res)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    res.to_csv(out / "tables" / "probes.csv", index=False)
    cross.to_csv(out / "tables" / "cross_readout.csv", index=False)
    for model in res.model.unique():
        ax = plotting.plot_probe_profile(res[res.model == model])
        plotting.save_figure(ax.figure, out / "figures" / f"profile_{model}")
        ax = plotting.plot_cross_readout(cross, model=model)
        plotting.save_figure(ax.figure, out / "figures" / f"cross_readout_{model}")
        plt.close("all")
    main_rows = res[res.metric.isin(["balanced_accuracy", "r2"])]
    table = main_rows.pivot_table(index=["model", "layer"], columns="target", values="value", sort=False)
    typer.echo(_table(table, index=True))
    typer.echo(f"Wrote {out / 'tables'} and {out / 'figures'}")


# Commands of the analysis modules live in their own files; importing them registers them on ``app``.
from . import _cli_behavior, _cli_cam, _cli_cyclegan, _cli_generation, _cli_transfer  # noqa: E402,F401  # pyflakes: registers commands

_REGISTERED = (_cli_behavior, _cli_cam, _cli_cyclegan, _cli_generation, _cli_transfer)


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
