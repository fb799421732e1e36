import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import neurocompare as nc


def test_raw_pixels_carry_position(train_set):
    px = nc.extraction.pixels(train_set, grey=True)
    assert px.shape == (len(train_set), 32 * 32) and px.attrs["layer"] == "pixels"
    res = nc.probes.what_where(px, train_set, what=[], where=["x", "y"], progress=False)
    r2 = res[res.metric == "r2"].set_index("target").value
    assert (r2 > 0.7).all()


@pytest.fixture(scope="module")
def profile(trained_twostream, train_set):
    acts = nc.extract(trained_twostream, train_set, reduce=("grid", 2), progress=False)
    return nc.probes.what_where(acts, train_set, what=["category"], progress=False)


def test_what_rises_with_depth_along_the_ventral_stream(profile):
    acc = profile[(profile.target == "category")].set_index("layer").value
    assert acc["block1"] < acc["block2"] < acc["ventral.block4"]
    assert acc["ventral.fc"] > acc["dorsal.fc"]   # the dorsal read-out is not about identity
    r2 = profile[(profile.target == "x") & (profile.metric == "r2")].set_index("layer").value
    assert r2["dorsal.fc"] > r2["ventral.fc"]      # and the ventral read-out is not about position


def test_table_columns_and_streams(profile, trained_twostream):
    for col in ("model", "layer", "stream", "analysis", "target", "target_stream", "metric", "value", "ci_low",
                "ci_high", "p", "n", "chance", "split"):
        assert col in profile.columns
    assert list(dict.fromkeys(profile.layer)) == trained_twostream.default_layers
    assert set(profile.stream) == {"shared", "what", "where"} and set(profile.target_stream) == {"what", "where"}
    cross = nc.probes.cross_readout(profile)
    assert set(zip(cross.stream, cross.target_stream)) == {(s, t) for s in ("shared", "what", "where")
                                                            for t in ("what", "where")}
    assert cross[cross.cross].shape[0] == 2


def test_generalisation_across_position(trained_twostream, train_set):
    acts = nc.extract(trained_twostream, train_set, layers=["ventral.fc", "block1"], progress=False)
    res = nc.probes.what_where(acts, train_set, what=["category"], where=[], split="x", progress=False)
    assert (res.split == "x").all() and (res.n_folds == 2).all()
    acc = res.set_index("layer").value
    assert acc["ventral.fc"] > 0.6 > acc["block1"]  # the category read-out transfers across positions
    ex = nc.probes.what_where(acts, train_set, what=["category"], where=[], split="exemplar", progress=False)
    assert (ex.n_folds == 2).all() and ex.set_index("layer").value["ventral.fc"] > 0.4  # chance 1/6


def test_units_curve_increases(trained_twostream, train_set):
    acts = nc.extract(trained_twostream, train_set, layers=["ventral.block4"], reduce="avgpool", progress=False)
    curve = nc.probes.units_curve(acts, train_set, n_units=[1, 8, 64], n_repeats=4, progress=False)
    v = curve[curve.metric == "balanced_accuracy"].set_index("n_units").value
    assert v[1] < v[8] < v[64] and (curve.n_repeats == 4).all()


def test_figures(profile, trained_twostream, train_set):
    what, where = nc.plotting.plot_probe_profile(profile)
    assert len(where.get_xticklabels()) == len(set(profile.layer)) and what.get_ylim() == (0.0, 1.02)
    nc.plotting.plot_probe_profile(profile, aggregate=False)
    nc.plotting.plot_cross_readout(nc.probes.cross_readout(profile))
    curve = pd.DataFrame({"layer": ["a"] * 3, "target": "category", "n_units": [1, 2, 4], "metric": "balanced_accuracy",
                          "value": [0.2, 0.3, 0.5], "ci_low": [0.1, 0.2, 0.4], "ci_high": [0.3, 0.4, 0.6]})
    nc.plotting.plot_units_curve(curve)
    with pytest.raises(ValueError, match="'results'"):
        nc.plotting.plot_probe_profile(profile.drop(columns="target_stream"))
    plt.close("all")


def test_bad_input(trained_twostream, train_set, small_set):
    acts = nc.extract(trained_twostream, small_set, layers=["block1"], progress=False)
    with pytest.raises(ValueError, match="do not share their stimulus ids"):
        nc.probes.what_where(acts, train_set, progress=False)
    with pytest.raises(ValueError, match="'what'.*'colour' is not a stimulus factor.*available factors: \\['category'"):
        nc.probes.what_where(acts, small_set, what=["colour"], progress=False)
    with pytest.raises(TypeError, match="'acts'"):
        nc.probes.what_where(np.zeros((3, 3)), small_set)
