"""Option and number checks of decode / the probes, and the designs that cross-validation cannot score."""
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from neurocompare.decoding import decode


def _acts(n=16, d=6, seed=0, **coords):
    x = np.random.default_rng(seed).normal(size=(n, d))
    c = {"stimulus": [f"s{i}" for i in range(n)], **{k: ("stimulus", v) for k, v in coords.items()}}
    return xr.DataArray(x, dims=("stimulus", "unit"), coords=c)


# -- 4: options and numbers ------------------------------------------------------------------
def test_an_estimator_typo_is_refused_with_a_close_match():
    with pytest.raises(ValueError, match=r"'estimator'.*'ridge', 'logistic'.*got 'ridg'.*Did you mean 'ridge'"):
        decode(_acts(), np.arange(16) % 2, estimator="ridg", cv=2)


@pytest.mark.parametrize("ridge_alpha", [-1.0, float("nan")])
def test_a_negative_ridge_penalty_is_refused(ridge_alpha):
    with pytest.raises(ValueError, match=r"'ridge_alpha'.*\[0, inf\).*got"):
        decode(_acts(), np.arange(16) % 2, estimator="ridge", ridge_alpha=ridge_alpha, cv=2)
    with pytest.raises(TypeError, match=r"'ridge_alpha'.*real number.*str"):
        decode(_acts(), np.arange(16) % 2, estimator="ridge", ridge_alpha="1", cv=2)


def test_probes_pass_the_checks_on():
    from neurocompare.probes import what_where

    da = _acts(category=np.array(["a", "b"] * 8))
    with pytest.raises(ValueError, match="Did you mean 'logistic'"):
        what_where(da, what=["category"], where=[], estimator="logistc", cv=2, progress=False)


# -- 2: missing values in factors ---------------------------------------------------------------
def _set_with_gaps(tmp_path):
    from neurocompare.stimuli import StimulusSet

    md = pd.DataFrame({"stimulus_id": [f"s{i}" for i in range(16)], "file": [f"{i}.png" for i in range(16)],
                       "category": ["a", "b"] * 8, "x": np.linspace(0, 1, 16)})
    md.loc[[3, 9], "category"] = np.nan
    md.loc[5, "x"] = np.nan
    return StimulusSet(tmp_path, md)


def test_a_missing_category_is_not_a_class_of_its_own(tmp_path):
    s = _set_with_gaps(tmp_path)
    coords = {k: v for k, v in s.coords().items() if k != "stimulus"}  # as stored on extracted activations
    da = _acts(**{k: v[1] for k, v in coords.items()})
    with pytest.raises(ValueError, match=r"factor 'category' has missing values for 2 stimuli \['s3', 's9'\]"):
        decode(da, "category", cv=2)
    with pytest.raises(ValueError, match=r"factor 'x' has missing values for 1 stimuli \['s5'\]"):
        decode(da, "x", cv=2)


def test_probes_refuse_missing_values_naming_factor_and_stimuli(tmp_path):
    from neurocompare.probes import what_where

    s = _set_with_gaps(tmp_path)
    da = _acts()
    with pytest.raises(ValueError, match=r"factor 'category' has missing values for 2 stimuli \['s3', 's9'\]"):
        what_where(da, s, what=["category"], where=[], cv=2, progress=False)
    with pytest.raises(ValueError, match=r"factor 'x' has missing values for 1 stimuli \['s5'\]"):
        what_where(da, s, what=[], where=["x"], cv=2, progress=False)
    keep = [i for i in s.ids if i != "s5"]  # x complete, category still has gaps
    with pytest.raises(ValueError, match=r"'split'.*factor 'category' has missing values for 2 stimuli"):
        what_where(da.sel(stimulus=keep), s.subset(keep), what=[], where=["x"], split="category", progress=False)


def test_a_numeric_factor_with_text_is_refused_clearly():
    da = _acts(x=np.array([str(v) for v in np.linspace(0, 1, 15)] + ["NA"], dtype=object))
    with pytest.raises(ValueError, match=r"factor 'x' has values that are not numbers for 1 stimuli \['s15'\] "
                                         r"\(e.g. 'NA'\)"):
        decode(da, "x", task="regression", cv=2)


# -- 3: designs the folds cannot score ------------------------------------------------------------
def test_folds_that_cannot_hold_every_class_are_refused_with_what_would_work():
    y = np.repeat(np.arange(8), 2)  # 16 stimuli, 8 classes of 2
    with pytest.raises(ValueError, match=r"'cv'.*5 folds.*smallest class.*has 2 stimuli.*cv=2.*LeaveOneOut.*more "
                                         r"stimuli"):
        decode(_acts(), y, task="classification", cv=5)
    res = decode(_acts(), y, task="classification", cv=2)  # what the message suggests works
    assert res.n_folds.iloc[0] == 2 and np.isfinite(res.value.iloc[0])


def test_a_class_with_one_stimulus_is_refused():
    y = np.r_[np.repeat([0, 1], 7), 2, 2]
    y[-1] = 3
    with pytest.raises(ValueError, match=r"class 2 has a single stimulus"):
        decode(_acts(), y, task="classification", cv=2)


def test_explicit_folds_missing_a_class_in_training_are_refused():
    y = np.repeat([0, 1, 2, 3], 4)
    folds = [(np.arange(8), np.arange(8, 16)), (np.arange(8, 16), np.arange(8))]  # train on classes 0-1, test 2-3
    with pytest.raises(ValueError, match=r"'cv'.*fold 0 tests classes \[2, 3\] that its training stimuli lack"):
        decode(_acts(), y, task="classification", cv=folds)


def test_leave_one_out_regression_is_refused_not_scored():
    from sklearn.model_selection import LeaveOneOut

    y = np.linspace(0, 1, 16)
    for cv in (LeaveOneOut(), 16):
        with pytest.raises(ValueError, match=r"'cv'.*1 stimulus; r2 and pearson_r are undefined.*cv=5"):
            decode(_acts(), y, task="regression", cv=cv)


def test_a_constant_test_fold_is_refused_for_regression():
    y = np.r_[np.zeros(8), np.linspace(0, 1, 8)]
    folds = [(np.arange(8, 16), np.arange(8)), (np.arange(8), np.arange(8, 16))]
    with pytest.raises(ValueError, match=r"fold 0.*constant.*r2 and pearson_r are undefined"):
        decode(_acts(), y, task="regression", cv=folds)


def test_pearson_r_is_nan_when_undefined():
    from neurocompare.decoding import pearson_r

    assert np.isnan(pearson_r([1.0], [2.0])) and np.isnan(pearson_r([1.0, 1.0], [2.0, 3.0]))
    assert pearson_r([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == 0.0  # constant predictions: no linear relation
