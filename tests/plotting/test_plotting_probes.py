"""The probe profile's two axes and the cross-readout's colour bar, on a small synthetic table."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import neurocompare as nc  # noqa: E402

LAYERS = [("block1", "shared"), ("block2", "shared"), ("ventral.fc", "what"), ("dorsal.fc", "where")]


@pytest.fixture()
def profile():
    rng = np.random.default_rng(0)
    rows = []
    for layer, stream in LAYERS:
        for target, ts, metric, chance in [("category", "what", "balanced_accuracy", 1 / 6), ("x", "where", "r2", 0.0)]:
            v = rng.uniform(0.2, 0.9) if ts == "what" else rng.uniform(-0.4, 0.8)
            rows.append({"model": "net", "layer": layer, "stream": stream, "target": target, "target_stream": ts,
                         "metric": metric, "value": v, "ci_low": v - 0.1, "ci_high": v + 0.1, "chance": chance})
    return pd.DataFrame(rows)


def test_probe_profile_has_an_axis_per_measure(profile):
    axes = nc.plotting.plot_probe_profile(profile, layer_names=["b1", "b2", "v", "d"])
    assert len(axes) == 2
    what, where = axes
    assert what.get_ylabel() == "what: balanced accuracy" and where.get_ylabel() == "where: R²"
    assert what.get_ylim()[0] == 0 and 1 <= what.get_ylim()[1] <= 1.05
    r2 = profile[profile.metric == "r2"]
    assert where.get_ylim()[1] <= 1.05 and where.get_ylim()[0] < r2.ci_low.min()
    # accuracy on one, R² on the other (the points: one marker line per axis)
    points = {ax: [ln for ln in ax.lines if ln.get_marker() == "o"][0].get_ydata() for ax in axes}
    np.testing.assert_allclose(points[what], profile[profile.metric != "r2"].value)
    np.testing.assert_allclose(points[where], r2.value)
    assert [t.get_text() for t in where.get_xticklabels()] == ["b1", "b2", "v", "d"]
    assert where.get_xlabel().startswith("layer")
    plt.close("all")


def test_probe_profile_in_given_axes(profile):
    fig, ax = plt.subplots()
    axes = nc.plotting.plot_probe_profile(profile, ax=ax)
    assert axes[0] is ax and axes[1] in fig.axes and axes[1] is not ax  # R² on a twin y-axis
    assert axes[0].get_ylim() == (0.0, 1.02) and axes[1].get_ylim()[1] == 1.02
    fig, pair = plt.subplots(2, 1)
    assert list(nc.plotting.plot_probe_profile(profile, ax=pair, aggregate=False)) == list(pair)
    with pytest.raises(ValueError, match="'ax'"):
        nc.plotting.plot_probe_profile(profile, ax=[ax, ax, ax])
    plt.close("all")


def test_cross_readout_colourbar_is_labelled(profile):
    ax = nc.plotting.plot_cross_readout(nc.probes.cross_readout(profile))
    bar = ax.figure.axes[-1]
    assert bar.get_ylabel() == "best layer's read-out\n(what: balanced accuracy, where: R²)"
    plt.close("all")
