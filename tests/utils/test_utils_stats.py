"""The small shared statistics: row correlations, percentile and bootstrap intervals, t half-widths."""
import numpy as np
import pytest
from scipy import stats

from neurocompare._utils.stats import bootstrap_mean_ci, percentile_ci, row_corr, t_half_width


def test_row_corr_equals_numpy_and_nan_for_constant_rows():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 30)), rng.standard_normal((4, 30))
    b[3] = 1.0
    r = row_corr(a, b)
    np.testing.assert_allclose(r[:3], [np.corrcoef(a[i], b[i])[0, 1] for i in range(3)], atol=1e-12)
    assert np.isnan(r[3])


def test_percentile_ci_ignores_nan():
    lo, hi = percentile_ci(np.r_[np.arange(101.0), np.nan], 0.9)
    assert (lo, hi) == pytest.approx((5.0, 95.0))
    assert np.isnan(percentile_ci(np.array([np.nan]), 0.95)).all()


def test_bootstrap_mean_ci_equals_a_loop_and_covers_the_mean():
    v = np.random.default_rng(1).normal(2.0, 1.0, 40)
    lo, hi = bootstrap_mean_ci(v, n_boot=500, ci=0.95, rng=np.random.default_rng(7))
    rng = np.random.default_rng(7)
    idx = rng.integers(0, len(v), (500, len(v)))
    means = [v[row].mean() for row in idx]
    assert (lo, hi) == pytest.approx(tuple(np.percentile(means, [2.5, 97.5])))
    assert lo < v.mean() < hi
    # about the normal-theory interval
    half = 1.96 * v.std(ddof=1) / np.sqrt(len(v))
    assert hi - lo == pytest.approx(2 * half, rel=0.2)


def test_bootstrap_mean_ci_empty_and_minimum():
    rng = np.random.default_rng(0)
    assert np.isnan(bootstrap_mean_ci([], n_boot=10, ci=0.95, rng=rng)).all()
    assert np.isnan(bootstrap_mean_ci([1.0, 2.0], n_boot=0, ci=0.95, rng=rng)).all()
    assert np.isnan(bootstrap_mean_ci([1.0], n_boot=10, ci=0.95, rng=rng, min_n=2)).all()
    assert bootstrap_mean_ci([3.0], n_boot=10, ci=0.95, rng=rng) == (3.0, 3.0)


def test_t_half_width():
    v = np.array([1.0, 2.0, 4.0, 7.0])
    assert t_half_width(v) == pytest.approx(stats.t.ppf(0.975, 3) * v.std(ddof=1) / 2)
    assert np.isnan(t_half_width([1.0]))
