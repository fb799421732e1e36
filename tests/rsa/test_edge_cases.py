"""Numerical edge cases of RDMs, comparisons and CKA: refused or NaN with a reason, never a made-up number."""
import logging

import numpy as np
import pytest
import rsatoolbox as rt
import xarray as xr

from neurocompare.rsa import COMPARE_METHODS, cka, compare, compute_rdm, evaluate, make_rdm, vectors

CORRELATIONS = [m for m in COMPARE_METHODS if m not in ("cosine", "cosine_cov")]


def _acts(x):
    n, d = x.shape
    return xr.DataArray(x, dims=("stimulus", "unit"),
                        coords={"stimulus": [f"s{i}" for i in range(n)], "unit": np.arange(d)})


# -- 9: correlation RDM of features with a large common offset ------------------------------
@pytest.mark.parametrize("offset", [1e3, 1e4, 1e5])
def test_correlation_rdm_with_offset_equals_rsatoolbox(offset):
    x = np.random.default_rng(0).normal(size=(30, 200)) + offset
    ref = rt.rdm.calc_rdm(rt.data.Dataset(x), method="correlation").get_vectors()[0]
    got = vectors(compute_rdm(x, "correlation"))[0]
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_correlation_rdm_with_offset_in_chunks():
    x = np.random.default_rng(1).normal(size=(12, 300)) * np.linspace(0.5, 2, 300) + 3e4
    ref = rt.rdm.calc_rdm(rt.data.Dataset(x), method="correlation").get_vectors()[0]
    chunked = vectors(compute_rdm(_acts(x.astype(np.float32)).chunk({"unit": 7}), "correlation"))[0]
    ref32 = rt.rdm.calc_rdm(rt.data.Dataset(x.astype(np.float32).astype(float)), method="correlation").get_vectors()[0]
    np.testing.assert_allclose(chunked, ref32, rtol=0, atol=1e-12)
    assert np.abs(ref32 - ref).max() > 0  # the float32 rounding itself is the only difference


# -- 8: CKA with a large common mean --------------------------------------------------------------
def test_cka_is_invariant_to_a_large_common_mean():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(25, 40))
    y = x[:, :10] @ rng.normal(size=(10, 15)) + rng.normal(size=(25, 15))
    for unbiased in (False, True):
        assert cka(x + 1e6, y + 1e6, unbiased=unbiased) == pytest.approx(cka(x, y, unbiased=unbiased), abs=1e-10)
    # the mean may also differ per unit
    assert cka(x + rng.uniform(-1e6, 1e6, 40), y) == pytest.approx(cka(x, y), abs=1e-10)


def test_cka_of_constant_activations_is_refused():
    x = np.random.default_rng(3).normal(size=(10, 5))
    with pytest.raises(ValueError, match=r"'y'.*constant across the stimuli.*CKA is undefined"):
        cka(x, np.full((10, 4), 2.0))


# -- 7: NaN / inf activations and constant patterns ------------------------------------------------
@pytest.mark.parametrize("method", ["correlation", "euclidean", "cosine", "mahalanobis", "poisson"])
def test_nonfinite_activations_are_refused_naming_stimuli_and_units(method):
    x = np.abs(np.random.default_rng(4).normal(size=(8, 6))) + 0.1
    x[2, 4] = np.nan
    x[5, 1] = np.inf
    with pytest.raises(ValueError, match=r"'data'.*2 NaN or infinite.*stimuli \['s2', 's5'\].*units \[1, 4\]"):
        compute_rdm(_acts(x), method)


def test_nonfinite_activations_in_chunks_and_in_cka():
    x = np.random.default_rng(5).normal(size=(8, 30))
    x[6, 21] = -np.inf
    with pytest.raises(ValueError, match=r"stimuli \['s6'\].*units \[21\]"):
        compute_rdm(_acts(x).chunk({"unit": 4}), "correlation")
    with pytest.raises(ValueError, match=r"'x'.*stimuli \['s6'\].*units \[21\]"):
        cka(_acts(x), _acts(np.ones((8, 2)) + np.arange(8)[:, None]))


def test_decode_names_the_nonfinite_stimuli_and_units():
    from neurocompare.decoding import decode

    x = np.random.default_rng(6).normal(size=(20, 5))
    x[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"'acts'.*stimuli \['s3'\].*units \[2\]"):
        decode(_acts(x), np.arange(20) % 2, cv=2)


def test_constant_patterns_are_named_in_the_correlation_warning(caplog):
    x = np.random.default_rng(7).normal(size=(6, 10))
    x[4] = 3.0
    with caplog.at_level(logging.WARNING, logger="neurocompare"):
        rdm = compute_rdm(_acts(x), "correlation")
    assert np.isnan(rdm.values[4, :4]).all() and np.isfinite(rdm.values[:4, :4]).all()
    assert "stimuli ['s4']" in caplog.text and "constant across the units" in caplog.text


# -- 6: comparisons that are undefined --------------------------------------------------------------
@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_one_pair_of_stimuli_cannot_be_compared(method):
    a, b = make_rdm(np.array([0.3])), make_rdm(np.array([0.7]))
    if method in ("cosine", "cosine_cov"):
        return  # one entry is enough for a cosine
    with pytest.raises(ValueError, match=rf"'{method}'.*1 defined entr.*at least 2"):
        compare(a, b, method)
    with pytest.raises(ValueError, match=rf"'{method}'.*1 defined entr.*at least 2"):
        evaluate(a, b, method=method, bootstrap=None, permutations=10)


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_a_constant_rdm_gives_nan_with_a_reason(method, caplog):
    rng = np.random.default_rng(8)
    good = rng.random((2, 15))
    flat = np.zeros(15) if method in ("cosine", "cosine_cov") else np.full(15, 0.5)
    cands = make_rdm(np.stack([good[0], flat]), leading={"model": ["m0", "flat"]})
    with caplog.at_level(logging.WARNING, logger="neurocompare"):
        got = compare(cands, make_rdm(good[1]), method)
    assert np.isfinite(got.values[0]) and np.isnan(got.values[1])
    assert "undefined" in caplog.text and "'flat'" in caplog.text
    with caplog.at_level(logging.WARNING, logger="neurocompare"):
        res = evaluate(cands, make_rdm(good[1]), method=method, n_bootstrap=20, permutations=20, ceiling=False)
    assert np.isfinite(res.value[0]) and np.isfinite(res.p[0])
    assert res.iloc[1][["value", "ci_low", "ci_high", "se", "p"]].isna().all()


def test_evaluate_keeps_the_resamples_to_see_and_replay():
    import neurocompare as nc

    rng = np.random.default_rng(3)
    ids = [f"s{i}" for i in range(12)]
    rdms = nc.rsa.make_rdm(np.abs(rng.normal(size=(2, 66))), ids, leading={"layer": ["a", "b"]})
    ref = nc.rsa.make_rdm(np.abs(rng.normal(size=(4, 66))), ids, leading={"subject": list("wxyz")})
    res = nc.rsa.evaluate(rdms, ref, n_bootstrap=200, permutations=0, random_state=0)
    boot = res.attrs["bootstrap"]
    assert boot.evaluations.shape == (200, 2) and boot.stimulus_counts.shape == (200, 12)
    assert (boot.stimulus_counts.sum(1) == 12).all() and (boot.subject_counts == 1).all()
    assert boot.stimuli == ids and "200 samples" in repr(boot)
    np.testing.assert_allclose(np.nanquantile(boot.evaluations, [0.025, 0.975], axis=0).T,
                               res[["ci_low", "ci_high"]].to_numpy())
    again = nc.rsa.evaluate(rdms, ref, n_bootstrap=200, permutations=0, random_state=0)
    np.testing.assert_array_equal(again.attrs["bootstrap"].stimulus_counts, boot.stimulus_counts)
    import pandas as pd

    both = pd.concat([res, again], ignore_index=True)  # tables with samples still concatenate
    assert len(both) == 4
