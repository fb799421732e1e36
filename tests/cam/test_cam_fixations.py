"""Fixation tables, maps and densities, the SALICON/MIT1003 loaders, compare_to_fixations and the figures."""
import json
import logging

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import neurocompare as nc
from neurocompare.cam import metrics as M
from neurocompare.cam import (compare_to_fixations, fixation_density, fixation_map, load_mit1003_density,
                              load_mit1003_fixations, load_salicon_fixations)


def _table(stimulus="a", xy=((1, 2), (3.4, 0.6), (3, 1)), width=6, height=4, subject="s1"):
    return pd.DataFrame({"stimulus": stimulus, "subject": subject, "x": [float(x) for x, _ in xy],
                         "y": [float(y) for _, y in xy], "width": width, "height": height})


def _synthetic(n_images=6, shape=(40, 50), n_fix=30, seed=0):
    """Fixations of several images drawn from the same centre bias."""
    rng = np.random.default_rng(seed)
    cb = M.make_center_bias(shape)
    rows = []
    for i in range(n_images):
        idx = rng.choice(cb.size, size=n_fix, p=cb.ravel())
        y, x = np.unravel_index(idx, shape)
        rows.append(pd.DataFrame({"stimulus": f"img{i}", "subject": "s", "x": x.astype(float), "y": y.astype(float),
                                  "width": shape[1], "height": shape[0]}))
    table = pd.concat(rows, ignore_index=True)
    table.attrs["sigma"] = 2.0
    return table


# -- maps and densities ----------------------------------------------------------------------------
def test_fixation_map_rounds_to_pixels_and_is_binary():
    t = _table(xy=((1, 2), (3.4, 0.6), (3, 1), (1.2, 1.8)))
    m = fixation_map(t, "a")
    assert m.dtype == bool and m.shape == (4, 6)
    assert sorted(zip(*np.nonzero(m))) == [(1, 3), (2, 1)]  # (3.4, 0.6) -> row 1, col 3; duplicates count once


def test_fixation_density_is_a_blurred_normalised_map():
    t = _table(xy=((10, 10),), width=21, height=21)
    d = fixation_density(t, "a", sigma=2)
    assert d.sum() == pytest.approx(1.0)
    assert np.unravel_index(d.argmax(), d.shape) == (10, 10)
    assert d[10, 12] / d[10, 10] == pytest.approx(np.exp(-0.5), rel=1e-3)  # Gaussian with sigma 2 px
    t.attrs["sigma"] = 2
    assert np.array_equal(fixation_density(t, "a"), d)
    with pytest.raises(ValueError, match="'sigma'.*19 for SALICON"):
        fixation_density(_table(), "a")
    with pytest.raises(ValueError, match="'sigma': expected a positive number"):
        fixation_density(_table(), "a", sigma=-1)


def test_table_errors():
    with pytest.raises(ValueError, match=r"3 fixation\(s\) fall outside their image \('b': 2; 'a': 1\)"):
        fixation_map(pd.concat([_table(xy=((6, 0),)), _table("b", xy=((-1, 0), (0, 4), (0, 0)))]), "a")
    with pytest.raises(ValueError, match="missing column.*'width'"):
        fixation_map(_table().drop(columns="width"), "a")
    with pytest.raises(ValueError, match="more than one width/height"):
        fixation_map(pd.concat([_table(), _table(width=7)]), "a")
    with pytest.raises(ValueError, match="'x' has 1 missing"):
        fixation_map(_table(xy=((np.nan, 1),)), "a")
    with pytest.raises(KeyError, match="Unknown stimulus in 'fixations': 'b'.*'a'"):
        fixation_map(_table(), "b")
    with pytest.raises(ValueError, match="expected a DataFrame"):
        fixation_map(np.zeros((3, 3)), "a")


# -- loaders ---------------------------------------------------------------------------------------
def test_load_salicon_json_is_converted_to_zero_based(tmp_path):
    data = {"type": "fixations", "images": [{"id": 7, "file_name": "img7.jpg", "width": 5, "height": 4}],
            "annotations": [{"image_id": 7, "worker_id": 3, "id": 1, "fixations": [[1, 1], [4, 5], [2, 3]]}]}
    path = tmp_path / "fix.json"
    path.write_text(json.dumps(data))
    t = load_salicon_fixations(path)
    assert list(t.columns) == ["stimulus", "subject", "x", "y", "width", "height", "file"]
    assert t[["x", "y"]].to_numpy().tolist() == [[0, 0], [4, 3], [2, 1]]  # [row, col] 1-based -> x = col - 1
    assert set(t.stimulus) == {"img7"} and set(t.subject) == {"3"} and t.attrs["sigma"] == 19
    data["annotations"][0]["fixations"].append([5, 1])  # row 5 of a 4-row image
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"1 fixation\(s\) fall outside.*'img7': 1"):
        load_salicon_fixations(path)
    with pytest.raises(FileNotFoundError, match="no file"):
        load_salicon_fixations(tmp_path / "nope.json")


def test_load_salicon_real(data_dir):
    path = data_dir / "salicon_examples" / "annotations" / "fixations_train2014examples.json"
    t = load_salicon_fixations(path)
    raw = json.loads(path.read_text())
    assert len(t) == sum(len(a["fixations"]) for a in raw["annotations"]) == 73630
    assert t.stimulus.nunique() == 10 and set(t.width) == {640} and set(t.height) == {480}
    first = raw["annotations"][0]
    assert (t.x.iloc[0], t.y.iloc[0]) == (first["fixations"][0][1] - 1, first["fixations"][0][0] - 1)
    one = load_salicon_fixations(path, images=[123855, "COCO_train2014_000000123067.jpg"])
    assert set(one.stimulus) == {"COCO_train2014_000000123855", "COCO_train2014_000000123067"}
    with pytest.raises(KeyError, match="Unknown image in 'images'.*Close matches"):
        load_salicon_fixations(path, images=["COCO_train2014_000000123856"])


def test_load_mit1003_real(data_dir):
    from scipy.io import loadmat

    root = data_dir / "mit1003_i210"
    t = load_mit1003_fixations(root, ["i210"])
    locs = loadmat(root / "FIXATIONLOCS" / "i210.mat")["fixations"]
    assert len(t) == locs.sum() == 259
    assert np.array_equal(fixation_map(t, "i210"), locs > 0)
    dens = load_mit1003_density(root, "i210")
    assert dens.dims == ("stimulus", "y", "x") and dens.shape == (1, 675, 1024) and float(dens.max()) == 1.0
    # our density with sigma = 24 px reproduces the published FIXATIONMAPS
    ours = fixation_density(t, "i210")
    assert M.cc(ours, dens.values[0]) > 0.9998
    assert M.cc(fixation_density(t, "i210", sigma=35), dens.values[0]) < 0.999
    with pytest.raises(FileNotFoundError, match="FIXATIONLOCS/i999.mat"):
        load_mit1003_fixations(root, "i999")


# -- compare_to_fixations --------------------------------------------------------------------------
def test_compare_matches_the_single_map_metrics():
    table = _synthetic()
    ids = [f"img{i}" for i in range(6)]
    rng = np.random.default_rng(1)
    maps = xr.DataArray(rng.random((6, 40, 50)), dims=("stimulus", "y", "x"), coords={"stimulus": ids},
                        attrs={"method": "gradcam", "layer": "layer4", "model": "resnet18"})
    df = compare_to_fixations(maps, table)
    assert list(df.columns) == ["model", "method", "layer", "stimulus", "n_fixations", "width", "height",
                                *M.METRICS]
    assert list(df.stimulus) == ids and (df.method == "gradcam").all()
    f0 = fixation_map(table, "img0")
    d0 = fixation_density(table, "img0")
    m0 = maps.values[0]
    row = df.iloc[0]
    assert row.nss == pytest.approx(M.nss(m0, f0))
    assert row.auc_judd == pytest.approx(M.auc_judd(m0, f0))
    assert row.cc == pytest.approx(M.cc(m0, d0)) and row.sim == pytest.approx(M.sim(m0, d0))
    assert row.kl == pytest.approx(M.kl(m0, d0))
    assert row.ig == pytest.approx(M.ig(m0, f0, M.make_center_bias((40, 50))))
    other = np.any([fixation_map(table, s) for s in ids[1:]], axis=0)
    assert row.sauc == pytest.approx(M.sauc(m0, f0, other, random_state=np.random.default_rng([0, 0, 1])))
    assert row.auc_borji == pytest.approx(M.auc_borji(m0, f0, random_state=np.random.default_rng([0, 0, 0])))
    # reproducible; the seed changes only the random metrics
    again = compare_to_fixations(maps, table)
    pd.testing.assert_frame_equal(df, again)
    other_seed = compare_to_fixations(maps, table, random_state=1)
    assert np.allclose(other_seed.nss, df.nss) and not np.allclose(other_seed.auc_borji, df.auc_borji)


def test_compare_extra_dims_dicts_and_subsets():
    table = _synthetic(n_images=3)
    ids = ["img0", "img1", "img2"]
    cb = M.make_center_bias((40, 50))
    maps = xr.DataArray(np.stack([np.stack([cb] * 3), np.ones((3, 40, 50))]), dims=("method", "stimulus", "y", "x"),
                        coords={"method": ["center", "uniform"], "stimulus": ids})
    df = compare_to_fixations(maps, table, metrics=["auc_judd", "nss"])
    assert list(df.columns) == ["method", "stimulus", "n_fixations", "width", "height", "nss", "auc_judd"]
    assert len(df) == 6
    uni = df[df.method == "uniform"]
    assert (uni.auc_judd == 0.5).all() and (uni.nss == 0).all()
    assert (df[df.method == "center"].auc_judd > 0.6).all()
    # same paired negatives for both methods: the uniform map's Borji AUC is exactly 0.5 either way
    d = compare_to_fixations({"img1": cb}, table, metrics="auc_borji")
    assert list(d.stimulus) == ["img1"]
    assert d.auc_borji.iloc[0] == compare_to_fixations(maps.sel(method="center"), table).auc_borji.iloc[1]
    # user baseline for IG: the map itself as baseline gives IG = 0
    dd = compare_to_fixations({"img0": cb}, table, metrics="ig", baseline=cb)
    assert dd.ig.iloc[0] == pytest.approx(0.0, abs=1e-12)
    # ready-made densities replace the blurred fixations
    dens = xr.DataArray(np.stack([cb] * 3), dims=("stimulus", "y", "x"), coords={"stimulus": ids})
    dc = compare_to_fixations({"img0": cb}, table, metrics="cc", density=dens)
    assert dc.cc.iloc[0] == pytest.approx(1.0)


def test_compare_center_bias_sauc_near_chance():
    table = _synthetic(n_images=12, n_fix=60, seed=2)
    cb = M.make_center_bias((40, 50))
    df = compare_to_fixations({f"img{i}": cb for i in range(12)}, table, metrics=["auc_judd", "sauc"])
    assert df.auc_judd.mean() > 0.7
    assert abs(df.sauc.mean() - 0.5) < 0.05
    few = compare_to_fixations({"img0": cb}, table, metrics="sauc", n_other=3)
    assert 0.2 < few.sauc.iloc[0] < 0.8


def test_compare_errors_and_resize(caplog):
    table = _synthetic(n_images=2)
    good = np.random.default_rng(0).random((40, 50))
    with pytest.raises(KeyError, match="no fixations.*'imgX'"):
        compare_to_fixations({"imgX": good}, table)
    with pytest.raises(ValueError,
                       match=r"stimulus 'img0' has shape \(20, 25\) but its image.*\(40, 50\).*resize=True"):
        compare_to_fixations({"img0": good[::2, ::2]}, table)
    with caplog.at_level(logging.INFO, logger="neurocompare"):
        df = compare_to_fixations({"img0": good[::2, ::2], "img1": good[::2, ::2]}, table, metrics="nss",
                                  resize=True)
    assert "Resized 2 map(s) from (20, 25) to their image sizes" in caplog.text
    assert np.isfinite(df.nss).all()
    bad = good.copy()
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="stimulus 'img1'.*1 NaN"):
        compare_to_fixations({"img0": good, "img1": bad}, table)
    with pytest.raises(ValueError, match="Invalid value for 'metrics'.*Did you mean 'auc_judd'"):
        compare_to_fixations({"img0": good}, table, metrics=["auc_jud"])
    with pytest.raises(ValueError, match="Invalid value for 'maps'.*dims"):
        compare_to_fixations(xr.DataArray(np.zeros((2, 40, 50)), dims=("a", "y", "x")), table)
    with pytest.raises(ValueError, match="'sigma'"):
        t2 = table.copy()
        t2.attrs = {}
        compare_to_fixations({"img0": good}, t2, metrics="cc")
    with pytest.raises(ValueError, match="'baseline'.*'center'"):
        compare_to_fixations({"img0": good}, table, metrics="ig", baseline="centre")
    # one image alone: sAUC has no negatives -> NaN with a warning
    one = table[table.stimulus == "img0"]
    one.attrs["sigma"] = 2.0
    with caplog.at_level(logging.WARNING, logger="neurocompare"):
        res = compare_to_fixations(good, one)
    assert np.isnan(res.sauc.iloc[0]) and "no fixations on other images" in caplog.text
    assert np.isfinite(res.drop(columns=["stimulus", "sauc"]).to_numpy(float)).all()


def test_i210_through_compare(data_dir):
    from neurocompare.datasets import fetch_mit1003_i210

    mit = fetch_mit1003_i210(data_dir=data_dir)
    df = compare_to_fixations(mit.models.expand_dims(stimulus=["i210"], axis=1), mit.fixations,
                              density=mit.density, metrics=["nss", "auc_judd", "cc", "sim", "kl", "ig"])
    judd = df[df.model == "Judd"].iloc[0]
    assert judd.nss == pytest.approx(2.0426, abs=1e-4) and judd.cc == pytest.approx(0.5064, abs=1e-4)
    assert df.set_index("model").nss.idxmax() == "Judd"


# -- figures ---------------------------------------------------------------------------------------
def test_plot_saliency_scores_and_fixations(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = _synthetic(n_images=4)
    cb = M.make_center_bias((40, 50))
    maps = xr.DataArray(np.stack([np.stack([cb] * 4), np.ones((4, 40, 50))]), dims=("method", "stimulus", "y", "x"),
                        coords={"method": ["center", "uniform"], "stimulus": [f"img{i}" for i in range(4)]})
    df = compare_to_fixations(maps, table)
    fig = nc.plotting.plot_saliency_scores(df)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 8 and axes[0].get_title() == "NSS"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["center", "uniform"]
    fig2 = nc.plotting.plot_saliency_scores(df, metrics=["sauc"], by="method")
    assert len(fig2.axes) == 1
    with pytest.raises(KeyError, match="Unknown metric"):
        nc.plotting.plot_saliency_scores(df, metrics=["emd"])
    img = np.zeros((40, 50, 3), np.uint8)
    ax = nc.plotting.plot_fixations(img, table, stimulus="img0")
    assert len(ax.images) == 2 and len(ax.collections) == 1
    assert "img0 (30 fixations)" in ax.get_title()
    with pytest.raises(ValueError, match="name the one to draw"):
        nc.plotting.plot_fixations(img, table)
    with pytest.raises(ValueError, match="'image': its size"):
        nc.plotting.plot_fixations(img[:10], table, stimulus="img0")
    nc.plotting.save_figure(fig, tmp_path / "scores")
    assert (tmp_path / "scores.png").stat().st_size > 0
    plt.close("all")
