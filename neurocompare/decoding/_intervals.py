"""Confidence intervals of cross-validated scores: a percentile bootstrap over test items, within folds.

Why not the fold-wise t interval (mean ± t(k-1) x SD / sqrt(k))? The K fold scores are not
independent (the training sets overlap), so no unbiased estimate of their variance exists
(Bengio & Grandvalet 2004), and with 5 folds the t interval is both very noisy and blind to
the metric's range: accuracy intervals above 1, or of zero width when the folds agree.
Varoquaux (2018) shows that the error bars of cross-validated decoding are dominated by the
finite number of test items. So we resample what is finite: the test items of each fold,
with their out-of-fold predictions fixed (the trained decoders are held fixed, so the
interval does not include the variability due to the training sets; it is a statement about
the test sample). Each bootstrap sample resamples items with replacement within each fold
(within each class of the fold for classification, so every fold keeps its class counts),
recomputes every fold's metric and averages over folds exactly like ``value``. The 2.5 and
97.5 percentiles of these means are the interval: a percentile bootstrap of a bounded
statistic stays in its range (balanced accuracy in [0, 1], Pearson r in [-1, 1], R² <= 1).

When every class of every test fold is all right or all wrong (a perfect decoder, one that
predicts a single class, or one test item per class), every resample gives the same balanced
accuracy and the bootstrap interval has zero width, a certainty that N test items cannot
give. There the interval is the Wilson score interval (Wilson 1927) of a proportion equal to
the observed balanced accuracy, with the effective number of test items of balanced accuracy,
n = K² / sum_c(1 / N_c) over the K classes' pooled test counts N_c (n = N when the classes are
balanced, where it is exactly the Wilson interval of the pooled accuracy; smaller when a class
is small). It lies in [0, 1] and holds the observed value; a perfect decoder gets
[n / (n + 1.96²), 1].

References: Bengio & Grandvalet (2004), JMLR 5:1089-1105; Varoquaux (2018), NeuroImage
180:68-77; Wilson (1927), Probable inference, the law of succession, and statistical
inference, JASA 22:209-212.
"""
from __future__ import annotations

import numpy as np

from .._utils.stats import percentile_ci

LEVEL = 0.95
_CHUNK = 4_000_000  # resampled items held in memory at once (regression)


def bootstrap_means(y, folds, preds, task, metrics, *, n_bootstrap: int, rng) -> dict[str, np.ndarray]:
    """``(n_bootstrap,)`` means over folds of each metric, test items resampled within each fold.

    Parameters
    ----------
    y : numpy.ndarray
        The target, one value per stimulus.
    folds : list of (train, test)
    preds : list of numpy.ndarray
        The out-of-fold predictions of each fold's test items (labels or values).
    task : {"classification", "regression"}
    metrics : list of str
        ``balanced_accuracy`` or ``r2`` / ``pearson_r``.
    n_bootstrap : int
    rng : numpy.random.Generator

    Returns
    -------
    dict of numpy.ndarray
        NaN where a resample leaves a metric undefined (a constant target in a test fold).
    """
    per_fold = {m: np.empty((n_bootstrap, len(folds))) for m in metrics}
    hits = class_hits(y, folds, preds) if task == "classification" else None
    for f, (_, test) in enumerate(folds):
        if task == "classification":
            # a resample of the n items of a class holds Binomial(n, hits / n) correct ones: drawing the count
            # is the same distribution as drawing n indices, without the (n_bootstrap, n) index matrix
            recalls = [rng.binomial(n, h / n, n_bootstrap) / n for h, n in hits[f]]
            per_fold["balanced_accuracy"][:, f] = np.mean(recalls, axis=0)
        else:
            yt, pred = np.asarray(y, dtype=float)[np.asarray(test)], np.asarray(preds[f], dtype=float)
            m = yt.size
            step = max(1, _CHUNK // max(m, 1))
            for start in range(0, n_bootstrap, step):
                stop = min(n_bootstrap, start + step)
                idx = rng.integers(0, m, (stop - start, m))
                scores = regression_scores(yt[idx], pred[idx])
                for name in metrics:
                    per_fold[name][start:stop, f] = scores[name]
    return {m: v.mean(axis=1) for m, v in per_fold.items()}


def regression_scores(y_true, y_pred) -> dict[str, np.ndarray]:
    """R² and Pearson r of every row (last axis) of ``y_true`` against ``y_pred``.

    Row-wise versions of :func:`sklearn.metrics.r2_score` and :func:`pearson_r`: NaN where
    the truth is constant (both are undefined there), r = 0 where only the predictions are.
    """
    a = y_true - y_true.mean(-1, keepdims=True)
    b = y_pred - y_pred.mean(-1, keepdims=True)
    ss_tot = (a * a).sum(-1)
    ss_res = ((y_true - y_pred) ** 2).sum(-1)
    den = np.sqrt(ss_tot * (b * b).sum(-1))
    defined = ss_tot > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(defined, 1 - ss_res / np.where(defined, ss_tot, 1), np.nan)
        r = np.where(den > 0, (a * b).sum(-1) / np.where(den > 0, den, 1), 0.0)
    # |r| <= 1 up to rounding; only the last bit is clipped
    return {"r2": r2, "pearson_r": np.where(defined, np.clip(r, -1.0, 1.0), np.nan)}


def class_hits(y, folds, preds) -> list[list[tuple[int, int]]]:
    """``(hits, n)`` of every class present in every test fold (classification)."""
    out = []
    for f, (_, test) in enumerate(folds):
        yt = np.asarray(y)[np.asarray(test)]
        correct = np.asarray(np.asarray(preds[f]) == yt, dtype=bool)
        codes = np.unique(yt.astype(str) if yt.dtype.kind == "O" else yt, return_inverse=True)[1].ravel()
        out.append([(int(correct[codes == c].sum()), int((codes == c).sum())) for c in range(codes.max() + 1)])
    return out


def wilson_bounds(p: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` observed on ``n`` trials (closed forms at 0 and 1)."""
    from scipy.stats import norm

    z2 = float(norm.ppf((1 + level) / 2)) ** 2
    if p >= 1:
        return n / (n + z2), 1.0
    if p <= 0:
        return 0.0, z2 / (n + z2)
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = np.sqrt(z2) / (1 + z2 / n) * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)   # in [0, 1] analytically; max/min only round


def fold_cis(y, folds, preds, task, metrics, *, n_bootstrap: int, rng) -> dict[str, tuple[float, float, str]]:
    """``(ci_low, ci_high, ci_method)`` of every metric (see the module docstring)."""
    if n_bootstrap == 0:
        return {m: (np.nan, np.nan, "none (n_bootstrap=0)") for m in metrics}
    hits = class_hits(y, folds, preds) if task == "classification" else []
    cells = [c for fold in hits for c in fold]
    if cells and all(h in (0, n) for h, n in cells):
        counts = _pooled_class_counts(y, folds)
        n_eff = len(counts) ** 2 / sum(1 / n for n in counts)
        value = float(np.mean([np.mean([h / n for h, n in fold]) for fold in hits]))
        how = (f"Wilson score interval at the observed balanced accuracy, effective n = {n_eff:.3g} test items "
               "(every class of every test fold was all right or all wrong, so the bootstrap over test items "
               "would have zero width)")
        return {m: (*wilson_bounds(value, n_eff), how) for m in metrics}
    means = bootstrap_means(y, folds, preds, task, metrics, n_bootstrap=n_bootstrap, rng=rng)
    how = (f"percentile bootstrap over test items ({n_bootstrap} resamples within folds"
           + (", stratified by class)" if task == "classification" else ")"))
    return {m: (*percentile_ci(means[m], LEVEL), how) for m in metrics}


def _pooled_class_counts(y, folds) -> list[int]:
    """How many test predictions each class has, over all folds."""
    yt = np.concatenate([np.asarray(y)[np.asarray(te)] for _, te in folds])
    keys = yt.astype(str) if yt.dtype.kind == "O" else yt
    return list(np.unique(keys, return_counts=True)[1])
