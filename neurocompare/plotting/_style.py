"""Publication defaults: readable fonts, a colour-blind-safe palette, PNG (300 dpi) + PDF output."""
from __future__ import annotations

import contextlib
from pathlib import Path

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
