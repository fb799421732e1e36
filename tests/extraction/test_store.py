import os

import numpy as np
import pytest
import xarray as xr

import neurocompare as nc
from neurocompare.extraction import get_layer, load, save


def _files(path):
    out = {}
    for root, _, names in os.walk(path):
        for n in names:
            p = os.path.join(root, n)
            out[os.path.relpath(p, path)] = open(p, "rb").read()
    return out


@pytest.fixture(scope="module")
def net():
    return nc.models.load("smallcnn", n_classes=6)


def test_zarr_stream_equals_memory(net, small_set, tmp_path):
    mem = nc.extract(net, small_set, layers=["block1", "block4", "fc"], batch_size=5, progress=False)
    disk = nc.extract(net, small_set, layers=["block1", "block4", "fc"], batch_size=5, out=tmp_path / "a.zarr",
                      progress=False)
    assert list(disk["smallcnn"].children) == ["block1", "block4", "fc"]
    assert get_layer(disk, "block1").chunks is not None  # lazy, dask-backed
    for layer in ("block1", "block4", "fc"):
        xr.testing.assert_identical(get_layer(mem, layer), get_layer(disk, layer).load())
    assert disk["smallcnn"].attrs["complete"] == 1


def test_round_trip_zarr_and_netcdf(net, small_set, tmp_path):
    tree = nc.extract(net, small_set, layers=["block2", "fc"], reduce=("grid", 2), progress=False)
    for name in ("t.zarr", "t.nc"):
        save(tree, tmp_path / name)
        again = load(tmp_path / name)
        for layer in ("block2", "fc"):
            xr.testing.assert_identical(get_layer(tree, layer), get_layer(again, layer).load())
        assert again["smallcnn"].attrs == tree["smallcnn"].attrs
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save(tree, tmp_path / "t.nc")
    direct = nc.extract(net, small_set, layers=["fc"], out=tmp_path / "direct.nc", progress=False)
    xr.testing.assert_identical(get_layer(direct, "fc"), get_layer(load(tmp_path / "direct.nc"), "fc"))


def test_resume_after_interruption_gives_the_same_store(net, small_set, tmp_path, monkeypatch,
                                                        interrupt_extraction):
    kw = dict(layers=["block1", "block3", "fc"], batch_size=5, reduce=None, progress=False)
    nc.extract(net, small_set, out=tmp_path / "whole.zarr", **kw)

    with interrupt_extraction(2), pytest.raises(KeyboardInterrupt):
        nc.extract(net, small_set, out=tmp_path / "resumed.zarr", **kw)
    with pytest.raises(ValueError, match=r"incomplete \(model 'smallcnn' has 10 of 24 stimuli\).*same "
                                         r"neurocompare.extract.*allow_incomplete=True"):
        load(tmp_path / "resumed.zarr")
    partial = load(tmp_path / "resumed.zarr", allow_incomplete=True)
    assert partial["smallcnn"].attrs["n_done"] == 10 and partial["smallcnn"].attrs["complete"] == 0
    fc = get_layer(partial, "fc")
    assert fc.sizes["stimulus"] == 10 and np.isfinite(fc.values).all()
    np.testing.assert_array_equal(fc.values, get_layer(load(tmp_path / "whole.zarr"), "fc").values[:10])

    seen = []
    real_batches = nc.models.batches.StimulusSource.batches

    def spy(self, wrapper, batch_size, start, num_workers):
        seen.append(start)
        return real_batches(self, wrapper, batch_size, start, num_workers)

    monkeypatch.setattr(nc.models.batches.StimulusSource, "batches", spy)
    nc.extract(net, small_set, out=tmp_path / "resumed.zarr", **kw)
    assert seen == [10], "the second run must start at the first unfinished batch"
    assert _files(tmp_path / "whole.zarr") == _files(tmp_path / "resumed.zarr")


def test_store_settings_must_match(net, small_set, tmp_path):
    nc.extract(net, small_set, layers=["fc"], out=tmp_path / "s.zarr", progress=False)
    with pytest.raises(FileExistsError, match="different settings.*overwrite=True"):
        nc.extract(net, small_set, layers=["fc", "block1"], out=tmp_path / "s.zarr", progress=False)
    tree = nc.extract(net, small_set, layers=["block1"], out=tmp_path / "s.zarr", overwrite=True, progress=False)
    assert list(tree["smallcnn"].children) == ["block1"]
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a neurocompare zarr store"):
        nc.extract(net, small_set, out=tmp_path / "plain", progress=False)
    (tmp_path / "empty").mkdir()  # an existing empty folder is fine
    nc.extract(net, small_set, layers=["fc"], out=tmp_path / "empty", progress=False)
    assert load(tmp_path / "empty")["smallcnn"].attrs["complete"] == 1


def test_pca_resume_refits_identically(net, small_set, tmp_path):
    a = nc.extract(net, small_set, layers=["fc1"], reduce=("pca", 3), out=tmp_path / "p1.zarr", progress=False)
    b = nc.extract(net, small_set, layers=["fc1"], reduce=("pca", 3), out=tmp_path / "p1.zarr", progress=False)
    xr.testing.assert_identical(get_layer(a, "fc1").load(), get_layer(b, "fc1").load())


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "none.zarr")
    (tmp_path / "x").mkdir()
    with pytest.raises(ValueError, match="not a zarr store"):
        load(tmp_path / "x")
