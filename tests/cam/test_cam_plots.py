"""The CAM figures draw, with fixations, outlines and CIs."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import neurocompare as nc  # noqa: E402


@pytest.fixture(scope="module")
def maps(small_set):
    m = nc.models.load("smallcnn", weights=None, n_classes=6, random_state=0)
    return nc.cam.compute(m, small_set, method="gradcam", layer="block3", device="cpu")


def test_plot_cam_overlay(maps, small_set, tmp_path):
    row = small_set.metadata.iloc[0]
    fix = pd.DataFrame({"stimulus": [small_set.ids[0]] * 2, "subject": ["s1", "s2"], "x": [3.0, 20.0],
                        "y": [5.0, 25.0], "width": 32, "height": 32})
    fig = nc.plotting.plot_cam_overlay(maps, small_set, fixations=fix, n=4)
    axes = fig.axes
    assert len(axes) == 2 * 4 + 1  # grid + colour bar
    assert len(axes[4].collections) >= 2  # mask contour + fixation dots on the first map
    dots = [c for c in axes[4].collections if hasattr(c, "get_offsets") and len(c.get_offsets()) == 2][0]
    # the net sees 64 px images: image pixel centres (x + 0.5) scale by 2
    assert maps.sizes["x"] == 64
    np.testing.assert_allclose(dots.get_offsets(), [[6.5, 10.5], [40.5, 50.5]])
    assert axes[0].get_title() == row["category"]
    nc.plotting.save_figure(fig, tmp_path / "overlay")
    assert (tmp_path / "overlay.png").is_file() and (tmp_path / "overlay.pdf").is_file()
    plt.close(fig)
    fig, ax = plt.subplots(2, 3)
    out = nc.plotting.plot_cam_overlay(maps, small_set, outline="box", n=3, axes=ax)
    assert out is fig
    plt.close(fig)
    with pytest.raises(ValueError, match="fixations"):
        nc.plotting.plot_cam_overlay(maps, small_set, fixations=fix.drop(columns="width"))


def test_plot_cam_scores():
    df = pd.DataFrame({"method": ["gradcam", "gradcam", "scorecam", "scorecam"], "layer": ["b3", "b4", "b3", "b4"],
                       "metric": "pointing_game", "value": [0.5, 0.6, 0.4, 0.7], "ci_low": [0.4, 0.5, 0.3, 0.6],
                       "ci_high": [0.6, 0.7, 0.5, 0.8], "chance": 0.1})
    ax = nc.plotting.plot_cam_scores(df, metric="pointing_game")
    bars = [p for p in ax.patches]
    assert len(bars) == 4
    assert sorted(round(b.get_height(), 3) for b in bars) == [0.4, 0.5, 0.6, 0.7]
    assert any(line.get_linestyle() == "--" for line in ax.lines)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="Did you mean 'pointing_game'"):
        nc.plotting.plot_cam_scores(df, metric="pointing")
