import numpy as np
import pytest
import rsatoolbox as rt
import xarray as xr
from scipy.spatial.distance import pdist

import neurocompare as nc
from neurocompare.rsa import compute_rdm, from_rsatoolbox, to_rsatoolbox, vectors


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(17, 40)) * rng.uniform(0.5, 2, size=40) + 2.0


def _rel(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12))


@pytest.mark.parametrize("method, kwargs", [
    ("euclidean", {}), ("euclidean", {"remove_mean": True}), ("correlation", {}), ("poisson", {}),
    ("poisson", {"prior_lambda": 2.0, "prior_weight": 0.3}), ("mahalanobis", {}),
])
def test_equals_rsatoolbox(data, method, kwargs):
    x = np.abs(data) if method == "poisson" else data
    ref = rt.rdm.calc_rdm(rt.data.Dataset(x), method=method, **kwargs).get_vectors()[0]
    got = vectors(compute_rdm(x, method, **kwargs))[0]
    assert _rel(got, ref) < 1e-8


def test_mahalanobis_with_precision(data):
    rng = np.random.default_rng(1)
    prec = np.linalg.inv(np.cov(rng.normal(size=(200, 40)).T))
    ref = rt.rdm.calc_rdm(rt.data.Dataset(data), method="mahalanobis", noise=prec).get_vectors()[0]
    assert _rel(vectors(compute_rdm(data, "mahalanobis", noise=prec))[0], ref) < 1e-8


@pytest.mark.parametrize("with_noise", [False, True])
def test_crossnobis_equals_rsatoolbox(with_noise):
    rng = np.random.default_rng(2)
    y = rng.normal(size=(20, 12))
    cond = np.repeat(np.array(list("edcba")), 4)
    run = np.tile(np.arange(4), 5)
    prec = np.linalg.inv(np.cov(rng.normal(size=(100, 12)).T)) if with_noise else None
    ds = rt.data.Dataset(y, obs_descriptors={"cond": cond, "run": run})
    ref = rt.rdm.calc_rdm(ds, method="crossnobis", descriptor="cond", cv_descriptor="run", noise=prec)
    got = compute_rdm(y, "crossnobis", descriptor=cond, cv_descriptor=run, noise=prec)
    assert list(got.stimulus_a.values) == list("edcba")  # order of first appearance, never sorted
    got_sorted = got.sel(stimulus_a=list("abcde"), stimulus_b=list("abcde"))
    np.testing.assert_allclose(vectors(got_sorted)[0], ref.get_vectors()[0], rtol=1e-8, atol=1e-12)
    # default folds: the k-th occurrence of each condition
    default = compute_rdm(y, "crossnobis", descriptor=cond, noise=prec)
    np.testing.assert_allclose(default.values, got.values)


def test_cosine_equals_scipy(data):
    np.testing.assert_allclose(vectors(compute_rdm(data, "cosine"))[0], pdist(data, "cosine"), rtol=1e-10)


def test_dataarray_input_keeps_ids_factors_and_order(resnet18, small_set):
    acts = nc.extract(resnet18, small_set, layers=["layer4", "fc"], reduce="avgpool", progress=False)
    da = nc.extraction.get_layer(acts, "layer4")
    rdm = compute_rdm(da, "correlation")
    assert rdm.dims == ("stimulus_a", "stimulus_b")
    assert list(rdm.stimulus_a.values) == list(small_set.ids)
    np.testing.assert_array_equal(rdm.category.values, small_set.metadata.category.values)
    assert rdm.attrs["method"] == "correlation" and rdm.attrs["layer"] == "layer4"
    ref = rt.rdm.calc_rdm(rt.data.Dataset(da.values.astype(np.float64)), method="correlation").get_vectors()[0]
    assert _rel(vectors(rdm)[0], ref) < 1e-8
    tree_rdms = compute_rdm(acts, "euclidean")
    assert tree_rdms.dims == ("rdm", "stimulus_a", "stimulus_b") and list(tree_rdms.layer.values) == ["layer4", "fc"]
    assert list(tree_rdms.model.values) == ["resnet18", "resnet18"]


def test_chunked_zarr_layer_equals_in_memory(resnet18, small_set, tmp_path):
    tree = nc.extract(resnet18, small_set, layers=["layer3"], out=tmp_path / "a.zarr", progress=False)
    lazy = nc.extraction.get_layer(tree, "layer3")
    assert lazy.chunks is not None
    chunked = compute_rdm(lazy, "correlation", chunk_bytes=24 * 8 * 1000)  # ~1000 units per chunk
    whole = compute_rdm(lazy.load().values.astype(np.float64), "correlation")
    np.testing.assert_allclose(chunked.values, whole.values, rtol=1e-10, atol=1e-12)
    e1 = compute_rdm(lazy, "euclidean", chunk_bytes=24 * 8 * 777)
    e2 = compute_rdm(lazy.load(), "euclidean")
    np.testing.assert_allclose(e1.values, e2.values, rtol=1e-10)


def test_correlation_is_exact_for_large_offsets():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 500)) * 1e-3 + 1e4  # means dwarf the variation
    ref = rt.rdm.calc_rdm(rt.data.Dataset(x), method="correlation").get_vectors()[0]
    np.testing.assert_allclose(vectors(compute_rdm(x, "correlation"))[0], ref, rtol=1e-7)


def test_rsatoolbox_round_trip(data):
    rdm = compute_rdm(data, "euclidean")
    rdm = rdm.assign_coords(category=("stimulus_a", np.array(list("ab") * 8 + ["a"])))
    back = from_rsatoolbox(to_rsatoolbox(rdm))
    np.testing.assert_array_equal(back.isel(rdm=0).values, rdm.values)
    assert list(back.stimulus_a.values) == list(rdm.stimulus_a.values)
    np.testing.assert_array_equal(back.category.values, rdm.category.values)
    assert back.attrs["method"] == "euclidean"
    stack = nc.rsa.make_rdm(np.stack([rdm.values, 2 * rdm.values]), rdm.stimulus_a.values, method="euclidean",
                            leading={"subject": {"subject": ["s1", "s2"], "group": ["a", "b"]}})
    rts = to_rsatoolbox(stack)
    assert rts.n_rdm == 2 and list(rts.rdm_descriptors["subject"]) == ["s1", "s2"]
    again = from_rsatoolbox(rts)
    np.testing.assert_array_equal(again.values, stack.values)
    assert list(again.group.values) == ["a", "b"]


def test_bad_input(data):
    with pytest.raises(ValueError, match="'method'.*'corr'"):
        compute_rdm(data, "corr")
    with pytest.raises(ValueError, match="'data'.*shape"):
        compute_rdm(data[0], "euclidean")
    with pytest.raises(ValueError, match="'descriptor'.*crossnobis"):
        compute_rdm(data, "crossnobis")
    with pytest.raises(ValueError, match="'noise'.*\\(40, 40\\)"):
        compute_rdm(data, "mahalanobis", noise=np.eye(3))
    with pytest.raises(ValueError, match="poisson.*non-negative"):
        compute_rdm(data - 10, "poisson")
    da = xr.DataArray(data, dims=("stimulus", "unit"), coords={"stimulus": [f"s{i}" for i in range(17)]})
    with pytest.raises(ValueError, match="'descriptor'.*'cond'.*not a coordinate"):
        compute_rdm(da, "crossnobis", descriptor="cond")


def test_as_rdm_validation():
    from neurocompare.rsa import as_rdm

    with pytest.raises(ValueError, match="not symmetric"):
        as_rdm(np.array([[0, 1, 2], [1, 0, 3], [2, 4, 0.0]]))
    with pytest.raises(ValueError, match="square"):
        as_rdm(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="n\\*\\(n-1\\)/2"):
        as_rdm(np.zeros(4))
    v = as_rdm(np.arange(6.0))
    assert v.shape == (4, 4) and v.values[0, 1] == 0 and v.values[2, 3] == 5


@pytest.mark.parametrize("remove_mean", [False, True])
def test_crossnobis_with_one_precision_per_fold_equals_rsatoolbox(remove_mean):
    rng = np.random.default_rng(3)
    y = rng.normal(size=(20, 6))
    cond = np.repeat(np.array(list("abcde")), 4)
    run = np.tile(np.array([2, 10, 1, 30]), 5)            # numeric labels: sorted as numbers (1, 2, 10, 30)
    precs = [np.linalg.inv(np.cov(rng.normal(size=(50, 6)).T)) for _ in range(4)]
    ds = rt.data.Dataset(y, obs_descriptors={"cond": cond, "run": run})
    ref = rt.rdm.calc_rdm_crossnobis(ds, descriptor="cond", cv_descriptor="run", noise=[p.copy() for p in precs],
                                     remove_mean=remove_mean)
    got = compute_rdm(y, "crossnobis", descriptor=cond, cv_descriptor=run, noise=precs, remove_mean=remove_mean)
    np.testing.assert_allclose(vectors(got)[0], ref.get_vectors()[0], rtol=1e-8, atol=1e-12)
    as_dict = compute_rdm(y, "crossnobis", descriptor=cond, cv_descriptor=run,
                          noise={1: precs[0], 2: precs[1], 10: precs[2], 30: precs[3]}, remove_mean=remove_mean)
    np.testing.assert_allclose(as_dict.values, got.values)
    stacked = compute_rdm(y, "crossnobis", descriptor=cond, cv_descriptor=run, noise=np.stack(precs),
                          remove_mean=remove_mean)
    np.testing.assert_allclose(stacked.values, got.values)
    # the same precision for every fold is a different estimator (fold pairs, not fold vs rest) but unbiased too
    same = compute_rdm(y, "crossnobis", descriptor=cond, cv_descriptor=run, noise=[np.eye(6)] * 4)
    assert np.isfinite(same.values).all()


def test_per_fold_noise_errors():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(12, 5))
    cond = np.repeat(np.array(list("abc")), 4)
    with pytest.raises(ValueError, match="3 precision matrices for 4 folds"):
        compute_rdm(y, "crossnobis", descriptor=cond, noise=[np.eye(5)] * 3)
    with pytest.raises(ValueError, match="fold '2' has shape \\(4, 4\\)"):
        compute_rdm(y, "crossnobis", descriptor=cond, noise=[np.eye(5), np.eye(5), np.eye(4), np.eye(5)])
    with pytest.raises(ValueError, match="no precision for fold"):
        compute_rdm(y, "crossnobis", descriptor=cond, noise={0: np.eye(5), 1: np.eye(5)})
    with pytest.raises(ValueError, match="one precision per fold is for 'crossnobis'"):
        compute_rdm(y, "mahalanobis", noise=[np.eye(5)] * 4)
