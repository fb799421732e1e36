"""Figures of activations."""
from __future__ import annotations

import numpy as np

from ._style import PALETTE, STREAM_COLOURS, new_axes, paper_style


def plot_layer_pca(activations, *, color_by: str = "category", ax=None, legend: bool = True):
    """Stimuli in the plane of a layer's first two principal components, coloured by a factor.

    Parameters
    ----------
    activations : xarray.DataArray
        One layer, dims ``(stimulus, unit)`` (e.g. ``nc.extraction.get_layer(tree, "layer4")``).
    color_by : str
        A stimulus coordinate; categorical factors get the palette, numeric ones a colour map.
    ax : matplotlib Axes, optional
    legend : bool

    Returns
    -------
    matplotlib.axes.Axes
    """
    from sklearn.decomposition import PCA

    import xarray as xr

    if not isinstance(activations, xr.DataArray):
        raise TypeError(f"Invalid value for 'activations': expected one layer's activations as a DataArray with dims "
                        f"(stimulus, unit), e.g. neurocompare.extraction.get_layer(acts, layer); got "
                        f"{type(activations).__name__}.")
    if "stimulus" not in activations.dims or activations.ndim != 2:
        raise ValueError(f"Invalid value for 'activations': expected a DataArray with dims (stimulus, unit); got "
                         f"dims {activations.dims}.")
    if color_by not in activations.coords:
        coords = [c for c in activations.coords if activations[c].dims == ("stimulus",)]
        raise ValueError(f"Invalid value for 'color_by': expected a stimulus coordinate ({coords}); got {color_by!r}.")
    x = np.nan_to_num(np.asarray(activations.values, dtype=np.float64))
    n_comp = min(2, *x.shape)
    pcs = PCA(n_comp, svd_solver="full").fit(x)
    xy = pcs.transform(x)
    if n_comp == 1:
        xy = np.column_stack([xy[:, 0], np.zeros(len(xy))])
    ev = list(pcs.explained_variance_ratio_) + [0.0]
    ax = new_axes(ax)
    values = activations[color_by].values
    with paper_style():
        if np.issubdtype(values.dtype, np.number) and len(np.unique(values)) > 12:
            sc = ax.scatter(xy[:, 0], xy[:, 1], c=values, s=10, cmap="viridis")
            ax.figure.colorbar(sc, ax=ax, label=color_by)
        else:
            for i, level in enumerate(dict.fromkeys(values)):
                sel = values == level
                ax.scatter(xy[sel, 0], xy[sel, 1], s=10, color=PALETTE[i % len(PALETTE)], label=str(level))
            if legend:
                ax.legend(frameon=False, fontsize=6, markerscale=0.8, loc="center left", bbox_to_anchor=(1, 0.5))
        layer = activations.attrs.get("layer", "")
        stream = activations.attrs.get("stream", "")
        ax.set_title(f"{layer}" + (f" ({stream})" if stream else ""), fontsize=9,
                     color=STREAM_COLOURS.get(stream, "black"))
        ax.set_xlabel(f"PC1 ({100 * ev[0]:.0f}%)")
        ax.set_ylabel(f"PC2 ({100 * ev[1]:.0f}%)")
        ax.set_xticks([])
        ax.set_yticks([])
    return ax


def plot_training_history(history, *, metric: str = "accuracy", ax=None):
    """Training and validation curves from the ``history`` of :func:`neurocompare.models.train`.

    Parameters
    ----------
    history : pandas.DataFrame
        ``epoch, split, metric, value`` (and optionally ``model``).
    metric : str
        The metric to draw (e.g. ``"accuracy"``, ``"loss"``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    have = sorted(history["metric"].unique())
    if metric not in have:
        raise ValueError(f"Invalid value for 'metric': expected one of {have}; got {metric!r}.")
    ax = new_axes(ax)
    with paper_style():
        for i, (split, d) in enumerate(history[history.metric == metric].groupby("split", sort=False)):
            ax.plot(d.epoch, d.value, marker="o", ms=2.5, color=PALETTE[i], label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric.replace("_", " "))
        ax.legend(frameon=False)
        if "model" in history:
            ax.set_title(str(history["model"].iloc[0]))
    return ax
