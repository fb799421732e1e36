"""Probe figures: the what/where profile across depth, the cross-readout matrix, units curves."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_columns
from ._style import PALETTE, STREAM_COLOURS, legend_outside, new_axes, paper_style, set_category_ticks

PRIMARY = {"what": "balanced_accuracy", "where": "r2"}


def _profile_axes(ax):
    """The two Axes of the profile: a new two-panel figure, a twin of one Axes, or the two given."""
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        with paper_style():
            _, axes = plt.subplots(2, 1, figsize=(4.4, 4.2), sharex=True)
        return list(axes)
    if isinstance(ax, Axes):
        with paper_style():
            twin = ax.twinx()
        twin.spines["right"].set_visible(True)
        twin.spines["top"].set_visible(False)
        return [ax, twin]
    axes = list(np.asarray(ax, dtype=object).ravel())
    if len(axes) != 2 or not all(isinstance(a, Axes) for a in axes):
        raise ValueError(f"Invalid value for 'ax': expected None, one Axes (R² then goes on a twin y-axis) or two "
                         f"Axes (what, where); got {type(ax).__name__} of {len(axes)} item(s).")
    return axes


def plot_probe_profile(results, *, aggregate: bool = True, layer_names=None, ax=None):
    """What and where read-out across depth, on two axes: balanced accuracy and R².

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`neurocompare.probes.what_where` (layers in extraction order).
    aggregate : bool
        Two curves, "what" (balanced accuracy, averaged over the what targets) and "where"
        (R², averaged over the where targets); the CI bars are the averaged CIs (bootstrap
        over test items, see :func:`neurocompare.decoding.decode`).
        ``False``: one curve per target.
    layer_names : dict or sequence of str, optional
        Display names of the layers: ``{name: display}`` or one per layer, in order.
    ax : matplotlib Axes or a pair of Axes, optional
        ``None``: a new figure with two panels, what (top) and where (bottom). One Axes:
        balanced accuracy on its y-axis, R² on a twin y-axis at the right. Two Axes: what
        in the first, where in the second.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The two Axes, ``[what, where]``: balanced accuracy (0 to 1, with chance dashed) and
        R² (at most 1; 0 is the mean's score, dashed).
    """
    from ._rsa import _display

    check_columns("results", results, {"layer", "target", "target_stream", "metric", "value"},
                  expected="the output of neurocompare.probes.what_where")
    d = results[[PRIMARY.get(ts) == m for ts, m in zip(results.target_stream, results.metric)]]
    if d.empty:
        raise ValueError("Invalid value for 'results': no balanced_accuracy (what) or r2 (where) rows.")
    if "ci_low" not in d.columns:
        d = d.assign(ci_low=np.nan, ci_high=np.nan)
    if "chance" not in d.columns:
        d = d.assign(chance=[0.0 if ts == "where" else np.nan for ts in d.target_stream])
    layers = list(dict.fromkeys(d.layer.astype(str)))
    shown = _display(layers, layer_names)
    pos = {lay: i for i, lay in enumerate(layers)}
    twin = ax is not None and not isinstance(ax, (list, tuple, np.ndarray))
    axes = _profile_axes(ax)
    axis_of = {"what": axes[0], "where": axes[1]}
    colours = {"what": STREAM_COLOURS["what"], "where": STREAM_COLOURS["where"]}
    stream_of = dict(zip(d.layer.astype(str), d.stream)) if "stream" in d.columns else {}
    with paper_style():
        if aggregate:
            labels = {"what": "what (balanced accuracy)", "where": "where (R²)"}
            for ts, g in d.groupby("target_stream", sort=False):
                g = g.assign(layer=g.layer.astype(str)).groupby("layer", sort=False).agg(
                    value=("value", "mean"), lo=("ci_low", "mean"), hi=("ci_high", "mean"), chance=("chance", "mean"))
                a = axis_of[ts]
                xs = np.array([pos[lay] for lay in g.index])
                # lines join consecutive layers of one stream only: branches are not a sequence
                for k, seg in enumerate(_runs([stream_of.get(lay, "") for lay in g.index])):
                    a.plot(xs[seg], g["value"].to_numpy()[seg], "-", color=colours[ts],
                           label=labels[ts] if k == 0 else None)
                a.plot(xs, g["value"], "o", ms=3.5, color=colours[ts])
                a.vlines(xs, g["lo"], g["hi"], color=colours[ts], lw=0.9)
                if np.isfinite(g["chance"].iloc[0]):
                    a.axhline(g["chance"].iloc[0], color=colours[ts], ls="--", lw=0.8)
        else:
            for i, (t, g) in enumerate(d.groupby("target", sort=False)):
                ts = g.target_stream.iloc[0]
                xs = [pos[str(lay)] for lay in g.layer]
                axis_of[ts].plot(xs, g["value"], "-o", ms=3, color=PALETTE[i % len(PALETTE)], label=f"{t} ({ts})")
                axis_of[ts].vlines(xs, g["ci_low"], g["ci_high"], color=PALETTE[i % len(PALETTE)], lw=0.8)
            for ts, g in d.groupby("target_stream"):
                if np.isfinite(g["chance"].mean()):
                    axis_of[ts].axhline(g["chance"].mean(), color=colours[ts], ls="--", lw=0.8)
        what, where = axes
        what.set_ylabel("what: balanced accuracy", color=colours["what"] if twin else "black")
        where.set_ylabel("where: R²", color=colours["where"] if twin else "black")
        what.set_ylim(0, 1.02)
        r2 = d[d.target_stream == "where"]
        low = float(np.nanmin(np.r_[r2["ci_low"].to_numpy(float), r2["value"].to_numpy(float)])) if len(r2) else 0.0
        where.set_ylim(max(-1.0, min(-0.05, low - 0.05)) if np.isfinite(low) else -0.05, 1.02)
        bottom = axes[0] if twin else axes[1]
        for a in ([axes[0]] if twin else axes):
            set_category_ticks(a, shown)
            a.tick_params(axis="x", labelbottom=a is bottom)
        if stream_of:
            for tick, lay in zip(bottom.get_xticklabels(), layers):
                tick.set_color(STREAM_COLOURS.get(stream_of.get(lay), "black"))
        bottom.set_xlabel("layer (tick colour: stream)" if stream_of else "layer")
        handles, labs = [], []
        for a in axes:
            h, lab = a.get_legend_handles_labels()
            handles += h
            labs += lab
        from matplotlib.lines import Line2D

        handles += [Line2D([], [], color="grey", ls="--", lw=0.8), Line2D([], [], color="grey", marker="|", ls="",
                                                                         ms=8)]
        methods = sorted(set(d["ci_method"].dropna().astype(str))) if "ci_method" in d.columns else []
        labs += ["chance (R²: 0)", f"95% CI ({methods[0]})" if len(methods) == 1 else
                 "95% CI (per row: see the table's ci_method)" if methods else "95% CI"]
        legend_outside(axes[0], handles, labs, where="right", bbox_to_anchor=(1.15 if twin else 1.02, 1.0))
        if "model" in d.columns and d.model.nunique() == 1:
            axes[0].set_title(str(d.model.iloc[0]))
    return np.array(axes, dtype=object)


def _runs(labels):
    """Index lists of the line segments: each stream's consecutive layers, branches starting at the last shared layer."""
    segments, start = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[i - 1]:
            segments.append(list(range(start, i)))
            start = i
    last_shared = None
    out = []
    for seg in segments:
        if labels[seg[0]] == "shared":
            last_shared = seg[-1]
            out.append(seg)
        else:
            out.append(([last_shared] if last_shared is not None else []) + seg)
    return out


def plot_cross_readout(cross, *, model: str | None = None, ax=None, cmap="viridis"):
    """Heatmap of what and where read out of each stream (from :func:`neurocompare.probes.cross_readout`).

    Parameters
    ----------
    cross : pandas.DataFrame
        The output of :func:`neurocompare.probes.cross_readout`.
    model : str, optional
        Show only this model's rows.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    cmap : str or matplotlib colormap

    Returns
    -------
    matplotlib.axes.Axes
    """
    d = cross if model is None else cross[cross.model == model]
    if d.empty:
        raise ValueError(f"Invalid value for 'model': no rows for {model!r}.")
    rows = [s for s in ("shared", "what", "where") if s in set(d.stream)]
    cols = [c for c in ("what", "where") if c in set(d.target_stream)]
    mat = np.full((len(rows), len(cols)), np.nan)
    for r in d.itertuples():
        mat[rows.index(r.stream), cols.index(r.target_stream)] = r.value
    ax = new_axes(ax, figsize=(2.8, 2.6))
    with paper_style():
        im = ax.imshow(mat, cmap=cmap, vmin=0, vmax=1)
        for i in range(len(rows)):
            for j in range(len(cols)):
                if np.isfinite(mat[i, j]):
                    ax.text(j, i, f"{mat[i, j]:.2f}", ha="center", va="center",
                            color="white" if mat[i, j] < 0.6 else "black", fontsize=8)
        ax.set_xticks(range(len(cols)))
        ax.set_xticklabels([f"{c}\n({'bal. acc.' if c == 'what' else 'R²'})" for c in cols])
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([f"{r} layers" for r in rows])
        ax.set_xlabel("read-out target")
        cb = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        cb.set_label("best layer's read-out\n(what: balanced accuracy, where: R²)", fontsize=7)
        ax.set_title("best layer per stream" + (f": {model}" if model else ""), fontsize=9)
    return ax


def plot_units_curve(curve, *, metric: str | None = None, ax=None):
    """Read-out against the number of units sampled, one line per layer (from :func:`units_curve`).

    Parameters
    ----------
    curve : pandas.DataFrame
        The output of :func:`neurocompare.probes.units_curve`.
    metric : str, optional
        The metric to draw (default: the first in ``curve``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    metric = metric or curve["metric"].iloc[0]
    d = curve[curve.metric == metric]
    if d.empty:
        raise ValueError(f"Invalid value for 'metric': expected one of {sorted(curve.metric.unique())}; got {metric!r}.")
    ax = new_axes(ax, figsize=(3.6, 2.8))
    with paper_style():
        for i, (layer, g) in enumerate(d.groupby("layer", sort=False)):
            colour = PALETTE[i % len(PALETTE)]
            ax.plot(g.n_units, g.value, "-o", ms=3, color=colour, label=layer)
            ax.fill_between(g.n_units, g.ci_low, g.ci_high, color=colour, alpha=0.2, lw=0)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("units sampled")
        ax.set_ylabel(metric.replace("_", " "))
        ax.set_title(f"{d.target.iloc[0]}", fontsize=9)
        ax.legend(frameon=False, fontsize=6)
    return ax


def plot_stream_experiment(results, *, metrics=("what_accuracy", "where_r2", "cross_what_from_where",
                                                "cross_where_from_what"), ax=None):
    """One-stream against two-stream nets: mean ± SD over seeds per metric, with each seed as a dot.

    Parameters
    ----------
    results : pandas.DataFrame
        The per-seed table of :func:`neurocompare.probes.stream_experiment`.
    metrics : sequence of str
        Metrics to show (all on a 0-1 scale by default).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_columns("results", results, {"architecture", "seed", "metric", "value"},
                  expected="the output of neurocompare.probes.stream_experiment")
    metrics = [m for m in metrics if m in set(results.metric)]
    if not metrics:
        raise ValueError(f"Invalid value for 'metrics': none of them is in the results ({sorted(set(results.metric))}).")
    archs = list(dict.fromkeys(results.architecture))
    ax = new_axes(ax, figsize=(4.6, 2.9))
    width = 0.8 / len(archs)
    labels = {"what_accuracy": "identity\naccuracy", "where_r2": "location\nR²",
              "cross_what_from_where": "what read out of\nwhere layers", "cross_where_from_what":
              "where read out of\nwhat layers"}
    rng = np.random.default_rng(0)
    with paper_style():
        for a, arch in enumerate(archs):
            colour = PALETTE[a % len(PALETTE)]
            for m, metric in enumerate(metrics):
                vals = results[(results.architecture == arch) & (results.metric == metric)].value.dropna()
                x = m + (a - (len(archs) - 1) / 2) * width
                ax.bar(x, vals.mean(), width=width * 0.9, color=colour, alpha=0.8,
                       label=arch if m == 0 else None)
                if len(vals) > 1:
                    ax.errorbar(x, vals.mean(), yerr=vals.std(ddof=1), color="black", lw=0.9, capsize=2)
                ax.scatter(x + rng.uniform(-width / 5, width / 5, len(vals)), vals, s=6, color="black", zorder=3)
        ax.set_xticks(range(len(metrics)))
        ax.set_xticklabels([labels.get(m, m) for m in metrics], fontsize=7)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("held-out score")
        n = results.seed.nunique()
        ax.set_title(f"one stream vs two ({n} seeds)", fontsize=9)
        ax.legend(frameon=False, fontsize=7)
    return ax
