"""Figures of transfer-learning experiments (tables from :func:`neurocompare.transfer.run`)."""
from __future__ import annotations

import numpy as np

from ._style import PALETTE, new_axes, paper_style

MODE_COLOURS = {"frozen": PALETTE[0], "finetune": PALETTE[1], "scratch": PALETTE[2]}
_MODE_NAMES = {"frozen": "frozen backbone", "finetune": "fine-tuned", "scratch": "from scratch"}


def _check(df, name, columns):
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Invalid value for {name!r}: expected a DataFrame from neurocompare.transfer.run; got "
                        f"{type(df).__name__}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"Invalid value for {name!r}: expected the columns {columns}; missing {missing}. Pass "
                         f"result.{name} of a TransferResult.")
    if df.empty:
        raise ValueError(f"Invalid value for {name!r}: the table is empty.")


def _groups(df):
    """(label, colour, linestyle, frame) per mode / freezing point, in a stable order."""
    out = []
    frozen_points = [f for f in dict.fromkeys(df.loc[df["mode"] == "frozen", "freeze_until"]) if f != "all"]
    for mode in ("frozen", "finetune", "scratch"):
        sub = df[df["mode"] == mode]
        for fu, d in sub.groupby("freeze_until", sort=False):
            if mode == "frozen" and fu != "all":
                k = frozen_points.index(fu)
                colour = PALETTE[(4 + k) % len(PALETTE)]
                label = f"frozen to {fu}"
            else:
                colour, label = MODE_COLOURS[mode], _MODE_NAMES[mode]
            out.append((label, colour, d))
    return out


def _mean_ci(values):
    from .._utils.stats import t_half_width

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.nan, np.nan
    if len(v) < 2:
        return float(v.mean()), 0.0
    return float(v.mean()), t_half_width(v)


def _score_metric(df):
    metrics = [m for m in ("accuracy", "r2") if m in set(df["metric"])]
    if not metrics:
        raise ValueError("Invalid table: it has neither 'accuracy' nor 'r2' rows (only the loss?); pass the whole "
                         "table of a TransferResult.")
    return metrics[0]


def plot_learning_curves(history, *, metric: str = "score", n_train: int | None = None, ax=None):
    """Learning curves: validation (solid) and training (dashed) loss or score per epoch, one colour per mode.

    Parameters
    ----------
    history : pandas.DataFrame
        ``result.history`` of :func:`neurocompare.transfer.run`.
    metric : {"score", "loss"}
        ``"score"`` is accuracy (classification) or R² (regression).
    n_train : int, optional
        The training-set size to show; default the largest.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Lines are means over seeds; bands are t-based 95% CIs across seeds (validation only).
        For R² the axis is cut at -1 (an untrained head scores far below 0).
    """
    from .._utils.checks import check_option

    _check(history, "history", ["mode", "freeze_until", "n_train", "seed", "epoch", "split", "metric", "value"])
    check_option("metric", metric, ("score", "loss"))
    name = _score_metric(history) if metric == "score" else "loss"
    sizes = sorted(history["n_train"].unique())
    n_train = sizes[-1] if n_train is None else n_train
    check_option("n_train", n_train, sizes)
    df = history[(history["n_train"] == n_train) & (history["metric"] == name)]
    ax = new_axes(ax)
    with paper_style():
        for label, colour, d in _groups(df):
            for split, ls in (("validation", "-"), ("train", "--")):
                s = d[d["split"] == split]
                stats_ = [(e, *_mean_ci(g["value"])) for e, g in s.groupby("epoch")]
                if not stats_:
                    continue
                e, m, h = (np.array(v) for v in zip(*stats_))
                ax.plot(e, m, ls, color=colour, lw=1.4 if split == "validation" else 1.0,
                        label=label if split == "validation" else None)
                if split == "validation":
                    ax.fill_between(e, m - h, m + h, color=colour, alpha=0.15, lw=0)
        if name == "r2" and ax.get_ylim()[0] < -1:  # an untrained head's R² can be far below 0
            ax.set_ylim(bottom=-1)
        if name != "loss" and ax.get_ylim()[1] > 1.05:  # scores are at most 1; CI bands may pass it
            ax.set_ylim(top=1.05)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.plot([], [], "k-", lw=1.4, label="validation")
        ax.plot([], [], "k--", lw=1.0, label="training")
        ax.set_xlabel("epoch")
        ax.set_ylabel({"accuracy": "accuracy", "r2": "R²", "loss": "loss"}[name])
        ax.set_title(f"n = {n_train} training stimuli", fontsize=9)
        ax.legend(fontsize=6, framealpha=0.85, edgecolor="none")  # readable over the CI bands
    return ax


def plot_score_vs_n(scores, *, chance: float | None = None, ax=None):
    """Test score against training-set size (log axis), one line per mode.

    Parameters
    ----------
    scores : pandas.DataFrame
        ``result.scores`` of :func:`neurocompare.transfer.run`.
    chance : float, optional
        Draw a dashed chance line (e.g. 0.1 for ten classes).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Points are means over seeds; bars are t-based 95% CIs across seeds.
    """
    _check(scores, "scores", ["mode", "freeze_until", "n_train", "seed", "metric", "value"])
    name = _score_metric(scores)
    df = scores[scores["metric"] == name]
    ax = new_axes(ax)
    with paper_style():
        for label, colour, d in _groups(df):
            stats_ = [(n, *_mean_ci(g["value"])) for n, g in d.groupby("n_train")]
            n, m, h = (np.array(v) for v in zip(*stats_))
            ax.errorbar(n, m, yerr=h, fmt="-o", ms=3, lw=1.3, capsize=2, color=colour, label=label)
        if chance is not None:
            ax.axhline(chance, color="grey", ls="--", lw=0.8, label="chance")
        ax.set_xscale("log")
        sizes = sorted(df["n_train"].unique())
        ax.set_xticks(sizes)
        ax.set_xticklabels([str(s) for s in sizes])
        ax.minorticks_off()
        ax.set_xlabel("training stimuli (n)")
        ax.set_ylabel("test accuracy" if name == "accuracy" else "test R²")
        ax.legend(frameon=False, fontsize=6)
    return ax


def plot_representational_change(change, *, metric: str = "cka", compared_to: str = "start",
                                  n_train: int | None = None, ax=None):
    """Similarity of each layer before and after training, across depth, one line per mode.

    Parameters
    ----------
    change : pandas.DataFrame
        ``result.change`` of :func:`neurocompare.transfer.run`.
    metric : {"cka", "rdm_corr"}
    compared_to : {"start", "source"}
    n_train : int, optional
        The training-set size to show; default the largest.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        1 means unchanged. Points are means over seeds; bars are t-based 95% CIs across seeds.
    """
    from .._utils.checks import check_option

    _check(change, "change", ["mode", "freeze_until", "n_train", "seed", "layer", "depth", "compared_to", "metric",
                              "value"])
    check_option("metric", metric, ("cka", "rdm_corr"))
    check_option("compared_to", compared_to, sorted(set(change["compared_to"])))
    sizes = sorted(change["n_train"].unique())
    n_train = sizes[-1] if n_train is None else n_train
    check_option("n_train", n_train, sizes)
    df = change[(change["metric"] == metric) & (change["compared_to"] == compared_to) & (change["n_train"] == n_train)]
    layers = df.drop_duplicates("layer").sort_values("depth")["layer"].tolist()
    ax = new_axes(ax)
    with paper_style():
        for label, colour, d in _groups(df):
            stats_ = [(la, *_mean_ci(d.loc[d["layer"] == la, "value"])) for la in layers]
            x = np.arange(len(layers))
            m = np.array([s[1] for s in stats_])
            h = np.array([s[2] for s in stats_])
            ax.errorbar(x, m, yerr=h, fmt="-o", ms=3, lw=1.3, capsize=2, color=colour, label=label)
        ax.set_xticks(np.arange(len(layers)))
        ax.set_xticklabels(layers, rotation=45, ha="right")
        ax.set_xlabel("layer (input to output)")
        what = "linear CKA" if metric == "cka" else "RDM correlation (Spearman)"
        ax.set_ylabel(f"{what}, after vs {'start' if compared_to == 'start' else 'source'}")
        ax.set_title(f"n = {n_train} training stimuli", fontsize=9)
        ax.legend(frameon=False, fontsize=6)
    return ax


def plot_freezing_sweep(scores, *, ax=None):
    """Test score against the number of frozen layers (Yosinski et al. 2014), one line per training-set size.

    Parameters
    ----------
    scores : pandas.DataFrame
        ``result.scores`` of :func:`neurocompare.transfer.sweep_freezing` (or of
        :func:`neurocompare.transfer.run` with several ``freeze_until``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Points are means over seeds; bars are t-based 95% CIs across seeds.
    """
    _check(scores, "scores", ["mode", "freeze_until", "frozen_depth", "n_train", "seed", "metric", "value"])
    name = _score_metric(scores)
    df = scores[(scores["metric"] == name) & scores["mode"].isin(["frozen", "finetune"])]
    ticks = df.drop_duplicates("frozen_depth").sort_values("frozen_depth")
    ax = new_axes(ax)
    with paper_style():
        for i, (n, d) in enumerate(df.groupby("n_train")):
            stats_ = [(k, *_mean_ci(g["value"])) for k, g in d.groupby("frozen_depth")]
            k, m, h = (np.array(v) for v in zip(*stats_))
            ax.errorbar(k, m, yerr=h, fmt="-o", ms=3, lw=1.3, capsize=2, color=PALETTE[i % len(PALETTE)],
                        label=f"n = {n}")
        labels = ["none" if fu == "none" else f"{fu}" for fu in ticks["freeze_until"]]
        ax.set_xticks(ticks["frozen_depth"].to_numpy())
        ax.set_xticklabels(labels, rotation=45, ha="right")
        ax.set_xlabel("frozen up to (and including)")
        ax.set_ylabel("test accuracy" if name == "accuracy" else "test R²")
        ax.legend(frameon=False, fontsize=6, title="training stimuli", title_fontsize=6)
    return ax
