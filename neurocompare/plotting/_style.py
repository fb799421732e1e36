"""Publication defaults: readable fonts, a colour-blind-safe palette, PNG (300 dpi) + PDF output."""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
STREAM_COLOURS = {"shared": "#7f7f7f", "what": "#0072B2", "where": "#D55E00"}

RC = {
    "figure.dpi": 100, "savefig.dpi": 300, "savefig.bbox": "tight", "font.size": 9, "axes.titlesize": 10,
    "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8,
    "axes.spines.top": False, "axes.spines.right": False, "pdf.fonttype": 42, "ps.fonttype": 42,
    "svg.fonttype": "none", "image.cmap": "viridis",
}


@contextlib.contextmanager
def paper_style():
    """Temporarily apply neurocompare's figure defaults (leaves global matplotlib settings alone after)."""
    import matplotlib as mpl
    from cycler import cycler

    with mpl.rc_context({**RC, "axes.prop_cycle": cycler(color=PALETTE)}):
        yield


def new_axes(ax=None, *, figsize=(3.5, 2.8)):
    """Return ``ax`` or a fresh Axes on a new figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    with paper_style():
        _, ax = plt.subplots(figsize=figsize)
    return ax


def save_figure(fig, path, *, formats=("png", "pdf")) -> list[Path]:
    """Save ``fig`` as ``path.png`` (300 dpi) and ``path.pdf`` (vector).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        The file name; its suffix is replaced by each format's.
    formats : sequence of str
        File formats to write.

    Returns
    -------
    list of Path
        The files written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with paper_style():
        for fmt in formats:
            target = path.with_suffix(f".{fmt}")
            fig.savefig(target)
            out.append(target)
    return out


def add_panel_letters(axes_or_fig, *, letters: str = "abcdefghijklmnopqrstuvwxyz", loc=None):
    """Label the panels of a figure a, b, c, ... in bold, top-left outside each Axes (Nature / eLife style).

    Parameters
    ----------
    axes_or_fig : matplotlib Figure, Axes or array of Axes
        The panels, in reading order (a Figure: its Axes that are not colour bars).
    letters : str or sequence of str
        One label per panel, in order.
    loc : tuple of float, optional
        Position of the letter in Axes coordinates (x, y). Default: above the panel's
        title and aligned with its leftmost decoration (tick labels, y label, colour bands),
        so that a letter never overlaps them, wherever ``tight_layout`` later moves the panel.
        The letters are 11 pt bold.

    Returns
    -------
    list of matplotlib.axes.Axes
        The lettered Axes, in order.
    """
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if isinstance(axes_or_fig, Figure):
        axes = [a for a in axes_or_fig.axes if a.get_label() != "<colorbar>" and a.get_visible()]
    elif isinstance(axes_or_fig, Axes):
        axes = [axes_or_fig]
    else:
        axes = list(np.asarray(axes_or_fig, dtype=object).ravel())
        bad = [type(a).__name__ for a in axes if not isinstance(a, Axes)]
        if bad:
            raise TypeError(f"Invalid value for 'axes_or_fig': expected a Figure, an Axes or an array of Axes; got "
                            f"an array holding {bad[0]}.")
    if len(letters) < len(axes):
        raise ValueError(f"Invalid value for 'letters': expected at least {len(axes)} labels (one per panel); got "
                         f"{len(letters)}.")
    for a, letter in zip(axes, letters):
        if loc is not None:
            a.text(loc[0], loc[1], str(letter), transform=a.transAxes, fontsize=11, fontweight="bold", ha="right",
                   va="bottom", gid="panel_letter")
            continue
        from matplotlib.transforms import offset_copy

        fig = a.figure
        renderer = fig.canvas.get_renderer()
        tight, frame = a.get_tightbbox(renderer), a.get_window_extent(renderer)
        to_points = 72 / fig.dpi  # offsets in points stay right when the layout later rescales the Axes
        dx = min(tight.x0 - frame.x0, 0) * to_points - 2
        dy = max(tight.y1 - frame.y1, 0) * to_points + 2
        a.text(0, 1, str(letter), transform=offset_copy(a.transAxes, fig=fig, x=dx, y=dy, units="points"),
               fontsize=11, fontweight="bold", ha="left", va="bottom", gid="panel_letter")
    return axes


def legend_outside(ax, handles=None, labels=None, *, where: str = "right", **kwargs):
    """A frameless legend outside the Axes (right of it or below), so it never covers the data."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if where == "right":
        place = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0}
    else:
        place = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.28), "ncol": min(3, len(handles))}
    return ax.legend(handles, labels, frameon=False, **{"fontsize": 7, **place, **kwargs})


def set_category_ticks(ax, labels, *, axis: str = "x", long: int = 4):
    """Tick labels at 0, 1, ...; rotated 45° and right-aligned when any is longer than ``long`` characters."""
    labels = [str(s) for s in labels]
    rotate = axis == "x" and any(len(s) > long for s in labels)
    if axis == "x":
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=45 if rotate else 0, ha="right" if rotate else "center",
                           rotation_mode="anchor" if rotate else "default")
    else:
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(labels)
