"""compare_to_fixations: any maps (CAMs, saliency models, a centre bias, hand-made arrays) against fixations."""
import logging

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import neurocompare.saliency as M
from neurocompare.saliency import compare_to_fixations, fixation_density, fixation_map


# -- compare_to_fixations --------------------------------------------------------------------------
def test_compare_matches_the_single_map_metrics(synthetic_fixations):
    table = synthetic_fixations()
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


def test_compare_extra_dims_dicts_and_subsets(synthetic_fixations):
    table = synthetic_fixations(n_images=3)
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


def test_compare_center_bias_sauc_near_chance(synthetic_fixations):
    table = synthetic_fixations(n_images=12, n_fix=60, seed=2)
    cb = M.make_center_bias((40, 50))
    df = compare_to_fixations({f"img{i}": cb for i in range(12)}, table, metrics=["auc_judd", "sauc"])
    assert df.auc_judd.mean() > 0.7
    assert abs(df.sauc.mean() - 0.5) < 0.05
    few = compare_to_fixations({"img0": cb}, table, metrics="sauc", n_other=3)
    assert 0.2 < few.sauc.iloc[0] < 0.8


def test_compare_errors_and_resize(synthetic_fixations, caplog):
    table = synthetic_fixations(n_images=2)
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




def test_compare_takes_any_map_not_only_cams(synthetic_fixations):
    """A centre bias, a hand-made DataArray and a plain dict are scored like CAMs, by the same single-map metrics."""
    table = synthetic_fixations(n_images=3)
    ids = ["img0", "img1", "img2"]
    cb = M.make_center_bias((40, 50))
    # a hand-made "saliency model": each image's own fixation density, with no CAM attrs but a model label
    oracle = xr.DataArray(np.stack([fixation_density(table, s) for s in ids]), dims=("stimulus", "y", "x"),
                          coords={"stimulus": ids}, attrs={"model": "oracle", "units": "a.u."})
    df = compare_to_fixations(oracle, table, metrics=["nss", "auc_judd", "cc", "ig"])
    assert list(df.columns) == ["model", "stimulus", "n_fixations", "width", "height", "nss", "auc_judd", "cc", "ig"]
    assert (df.model == "oracle").all() and list(df.stimulus) == ids
    assert df.cc.to_numpy() == pytest.approx(np.ones(3), abs=1e-12)  # the map is the density itself
    assert (df.ig > 0).all() and (df.auc_judd > 0.95).all()
    center = compare_to_fixations({s: cb for s in ids}, table, metrics=["nss", "auc_judd", "ig"])
    f1 = fixation_map(table, "img1")
    assert center.nss.iloc[1] == pytest.approx(M.nss(cb, f1)) and center.auc_judd.iloc[1] == M.auc_judd(cb, f1)
    assert center.ig.to_numpy() == pytest.approx(np.zeros(3), abs=1e-12)  # the default baseline is this centre bias
    assert (df.nss.to_numpy() > center.nss.to_numpy()).all()
    # one 2-D centre bias for a table of one stimulus
    one = table[table.stimulus == "img2"]
    assert compare_to_fixations(cb, one, metrics="nss").nss.iloc[0] == center.nss.iloc[2]


def test_other_images_fixations_use_the_half_pixel_rule():
    """x = 1 on a 4-px-wide image is x' = 2.5 on an 8-px one: pixel 3 (pixel i covers [i - 0.5, i + 0.5))."""
    from neurocompare.saliency._compare import _other_map

    pool = pd.DataFrame({"stimulus": ["a", "b"], "subject": "s", "x": [0.0, 1.0], "y": [0.0, 0.0],
                         "width": [8, 4], "height": [8, 4]})
    other = _other_map(pool, "a", (8, 8), None, np.random.default_rng(0))
    assert sorted(zip(*np.nonzero(other))) == [(1, 3)]  # y' = 0.5 -> row 1; np.rint gave (0, 2)
