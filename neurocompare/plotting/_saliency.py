"""Saliency figures: metric scores per map type, human fixations over the image."""
from __future__ import annotations

import numpy as np

from ._style import PALETTE, new_axes, paper_style

#: chance level (or the value of a map as good as the baseline) of each metric; None: no reference line
_CHANCE = {"nss": 0.0, "auc_judd": 0.5, "auc_borji": 0.5, "sauc": 0.5, "cc": 0.0, "sim": None, "kl": None,
           "ig": 0.0}
_LABELS = {"nss": "NSS", "auc_judd": "AUC-Judd", "auc_borji": "AUC-Borji", "sauc": "sAUC", "cc": "CC",
           "sim": "SIM", "kl": "KL (lower = better)", "ig": "IG (bits/fix.)"}
_BY = ("method", "model", "map", "layer")


def _long(scores, by: str | None):
    """(long DataFrame with columns by, stimulus, metric, value[, ci_low, ci_high]), the grouping column."""
    import pandas as pd

    if not isinstance(scores, pd.DataFrame) or scores.empty:
        raise ValueError("Invalid value for 'scores': expected a non-empty DataFrame from "
                         "neurocompare.saliency.compare_to_fixations.")
    if by is None:
        by = next((c for c in _BY if c in scores.columns), None)
    elif by not in scores.columns:
        from .._utils.checks import unknown_name_error

        raise unknown_name_error("column for 'by'", by, list(map(str, scores.columns)))
    data = scores.copy()
    if by is None:
        by = "map"
        data[by] = "map"
    if {"metric", "value"} <= set(data.columns):
        return data, by
    present = [m for m in _CHANCE if m in data.columns]
    if not present:
        raise ValueError(f"Invalid value for 'scores': no metric columns ({', '.join(_CHANCE)}) and no "
                         f"'metric'/'value' columns; got {list(map(str, data.columns))}.")
    ids = [c for c in (by, "stimulus") if c in data.columns]
    return data.melt(id_vars=ids, value_vars=present, var_name="metric", value_name="value"), by


def plot_saliency_scores(scores, *, metrics=None, by=None, fig=None):
    """Saliency metrics per map type: one panel per metric, stimuli as dots, mean with 95% CI.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`neurocompare.saliency.compare_to_fixations` (wide: one column per
        metric), several of them concatenated, or a long table with ``metric`` and
        ``value`` columns. If it has ``ci_low``/``ci_high`` columns (one row per map
        type and metric), those are drawn as the intervals.
    metrics : sequence of str, optional
        Which metrics, in panel order (default: every metric present).
    by : str, optional
        The column that names the map types on the x axis (default: the first of
        ``method``, ``model``, ``map``, ``layer`` present), in order of appearance.
    fig : matplotlib Figure, optional
        Drawn into (cleared first); default a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Without ``ci_low``/``ci_high`` the interval is the mean ± t(0.975, n - 1) x SEM
    over stimuli (no interval for a single stimulus). Dashed lines mark chance
    (NSS, CC, IG: 0; the AUCs: 0.5).
    """
    import matplotlib.pyplot as plt
    from .._utils.stats import t_half_width

    data, by = _long(scores, by)
    available = list(dict.fromkeys(data["metric"]))
    if metrics is None:
        metrics = [m for m in _CHANCE if m in available] + [m for m in available if m not in _CHANCE]
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        for m in metrics:
            if m not in available:
                from .._utils.checks import unknown_name_error

                raise unknown_name_error("metric in 'metrics'", m, available)
    groups = list(dict.fromkeys(data[by].astype(str)))
    colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    n = len(metrics)
    ncols = min(n, 4)
    nrows = int(np.ceil(n / ncols))
    with paper_style():
        if fig is None:
            fig = plt.figure(figsize=(1.25 + 0.45 * len(groups), 2.3) if n == 1 else
                             (ncols * (0.9 + 0.35 * len(groups)), 2.3 * nrows))
        else:
            fig.clear()
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        offsets = np.random.default_rng(0).uniform(-0.18, 0.18, size=10_000)  # fixed jitter, not global RNG
        for ax, metric in zip(axes, metrics):
            d = data[data["metric"] == metric]
            for i, g in enumerate(groups):
                vals = d.loc[d[by].astype(str) == g, "value"].to_numpy(float)
                vals = vals[np.isfinite(vals)]
                if vals.size == 0:
                    continue
                if vals.size > 1 and "ci_low" not in d.columns:
                    ax.plot(i + offsets[:vals.size], vals, "o", ms=2.2, color="0.65", alpha=0.8, zorder=1)
                mean = vals.mean()
                if {"ci_low", "ci_high"} <= set(d.columns):
                    sub = d[d[by].astype(str) == g]
                    lo, hi = float(sub["ci_low"].mean()), float(sub["ci_high"].mean())
                elif vals.size > 1:
                    half = t_half_width(vals)
                    lo, hi = mean - half, mean + half
                else:
                    lo = hi = np.nan
                if np.isfinite(lo):
                    ax.vlines(i, lo, hi, color=colours[g], lw=1.4, zorder=2)
                ax.plot(i, mean, "o", ms=5, color=colours[g], mec="white", mew=0.6, zorder=3)
            ref = _CHANCE.get(metric)
            if ref is not None:
                ax.axhline(ref, color="0.4", ls="--", lw=0.8, zorder=0)
            ax.set_title(_LABELS.get(metric, metric))
            ax.set_xticks(range(len(groups)))
            ax.set_xticklabels(groups, rotation=45, ha="right")
            ax.set_xlim(-0.6, len(groups) - 0.4)
        for ax in axes[n:]:
            ax.set_visible(False)
        fig.tight_layout()
    return fig


def _image_array(image):
    from pathlib import Path

    from PIL import Image

    from ..stimuli import read_image, to_mode

    if isinstance(image, (str, Path)):
        path = Path(image).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"Invalid value for 'image': no file {str(path)!r}.")
        return np.asarray(read_image(path, label="'image'"))
    if isinstance(image, Image.Image):
        return np.asarray(to_mode(image, label="'image'"))
    arr = np.asarray(image)
    if arr.ndim not in (2, 3):
        raise ValueError(f"Invalid value for 'image': expected a path, a PIL image or an array (height, width[, 3]); "
                         f"got shape {arr.shape}.")
    return arr


def plot_fixations(image, fixations, *, stimulus=None, density: bool = True, sigma=None, points=None, ax=None):
    """Human fixations over the image: the fixation density as a heat overlay and the fixations as dots.

    Parameters
    ----------
    image : path-like, PIL image or array (height, width[, 3])
        The stimulus, at the size of the fixation coordinates.
    fixations : pandas.DataFrame
        The fixation table (``stimulus, subject, x, y, width, height``).
    stimulus : str, optional
        Which stimulus to draw; may be left out when the table holds one stimulus.
    density : bool, default True
        Overlay :func:`neurocompare.saliency.fixation_density`; colour and opacity grow with
        the square root of density / maximum, so diffuse densities stay visible.
    sigma : float, optional
        Density sigma in pixels (default ``fixations.attrs["sigma"]``).
    points : bool, optional
        Draw every fixation as a small dot. Default: only when there are at most 1000
        (SALICON's mouse samples, several thousand per image, would hide the density).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib as mpl

    from ..saliency import check_fixations, fixation_density

    table = check_fixations(fixations)
    names = list(dict.fromkeys(table["stimulus"].astype(str)))
    if stimulus is None:
        if len(names) != 1:
            raise ValueError(f"Invalid value for 'stimulus': 'fixations' holds {len(names)} stimuli; name the one "
                             f"to draw (e.g. stimulus={names[0]!r}).")
        stimulus = names[0]
    sel = table[table["stimulus"].astype(str) == str(stimulus)]
    if sel.empty:
        from .._utils.checks import unknown_name_error

        raise unknown_name_error("stimulus in 'fixations'", str(stimulus), names)
    img = _image_array(image)
    h, w = int(sel["height"].iloc[0]), int(sel["width"].iloc[0])
    if img.shape[:2] != (h, w):
        raise ValueError(f"Invalid value for 'image': its size {img.shape[:2]} (height, width) differs from the "
                         f"fixations' image size {(h, w)}; pass the image the fixations were recorded on.")
    ax = new_axes(ax, figsize=(3.6, 3.6 * h / w))
    with paper_style():
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None, interpolation="nearest")
        if density:
            dens = fixation_density(sel, str(stimulus), sigma=sigma)
            level = np.sqrt(dens / dens.max())  # square root: diffuse densities stay visible next to peaks
            rgba = mpl.colormaps["inferno"](level)
            rgba[..., 3] = 0.75 * level
            ax.imshow(rgba, interpolation="bilinear")
        if points or (points is None and len(sel) <= 1000):
            ax.scatter(sel["x"], sel["y"], s=3.0, c="#56B4E9", edgecolors="none", alpha=0.8)
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h - 0.5, -0.5)
        ax.set_axis_off()
        ax.set_title(f"{stimulus} ({len(sel)} fixations)", fontsize=8)
    return ax
