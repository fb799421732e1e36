"""`neurocompare cam`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import _parse_options, _split, _table, app


def _methods(values: list[str]) -> list[str]:
    from ..cam import check_method

    names = [s for v in values for s in _split(v)]
    out = []
    for n in names or ["gradcam"]:
        key = check_method(n)
        if key not in out:
            out.append(key)
    return out


def _read_fixations(path: Path, sigma):
    """A fixation table (CSV in the tidy format, or a SALICON-style JSON) with its density sigma."""
    import pandas as pd

    from ..saliency import load_salicon_fixations

    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for '--fixations': {str(path)!r} does not exist.")
    if path.suffix.lower() == ".json":
        fix = load_salicon_fixations(path)
    elif path.suffix.lower() == ".csv":
        fix = pd.read_csv(path)
        missing = [c for c in ("stimulus", "x", "y", "width", "height") if c not in fix.columns]
        if missing:
            raise ValueError(f"Invalid value for '--fixations': {str(path)!r} lacks the column(s) {missing}; expected "
                             "stimulus, subject, x, y (0-based pixels: x = column, y = row), width, height.")
        fix["stimulus"] = fix["stimulus"].astype(str)
    else:
        raise ValueError(f"Invalid value for '--fixations': expected a .csv fixation table or a SALICON-style "
                         f".json; got {str(path)!r}.")
    if sigma is not None:
        fix.attrs["sigma"] = float(sigma)
    return fix


def _target(value: str):
    if value in ("true", "predicted"):
        return value
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"Invalid value for '--target': expected 'true', 'predicted' or a class index; "
                         f"got {value!r}.") from None


@app.command()
def cam(model: str = typer.Argument(..., help="Model name (see `neurocompare models list`)."),
        stimuli_path: Path = typer.Argument(..., metavar="STIMULI", help="A stimulus folder."),
        out: Path = typer.Option(..., help="Results folder (maps/*.nc, localization.csv, figures/)."),
        method: list[str] = typer.Option(["gradcam"], help="CAM method(s): repeat the option or give a comma list "
                                                           "(cam, gradcam, gradcam++, hirescam, xgradcam, layercam, "
                                                           "scorecam, ablationcam, eigencam)."),
        layer: Optional[str] = typer.Option(None, help="Layer name(s), comma-separated (default: the last spatial "
                                                       "layer)."),
        target: str = typer.Option("predicted", help="true, predicted, or a class index."),
        weights: Optional[str] = typer.Option(None, help="None (random), DEFAULT, whatwhere, or a .pth file."),
        raw: bool = typer.Option(False, help="Keep raw map strength (normalize=False)."),
        batch_size: int = typer.Option(32, help="Stimuli per batch."),
        device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
        seed: int = typer.Option(0, help="random_state (initialisation, bootstrap)."),
        option: list[str] = typer.Option([], help="Model option KEY=VALUE (repeatable), e.g. min_size=224."),
        fixations: Optional[Path] = typer.Option(None, help="Human fixations to score the maps against: a CSV "
                                                            "(stimulus, subject, x, y, width, height) or a "
                                                            "SALICON-style JSON; writes fixations.csv."),
        sigma: Optional[float] = typer.Option(None, help="Gaussian sigma (px) of the fixation density (needed for "
                                                         "a CSV; about 1 degree of visual angle)."),
        resize: bool = typer.Option(False, help="Resize maps to the fixated images' size when they differ."),
        sanity: Optional[str] = typer.Option(None, help="Also run the model-parameter randomisation test "
                                                        "(Adebayo et al. 2018): cascade or independent; writes "
                                                        "randomization.csv and its figures."),
        overwrite: bool = typer.Option(False, help="Replace OUT if it exists.")):
    """Class-activation maps of a model on a stimulus folder, with localisation scores and figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import models, stimuli
    from .._utils.paths import atomic_dir
    from ..cam import compute, localization, randomization_test, summarize_scores
    from ..plotting import plot_cam_overlay, plot_cam_scores, plot_randomization_test, plot_saliency_scores, save_figure
    from ..saliency import compare_to_fixations

    methods = _methods(method)
    tgt = _target(target)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{str(out)!r} exists; pass --overwrite to replace it or choose another --out.")
    st = stimuli.load(stimuli_path)
    fix = None if fixations is None else _read_fixations(fixations, sigma)
    w = None if weights in (None, "None", "none") else weights
    m = models.load(model, weights=w, random_state=seed, train_if_missing=True, **_parse_options(option))
    layers = _split(layer) if layer else [None]
    if sanity is not None:
        from .._utils.checks import check_option

        check_option("--sanity", sanity, ("cascade", "independent"))
    all_maps, frames, fix_frames, sanity_frames = [], [], [], []
    for lay in layers if sanity is not None else []:
        sanity_frames.append(randomization_test(m, st, method=methods, layer=lay, target=tgt, order=sanity,
                                                batch_size=batch_size, device=device, random_state=seed,
                                                progress=True))
    slow = [m for m in methods if m in ("scorecam", "ablationcam")]
    if slow:
        typer.echo(f"{', '.join(slow)}: one forward pass per channel of the layer for every image "
                   f"({len(st)} images); on a CPU this can take many minutes. Progress and the time left are "
                   "shown as it runs (a line every 30 s when the output is not a terminal).", err=True)
    for meth in methods:
        for lay in layers:
            maps = compute(m, st, method=meth, layer=lay, target=tgt, normalize=not raw, batch_size=batch_size,
                           device=device, progress=True)
            all_maps.append(maps)
            if st.has_masks:
                frames.append(localization(maps, st))
            if fix is not None:
                fix_frames.append(compare_to_fixations(maps, fix, resize=resize, random_state=seed))
    with atomic_dir(out, overwrite=overwrite) as tmp:
        (tmp / "maps").mkdir()
        (tmp / "figures").mkdir()
        for maps in all_maps:
            stem = f"{maps.attrs['method']}_{maps.attrs['layer']}".replace("+", "p")
            maps.to_netcdf(tmp / "maps" / f"{stem}.nc", engine="h5netcdf")
            fig = plot_cam_overlay(maps, st, fixations=fix)  # outline="auto": the mask, else the box, else none
            save_figure(fig, tmp / "figures" / f"overlay_{stem}")
            plt.close(fig)
        lines = [f"Wrote {len(all_maps)} map set(s) to {out / 'maps'}"]
        if sanity_frames:
            import pandas as pd

            rand = pd.concat(sanity_frames, ignore_index=True)
            rand.to_csv(tmp / "randomization.csv", index=False)
            for metric in ("spearman", "ssim"):
                if rand.loc[rand.metric == metric, "value"].notna().any():
                    ax = plot_randomization_test(rand, metric=metric)
                    save_figure(ax.figure, tmp / "figures" / f"randomization_{metric}")
                    plt.close(ax.figure)
            means = rand[rand.metric == "spearman"].pivot_table(index=["method", "layer"], columns="step",
                                                                 values="value", sort=False, dropna=False)
            means.columns = ["original" if r == "none" else r for r in
                             rand.drop_duplicates("step").sort_values("step").randomized]
            lines.append(f"Randomisation test ({sanity}): mean rank correlation with the original maps")
            lines.append(_table(means.reset_index()))
        if frames:
            import pandas as pd

            scores = pd.concat(frames, ignore_index=True)
            scores.to_csv(tmp / "localization.csv", index=False)
            summary = summarize_scores(scores, random_state=seed)
            summary.to_csv(tmp / "localization_summary.csv", index=False)
            for metric in summary["metric"].unique():
                ax = plot_cam_scores(summary, metric=metric)
                save_figure(ax.figure, tmp / "figures" / f"scores_{metric}")
                plt.close(ax.figure)
            lines.append(_table(summary))
        else:
            lines.append("No masks in the stimulus folder: localisation skipped.")
        if fix_frames:
            import pandas as pd

            human = pd.concat(fix_frames, ignore_index=True)
            human.to_csv(tmp / "fixations.csv", index=False)
            by = [c for c in ("method", "layer") if c in human.columns]
            fig = plot_saliency_scores(human.assign(map=human[by].astype(str).agg(" ".join, axis=1)), by="map")
            save_figure(fig, tmp / "figures" / "fixation_scores")
            plt.close(fig)
            lines.append(human.groupby(by, sort=False)[["nss", "auc_judd", "cc", "sim", "kl"]].mean().round(3)
                         .to_string())
    typer.echo("\n".join(lines))
    typer.echo(f"Wrote {out}")
