"""RSA figures: RDM heatmaps with category bands, MDS, layer profiles, model comparisons."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_columns
from ._style import PALETTE, STREAM_COLOURS, new_axes, paper_style

NC_COLOUR = "#bdbdbd"


def _rdm2d(rdm):
    from ..rsa import as_rdm

    da = as_rdm(rdm, name="rdm", check_symmetric=False)
    if da.ndim != 2:
        raise ValueError(f"Invalid value for 'rdm': expected a single RDM (stimulus_a, stimulus_b); got dims {da.dims}. "
                         "Select one first, e.g. rdms.isel(rdm=0) or neurocompare.rsa.group_rdm(subject_rdms).")
    return da


def _levels(da, by):
    if by is None:
        return None
    if by == "category" and "category" not in da.coords:  # the default, on an RDM without categories
        return None
    if by not in da.coords or da[by].dims != ("stimulus_a",):
        coords = [c for c in da.coords if da[c].dims == ("stimulus_a",) and c != "stimulus_a"]
        raise ValueError(f"Invalid value for 'by': expected a stimulus factor of the RDM ({coords}); got {by!r}.")
    return np.asarray(da[by].values).astype(str)


def plot_rdm(rdm, *, by: str | None = "category", sort: bool = False, percentile: bool = False, cmap="viridis",
             colorbar: bool = True, title: str | None = None, ax=None):
    """An RDM as a heatmap, with a colour band per level of a stimulus factor along both edges.

    Parameters
    ----------
    rdm : RDM DataArray (2-D)
    by : str or None
        Stimulus factor for the bands (e.g. ``"category"``; the default is ignored when the RDM has no
        ``category`` coordinate).
    sort : bool
        Group the stimuli by ``by`` (stable, in order of first appearance). The stored
        order is used otherwise.
    percentile : bool
        Show each dissimilarity as its percentile (Kriegeskorte et al. 2008's display).
    cmap : str or matplotlib colormap
    colorbar : bool
        Draw a colour bar.
    title : str, optional
        Axes title.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    da = _rdm2d(rdm)
    levels = _levels(da, by)
    order = np.arange(da.sizes["stimulus_a"])
    if sort and levels is not None:
        first = {lev: i for i, lev in reversed(list(enumerate(levels)))}
        order = np.array(sorted(order, key=lambda i: (first[levels[i]], i)))
    m = np.asarray(da.values, dtype=float)[np.ix_(order, order)]
    if percentile:
        from scipy.stats import rankdata

        iu = np.triu_indices(len(m), 1)
        vals = m[iu]
        ok = ~np.isnan(vals)
        pct = np.full(vals.shape, np.nan)
        pct[ok] = 100 * (rankdata(vals[ok]) - 1) / max(1, ok.sum() - 1)
        m = np.zeros_like(m)
        m[iu] = pct
        m[(iu[1], iu[0])] = pct
    ax = new_axes(ax, figsize=(3.6, 3.2))
    n = len(m)
    with paper_style():
        im = ax.imshow(m, cmap=cmap, interpolation="nearest", extent=(0, n, n, 0))
        if colorbar:
            ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                               label="percentile of dissimilarity" if percentile else da.attrs.get("method", ""))
        if levels is not None:
            from matplotlib.patches import Patch, Rectangle

            lev = levels[order]
            uniq = list(dict.fromkeys(lev))
            colours = {u: PALETTE[i % len(PALETTE)] for i, u in enumerate(uniq)}
            band = max(1.0, n * 0.03)
            for i, lv in enumerate(lev):
                ax.add_patch(Rectangle((i, -band * 1.2), 1, band, color=colours[lv], clip_on=False, lw=0))
                ax.add_patch(Rectangle((-band * 1.2, i), band, 1, color=colours[lv], clip_on=False, lw=0))
            ax.legend(handles=[Patch(color=colours[u], label=u) for u in uniq], loc="upper center",
                      bbox_to_anchor=(0.5, -0.02), ncol=min(3, len(uniq)), frameon=False, fontsize=6)
            ax.set_xlim(-band * 1.3, n)
            ax.set_ylim(n, -band * 1.3)
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        label = title if title is not None else " / ".join(str(da.attrs[k]) for k in ("model", "layer")
                                                           if da.attrs.get(k))
        if label:
            ax.set_title(label)
    return ax


def plot_mds(rdm, *, by: str | None = "category", random_state: int = 0, ax=None):
    """Two-dimensional metric MDS of an RDM, points coloured by a stimulus factor.

    Parameters
    ----------
    rdm : RDM DataArray (2-D)
        A complete RDM (no NaN).
    by : str or None
        Stimulus factor colouring the points (the default ``"category"`` is ignored when the RDM has none).
    random_state : int
        Seeds the MDS.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    da = _rdm2d(rdm)
    m = np.asarray(da.values, dtype=float)
    if np.isnan(m).any():
        raise ValueError("Invalid value for 'rdm': MDS needs a complete RDM; this one has NaN entries.")
    levels = _levels(da, by)
    emb = _mds(np.maximum(m, 0), random_state)
    ax = new_axes(ax, figsize=(3.2, 3.0))
    with paper_style():
        if levels is None:
            ax.scatter(emb[:, 0], emb[:, 1], s=12, color=PALETTE[0])
        else:
            for i, lev in enumerate(dict.fromkeys(levels)):
                sel = levels == lev
                ax.scatter(emb[sel, 0], emb[sel, 1], s=12, color=PALETTE[i % len(PALETTE)], label=lev)
            ax.legend(frameon=False, fontsize=6, loc="center left", bbox_to_anchor=(1, 0.5))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("MDS 1")
        ax.set_ylabel("MDS 2")
        ax.set_aspect("equal", adjustable="datalim")
    return ax


def _mds(d, random_state):
    """Metric MDS (SMACOF) of a dissimilarity matrix, started from classical MDS."""
    import inspect

    from sklearn.manifold import MDS

    kw = {"n_components": 2, "random_state": random_state, "n_init": 1}
    if "init" in inspect.signature(MDS).parameters:  # scikit-learn >= 1.8 starts from classical MDS itself
        return MDS(metric="precomputed", init="classical_mds", **kw).fit_transform(d)
    n = len(d)
    j = np.eye(n) - 1.0 / n
    vals, vecs = np.linalg.eigh(-0.5 * j @ (d ** 2) @ j)
    init = vecs[:, ::-1][:, :2] * np.sqrt(np.maximum(vals[::-1][:2], 0))
    return MDS(dissimilarity="precomputed", **kw).fit_transform(d, init=init)


def _stars(p):
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def plot_layer_profile(results, *, x: str = "layer", hue: str = "model", ax=None, level: float = 0.05,
                       ceiling: bool = True, colour_by_stream: bool = False):
    """RSA score across layers: one line per model, CIs, the noise-ceiling band and significance marks.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`neurocompare.rsa.evaluate` (columns ``value, ci_low, ci_high, p`` and the
        noise-ceiling columns), in layer order.
    x, hue : str
        Columns for the x axis and the lines.
    level : float
        Significance level: layers with ``p < level`` get a star above their CI.
    ceiling : bool
        Draw the noise ceiling (lower to upper bound) as a grey band.
    colour_by_stream : bool
        Colour each point by its ``stream`` (shared / what / where).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    need = {x, "value"}
    check_columns("results", results, need, expected="the output of neurocompare.rsa.evaluate")
    ax = new_axes(ax, figsize=(4.2, 2.8))
    groups = list(results.groupby(hue, sort=False)) if hue in results.columns else [("", results)]
    order = list(dict.fromkeys(results[x].astype(str)))
    pos = {lab: i for i, lab in enumerate(order)}
    with paper_style():
        if ceiling and {"noise_ceiling_lower", "noise_ceiling_upper"} <= set(results.columns):
            lo, hi = results["noise_ceiling_lower"].iloc[0], results["noise_ceiling_upper"].iloc[0]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.axhspan(lo, hi, color=NC_COLOUR, alpha=0.6, lw=0, label="noise ceiling", zorder=0)
        ax.axhline(0, color="black", lw=0.6, zorder=1)
        width = 0.25 if len(groups) > 1 else 0.0
        for g, (name, d) in enumerate(groups):
            off = (g - (len(groups) - 1) / 2) * width / max(1, len(groups) - 1) if len(groups) > 1 else 0.0
            xs = np.array([pos[str(v)] for v in d[x]]) + off
            colour = PALETTE[g % len(PALETTE)]
            ax.plot(xs, d["value"], "-", color=colour, lw=1.2, label=str(name) if name != "" else None, zorder=2)
            pts = [STREAM_COLOURS.get(s, colour) for s in d["stream"]] if colour_by_stream and "stream" in d \
                else colour
            ax.scatter(xs, d["value"], s=16, color=pts, zorder=3)
            if {"ci_low", "ci_high"} <= set(d.columns) and d["ci_low"].notna().any():
                ax.vlines(xs, d["ci_low"], d["ci_high"], color=colour, lw=0.9, zorder=2)
            if "p" in d.columns:
                top = d["ci_high"].where(d["ci_high"].notna(), d["value"]) if "ci_high" in d else d["value"]
                for xi, yi, p in zip(xs, top, d["p"]):
                    if np.isfinite(p) and p < level:
                        ax.text(xi, yi, _stars(p) if level == 0.05 else "*", ha="center", va="bottom", fontsize=7,
                                color=colour)
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels(order, rotation=45, ha="right")
        metric = results["metric"].iloc[0] if "metric" in results.columns else "similarity"
        target = results["target"].iloc[0] if "target" in results.columns else ""
        ax.set_ylabel(f"RDM similarity ({metric})")
        ax.set_title(f"vs {target}" if target else "")
        if colour_by_stream and "stream" in results.columns:
            from matplotlib.lines import Line2D

            handles, labels = ax.get_legend_handles_labels()
            for s in dict.fromkeys(results["stream"]):
                handles.append(Line2D([], [], marker="o", ls="", color=STREAM_COLOURS.get(s, "black")))
                labels.append(str(s))
            ax.legend(handles, labels, frameon=False, fontsize=7)
        else:
            ax.legend(frameon=False, fontsize=7)
    return ax


def plot_model_comparison(results, *, label: str = "model", pairwise=None, ax=None, level: float = 0.05):
    """Bars of RSA scores with CIs, the noise ceiling, and (optionally) significant pairwise differences.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`neurocompare.rsa.evaluate`, one row per bar.
    label : str
        Column naming the bars.
    pairwise : pandas.DataFrame, optional
        From :func:`neurocompare.rsa.pairwise_tests`; each model that differs significantly
        (FDR) from the best-scoring one is linked to it by a horizontal line above the bars.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    level : float
        Significance level: bars with ``p < level`` get stars.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if label not in results.columns:
        raise ValueError(f"Invalid value for 'label': {label!r} is not a column of 'results' "
                         f"({list(results.columns)}).")
    ax = new_axes(ax, figsize=(4.0, 2.8))
    names = results[label].astype(str).tolist()
    xs = np.arange(len(names))
    with paper_style():
        if {"noise_ceiling_lower", "noise_ceiling_upper"} <= set(results.columns):
            lo, hi = results["noise_ceiling_lower"].iloc[0], results["noise_ceiling_upper"].iloc[0]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.axhspan(lo, hi, color=NC_COLOUR, alpha=0.6, lw=0, label="noise ceiling", zorder=0)
        ax.bar(xs, results["value"], color=PALETTE[0], width=0.7, zorder=2)
        if {"ci_low", "ci_high"} <= set(results.columns):
            ax.vlines(xs, results["ci_low"], results["ci_high"], color="black", lw=1, zorder=3)
        top = float(np.nanmax(np.r_[results.get("ci_high", results["value"]).to_numpy(), results["value"].to_numpy()]))
        if "p" in results.columns:
            for xi, p, y in zip(xs, results["p"], results.get("ci_high", results["value"])):
                if np.isfinite(p) and p < level:
                    ax.text(xi, y, _stars(p), ha="center", va="bottom", fontsize=7)
        if pairwise is not None and len(pairwise):
            best = names[int(np.nanargmax(results["value"].to_numpy()))]
            sig = pairwise[pairwise["significant"]]
            step = 0.04 * max(abs(top), 1e-9)
            level = top + 2 * step
            key_a = f"{label}_a" if f"{label}_a" in pairwise.columns else pairwise.columns[0]
            key_b = f"{label}_b" if f"{label}_b" in pairwise.columns else pairwise.columns[1]
            idx = {n: i for i, n in enumerate(names)}
            for _, row in sig.iterrows():
                a, b = idx.get(str(row[key_a])), idx.get(str(row[key_b]))
                if a is None or b is None or best not in (str(row[key_a]), str(row[key_b])):
                    continue
                ax.plot([a, b], [level, level], color="black", lw=0.7)
                level += step
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xticks(xs)
        ax.set_xticklabels(names, rotation=45, ha="right")
        metric = results["metric"].iloc[0] if "metric" in results.columns else "similarity"
        ax.set_ylabel(f"RDM similarity ({metric})")
        if "target" in results.columns:
            ax.set_title(f"vs {results['target'].iloc[0]}")
        ax.legend(frameon=False, fontsize=7)
    return ax
