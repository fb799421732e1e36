"""Probe figures: the what/where profile across depth, the cross-readout matrix, units curves."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_columns
from ._style import PALETTE, STREAM_COLOURS, new_axes, paper_style

PRIMARY = {"what": "balanced_accuracy", "where": "r2"}


def plot_probe_profile(results, *, aggregate: bool = True, ax=None):
    """What and where read-out across depth, with fold-wise CIs and chance levels.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`neurocompare.probes.what_where` (layers in extraction order).
    aggregate : bool
        Two curves, "what" (balanced accuracy, averaged over the what targets) and "where"
        (R², averaged over the where targets); the CI bars are the averaged fold-wise CIs.
        ``False``: one curve per target.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_columns("results", results, {"layer", "target", "target_stream", "metric", "value"},
                  expected="the output of neurocompare.probes.what_where")
    d = results[[PRIMARY.get(ts) == m for ts, m in zip(results.target_stream, results.metric)]]
    if d.empty:
        raise ValueError("Invalid value for 'results': no balanced_accuracy (what) or r2 (where) rows.")
    layers = list(dict.fromkeys(d.layer))
    pos = {lay: i for i, lay in enumerate(layers)}
    ax = new_axes(ax, figsize=(4.4, 2.9))
    colours = {"what": STREAM_COLOURS["what"], "where": STREAM_COLOURS["where"]}
    with paper_style():
        if aggregate:
            groups = [(ts, g.groupby("layer", sort=False).agg(value=("value", "mean"), lo=("ci_low", "mean"),
                                                               hi=("ci_high", "mean"), chance=("chance", "mean")))
                      for ts, g in d.groupby("target_stream", sort=False)]
            labels = {"what": "what (balanced accuracy)", "where": "where (R²)"}
            stream_of = dict(zip(d.layer, d.stream)) if "stream" in d.columns else {}
            for ts, g in groups:
                xs = np.array([pos[lay] for lay in g.index])
                # lines join consecutive layers of one stream only: branches are not a sequence
                for k, seg in enumerate(_runs([stream_of.get(lay, "") for lay in g.index])):
                    ax.plot(xs[seg], g["value"].to_numpy()[seg], "-", color=colours[ts],
                            label=labels[ts] if k == 0 else None)
                ax.plot(xs, g["value"], "o", ms=3.5, color=colours[ts])
                ax.vlines(xs, g["lo"], g["hi"], color=colours[ts], lw=0.9)
                ax.axhline(g["chance"].iloc[0], color=colours[ts], ls="--", lw=0.8)
        else:
            for i, (t, g) in enumerate(d.groupby("target", sort=False)):
                xs = [pos[lay] for lay in g.layer]
                ax.plot(xs, g["value"], "-o", ms=3, color=PALETTE[i % len(PALETTE)],
                        label=f"{t} ({g.target_stream.iloc[0]})")
                ax.vlines(xs, g["ci_low"], g["ci_high"], color=PALETTE[i % len(PALETTE)], lw=0.8)
            for ts, g in d.groupby("target_stream"):
                ax.axhline(g["chance"].mean(), color=colours[ts], ls="--", lw=0.8)
        ax.set_xticks(range(len(layers)))
        ax.set_xticklabels(layers, rotation=45, ha="right")
        if "stream" in d.columns:
            stream_of = dict(zip(d.layer, d.stream))
            for tick, lay in zip(ax.get_xticklabels(), layers):
                tick.set_color(STREAM_COLOURS.get(stream_of.get(lay), "black"))
        ax.set_ylabel("cross-validated read-out")
        ax.set_ylim(min(-0.05, float(np.nanmin(d["ci_low"])) - 0.05), 1.02)
        ax.legend(frameon=False, fontsize=7)
        if "model" in d.columns and d.model.nunique() == 1:
            ax.set_title(str(d.model.iloc[0]))
    return ax


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
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
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
