"""CycleGAN figures: the adversarial dynamics, translation grids, and what is kept vs what changes."""
from __future__ import annotations

import numpy as np

from ._style import PALETTE, STREAM_COLOURS, new_axes, paper_style

_DOMAIN_COLOURS = {"a": PALETTE[0], "b": PALETTE[1]}
_HISTORY_COLUMNS = {"epoch", "domain", "metric", "value"}


def _check_history(history):
    import pandas as pd

    if hasattr(history, "history") and not isinstance(history, pd.DataFrame):
        history = history.history
    if not isinstance(history, pd.DataFrame) or not _HISTORY_COLUMNS <= set(history.columns):
        raise ValueError("Invalid value for 'history': expected the history DataFrame of train_cyclegan (columns "
                         f"{sorted(_HISTORY_COLUMNS)}) or the CycleGAN itself; got {type(history).__name__}.")
    if len(history) == 0:
        raise ValueError("Invalid value for 'history': it is empty (no epoch was trained).")
    return history


def _lines(ax, history, specs, ylabel):
    for metric, domain, label, colour, style in specs:
        d = history[(history.metric == metric) & (history.domain == domain)]
        if len(d):
            ax.plot(d.epoch, d.value, ls=style, marker="o", ms=2.5, lw=1.2, color=colour, label=label)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=6)


def plot_cyclegan_history(history, *, axes=None):
    """The adversarial dynamics of a CycleGAN run, in three panels.

    1. Adversarial losses (LSGAN): each discriminator's loss and the loss of the generator into its
       domain. At the LSGAN equilibrium the discriminator outputs 0.5 everywhere, which gives a
       discriminator loss of 0.25 and a generator loss of 0.25 (dotted line).
    2. Cycle and identity L1 per domain (0-1 intensity scale).
    3. Mean discriminator output on real images and on the current fakes (targets 1 and 0).

    Parameters
    ----------
    history : pandas.DataFrame or CycleGAN
        ``CycleGAN.history`` (``epoch, domain, metric, value``) or the CycleGAN itself.
    axes : sequence of 3 matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    history = _check_history(history)
    if axes is None:
        import matplotlib.pyplot as plt

        with paper_style():
            fig, axes = plt.subplots(1, 3, figsize=(10, 2.8))
    elif len(axes) != 3:
        raise ValueError(f"Invalid value for 'axes': expected 3 Axes; got {len(axes)}.")
    a, b = _DOMAIN_COLOURS["a"], _DOMAIN_COLOURS["b"]
    with paper_style():
        _lines(axes[0], history, [("loss_d", "a", "D_A", a, "-"), ("loss_d", "b", "D_B", b, "-"),
                                  ("loss_g_adv", "a", "G_BA (into A)", a, "--"),
                                  ("loss_g_adv", "b", "G_AB (into B)", b, "--")], "LSGAN loss")
        axes[0].axhline(0.25, color="grey", lw=0.7, ls=":")
        axes[0].set_title("adversarial losses")
        _lines(axes[1], history, [("cycle_l1", "a", "cycle A->B->A", a, "-"),
                                  ("cycle_l1", "b", "cycle B->A->B", b, "-"),
                                  ("identity_l1", "a", "identity on A", a, "--"),
                                  ("identity_l1", "b", "identity on B", b, "--")], "mean absolute error")
        axes[1].set_title("cycle and identity L1")
        axes[1].set_ylim(bottom=0)
        _lines(axes[2], history, [("d_real", "a", "D_A(real A)", a, "-"), ("d_real", "b", "D_B(real B)", b, "-"),
                                  ("d_fake", "a", "D_A(fake A)", a, "--"), ("d_fake", "b", "D_B(fake B)", b, "--")],
               "mean patch score")
        for y in (0, 1):
            axes[2].axhline(y, color="grey", lw=0.7, ls=":")
        axes[2].set_title("discriminator outputs")
    fig = axes[0].figure
    fig.tight_layout()
    return fig


def plot_translation_grid(result, domain_a, domain_b=None, *, n: int = 6, ax=None):
    """Example translations: rows A, A->B, A->B->A (and B, B->A, B->A->B), one column per stimulus.

    Parameters
    ----------
    result : CycleGAN
    domain_a : StimulusSet
        Source images of domain A (the first ``n``, spread evenly over the set).
    domain_b : StimulusSet, optional
        Adds the three rows of domain B.
    n : int
        Columns (stimuli per domain).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .._utils.checks import check_positive_int
    from ..generation import CycleGAN
    from ..generation.images import images_tensor, to_uint8

    if not isinstance(result, CycleGAN):
        raise TypeError(f"Invalid value for 'result': expected a CycleGAN; got {type(result).__name__}.")
    n = check_positive_int("n", n)
    rows, labels = [], []
    for dom, stim, there, back, (s, t) in (("a", domain_a, "a2b", "b2a", ("A", "B")),
                                           ("b", domain_b, "b2a", "a2b", ("B", "A"))):
        if stim is None:
            continue
        k = min(n, len(stim))
        picks = np.unique(np.linspace(0, len(stim) - 1, k).round().astype(int))
        x = images_tensor(stim.subset(list(picks)), result.image_shape, resize=True, param=f"domain_{dom}")
        y = result.apply(x, there, progress=False)
        rows += [to_uint8(x), to_uint8(y), to_uint8(result.apply(y, back, progress=False))]
        labels += [s, f"{s}\u2192{t}", f"{s}\u2192{t}\u2192{s}"]
    h, w = result.image_shape
    ncols = max(len(r) for r in rows)
    pad = max(2, w // 16)
    canvas = np.full((len(rows) * (h + pad) + pad, ncols * (w + pad) + pad, 3), 255, dtype=np.uint8)
    for r, imgs in enumerate(rows):
        for c, img in enumerate(imgs):
            y0, x0 = pad + r * (h + pad), pad + c * (w + pad)
            canvas[y0:y0 + h, x0:x0 + w] = img
    ax = new_axes(ax, figsize=(0.75 * ncols + 0.9, 0.75 * len(rows)))
    with paper_style():
        ax.imshow(canvas, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([pad + r * (h + pad) + h / 2 for r in range(len(rows))])
        ax.set_yticklabels(labels, fontsize=7)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
    return ax


def plot_dissociation(table, *, ax=None):
    """What the translation keeps and what it changes, as bars with CIs.

    Left: the where factors (r between the labeler's read-out on source and translation) and the
    what factors (label agreement): kept when near 1. Right: the share of images the style
    classifier reads as the target domain, on the source and on the translation: changed when it
    goes from near 0 to near 1.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`neurocompare.generation.translation_dissociation` (one direction).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import pandas as pd

    need = {"kind", "factor", "image", "metric", "value", "ci_low", "ci_high"}
    if not isinstance(table, pd.DataFrame) or not need <= set(table.columns):
        raise ValueError("Invalid value for 'table': expected the DataFrame of translation_dissociation (columns "
                         f"{sorted(need)}); got {type(table).__name__}.")
    if "direction" in table and table["direction"].nunique() > 1:
        raise ValueError("Invalid value for 'table': it holds several directions "
                         f"{sorted(table['direction'].unique())}; pass one, e.g. table[table.direction == 'a2b'].")
    kept = table[(table.image == "source_vs_translation") & table.metric.isin(["r", "agreement"])]
    style = table[(table.kind == "style") & (table.metric == "target_domain_rate")]
    bars = [(f"{r.factor}\n({'r' if r.metric == 'r' else 'agree'})", r, STREAM_COLOURS[r.kind], 1.0)
            for r in kept.itertuples()]
    bars += [(f"style\n{r.image}", r, PALETTE[3], 0.45 if r.image == "source" else 1.0) for r in style.itertuples()]
    if not bars:
        raise ValueError("Invalid value for 'table': it has no kept (r, agreement) or style rows to plot.")
    ax = new_axes(ax, figsize=(0.55 * len(bars) + 1.2, 2.8))
    with paper_style():
        for i, (label, r, colour, alpha) in enumerate(bars):
            ax.bar(i, r.value, color=colour, alpha=alpha, width=0.7)
            if np.isfinite(r.ci_low) and np.isfinite(r.ci_high):
                ax.errorbar(i, r.value, yerr=[[max(r.value - r.ci_low, 0)], [max(r.ci_high - r.value, 0)]],
                            color="black", lw=0.8, capsize=2)
        n_kept = len(kept)
        if n_kept and len(style):
            ax.axvline(n_kept - 0.5, color="grey", lw=0.7)
        ax.set_xticks(range(len(bars)))
        ax.set_xticklabels([b[0] for b in bars], fontsize=7)
        ax.set_ylim(min(0.0, float(np.nanmin([b[1].value for b in bars])) - 0.05), 1.05)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_ylabel("kept (r, agreement) / read as target")
        direction = table["direction"].iloc[0] if "direction" in table and len(table) else ""
        ax.set_title(f"what/where kept, style changed ({direction})" if direction else "kept vs changed")
    return ax
