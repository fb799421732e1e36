"""compute_rdm, what_where and decode with scheduler=: the same results as locally (2 dask worker processes)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import neurocompare as nc

slow = pytest.mark.slow   # starts a 2-process LocalCluster (~15 s in all on 2 busy cores)


@pytest.fixture(scope="module")
def tree(small_set, tmp_path_factory):
    net = nc.models.load("smallcnn", weights=None)
    return nc.extract(net, small_set, reduce="avgpool", batch_size=8, progress=False,
                      out=tmp_path_factory.mktemp("rsa") / "acts.zarr")


@slow
@pytest.mark.parametrize("method", ["correlation", "euclidean"])
def test_distributed_rdms_equal_local(tree, dask_client, method):
    here = nc.rsa.compute_rdm(tree, method, device="cpu", progress=False)
    there = nc.rsa.compute_rdm(tree, method, device="cpu", progress=False, scheduler=dask_client)
    assert there.sizes["rdm"] == 6 and list(there.layer.values) == list(here.layer.values)
    np.testing.assert_allclose(there.values, here.values, rtol=0, atol=1e-10)
    np.testing.assert_allclose(there.values, here.values, rtol=1e-10, atol=0)  # euclidean values are small
    assert there.attrs == here.attrs and float(np.abs(here.values).max()) > 1e-3


@slow
def test_one_layer_on_the_cluster(tree, dask_client):
    da = nc.extraction.get_layer(tree, "block4")
    here = nc.rsa.compute_rdm(da, device="cpu")
    there = nc.rsa.compute_rdm(da, device="cpu", scheduler=dask_client)
    np.testing.assert_allclose(there.values, here.values, rtol=0, atol=1e-10)
    assert list(there.stimulus_a.values) == list(here.stimulus_a.values)


@slow
def test_distributed_probe_profile_equals_local(tree, small_set, dask_client):
    kw = dict(cv=2, n_bootstrap=50, progress=False)
    here = nc.probes.what_where(tree, small_set, **kw)
    there = nc.probes.what_where(tree, small_set, scheduler=dask_client, **kw)
    pd.testing.assert_frame_equal(there, here)
    # 6 layers x (2 what targets x 1 metric + 3 where targets x 2 metrics)
    assert len(here) == 6 * 8 and here["value"].notna().all()


@slow
def test_distributed_permutations_equal_local_with_their_warnings(tree, dask_client):
    da = nc.extraction.get_layer(tree, "block4")
    kw = dict(cv=2, permutations=12, n_bootstrap=20, progress=False)
    with warnings.catch_warnings(record=True) as w_here:
        warnings.simplefilter("always")
        here = nc.decoding.decode(da, "category", **kw)
    with warnings.catch_warnings(record=True) as w_there:
        warnings.simplefilter("always")
        there = nc.decoding.decode(da, "category", scheduler=dask_client, **kw)
    pd.testing.assert_frame_equal(there, here)
    assert 0 < here["p"].iloc[0] <= 1
    assert [str(w.message) for w in w_there] == [str(w.message) for w in w_here]


def test_bad_scheduler_values_are_refused(tree):
    with pytest.raises(ValueError, match="Invalid value for 'scheduler'.*got 'everywhere'"):
        nc.rsa.compute_rdm(tree, progress=False, scheduler="everywhere")
    with pytest.raises(TypeError, match="Invalid value for 'scheduler'.*got list"):
        nc.decoding.decode(nc.extraction.get_layer(tree, "fc"), "category", cv=2, scheduler=["tcp://h:1"])
