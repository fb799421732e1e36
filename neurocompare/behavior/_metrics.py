"""Trial-by-trial metrics: accuracy, error consistency, shape bias, confusions, rt against confidence.

Every function takes standard trial tables (:func:`load_trials`), matches
trials on ``(condition, stimulus)``, works per subject (or model) and condition,
and returns a tidy DataFrame with bootstrap confidence intervals: trials
(stimuli) are resampled with replacement, the same resample for both members of
a pair.
"""
from __future__ import annotations

import re

import numpy as np

from .._utils.stats import percentile_ci, row_corr
from ._stats import check_bootstrap, indices, kappa, row_ranks
from ._trials import check_coverage, check_design, check_trials, duplicates_error

_CONSISTENCY_COLUMNS = ["subject_a", "subject_b", "condition", "n", "observed", "expected", "kappa", "ci_low",
                        "ci_high", "observed_ci_low", "observed_ci_high", "accuracy_a", "accuracy_b"]


def _rng(random_state):
    from .._utils.random import check_random_state

    return check_random_state(random_state)


def _conditions(*tables):
    seen = []
    for t in tables:
        for c in t["condition"].unique():
            if c not in seen:
                seen.append(c)
    return seen


def _subjects(trials):
    return list(dict.fromkeys(trials["subject"]))


def _wide(trials, condition, column):
    """``stimulus x subject`` table of one column for one condition."""
    sub = trials[trials["condition"] == condition]
    return sub.pivot(index="stimulus", columns="subject", values=column)


# ----------------------------------------------------------------------------------------------
# Accuracy
# ----------------------------------------------------------------------------------------------
def accuracy(trials, *, n_bootstrap: int = 1000, ci: float = 0.95, random_state=0):
    """Proportion correct per subject (or model) and condition, with a bootstrap CI over trials.

    Parameters
    ----------
    trials : pandas.DataFrame
        A standard trial table (:func:`load_trials`, :func:`model_trials`).
    n_bootstrap : int
        Bootstrap resamples of the trials (0: no CI).
    ci : float
        Coverage of the percentile interval.
    random_state : int, Generator or None

    Returns
    -------
    pandas.DataFrame
        ``subject, condition, metric ("accuracy"), value, ci_low, ci_high, n``.
    """
    import pandas as pd

    check_trials(trials)
    check_design(trials)
    n_bootstrap, ci = check_bootstrap(n_bootstrap, ci)
    rng = _rng(random_state)
    rows = []
    for (subj, cond), grp in trials.groupby(["subject", "condition"], sort=False):
        c = grp["correct"].to_numpy(bool)
        lo = hi = np.nan
        if n_bootstrap:
            lo, hi = percentile_ci(c[indices(rng, len(c), n_bootstrap)].mean(1), ci)
        rows.append((subj, cond, "accuracy", float(c.mean()), lo, hi, len(c)))
    return pd.DataFrame(rows, columns=["subject", "condition", "metric", "value", "ci_low", "ci_high", "n"])


def _pairs(trials_a, trials_b, name_a, name_b):
    """Yield ``(condition, subject_a, subject_b, frame of matched stimuli)`` for every pair."""
    check_trials(trials_a, name_a)
    duplicates_error(trials_a, name_a)
    same = trials_b is None
    if not same:
        check_trials(trials_b, name_b)
        duplicates_error(trials_b, name_b)
    tb = trials_a if same else trials_b
    for cond in _conditions(trials_a, tb):
        subs_a = _subjects(trials_a[trials_a["condition"] == cond])
        subs_b = _subjects(tb[tb["condition"] == cond])
        ta = trials_a[trials_a["condition"] == cond].set_index(["subject", "stimulus"]).sort_index()
        tbb = ta if same else tb[tb["condition"] == cond].set_index(["subject", "stimulus"]).sort_index()
        for i, sa in enumerate(subs_a):
            for j, sb in enumerate(subs_b):
                if same and j <= i:
                    continue
                xa, xb = ta.loc[sa], tbb.loc[sb]
                common = xa.index.intersection(xb.index)
                yield cond, sa, sb, xa.loc[common], xb.loc[common]


def error_consistency(trials_a, trials_b=None, *, n_bootstrap: int = 1000, ci: float = 0.95, random_state=0):
    """Trial-by-trial error consistency (Cohen's kappa; Geirhos et al. 2020) of every pair of subjects/models.

    For two observers on the same ``n`` trials, ``observed`` is the fraction of
    trials on which both are right or both are wrong. ``expected`` is that
    fraction for two independent observers with the same accuracies ``p_a``
    and ``p_b``: ``p_a p_b + (1 - p_a)(1 - p_b)``. ``kappa = (observed -
    expected) / (1 - expected)``: 1 for identical error patterns, about 0 for
    independent ones, negative when errors avoid each other. It is undefined
    (NaN) when ``expected`` is 1 (both observers always right, or always wrong).

    Parameters
    ----------
    trials_a : pandas.DataFrame
        A standard trial table.
    trials_b : pandas.DataFrame, optional
        A second table: every subject of ``trials_a`` against every subject of
        ``trials_b``. Default: every pair of subjects within ``trials_a``.
    n_bootstrap : int
        Resamples of the matched trials (0: no CI).
    ci : float
    random_state : int, Generator or None

    Returns
    -------
    pandas.DataFrame
        One row per pair and condition: ``subject_a, subject_b, condition, n,
        observed, expected, kappa, ci_low, ci_high`` (the kappa CI),
        ``observed_ci_low, observed_ci_high, accuracy_a, accuracy_b``.
    """
    import pandas as pd

    n_bootstrap, ci = check_bootstrap(n_bootstrap, ci)
    rng = _rng(random_state)
    rows = []
    for cond, sa, sb, xa, xb in _pairs(trials_a, trials_b, "trials_a", "trials_b"):
        ca, cb = xa["correct"].to_numpy(bool), xb["correct"].to_numpy(bool)
        n = len(ca)
        if n == 0:
            rows.append((sa, sb, cond, 0, *[np.nan] * 9))
            continue
        pa, pb = ca.mean(), cb.mean()
        obs = float((ca == cb).mean())
        exp = float(pa * pb + (1 - pa) * (1 - pb))
        k = float(kappa(obs, exp))
        klo = khi = olo = ohi = np.nan
        if n_bootstrap:
            idx = indices(rng, n, n_bootstrap)
            A, B = ca[idx], cb[idx]
            bo = (A == B).mean(1)
            qa, qb = A.mean(1), B.mean(1)
            bk = kappa(bo, qa * qb + (1 - qa) * (1 - qb))
            klo, khi = percentile_ci(bk, ci)
            olo, ohi = percentile_ci(bo, ci)
        rows.append((sa, sb, cond, n, obs, exp, k, klo, khi, olo, ohi, float(pa), float(pb)))
    return pd.DataFrame(rows, columns=_CONSISTENCY_COLUMNS)


def accuracy_difference(trials_a, trials_b, *, n_bootstrap: int = 1000, ci: float = 0.95, random_state=0):
    """Accuracy of every subject of ``trials_a`` minus that of every subject of ``trials_b``, on matched trials.

    Parameters
    ----------
    trials_a, trials_b : pandas.DataFrame
        Standard trial tables (:func:`load_trials`, :func:`model_trials`), matched on
        ``stimulus`` and ``condition``.
    n_bootstrap : int
        Bootstrap resamples of the matched stimuli (0: no CI).
    ci : float
        Coverage of the percentile interval.
    random_state : int, Generator or None

    Returns
    -------
    pandas.DataFrame
        ``subject_a, subject_b, condition, metric ("accuracy_difference"), value,
        ci_low, ci_high, n``; the CI resamples the matched stimuli (paired).
    """
    import pandas as pd

    n_bootstrap, ci = check_bootstrap(n_bootstrap, ci)
    rng = _rng(random_state)
    rows = []
    for cond, sa, sb, xa, xb in _pairs(trials_a, trials_b, "trials_a", "trials_b"):
        d = xa["correct"].to_numpy(float) - xb["correct"].to_numpy(float)
        lo = hi = np.nan
        if n_bootstrap and len(d):
            lo, hi = percentile_ci(d[indices(rng, len(d), n_bootstrap)].mean(1), ci)
        rows.append((sa, sb, cond, "accuracy_difference", float(d.mean()) if len(d) else np.nan, lo, hi, len(d)))
    return pd.DataFrame(rows, columns=["subject_a", "subject_b", "condition", "metric", "value", "ci_low", "ci_high",
                                       "n"])


def consistency_table(models, humans, *, model_pairs: bool = True, n_bootstrap: int = 1000, ci: float = 0.95,
                      random_state=0):
    """Error consistency of every model against every human, and of every pair of humans (the ceiling).

    Parameters
    ----------
    models : pandas.DataFrame
        Model trial tables (one ``subject`` per model), e.g. from :func:`model_trials`.
    humans : pandas.DataFrame
        Human trial table. Every stimulus of ``models`` must be in it.
    model_pairs : bool
        Also every pair of models (for the full matrix figure).
    n_bootstrap, ci, random_state
        As in :func:`error_consistency`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`error_consistency` plus ``pair``: ``"model-human"``,
        ``"human-human"`` or ``"model-model"``. Summarise with
        :func:`summarize_consistency`.
    """
    import pandas as pd

    check_trials(models, "models")
    check_trials(humans, "humans")
    check_design(models, "models")
    check_design(humans, "humans")
    check_coverage(models, humans)
    clash = set(models["subject"]) & set(humans["subject"])
    if clash:
        raise ValueError(f"Invalid value for 'models': subject name(s) {sorted(clash)[:5]} are also human subjects; "
                         "rename the models (trials['subject'] = ...).")
    rng = _rng(random_state)
    kw = dict(n_bootstrap=n_bootstrap, ci=ci, random_state=rng)
    parts = [error_consistency(models, humans, **kw).assign(pair="model-human"),
             error_consistency(humans, **kw).assign(pair="human-human")]
    if model_pairs:
        parts.append(error_consistency(models, **kw).assign(pair="model-model"))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return out[["pair", *_CONSISTENCY_COLUMNS]]


def summarize_consistency(table, *, metric: str = "kappa"):
    """Each model's mean consistency with the humans, beside the human-to-human baseline.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`consistency_table`.
    metric : {"kappa", "observed"}

    Returns
    -------
    pandas.DataFrame
        One row per model and condition, then one ``"humans"`` row per
        condition: ``subject, condition, metric, value`` (mean over the humans,
        or over the human pairs), ``min, max, n_pairs``, and the human-to-human
        ``human_value, human_min, human_max`` beside every row.
    """
    import pandas as pd

    from .._utils.checks import check_option

    check_option("metric", metric, ("kappa", "observed"))
    if "pair" not in table:
        raise ValueError("Invalid value for 'table': expected the output of consistency_table (no 'pair' column).")
    rows = []
    hh = table[table["pair"] == "human-human"]
    for cond in _conditions(table):
        h = hh[hh["condition"] == cond][metric]
        base = (float(h.mean()), float(h.min()), float(h.max())) if len(h) else (np.nan,) * 3
        mh = table[(table["pair"] == "model-human") & (table["condition"] == cond)]
        for model, g in mh.groupby("subject_a", sort=False):
            rows.append((model, cond, metric, float(g[metric].mean()), float(g[metric].min()),
                         float(g[metric].max()), len(g), *base))
        rows.append(("humans", cond, metric, *base, len(h), *base))
    return pd.DataFrame(rows, columns=["subject", "condition", "metric", "value", "min", "max", "n_pairs",
                                       "human_value", "human_min", "human_max"])


# ----------------------------------------------------------------------------------------------
# Shape bias
# ----------------------------------------------------------------------------------------------
_CUE = re.compile(r"^([A-Za-z]+?)\d*-([A-Za-z]+?)\d*$")


def texture_categories(stimuli) -> list:
    """Shape and texture category of cue-conflict stimulus names ``<shape><n>-<texture><n>`` (``cat3-bird2``).

    Parameters
    ----------
    stimuli : iterable of str
        Stimulus names.

    Returns
    -------
    list of tuple of str
        ``(shape, texture)`` per name.
    """
    out = []
    for s in stimuli:
        m = _CUE.match(str(s))
        if not m:
            raise ValueError(f"Cannot read the texture category from the stimulus name {s!r}: expected "
                             "'<shape><n>-<texture><n>' (e.g. 'cat3-bird2', the Geirhos et al. cue-conflict "
                             "names), or add a 'texture' column to the trial table.")
        out.append((m.group(1), m.group(2)))
    return out


def shape_bias(trials, *, by_category: bool = False, n_bootstrap: int = 1000, ci: float = 0.95, random_state=0):
    """Shape bias on cue-conflict trials (Geirhos et al. 2019), per subject/model and condition.

    Each cue-conflict image has the shape of one category (``category``) and
    the texture of another (the ``texture`` column, or read from stimulus names
    ``<shape><n>-<texture><n>``). Following the paper and model-vs-human:

    - trials whose shape and texture category are the same are excluded;
    - ``fraction_shape`` and ``fraction_texture`` are the shares of the
      remaining trials answered with the shape or the texture category;
      other responses (and no response) count toward neither;
    - ``shape_bias = fraction_shape / (fraction_shape + fraction_texture)``.

    Parameters
    ----------
    trials : pandas.DataFrame
        A standard trial table of cue-conflict trials.
    by_category : bool
        One value per shape category as well (column ``category``; ``"all"`` for the total).
    n_bootstrap, ci, random_state
        Bootstrap over the cue-conflict trials.

    Returns
    -------
    pandas.DataFrame
        ``subject, condition, category, metric, value, ci_low, ci_high, n``:
        metrics ``shape_bias``, ``fraction_shape``, ``fraction_texture``; ``n``
        is the number of cue-conflict trials (shape != texture).
    """
    import pandas as pd

    check_trials(trials)
    n_bootstrap, ci = check_bootstrap(n_bootstrap, ci)
    rng = _rng(random_state)
    if "texture" in trials:
        shape = trials["category"].astype(str).to_numpy()
        texture = trials["texture"].astype(str).to_numpy()
    else:
        pairs = texture_categories(trials["stimulus"])
        shape = trials["category"].astype(str).to_numpy()
        texture = np.array([t for _, t in pairs])
    conflict = shape != texture
    if not conflict.any():
        raise ValueError("Invalid value for 'trials': no cue-conflict trial (every trial's texture category equals "
                         "its shape category); shape bias needs images whose shape and texture disagree.")
    resp = trials["response"].to_numpy(object)
    t = trials.assign(_shape=resp == shape, _texture=resp == texture)[conflict]
    rows = []
    groups = [("subject", "condition")] + ([("subject", "condition", "category")] if by_category else [])
    for keys in groups:
        for key, g in t.groupby(list(keys), sort=False):
            subj, cond = key[0], key[1]
            cat = key[2] if len(key) == 3 else "all"
            s, x = g["_shape"].to_numpy(float), g["_texture"].to_numpy(float)
            n = len(s)
            fs, ft = s.mean(), x.mean()
            sb = fs / (fs + ft) if fs + ft > 0 else np.nan
            ci_sb = ci_s = ci_t = (np.nan, np.nan)
            if n_bootstrap:
                idx = indices(rng, n, n_bootstrap)
                bs, bt = s[idx].mean(1), x[idx].mean(1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ci_sb = percentile_ci(bs / (bs + bt), ci)
                ci_s, ci_t = percentile_ci(bs, ci), percentile_ci(bt, ci)
            for metric, v, (lo, hi) in (("shape_bias", sb, ci_sb), ("fraction_shape", fs, ci_s),
                                        ("fraction_texture", ft, ci_t)):
                rows.append((subj, cond, cat, metric, float(v), lo, hi, n))
    out = pd.DataFrame(rows, columns=["subject", "condition", "category", "metric", "value", "ci_low", "ci_high",
                                      "n"])
    return out


# ----------------------------------------------------------------------------------------------
# Confusions
# ----------------------------------------------------------------------------------------------
def _categories(*tables):
    cats = set()
    for t in tables:
        cats |= set(t["category"].astype(str))
        cats |= set(t["response"].dropna().astype(str))
    return sorted(cats)


def confusion_matrix(trials, *, categories=None):
    """Confusion matrix per subject and condition, as a tidy table.

    Parameters
    ----------
    trials : pandas.DataFrame
        A standard trial table (:func:`load_trials`, :func:`model_trials`).
    categories : list of str, optional
        The categories, in order; default: those in ``trials``.

    Returns
    -------
    pandas.DataFrame
        ``subject, condition, category, response, count, proportion``: one row
        per cell (all ``categories x categories`` cells, zeros included);
        ``proportion`` is the count over all trials of that category (rows
        sum to 1 minus the share of trials without a response).
    """
    import pandas as pd

    check_trials(trials)
    cats = _categories(trials) if categories is None else [str(c) for c in categories]
    k = len(cats)
    rows = []
    for (subj, cond), g in trials.groupby(["subject", "condition"], sort=False):
        c = pd.Categorical(g["category"].astype(str), categories=cats).codes
        r = pd.Categorical(g["response"].astype(object).where(g["response"].notna(), None), categories=cats).codes
        ok = r >= 0
        counts = np.bincount(c[ok] * k + r[ok], minlength=k * k).reshape(k, k)
        tot = np.bincount(c[c >= 0], minlength=k)
        with np.errstate(divide="ignore", invalid="ignore"):
            prop = counts / tot[:, None]
        for i in range(k):
            for j in range(k):
                rows.append((subj, cond, cats[i], cats[j], int(counts[i, j]), float(prop[i, j])))
    return pd.DataFrame(rows, columns=["subject", "condition", "category", "response", "count", "proportion"])


def _boot_confusions(c, r, idx, k):
    """Row-normalised confusion matrices of bootstrap samples: ``(n_bootstrap, k, k)``."""
    nb = len(idx)
    ci, ri = c[idx], r[idx]
    b = np.broadcast_to(np.arange(nb)[:, None], idx.shape)
    ok = ri >= 0
    counts = np.bincount((b * k * k + ci * k + ri)[ok], minlength=nb * k * k).reshape(nb, k, k)
    tot = np.bincount((b * k + ci).ravel(), minlength=nb * k).reshape(nb, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = counts / tot[:, :, None]
    return np.nan_to_num(prop)


def confusion_correlation(trials_a, trials_b=None, *, off_diagonal: bool = True, n_bootstrap: int = 1000,
                          ci: float = 0.95, random_state=0):
    """Pearson correlation between the confusion matrices of every pair of subjects/models.

    The matrices are row-normalised (proportion of each category's trials
    given each response). With ``off_diagonal`` only the errors are compared
    (which wrong answer is given), not the accuracy on the diagonal.

    Parameters
    ----------
    trials_a, trials_b : pandas.DataFrame
        As in :func:`error_consistency` (``trials_b=None``: pairs within ``trials_a``).
    off_diagonal : bool
    n_bootstrap, ci, random_state
        Paired bootstrap over the matched stimuli.

    Returns
    -------
    pandas.DataFrame
        ``subject_a, subject_b, condition, metric ("confusion_r"), value, ci_low, ci_high, n``.
    """
    import pandas as pd

    n_bootstrap, ci = check_bootstrap(n_bootstrap, ci)
    rng = _rng(random_state)
    cats = _categories(trials_a, trials_a if trials_b is None else trials_b)
    k = len(cats)
    mask = ~np.eye(k, dtype=bool) if off_diagonal else np.ones((k, k), bool)
    rows = []
    for cond, sa, sb, xa, xb in _pairs(trials_a, trials_b, "trials_a", "trials_b"):
        codes = []
        for x in (xa, xb):
            codes.append((pd.Categorical(x["category"].astype(str), categories=cats).codes.astype(int),
                          pd.Categorical(x["response"].astype(object).where(x["response"].notna(), None),
                                         categories=cats).codes.astype(int)))
        n = len(xa)
        full = np.arange(n)[None, :]
        ma = _boot_confusions(*codes[0], full, k)[:, mask]
        mb = _boot_confusions(*codes[1], full, k)[:, mask]
        r = float(row_corr(ma, mb)[0]) if n else np.nan
        lo = hi = np.nan
        if n_bootstrap and n:
            idx = indices(rng, n, n_bootstrap)
            ba = _boot_confusions(*codes[0], idx, k)[:, mask]
            bb = _boot_confusions(*codes[1], idx, k)[:, mask]
            lo, hi = percentile_ci(row_corr(ba, bb), ci)
        rows.append((sa, sb, cond, "confusion_r", r, lo, hi, n))
    return pd.DataFrame(rows, columns=["subject_a", "subject_b", "condition", "metric", "value", "ci_low", "ci_high",
                                       "n"])


# ----------------------------------------------------------------------------------------------
# Reaction times against model confidence
# ----------------------------------------------------------------------------------------------
def _spearman_pairs(xs, ys, rng, n_bootstrap, ci):
    ok = np.isfinite(xs) & np.isfinite(ys)
    x, y = xs[ok], ys[ok]
    n = len(x)
    if n < 3:
        return np.nan, np.nan, np.nan, n
    r = float(row_corr(row_ranks(x[None]), row_ranks(y[None]))[0])
    lo = hi = np.nan
    if n_bootstrap:
        idx = indices(rng, n, n_bootstrap)
        lo, hi = percentile_ci(row_corr(row_ranks(x[idx]), row_ranks(y[idx])), ci)
    return r, lo, hi, n


def rt_confidence(models, humans, *, n_bootstrap: int = 1000, ci: float = 0.95, random_state=0):
    """Do people take longer on the stimuli a model is unsure of? Spearman rho of model confidence and human rt.

    For every model and human: Spearman's rho between the model's
    ``confidence`` and the human's ``rt`` over the matched stimuli (trials
    with a NaN rt are left out). A negative rho means slower human responses
    where the model is less confident. The human baseline is rho between the
    rts of every pair of humans (positive when people find the same stimuli
    hard).

    Parameters
    ----------
    models : pandas.DataFrame
        Model trials with a ``confidence`` column (:func:`model_trials`).
    humans : pandas.DataFrame
        Human trials with an ``rt`` column.
    n_bootstrap : int
        Bootstrap resamples of the matched stimuli (0: no CI).
    ci : float
        Coverage of the percentile interval.
    random_state : int, Generator or None

    Returns
    -------
    pandas.DataFrame
        ``pair ("model-human" | "human-human"), subject_a, subject_b, condition,
        metric ("spearman_confidence_rt" | "spearman_rt_rt"), value, ci_low, ci_high, n``.
    """
    import pandas as pd

    check_trials(models, "models")
    check_trials(humans, "humans")
    if "confidence" not in models:
        raise ValueError("Invalid value for 'models': no 'confidence' column; model trial tables from "
                         "neurocompare.behavior.model_trials have one (the probability of the chosen category).")
    if "rt" not in humans or humans["rt"].notna().sum() == 0:
        raise ValueError("Invalid value for 'humans': no reaction times (the 'rt' column is missing or all NaN).")
    check_coverage(models, humans)
    n_bootstrap, ci = check_bootstrap(n_bootstrap, ci)
    rng = _rng(random_state)
    rows = []
    for cond, sa, sb, xa, xb in _pairs(models, humans, "models", "humans"):
        r, lo, hi, n = _spearman_pairs(xa["confidence"].to_numpy(float), xb["rt"].to_numpy(float), rng,
                                       n_bootstrap, ci)
        rows.append(("model-human", sa, sb, cond, "spearman_confidence_rt", r, lo, hi, n))
    for cond, sa, sb, xa, xb in _pairs(humans, None, "humans", "humans"):
        r, lo, hi, n = _spearman_pairs(xa["rt"].to_numpy(float), xb["rt"].to_numpy(float), rng, n_bootstrap, ci)
        rows.append(("human-human", sa, sb, cond, "spearman_rt_rt", r, lo, hi, n))
    return pd.DataFrame(rows, columns=["pair", "subject_a", "subject_b", "condition", "metric", "value", "ci_low",
                                       "ci_high", "n"])
