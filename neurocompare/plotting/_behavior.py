"""Behavioural figures: error-consistency matrix, accuracy with a human band, shape bias, psychometric curves."""
from __future__ import annotations

import numpy as np

from .._utils.stats import bootstrap_mean_ci
from ._style import PALETTE, new_axes, paper_style

HUMAN_COLOUR = "#D55E00"
HUMAN_BAND = "#f2c6a8"
#: model colours: the Okabe-Ito palette without the human colour
MODEL_COLOURS = [c for c in PALETTE if c != HUMAN_COLOUR]


def _one_condition(df, condition, name):
    conds = list(dict.fromkeys(df["condition"]))
    if condition is None:
        if len(conds) > 1:
            raise ValueError(f"Invalid value for 'condition': {name} has several conditions {conds}; pick one.")
        return df
    if condition not in conds:
        raise ValueError(f"Invalid value for 'condition': expected one of {conds}; got {condition!r}.")
    return df[df["condition"] == condition]


def plot_error_consistency_matrix(table, *, metric: str = "kappa", condition=None, cmap="RdBu_r", vmax=None,
                                  annotate: bool = False, title: str | None = None, ax=None):
    """Error consistency of every pair of models and humans as a symmetric matrix (models first, then humans).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`neurocompare.behavior.consistency_table` (or ``error_consistency``).
    metric : {"kappa", "observed"}
    condition : optional
        The condition to show when the table has several.
    cmap : str
        Diverging around 0 for kappa.
    vmax : float, optional
        Colour range ``[-vmax, vmax]`` for kappa (``[0, 1]`` for observed).
    annotate : bool
        Write the values in the cells.
    ax : matplotlib Axes, optional
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .._utils.checks import check_option

    check_option("metric", metric, ("kappa", "observed"))
    t = _one_condition(table, condition, "the table")
    humans = list(dict.fromkeys(t.loc[t["pair"] == "human-human", ["subject_a", "subject_b"]].to_numpy().ravel())) \
        if "pair" in t else []
    everyone = list(dict.fromkeys(t[["subject_a", "subject_b"]].to_numpy().ravel()))
    models = [s for s in everyone if s not in humans]
    names = models + humans
    pos = {s: i for i, s in enumerate(names)}
    m = np.full((len(names), len(names)), np.nan)
    for a, b, v in zip(t["subject_a"], t["subject_b"], t[metric]):
        m[pos[a], pos[b]] = m[pos[b], pos[a]] = v
    diag = 1.0
    np.fill_diagonal(m, diag)
    if metric == "kappa":
        vmax = vmax or max(0.2, float(np.nanmax(np.abs(m[~np.eye(len(m), dtype=bool)]))) if len(m) > 1 else 1.0)
        vmin = -vmax
    else:
        vmin, vmax = 0.0, 1.0
    n = len(names)
    ax = new_axes(ax, figsize=(0.28 * n + 1.6, 0.28 * n + 1.0))
    with paper_style():
        shown = np.ma.masked_where(np.eye(n, dtype=bool), m)
        im = ax.imshow(shown, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                           label="error consistency (Cohen's kappa)" if metric == "kappa" else "observed consistency")
        ax.set_xticks(range(n))
        ax.set_yticks(range(n))
        ax.set_xticklabels(names, rotation=90)
        ax.set_yticklabels(names)
        if models and humans:
            for f in (ax.axhline, ax.axvline):
                f(len(models) - 0.5, color="k", lw=1)
        for lab in ax.get_xticklabels() + ax.get_yticklabels():
            if lab.get_text() in humans:
                lab.set_color(HUMAN_COLOUR)
        if annotate:
            for i in range(n):
                for j in range(n):
                    if i != j and np.isfinite(m[i, j]):
                        ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=5)
        ax.spines[:].set_visible(False)
        ax.set_title(title or (f"Error consistency ({t['condition'].iloc[0]})" if len(t) else "Error consistency"))
    return ax


def plot_accuracy_by_condition(models, humans, *, band: str = "range", order=None, ax=None, title: str | None = None):
    """Accuracy of each model per condition, over a band for the humans.

    Parameters
    ----------
    models, humans : pandas.DataFrame
        From :func:`neurocompare.behavior.accuracy`.
    band : {"range", "ci"}
        The human band: min-max over subjects, or the 95% interval of the
        subjects' mean (bootstrap over subjects). The human mean is drawn as a line.
    order : sequence, optional
        The conditions in order (default: numeric order if numeric, else as they appear).
    ax : matplotlib Axes, optional
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .._utils.checks import check_option

    check_option("band", band, ("range", "ci"))
    conds = list(order) if order is not None else list(dict.fromkeys(list(humans["condition"]) +
                                                                        list(models["condition"])))
    numeric = order is None and all(isinstance(c, (int, float, np.number)) for c in conds)
    if numeric:
        conds = sorted(conds)
    xs = np.asarray(conds, dtype=float) if numeric else np.arange(len(conds))
    ax = new_axes(ax, figsize=(3.6, 2.8))
    rng = np.random.default_rng(0)
    with paper_style():
        mean, lo, hi = [], [], []
        for c in conds:
            v = humans.loc[humans["condition"] == c, "value"].to_numpy(float)
            mean.append(v.mean() if len(v) else np.nan)
            if band == "range" or len(v) < 2:
                lo.append(v.min() if len(v) else np.nan)
                hi.append(v.max() if len(v) else np.nan)
            else:
                a, b = bootstrap_mean_ci(v, n_boot=2000, ci=0.95, rng=rng)
                lo.append(a)
                hi.append(b)
        n_h = humans["subject"].nunique()
        band_label = f"humans (n={n_h}, {'range' if band == 'range' else '95% CI of mean'})"
        if numeric:
            ax.fill_between(xs, lo, hi, color=HUMAN_BAND, alpha=0.8, lw=0, label=band_label)
            ax.plot(xs, mean, color=HUMAN_COLOUR, lw=1.5, marker="D", ms=4, label="humans (mean)")
        else:  # unordered conditions: one band and one mean line per condition, nothing joined
            for i, x in enumerate(xs):
                ax.fill_between([x - 0.4, x + 0.4], lo[i], hi[i], color=HUMAN_BAND, alpha=0.8, lw=0,
                                label=band_label if i == 0 else None)
                ax.plot([x - 0.4, x + 0.4], [mean[i]] * 2, color=HUMAN_COLOUR, lw=1.5,
                        label="humans (mean)" if i == 0 else None)
        for i, (name, g) in enumerate(models.groupby("subject", sort=False)):
            g = g.set_index("condition").reindex(conds)
            col = MODEL_COLOURS[i % len(MODEL_COLOURS)]
            yerr = np.vstack([g["value"] - g["ci_low"], g["ci_high"] - g["value"]])
            n_m = models["subject"].nunique()
            ax.errorbar(xs + (0 if numeric else (i - (n_m - 1) / 2) * min(0.12, 0.7 / max(n_m, 1))), g["value"],
                        yerr=np.where(np.isfinite(yerr), yerr, 0), color=col, marker="o", ms=3.5, lw=1, capsize=2,
                        ls="-" if numeric else "none", label=str(name))
        if not numeric:
            ax.set_xticks(xs)
            ax.set_xticklabels([str(c) for c in conds])
            ax.set_xlim(xs.min() - 0.5, xs.max() + 0.5)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("condition")
        ax.set_ylabel("proportion correct")
        ax.legend(frameon=False, fontsize=7, bbox_to_anchor=(1.0, 1.0), loc="upper left")
        ax.set_title(title or "Accuracy")
    return ax


def plot_consistency(summary, *, ax=None, title: str | None = None):
    """Each model's mean error consistency with the humans, with the human-to-human range beside it.

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`neurocompare.behavior.summarize_consistency` (one or more conditions).
    ax : matplotlib Axes, optional
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    conds = list(dict.fromkeys(summary["condition"]))
    models = [s for s in dict.fromkeys(summary["subject"]) if s != "humans"]
    ax = new_axes(ax, figsize=(1.2 + 0.9 * len(conds) * (len(models) + 1) ** 0.5, 2.8))
    width = 0.8 / (len(models) + 1)
    with paper_style():
        for ci, c in enumerate(conds):
            s = summary[summary["condition"] == c]
            h = s[s["subject"] == "humans"].iloc[0]
            x0 = ci - 0.4
            ax.bar(x0 + width * 0.5, h["value"], width, color=HUMAN_BAND, edgecolor=HUMAN_COLOUR,
                   label="human-human (mean, range)" if ci == 0 else None)
            ax.plot([x0 + width * 0.5] * 2, [h["min"], h["max"]], color=HUMAN_COLOUR, lw=1)
            for i, mname in enumerate(models):
                r = s[s["subject"] == mname]
                if not len(r):
                    continue
                r = r.iloc[0]
                x = x0 + width * (i + 1.5)
                ax.bar(x, r["value"], width, color=MODEL_COLOURS[i % len(MODEL_COLOURS)],
                       label=mname if ci == 0 else None)
                ax.plot([x, x], [r["min"], r["max"]], color="k", lw=0.8)
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(range(len(conds)))
        ax.set_xticklabels([str(c) for c in conds])
        metric = summary["metric"].iloc[0]
        ax.set_ylabel("error consistency (kappa)" if metric == "kappa" else "observed consistency")
        ax.legend(frameon=False, fontsize=7, bbox_to_anchor=(1.0, 1.0), loc="upper left")
        ax.set_title(title or "Consistency with humans")
    return ax


def plot_shape_bias(shape_bias, *, humans=None, kind: str = "observers", ax=None, title: str | None = None):
    """Shape bias of models and humans, from texture (0) to shape (1).

    Parameters
    ----------
    shape_bias : pandas.DataFrame
        From :func:`neurocompare.behavior.shape_bias` (``by_category=True`` for ``kind="categories"``).
    humans : sequence of str, optional
        The human subjects (drawn in the human colour and averaged). Default:
        subjects whose name starts with ``"subject"``.
    kind : {"observers", "categories"}
        ``"observers"``: one row per model and human with its bootstrap CI, and
        the human mean. ``"categories"``: the paper's figure, one row per shape
        category, one marker per model and for the human mean.
    ax : matplotlib Axes, optional
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .._utils.checks import check_option

    check_option("kind", kind, ("observers", "categories"))
    sb = shape_bias[shape_bias["metric"] == "shape_bias"]
    subjects = list(dict.fromkeys(sb["subject"]))
    humans = [s for s in subjects if str(s).startswith("subject")] if humans is None else list(humans)
    models = [s for s in subjects if s not in humans]
    if kind == "categories":
        cats = [c for c in dict.fromkeys(sb["category"]) if c != "all"]
        if not cats:
            raise ValueError("Invalid value for 'shape_bias': no per-category rows; compute it with "
                             "shape_bias(trials, by_category=True) for kind='categories'.")
        ax = new_axes(ax, figsize=(3.4, 0.22 * len(cats) + 1.2))
        with paper_style():
            y = np.arange(len(cats))
            for i, mname in enumerate(models):
                g = sb[(sb["subject"] == mname)].set_index("category").reindex(cats)
                ax.plot(g["value"], y, ls="none", marker="o", ms=4, color=MODEL_COLOURS[i % len(MODEL_COLOURS)],
                        label=mname, alpha=0.9)
            if humans:
                hg = sb[sb["subject"].isin(humans)].groupby("category")["value"].mean().reindex(cats)
                ax.plot(hg, y, ls="none", marker="D", ms=5, color=HUMAN_COLOUR, label=f"humans (mean, n={len(humans)})")
            ax.set_yticks(y)
            ax.set_yticklabels(cats)
            ax.invert_yaxis()
            _shape_axis(ax)
            ax.legend(frameon=False, fontsize=7, bbox_to_anchor=(1.0, 1.0), loc="upper left")
            ax.set_title(title or "Shape bias by category")
        return ax
    rows = sb[sb["category"] == "all"] if "category" in sb else sb
    order = models + humans
    ax = new_axes(ax, figsize=(3.4, 0.2 * len(order) + 1.4))
    with paper_style():
        for i, s in enumerate(order):
            r = rows[rows["subject"] == s].iloc[0]
            col = HUMAN_COLOUR if s in humans else MODEL_COLOURS[models.index(s) % len(MODEL_COLOURS)]
            err = [[max(r["value"] - r["ci_low"], 0)], [max(r["ci_high"] - r["value"], 0)]] \
                if np.isfinite(r["ci_low"]) else None
            ax.errorbar(r["value"], i, xerr=err, color=col, marker="D" if s in humans else "o", ms=4, capsize=2)
        if humans:
            hm = rows[rows["subject"].isin(humans)]["value"].mean()
            ax.axvline(hm, color=HUMAN_COLOUR, ls="--", lw=1, label=f"human mean {hm:.2f}")
            ax.legend(frameon=False, fontsize=7, loc="lower left")
        ax.set_yticks(range(len(order)))
        ax.set_yticklabels(order)
        for lab in ax.get_yticklabels():
            if lab.get_text() in humans:
                lab.set_color(HUMAN_COLOUR)
        ax.invert_yaxis()
        _shape_axis(ax)
        ax.set_title(title or "Shape bias (cue conflict)")
    return ax


def _shape_axis(ax):
    ax.set_xlim(-0.02, 1.02)
    ax.axvline(0.5, color="0.7", lw=0.6, zorder=0)
    ax.set_xlabel("fraction of shape decisions\n(0 = texture bias, 1 = shape bias)")


def plot_psychometric(trials, fits, *, level: str | None = None, subjects=None, humans=None, ax=None,
                      title: str | None = None):
    """Proportion correct per level (points) and the fitted psychometric functions (lines), with thresholds.

    Parameters
    ----------
    trials : pandas.DataFrame
        The trials that were fitted.
    fits : pandas.DataFrame
        From :func:`neurocompare.behavior.fit_psychometric`.
    level : str, optional
        The level column (default: the one used for the fit).
    subjects : sequence of str, optional
        Which subjects to draw (default all).
    humans : sequence of str, optional
        Drawn in the human colour (default: names starting with ``"subject"``).
    ax : matplotlib Axes, optional
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import pandas as pd

    from ..behavior import psychometric

    level = level or fits.attrs.get("level", "condition")
    subs = list(dict.fromkeys(fits["subject"])) if subjects is None else list(subjects)
    humans = [s for s in subs if str(s).startswith("subject")] if humans is None else list(humans)
    ax = new_axes(ax, figsize=(3.6, 2.8))
    lv = pd.to_numeric(trials[level], errors="coerce")
    xgrid = np.linspace(lv.min(), lv.max(), 200)
    with paper_style():
        mi = 0
        for s in subs:
            f = fits[fits["subject"] == s].set_index("parameter")
            if not len(f):
                raise ValueError(f"Invalid value for 'subjects': {s!r} has no fit in 'fits'.")
            if s in humans:
                col, marker = HUMAN_COLOUR, "D"
            else:
                col, marker = MODEL_COLOURS[mi % len(MODEL_COLOURS)], "o"
                mi += 1
            g = trials[trials["subject"] == s].assign(_l=lv).groupby("_l")["correct"].mean()
            ax.plot(g.index, g.values, ls="none", marker=marker, ms=3.5, color=col, alpha=0.8)
            p = f["value"]
            y = psychometric(xgrid, function=f["function"].iloc[0], location=p["location"], spread=p["spread"],
                             guess=p["guess"], lapse=p["lapse"], decreasing=f["direction"].iloc[0] == "decreasing")
            label = str(s) if s not in humans else (
                (f"humans (n={len(humans)})" if len(humans) > 1 else str(s)) if s == humans[0] else None)
            ax.plot(xgrid, y, color=col, lw=1.2, label=label)
            thr = p["threshold"]
            ythr = psychometric(thr, function=f["function"].iloc[0], location=p["location"], spread=p["spread"],
                                guess=p["guess"], lapse=p["lapse"], decreasing=f["direction"].iloc[0] == "decreasing")
            ax.plot([thr, thr], [0, ythr], color=col, lw=0.7, ls=":")
        guess = fits.loc[fits["parameter"] == "guess", "value"]
        if len(guess) and guess.nunique() == 1:
            ax.axhline(float(guess.iloc[0]), color="0.6", lw=0.7, ls="--", zorder=0, label="guess rate")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(level)
        ax.set_ylabel("proportion correct")
        ax.legend(frameon=False, fontsize=7, loc="best")
        ax.set_title(title or "Psychometric functions")
    return ax
