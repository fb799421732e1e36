"""What extraction may write and delete: never the user's files, never half a store."""
import subprocess
import sys
import time

import numpy as np
import pytest

import neurocompare as nc
from neurocompare.extraction import _store, get_layer, load, save


@pytest.fixture(scope="module")
def net():
    return nc.models.load("smallcnn", n_classes=6)


def _user_folder(path):
    path.mkdir()
    (path / "thesis.docx").write_bytes(b"years of work")
    (path / "sub").mkdir()
    (path / "sub" / "data.csv").write_text("a,b\n1,2\n")
    return {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _same(path, files):
    return {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()} == files


def test_overwrite_never_deletes_a_folder_we_did_not_write(net, small_set, tmp_path):
    files = _user_folder(tmp_path / "mine")
    with pytest.raises(FileExistsError, match="not written by neurocompare.*never deletes"):
        nc.extract(net, small_set, layers=["fc"], out=tmp_path / "mine", overwrite=True, progress=False)
    assert _same(tmp_path / "mine", files)
    tree = nc.extract(net, small_set, layers=["fc"], progress=False)
    with pytest.raises(FileExistsError, match="not written by neurocompare"):
        save(tree, tmp_path / "mine", overwrite=True)
    assert _same(tmp_path / "mine", files)


def test_overwrite_never_replaces_a_file_we_did_not_write(net, small_set, tmp_path):
    (tmp_path / "theirs.nc").write_bytes(b"\x89HDF\r\n\x1a\n not ours")
    with pytest.raises(FileExistsError, match="not written by neurocompare"):
        nc.extract(net, small_set, layers=["fc"], out=tmp_path / "theirs.nc", overwrite=True, progress=False)
    assert (tmp_path / "theirs.nc").read_bytes() == b"\x89HDF\r\n\x1a\n not ours"


def test_overwrite_replaces_our_own_outputs(net, small_set, tmp_path):
    for name in ("a.zarr", "a.nc"):
        nc.extract(net, small_set, layers=["fc"], out=tmp_path / name, progress=False)
        again = nc.extract(net, small_set, layers=["block1"], out=tmp_path / name, overwrite=True, progress=False)
        assert list(again["smallcnn"].children) == ["block1"]
        assert list(load(tmp_path / name)["smallcnn"].children) == ["block1"]


@pytest.mark.parametrize("value", ["no", "False", 1, 0, None])
def test_overwrite_must_be_a_boolean(net, small_set, tmp_path, value):
    nc.extract(net, small_set, layers=["fc"], out=tmp_path / "a.zarr", progress=False)
    with pytest.raises(TypeError, match=r"Invalid value for 'overwrite': expected True or False"):
        nc.extract(net, small_set, layers=["block1"], out=tmp_path / "a.zarr", overwrite=value, progress=False)
    assert list(load(tmp_path / "a.zarr")["smallcnn"].children) == ["fc"]
    tree = load(tmp_path / "a.zarr")
    with pytest.raises(TypeError, match="'overwrite'"):
        save(tree, tmp_path / "b.zarr", overwrite=value)


@pytest.mark.parametrize("name", ["acts.csv", "a.npy", "table.xlsx"])
def test_only_formats_we_write(net, small_set, tmp_path, name):
    with pytest.raises(ValueError, match=r"zarr store.*'\.zarr'.*netCDF.*'\.nc'.*suffix"):
        nc.extract(net, small_set, layers=["fc"], out=tmp_path / name, progress=False)
    assert not (tmp_path / name).exists()
    with pytest.raises(ValueError, match="netCDF"):
        save(nc.extract(net, small_set, layers=["fc"], progress=False), tmp_path / name)


def test_empty_stimulus_subset_writes_nothing(net, small_set, tmp_path):
    empty = small_set.subset([])
    with pytest.raises(ValueError, match="'stimuli': it holds no stimuli"):
        nc.extract(net, empty, layers=["fc"], out=tmp_path / "e.zarr", progress=False)
    assert not (tmp_path / "e.zarr").exists()


def test_a_failure_before_the_first_batch_leaves_nothing(net, small_set, tmp_path, monkeypatch):
    def boom(self, *a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(_store.ZarrStore, "write", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        nc.extract(net, small_set, layers=["fc"], out=tmp_path / "f.zarr", progress=False)
    assert not (tmp_path / "f.zarr").exists()


def test_a_killed_run_is_refused_until_resumed_and_leaves_no_partial_files(net, small_set, tmp_path, monkeypatch):
    kw = dict(layers=["fc1"], reduce=("pca", 3), batch_size=5, progress=False)
    real = _store.ZarrStore.set_progress

    def interrupted(self, model, n_done, complete):
        real(self, model, n_done, complete)
        if n_done >= 10:
            raise KeyboardInterrupt

    monkeypatch.setattr(_store.ZarrStore, "set_progress", interrupted)
    with pytest.raises(KeyboardInterrupt):
        nc.extract(net, small_set, out=tmp_path / "k.zarr", **kw)
    monkeypatch.setattr(_store.ZarrStore, "set_progress", real)
    # a kill during a chunk write leaves zarr's temporary file inside the store
    chunk_dir = next(p for p in (tmp_path / "k.zarr").rglob("activations") if p.is_dir())
    (chunk_dir / "0.0.deadbeef.partial").write_bytes(b"half a chunk")
    with pytest.raises(ValueError, match="incomplete.*allow_incomplete=True"):
        load(tmp_path / "k.zarr")
    with pytest.raises(ValueError, match="incomplete"):
        nc.rsa.compute_rdm(load(tmp_path / "k.zarr"), "correlation")
    tree = nc.extract(net, small_set, out=tmp_path / "k.zarr", **kw)
    assert tree["smallcnn"].attrs["complete"] == 1
    assert not list((tmp_path / "k.zarr").rglob("*.partial"))
    whole = nc.extract(net, small_set, **{**kw, "batch_size": 5})
    np.testing.assert_array_equal(get_layer(tree, "fc1").values, get_layer(whole, "fc1").values)


_HOLD = """
import sys, time
from neurocompare._utils.paths import write_lock
with write_lock(sys.argv[1]):
    open(sys.argv[2], "w").close()
    time.sleep(30)
"""


def test_a_second_writer_is_refused_clearly(net, small_set, tmp_path):
    out, ready = tmp_path / "busy.zarr", tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(out), str(ready)])
    try:
        for _ in range(300):
            if ready.exists():
                break
            time.sleep(0.05)
        assert ready.exists(), "the lock-holding process did not start"
        with pytest.raises(RuntimeError, match="Another process is writing the activation store.*Wait"):
            nc.extract(net, small_set, layers=["fc"], out=out, progress=False)
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    tree = nc.extract(net, small_set, layers=["fc"], out=out, progress=False)  # free again once it is gone
    assert tree["smallcnn"].attrs["complete"] == 1


@pytest.mark.parametrize("layers", [5, 2.5, {"fc"}])
def test_layers_of_the_wrong_type_are_named(net, small_set, layers):
    with pytest.raises(TypeError, match=r"Invalid value for 'layers': expected None, 'all', a stream"):
        nc.extract(net, small_set, layers=layers, progress=False)
