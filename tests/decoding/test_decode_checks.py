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


@pytest.mark.parametrize("alpha", [-1.0, float("nan")])
def test_a_negative_ridge_penalty_is_refused(alpha):
    with pytest.raises(ValueError, match=r"'alpha'.*\[0, inf\).*got"):
        decode(_acts(), np.arange(16) % 2, estimator="ridge", alpha=alpha, cv=2)
    with pytest.raises(TypeError, match=r"'alpha'.*real number.*str"):
        decode(_acts(), np.arange(16) % 2, estimator="ridge", alpha="1", cv=2)


def test_probes_pass_the_checks_on():
    from neurocompare.probes import what_where

    da = _acts(category=np.array(["a", "b"] * 8))
    with pytest.raises(ValueError, match="Did you mean 'logistic'"):
        what_where(da, what=["category"], where=[], estimator="logistc", cv=2, progress=False)
