"""Small statistics shared by the analysis modules (numpy; scipy imported where needed)."""
from __future__ import annotations

import numpy as np


def row_corr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of matching rows (last axis) of two arrays; NaN for a constant row."""
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    num = (a * b).sum(-1)
    den = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def percentile_ci(samples: np.ndarray, ci: float) -> tuple[float, float]:
    """Percentile interval of bootstrap samples (NaN samples ignored; NaN when none is finite)."""
    samples = np.asarray(samples, dtype=float)
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return np.nan, np.nan
    lo, hi = np.percentile(finite, [(1 - ci) / 2 * 100, (1 + ci) / 2 * 100])
    return float(lo), float(hi)


def bootstrap_mean_ci(values, *, n_boot: int, ci: float, rng, min_n: int = 1) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampled with replacement, ``n_boot`` times).

    NaN when ``n_boot`` is 0 or there are fewer than ``min_n`` values. Draws
    ``rng.integers(0, n, (n_boot, n))``, so a seeded ``rng`` gives the same interval.
    """
    v = np.asarray(values, dtype=float)
    if n_boot == 0 or v.size < max(1, min_n):
        return np.nan, np.nan
    means = v[rng.integers(0, v.size, (n_boot, v.size))].mean(1)
    return percentile_ci(means, ci)


def t_half_width(values) -> float:
    """Half-width of the t-based 95% CI of the mean, ``t(0.975, n - 1) * sd / sqrt(n)`` (ddof 1); NaN if n < 2."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    n = v.size
    if n < 2:
        return float("nan")
    return float(stats.t.ppf(0.975, n - 1) * v.std(ddof=1) / np.sqrt(n))
