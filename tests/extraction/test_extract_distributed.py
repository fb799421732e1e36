"""nc.extract(scheduler=...): sharded over 2 dask worker processes, bit-identical to a local run."""
from __future__ import annotations

import copy
import os

import numpy as np
import pytest

import neurocompare as nc
from neurocompare.extraction import get_layer, iter_layers, load

# the tests that start the 2-process LocalCluster are slow (~40 s together on 2 busy cores); the argument checks,
# which refuse before any cluster is reached, are not
slow = pytest.mark.slow

KW = dict(layers=["block1", "block3", "fc1", "fc"], batch_size=5, progress=False)


@pytest.fixture(scope="module")
def net():
    return nc.models.load("smallcnn", weights=None)


@pytest.fixture(scope="module")
def local(net, small_set, tmp_path_factory, one_thread):
    # one torch thread, as in each dask worker: BLAS sums in another order with more threads (last-bit changes)
    return nc.extract(net, small_set, out=tmp_path_factory.mktemp("local") / "acts.zarr", **KW)


def assert_same(a, b):
    la, lb = list(iter_layers(a)), list(iter_layers(b))
    assert [(m, lay) for m, lay, _ in la] == [(m, lay) for m, lay, _ in lb]
    for (_, layer, x), (_, _, y) in zip(la, lb):
        assert np.array_equal(x.values, y.values), layer
        for c in x.coords:
            assert np.array_equal(x[c].values, y[c].values), (layer, c)


@slow
def test_sharded_extraction_equals_local_bit_for_bit(net, small_set, local, dask_client, tmp_path):
    tree = nc.extract(net, small_set, out=tmp_path / "acts.zarr", scheduler=dask_client, **KW)
    assert_same(local, tree)
    attrs = tree["smallcnn"].attrs
    assert attrs["n_done"] == 24 and attrs["complete"] == 1
    assert attrs["extraction_hash"] == local["smallcnn"].attrs["extraction_hash"]
    assert dask_client.status == "running"   # a Client passed in is left open


@slow
def test_an_interrupted_local_store_resumes_on_the_cluster(net, small_set, local, dask_client, tmp_path,
                                                           interrupt_extraction):
    with interrupt_extraction(2), pytest.raises(KeyboardInterrupt):
        nc.extract(net, small_set, out=tmp_path / "acts.zarr", **KW)
    assert load(tmp_path / "acts.zarr", allow_incomplete=True)["smallcnn"].attrs["n_done"] == 10
    tree = nc.extract(net, small_set, out=tmp_path / "acts.zarr", scheduler=dask_client, **KW)
    assert_same(local, tree)


class DieOnce:
    """A forward pre-hook that kills its worker process on its first full batch (once: a marker file)."""

    def __init__(self, marker, parent):
        self.marker, self.parent = str(marker), parent

    def __call__(self, module, args):
        if os.getpid() != self.parent and len(args[0]) > 1 and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)


@slow
def test_a_worker_killed_mid_extraction_is_survived(net, small_set, local, dask_client, tmp_path):
    dying = copy.deepcopy(net)
    dying.module.register_forward_pre_hook(DieOnce(tmp_path / "killed", os.getpid()))
    tree = nc.extract(dying, small_set, out=tmp_path / "acts.zarr", scheduler=dask_client, **KW)
    assert (tmp_path / "killed").exists()   # a worker did die
    assert_same(local, tree)
    dask_client.wait_for_workers(2, timeout=60)


def test_out_must_be_a_zarr_store_before_any_cluster_is_reached(net, small_set, tmp_path):
    unused = "tcp://127.0.0.1:9"   # never connected to: the arguments are refused first
    with pytest.raises(ValueError, match="with scheduler= the workers write.*'.zarr' path.*got None"):
        nc.extract(net, small_set, scheduler=unused, **KW)
    with pytest.raises(ValueError, match=r"'.zarr' path that every worker can reach; got '.*acts.nc'"):
        nc.extract(net, small_set, out=tmp_path / "acts.nc", scheduler=unused, **KW)
    with pytest.raises(ValueError, match=r"\('pca', k\).*not distributed"):
        nc.extract(net, small_set, out=tmp_path / "p.zarr", scheduler=unused, reduce=("pca", 3), **KW)
    assert not (tmp_path / "p.zarr").exists()
    with pytest.raises(ValueError, match="Invalid value for 'scheduler'.*got 'lcoal'"):
        nc.extract(net, small_set, out=tmp_path / "p.zarr", scheduler="lcoal", **KW)


@slow
def test_a_projection_is_identical_too(net, small_set, dask_client, tmp_path, one_thread):
    kw = {**KW, "reduce": ("project", 16), "layers": ["block3"]}
    a = get_layer(nc.extract(net, small_set, out=tmp_path / "a.zarr", **kw), "block3").values
    b = get_layer(nc.extract(net, small_set, out=tmp_path / "b.zarr", scheduler=dask_client, **kw), "block3").values
    assert a.shape == (24, 16) and np.array_equal(a, b)
