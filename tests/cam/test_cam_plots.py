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


def test_plot_cam_overlay_without_masks_names_the_class(maps, small_set):
    no_masks = small_set.subset(range(len(small_set)))
    no_masks.metadata = no_masks.metadata.drop(columns=["mask_file", "bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"])
    fig = nc.plotting.plot_cam_overlay(maps, no_masks, n=3)  # outline="auto": nothing to outline, no error
    map_axes = fig.axes[3:6]
    assert not any(ax.collections for ax in map_axes)  # no contour drawn
    # each map says which class it explains: this untrained net has no class names, so its index
    assert set(maps["target_label"].values) == {""}
    classes = maps["target_class"].values
    picked = np.unique(np.linspace(0, maps.sizes["stimulus"] - 1, 3).round().astype(int))
    assert [ax.get_title() for ax in map_axes] == [f"explains: class {classes[i]}" for i in picked]
    assert "predicted class" in map_axes[0].texts[0].get_text()
    plt.close(fig)
    names = {int(k): f"name{k}" for k in maps["target_class"].values}
    fig = nc.plotting.plot_cam_overlay(maps, no_masks, n=3, outline=None, class_names=names)
    assert fig.axes[3].get_title() == f"explains: name{classes[picked[0]]}"
    plt.close(fig)
    named = maps.assign_coords(target_label=("stimulus", [f"shape{k}" for k in classes]))
    fig = nc.plotting.plot_cam_overlay(named, no_masks, n=3)  # the names cam.compute records from model.classes
    assert fig.axes[3].get_title() == f"explains: shape{classes[picked[0]]}"
    plt.close(fig)
    # with boxes but no masks, "auto" outlines the box
    boxes = small_set.subset(range(len(small_set)))
    boxes.metadata = boxes.metadata.drop(columns="mask_file")
    fig = nc.plotting.plot_cam_overlay(maps, boxes, n=2)
    assert fig.axes[2].collections
    plt.close(fig)
    with pytest.raises(ValueError, match="'outline'"):
        nc.plotting.plot_cam_overlay(maps, no_masks, outline="mask")


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
