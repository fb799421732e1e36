import numpy as np
import pytest
from sklearn.model_selection import cross_val_score

from neurocompare.decoding import (LeaveOneLevelOut, TransferSplit, decode, default_estimator, factor_split,
                                   make_cv, pearson_r)


@pytest.mark.parametrize("target, scoring, metric", [("category", "balanced_accuracy", "balanced_accuracy"),
                                                      ("x", "r2", "r2")])
def test_scores_equal_sklearn_cross_val_score(data, target, scoring, metric):
    res = decode(data, target, cv=5, random_state=3)
    task = "classification" if target == "category" else "regression"
    folds = make_cv(5, task, data[target].values, 3)
    ref = cross_val_score(default_estimator(task), data.values, data[target].values, cv=folds, scoring=scoring)
    row = res[res.metric == metric].iloc[0]
    assert row.value == pytest.approx(ref.mean(), abs=1e-12)
    assert row.sd == pytest.approx(ref.std(ddof=1), abs=1e-12)
    assert row.n_folds == 5 and row.n == 120
    assert row.ci_low < row.value < row.ci_high


def test_regression_reports_r2_and_pearson(data):
    res = decode(data, "x")
    assert list(res.metric) == ["r2", "pearson_r"]
    assert res.set_index("metric").value["pearson_r"] > 0.8 and (res.chance == 0).all()
    assert pearson_r([1, 2, 3], [2, 4, 6.5]) == pytest.approx(np.corrcoef([1, 2, 3], [2, 4, 6.5])[0, 1])


def test_shuffled_labels_are_at_chance_with_high_p(data):
    # under the null a p-value is uniform: check many shuffles, not one lucky seed
    rng = np.random.default_rng(1)
    rows = [decode(data, rng.permutation(data.category.values), permutations=19, random_state=i).iloc[0]
            for i in range(10)]
    values = np.array([r.value for r in rows])
    ps = np.array([r.p for r in rows])
    assert abs(values.mean() - 1 / 3) < 0.05
    assert np.median(ps) > 0.2 and (ps <= 0.05).sum() <= 2
    real = decode(data, "category", permutations=40, random_state=2).iloc[0]
    assert real.value > 0.5 and real.p == pytest.approx(1 / 41)  # no permutation beats the true labels


@pytest.mark.parametrize("target", ["category", "x"])
def test_torch_backend_equals_sklearn_ridge(data, target):
    a = decode(data, target, estimator="ridge", ridge_alpha=5.0, permutations=10, random_state=4)
    b = decode(data, target, estimator="ridge", ridge_alpha=5.0, permutations=10, random_state=4, backend="torch")
    np.testing.assert_allclose(a.value, b.value, atol=1e-10)
    np.testing.assert_allclose(a.sd, b.sd, atol=1e-10)
    np.testing.assert_allclose(a.p, b.p)
    wide = data.isel(stimulus=slice(0, 30))  # more units than training stimuli: the dual solution
    np.testing.assert_allclose(decode(wide, target, estimator="ridge", cv=3).value,
                               decode(wide, target, estimator="ridge", cv=3, backend="torch").value, atol=1e-9)


def test_pca_inside_folds_and_custom_estimator(data):
    from sklearn.linear_model import LogisticRegression

    from sklearn.decomposition import PCA
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with_pca = decode(data, "category", pca=5, random_state=0).iloc[0]
    folds = make_cv(5, "classification", data.category.values, 0)
    leak_free = make_pipeline(StandardScaler(), PCA(5, svd_solver="full"), RidgeClassifierCV(np.logspace(-3, 5, 9)))
    ref = cross_val_score(leak_free, data.values, data.category.values, cv=folds, scoring="balanced_accuracy")
    assert with_pca.value == pytest.approx(ref.mean(), abs=1e-12)  # scaler and PCA fitted inside each fold
    custom = decode(data, "category", estimator=LogisticRegression(max_iter=500)).iloc[0]
    assert custom.value > 0.5


def test_generalisation_splitters():
    groups = np.array([0, 0, 1, 1, 2, 2])
    splits = list(TransferSplit(groups).split())
    assert [list(tr) for tr, _ in splits] == [[0, 1], [2, 3], [4, 5]]
    assert list(splits[0][1]) == [2, 3, 4, 5]
    lolo = list(LeaveOneLevelOut(np.array(list("aabbcc"))).split())
    assert [list(te) for _, te in lolo] == [[0, 1], [2, 3], [4, 5]]
    assert isinstance(factor_split(np.linspace(0, 1, 10)), TransferSplit)
    assert isinstance(factor_split(np.array(list("ab") * 5)), LeaveOneLevelOut)


def test_bad_input(data):
    with pytest.raises(ValueError, match="'target'.*'colour'.*available: \\['category', 'x'\\]"):
        decode(data, "colour")
    with pytest.raises(ValueError, match="single class"):
        decode(data, np.array(["a"] * 120))
    with pytest.raises(ValueError, match="'cv'.*200 folds need at least 200"):
        decode(data, "category", cv=200)
    y = data.x.values.copy()
    y[[3, 7]] = np.nan
    with pytest.raises(ValueError, match="missing values.*'s3', 's7'"):
        decode(data, y)
    with pytest.raises(ValueError, match="torch backend"):
        decode(data, "x", backend="torch")
    with pytest.raises(ValueError, match="one value per stimulus"):
        decode(data, np.zeros(5))
