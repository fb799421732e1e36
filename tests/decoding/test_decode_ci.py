"""Decoding CIs (percentile bootstrap over test items, within folds), the per-fold fit loop, and fold warnings."""
import warnings

import numpy as np
import pytest
import xarray as xr
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer, r2_score
from sklearn.model_selection import cross_validate

import neurocompare as nc
from neurocompare.decoding import decode, default_estimator, make_cv, pearson_r
from neurocompare.decoding._decode import _scorers, _sklearn_scores
from neurocompare.decoding._intervals import regression_scores, wilson_bounds
from neurocompare._utils.fold_warnings import FoldWarnings

Z2 = 1.959963984540054 ** 2


def _layer(values, **factors):
    return xr.DataArray(values, dims=("stimulus", "unit"),
                        coords={"stimulus": [f"s{i}" for i in range(len(values))],
                                **{k: ("stimulus", v) for k, v in factors.items()}})


class SignOfFirstUnit(ClassifierMixin, BaseEstimator):
    """A fixed decoder (training changes nothing): label 1 where unit 0 is positive. Its accuracy is known."""

    def fit(self, x, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, x):
        return (np.asarray(x)[:, 0] > 0).astype(int)


class FirstClass(ClassifierMixin, BaseEstimator):
    """Predicts the first class, whatever the input."""

    def fit(self, x, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, x):
        return np.full(len(x), self.classes_[0])


def _fixed_decoder_data(n, accuracy, rng):
    y = np.repeat([0, 1], n // 2)
    right = rng.random(n) < accuracy
    shown = np.where(right, y, 1 - y)
    x = np.column_stack([np.where(shown == 1, 1.0, -1.0), rng.normal(size=n)])
    return _layer(x, label=y)


# -- the fold loop gives cross_validate's scores --------------------------------------------------------------
@pytest.mark.parametrize("target, task", [("category", "classification"), ("x", "regression")])
@pytest.mark.parametrize("estimator", [None, "logistic"])
def test_fold_scores_identical_to_cross_validate(data, target, task, estimator):
    if task == "regression" and estimator == "logistic":
        estimator = "ridge"
    y = data[target].values
    folds = make_cv(5, task, y, 3)
    est = default_estimator(task, estimator=estimator)
    scorers = list(_scorers(task))
    scoring = {m: make_scorer(fn) for m, fn in _scorers(task).items()}
    ref = cross_validate(est, data.values, y, cv=folds, scoring=scoring)
    for jobs in (None, 2):
        scores, preds = _sklearn_scores(est, data.values, y, folds, task, jobs, FoldWarnings(), observed=True)
        for m in scorers:
            np.testing.assert_allclose(scores[m], ref[f"test_{m}"], rtol=0, atol=1e-12)
        assert [len(p) for p in preds] == [len(te) for _, te in folds]
    res = decode(data, target, task=task, estimator=estimator, cv=5, random_state=3, n_jobs=2).set_index("metric")
    for m in scorers:
        assert res.loc[m, "value"] == pytest.approx(ref[f"test_{m}"].mean(), abs=1e-12)
        assert res.loc[m, "sd"] == pytest.approx(ref[f"test_{m}"].std(ddof=1), abs=1e-12)


def test_bootstrap_statistic_at_the_sample_is_the_metric():
    rng = np.random.default_rng(1)
    yt, yp = rng.normal(size=(3, 12)), rng.normal(size=(3, 12))
    yp[2] = 0.5                                         # constant predictions: r = 0, like pearson_r
    s = regression_scores(yt, yp)
    np.testing.assert_allclose(s["r2"], [r2_score(a, b) for a, b in zip(yt, yp)], atol=1e-12)
    np.testing.assert_allclose(s["pearson_r"], [pearson_r(a, b) for a, b in zip(yt, yp)], atol=1e-12)
    flat = regression_scores(np.ones((1, 5)), np.arange(5.0)[None])
    assert np.isnan(flat["r2"]).all() and np.isnan(flat["pearson_r"]).all()   # undefined, dropped later


# -- the CI respects the range ----------------------------------------------------------------------------------
def test_ci_in_range_near_perfect_and_at_chance(data):
    rng = np.random.default_rng(2)
    y = np.repeat(list("ab"), 20)
    x = rng.normal(size=(40, 10))
    x[:, 0] += np.where(y == "a", 2.2, -2.2)              # about 1 error in 40: the fold-wise t interval went above 1
    near = decode(_layer(x, label=y), "label", cv=5, random_state=0).iloc[0]
    assert 0.9 <= near.value < 1
    assert 0 <= near.ci_low <= near.value <= near.ci_high <= 1 and near.ci_high - near.ci_low > 0
    assert near.ci_method.startswith("percentile bootstrap over test items (1000 resamples within folds")
    chance = decode(data, rng.permutation(data.category.values), estimator="logistic", random_state=0).iloc[0]
    assert 0 <= chance.ci_low <= chance.value <= chance.ci_high <= 1 and chance.ci_high - chance.ci_low > 0.1
    assert abs(chance.value - 1 / 3) < 0.1
    reg = decode(data, "x", random_state=0).set_index("metric")
    assert -1 <= reg.loc["pearson_r", "ci_low"] < reg.loc["pearson_r", "value"] < reg.loc["pearson_r", "ci_high"] <= 1
    assert reg.loc["r2", "ci_low"] < reg.loc["r2", "value"] < reg.loc["r2", "ci_high"] <= 1
    exact = decode(data, data.values[:, 1] * 2.0, random_state=0).set_index("metric")  # a linear target
    assert exact.loc["r2", "ci_high"] <= 1 and exact.loc["pearson_r", "ci_high"] <= 1
    assert exact.loc["r2", "ci_low"] > 0.999


def test_degenerate_bootstrap_falls_back_to_a_wilson_interval():
    rng = np.random.default_rng(3)
    y = np.repeat(list("ab"), 25)
    x = rng.normal(size=(50, 5))
    x[:, 0] += np.where(y == "a", 10.0, -10.0)
    row = decode(_layer(x, label=y), "label", cv=5, random_state=0).iloc[0]
    assert row.value == 1.0 and row.ci_high == 1.0
    assert row.ci_low == pytest.approx(50 / (50 + Z2)) and row.ci_low < 0.93    # Wilson at 50 of 50
    assert row.ci_method.startswith("Wilson score interval at the observed balanced accuracy, effective n = 50 ")
    small = np.r_[np.repeat("a", 45), np.repeat("b", 5)]    # a small class: less evidence, a wider interval
    xs = rng.normal(size=(50, 5))
    xs[:, 0] += np.where(small == "a", 10.0, -10.0)
    unbalanced = decode(_layer(xs, label=small), "label", cv=5, random_state=0).iloc[0]
    n_eff = 4 / (1 / 45 + 1 / 5)
    assert unbalanced.value == 1.0 and unbalanced.ci_low == pytest.approx(n_eff / (n_eff + Z2))
    # a decoder that predicts one class: balanced accuracy exactly 1/2 in every fold, the interval still has width
    ones = decode(_layer(x, label=y), "label", estimator=FirstClass(), cv=5).iloc[0]
    assert ones.value == 0.5 and (ones.ci_low, ones.ci_high) == pytest.approx(wilson_bounds(0.5, 50))
    assert wilson_bounds(0.8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)   # the textbook value for 8 / 10
    # one test item per class and fold, chance level: the interval holds the (low) observed value
    y8 = np.repeat(np.arange(8), 2)
    few = decode(_layer(rng.normal(size=(16, 6)), label=y8), "label", task="classification", cv=2).iloc[0]
    assert few.ci_method.startswith("Wilson") and 0 <= few.ci_low <= few.value <= few.ci_high <= 1


def test_ci_has_width_with_five_folds_and_is_seeded(data):
    a = decode(data, "category", cv=5, random_state=4)
    b = decode(data, "category", cv=5, random_state=4)
    row = a.iloc[0]
    assert row.ci_high - row.ci_low > 0.05 and row.n_folds == 5
    assert a.equals(b)
    off = decode(data, "category", n_bootstrap=0).iloc[0]
    assert np.isnan(off.ci_low) and np.isnan(off.ci_high) and off.ci_method == "none (n_bootstrap=0)"
    assert off.value == decode(data, "category").iloc[0].value
    with pytest.raises(ValueError, match="'n_bootstrap'"):
        decode(data, "category", n_bootstrap=-1)


@pytest.mark.parametrize("target", ["category", "x"])
def test_torch_backend_gives_the_same_ci(data, target):
    a = decode(data, target, estimator="ridge", ridge_alpha=5.0, random_state=4)
    b = decode(data, target, estimator="ridge", ridge_alpha=5.0, random_state=4, backend="torch")
    np.testing.assert_allclose(a.ci_low, b.ci_low, atol=1e-9)
    np.testing.assert_allclose(a.ci_high, b.ci_high, atol=1e-9)
    assert list(a.ci_method) == list(b.ci_method)


def test_coverage_of_a_known_accuracy():
    # a fixed decoder of accuracy 0.8 on each class: its 95% CI should cover 0.8 in about 95% of samples
    rng = np.random.default_rng(5)
    covered = []
    for i in range(200):
        row = decode(_fixed_decoder_data(40, 0.8, rng), "label", estimator=SignOfFirstUnit(), cv=5, n_bootstrap=400,
                     random_state=i).iloc[0]
        covered.append(row.ci_low <= 0.8 <= row.ci_high)
    assert 0.90 <= np.mean(covered) <= 0.99


# -- one summary warning ------------------------------------------------------------------------------------------
def _caught(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, caught


def test_one_summary_warning_instead_of_one_per_fold(data):
    shuffled = np.random.default_rng(6).permutation(data.category.values)
    _, caught = _caught(lambda: decode(data, shuffled, cv=10, estimator="ridge", permutations=20, random_state=0))
    raw = [w for w in caught if "y_pred contains classes not in y_true" == str(w.message)]
    ours = [w for w in caught if issubclass(w.category, nc.NeurocompareWarning)]
    assert raw == [] and len(ours) == 1 and len(caught) == 1
    text = str(ours[0].message)
    assert "of 210 test folds (0 of the 10 observed folds" in text and "of the 200 folds with permuted labels" in text
    assert "classes that the test fold holds" in text and "cv=K" in text
    _, caught = _caught(lambda: decode(data, shuffled, cv=10, permutations=20, estimator="ridge", backend="torch"))
    assert len(caught) == 1 and issubclass(caught[0].category, nc.NeurocompareWarning)
    _, caught = _caught(lambda: decode(data, "category", cv=5))
    assert caught == []                                 # nothing to say: no warning


def test_other_fit_warnings_are_counted_once(data):
    from sklearn.exceptions import ConvergenceWarning

    _, caught = _caught(lambda: decode(data, "category", estimator=LogisticRegression(max_iter=1), cv=5,
                                       permutations=3))
    conv = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(conv) == 1 and "[raised in 20 of 20 fits of this decode call; shown once]" in str(conv[0].message)


def test_probe_profile_reports_one_warning_for_all_layers(data):
    shuffled = np.random.default_rng(7).permutation(data.category.values)
    layers = {f"/net/layer{i}": xr.Dataset({"activations": data.assign_coords(category=("stimulus", shuffled))
                                                           .copy(data=data.values + i)}) for i in range(3)}
    tree = xr.DataTree.from_dict(layers)
    res, caught = _caught(lambda: nc.probes.what_where(tree, what=["category"], where=[], cv=10, permutations=10,
                                                       estimator="ridge", progress=False))
    assert len(res) == 3 and (res.ci_low >= 0).all() and (res.ci_high <= 1).all()
    assert len(caught) == 1 and "of 3 decode calls" in str(caught[0].message)
    assert "of the 30 observed folds" in str(caught[0].message)
