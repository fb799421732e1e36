"""Figures of GAN experiments: adversarial dynamics, sample grids, traversals, axis cosines."""
from __future__ import annotations

import numpy as np

from ._style import PALETTE, new_axes, paper_style


def plot_gan_history(history, *, fig=None):
    """The adversarial dynamics: D and G losses (left) and the mean D(x) and D(G(z)) (right) per epoch.

    Parameters
    ----------
    history : pandas.DataFrame
        ``gan.history`` from :func:`neurocompare.generation.train_gan`.
    fig : matplotlib.figure.Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    need = {"loss_d", "loss_g", "d_real", "d_fake"}
    have = set(history["metric"].unique()) if "metric" in history else set()
    if not need <= have:
        raise ValueError(f"Invalid value for 'history': expected the GAN metrics {sorted(need)}; got {sorted(have)}. "
                         "Pass gan.history from neurocompare.generation.train_gan.")
    h = history.pivot_table(index="epoch", columns="metric", values="value")
    with paper_style():
        fig = fig or plt.figure(figsize=(7, 2.9))
        ax1, ax2 = fig.subplots(1, 2)
        ax1.plot(h.index, h.loss_d, color=PALETTE[0], marker="o", ms=2.5, label="discriminator")
        ax1.plot(h.index, h.loss_g, color=PALETTE[5], marker="o", ms=2.5, label="generator")
        ax1.set_xlabel("epoch")
        ax1.set_ylabel("loss (binary cross-entropy)")
        ax1.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=7)
        ax2.axhline(0.5, color="0.6", lw=0.8, ls="--", label="equilibrium (0.5)")
        ax2.plot(h.index, h.d_real, color=PALETTE[2], marker="o", ms=2.5, label="D(x), real")
        ax2.plot(h.index, h.d_fake, color=PALETTE[3], marker="o", ms=2.5, label="D(G(z)), generated")
        ax2.set_ylim(0, 1)
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("mean discriminator output")
        ax2.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=7)
        fig.tight_layout()
    return fig


def plot_sample_grid(samples, *, epoch=None, n: int | None = None, ncol: int | None = None, ax=None):
    """A grid of generated images.

    Parameters
    ----------
    samples : ModelWrapper, xarray.DataArray or array
        A GAN from ``train_gan`` (its fixed-latent ``samples``), its ``samples`` DataArray
        (``epoch, sample, y, x, channel``), or uint8 images (N, H, W, C).
    epoch : int, optional
        Which epoch's grid (default the last).
    n : int, optional
        Show only the first ``n`` images.
    ncol : int, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from ..generation import image_grid

    title = None
    if hasattr(samples, "samples") and getattr(samples, "samples", None) is not None:
        samples = samples.samples
    if hasattr(samples, "dims") and "epoch" in samples.dims:
        epochs = [int(e) for e in samples.epoch.values]
        epoch = epochs[-1] if epoch is None else epoch
        if epoch not in epochs:
            raise ValueError(f"Invalid value for 'epoch': expected one of {epochs}; got {epoch!r}.")
        samples = samples.sel(epoch=epoch)
        title = f"epoch {epoch}"
    arr = np.asarray(samples)
    if arr.ndim != 4 or arr.shape[-1] not in (1, 3):
        raise ValueError(f"Invalid value for 'samples': expected images (N, H, W, C) with C = 1 or 3; got shape "
                         f"{arr.shape}.")
    if arr.dtype != np.uint8:
        raise ValueError("Invalid value for 'samples': expected uint8 images (0-255); convert generator output with "
                         "neurocompare.generation.images.to_uint8.")
    if n is not None:
        from .._utils.checks import check_positive_int

        arr = arr[:check_positive_int("n", n)]
    grid = image_grid(arr, ncol=ncol)
    ax = new_axes(ax, figsize=(3.2, 3.2))
    with paper_style():
        ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray", interpolation="nearest")
        ax.set_axis_off()
        if title:
            ax.set_title(title)
    return ax


def plot_traversal(traversal, *, factors=None, chains=None, fig=None):
    """Traversal images (chains x steps) above the decoded factors' change per step.

    Parameters
    ----------
    traversal : StimulusSet
        From :func:`neurocompare.generation.traverse` with a labeler.
    factors : list of str, optional
        Decoded numeric factors to plot (default: the target and the numeric off-targets,
        class probabilities left out).
    chains : list of int, optional
        Chains to show as rows (default the first 6).
    fig : matplotlib.figure.Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import pandas as pd

    from ..generation import image_grid, traversal_effects
    from ..generation.tables import decoded_factors, traversal_table

    md = traversal_table(traversal)
    target = str(md["axis"].iloc[0])
    all_chains = sorted(md["chain"].unique())
    chains = all_chains[:6] if chains is None else list(chains)
    bad = [c for c in chains if c not in all_chains]
    if bad:
        raise ValueError(f"Invalid value for 'chains': {bad} not in the traversal's chains {all_chains}.")
    numeric = [f for f in decoded_factors(md) if pd.api.types.is_numeric_dtype(md[f])]
    if factors is None:
        factors = [f for f in numeric if not f.startswith("p_")]
        factors = ([target] if target in factors else []) + [f for f in factors if f != target]
    else:
        factors = [factors] if isinstance(factors, str) else list(factors)
        missing = [f for f in factors if f not in numeric]
        if missing:
            raise ValueError(f"Invalid value for 'factors': {missing} are not decoded numeric factors of this "
                             f"traversal; available: {numeric}.")
    steps = sorted(md["step"].unique())
    imgs = []
    for c in chains:
        for s in steps:
            row = md[(md.chain == c) & (md.step == s)].iloc[0]
            imgs.append(np.asarray(traversal.load_image(str(row["stimulus_id"]))))
    grid = image_grid(np.stack(imgs), ncol=len(steps))
    offsets = [float(md.loc[md.step == s, "offset"].iloc[0]) for s in steps]
    with paper_style():
        fig = fig or plt.figure(figsize=(max(4.0, 0.55 * len(steps) + 1.5), 1.0 + 0.55 * len(chains) + 2.2))
        h_img = 0.55 * len(chains)
        ax_img, ax_fac = fig.subplots(2, 1, gridspec_kw={"height_ratios": [h_img, 2.0]})
        ax_img.imshow(grid, interpolation="nearest")
        ax_img.set_axis_off()
        ax_img.set_title(f"traversal along the {target!r} axis (rows: chains; columns: offsets)")
        if factors:
            eff = traversal_effects(md, target=target)
            for i, f in enumerate(factors):
                e = eff[eff.factor == f].sort_values("step")
                lw, style = (2.0, "-") if f == target else (1.2, "--")
                ax_fac.plot(e.offset, e.change, style, color=PALETTE[i % len(PALETTE)], lw=lw, marker="o", ms=3,
                            label=f"{f} ({'target' if f == target else 'off-target'})")
                sd = e.change_sd.fillna(0).to_numpy()
                ax_fac.fill_between(e.offset, e.change - sd, e.change + sd, color=PALETTE[i % len(PALETTE)],
                                    alpha=0.15, lw=0)
            ax_fac.axhline(0, color="0.6", lw=0.8)
            ax_fac.set_xticks(offsets)
            ax_fac.set_xticklabels([f"{o:+.3g}" for o in offsets])
            ax_fac.set_xlabel("offset along the axis")
            ax_fac.set_ylabel("decoded change\n(mean ± sd over chains)")
            ax_fac.legend(frameon=False, fontsize=7, loc="upper left")
        else:
            ax_fac.set_axis_off()
            ax_fac.text(0.5, 0.5, "no decoded factors (traverse without a labeler)", ha="center", va="center")
        fig.tight_layout()
    return fig


def plot_axis_cosines(cosines, *, fig=None):
    """Heatmaps of the cosines between latent axes, before and after disentangling.

    Parameters
    ----------
    cosines : pandas.DataFrame or FeatureAxes
        ``FeatureAxes.cosines`` (``axis_a, axis_b, stage, cosine``) or the FeatureAxes itself.
    fig : matplotlib.figure.Figure, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if hasattr(cosines, "cosines"):
        cosines = cosines.cosines
    need = {"axis_a", "axis_b", "stage", "cosine"}
    if not need <= set(getattr(cosines, "columns", [])):
        raise ValueError(f"Invalid value for 'cosines': expected a table with columns {sorted(need)} "
                         "(FeatureAxes.cosines).")
    stages = [s for s in ("before", "after") if s in set(cosines.stage)]
    order = list(dict.fromkeys(cosines.axis_a))
    with paper_style():
        fig = fig or plt.figure(figsize=(3.0 * len(stages) + 0.8, 2.8))
        axes = np.atleast_1d(fig.subplots(1, len(stages)))
        for ax, stage in zip(axes, stages):
            m = cosines[cosines.stage == stage].pivot(index="axis_a", columns="axis_b", values="cosine")
            m = m.loc[order, order]
            im = ax.imshow(m.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
            ax.set_xticks(range(len(order)), order, rotation=45, ha="right")
            ax.set_yticks(range(len(order)), order)
            for i in range(len(order)):
                for j in range(len(order)):
                    v = m.iat[i, j]
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if abs(v) > 0.6 else "black")
            ax.set_title(f"{stage} disentangling")
        fig.colorbar(im, ax=list(axes), shrink=0.8, label="cosine")
    return fig
