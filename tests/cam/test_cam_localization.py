"""Localisation of maps against masks and boxes; summaries with bootstrap CIs; the geometry of preprocessing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import neurocompare as nc


def _maps(stimuli, values, **attrs):
    coords = dict(stimuli.coords())
    return xr.DataArray(values.astype(np.float32), dims=("stimulus", "y", "x"), coords=coords,
                        attrs={"method": "m", "layer": "l", "model": "toy", "geometry": "", **attrs})


def test_perfect_inverted_and_flat_maps(small_set):
    masks = np.stack([small_set.load_mask(i) for i in range(len(small_set))])
    good = nc.cam.localization(_maps(small_set, masks * 1.0), small_set)
    assert set(good["metric"]) == {"pointing_game", "energy", "iou"}
    assert len(good) == 3 * len(small_set)
    np.testing.assert_allclose(good["value"], 1.0)
    bad = nc.cam.localization(_maps(small_set, 1.0 - masks), small_set, metrics=["pointing_game", "energy"])
    np.testing.assert_allclose(bad["value"], 0.0)
    flat = nc.cam.localization(_maps(small_set, np.ones(masks.shape)), small_set, metrics="pointing_game")
    # every pixel ties for the maximum: the score is the share inside, i.e. the chance level
    area = masks.reshape(len(masks), -1).mean(1)
    np.testing.assert_allclose(flat["value"], area)
    np.testing.assert_allclose(flat["chance"], area)
    energy = nc.cam.localization(_maps(small_set, masks * 1.0), small_set, metrics="energy")
    np.testing.assert_allclose(energy["chance"], area)
    assert list(good.columns) == ["stimulus", "category", "model", "method", "layer", "target", "region", "metric",
                                  "value", "chance"]


def test_pointing_game_tolerance_and_iou_threshold(small_set):
    sub = small_set.subset([0])
    mask = sub.load_mask(0)
    rows, cols = np.nonzero(mask)
    m = np.zeros((1, *mask.shape))
    r, c = rows.min() - 3, cols[rows == rows.min()][0]  # 3 px above the top of the object
    assert r >= 0
    m[0, r, c] = 1.0
    pg = lambda tol: nc.cam.localization(_maps(sub, m), sub, metrics="pointing_game", tolerance=tol)  # noqa: E731
    assert pg(0)["value"].item() == 0.0
    assert pg(2)["value"].item() == 0.0
    assert pg(3)["value"].item() == 1.0
    assert pg(3)["chance"].item() > pg(0)["chance"].item()
    # IoU: half of the object at 1.0, the rest of the object at 0.4
    v = np.where(mask, 0.4, 0.0)
    top = mask & (np.arange(mask.shape[0])[:, None] <= np.median(rows))
    v[top] = 1.0
    iou = lambda t: nc.cam.localization(_maps(sub, v[None]), sub, metrics="iou", threshold=t)["value"].item()  # noqa
    assert iou(0.3) == pytest.approx(1.0)
    assert iou(0.5) == pytest.approx(top.sum() / mask.sum())


def test_box_region_and_errors(small_set):
    sub = small_set.subset([0, 1])
    boxes = nc.cam.regions(_maps(sub, np.zeros((2, 32, 32))), sub, region="box")
    row = sub.metadata.iloc[0]
    assert boxes[0].sum() == (row.bbox_x1 - row.bbox_x0) * (row.bbox_y1 - row.bbox_y0)
    assert boxes[0, int(row.bbox_y0), int(row.bbox_x0)] and not boxes[0, int(row.bbox_y1), int(row.bbox_x1)]
    masks = nc.cam.regions(_maps(sub, np.zeros((2, 32, 32))), sub)
    assert (masks <= boxes).all()  # the object lies inside its box
    with pytest.raises(ValueError, match="Did you mean 'energy'"):
        nc.cam.localization(_maps(sub, np.zeros((2, 32, 32))), sub, metrics=["energi"])
    with pytest.raises(ValueError, match="'threshold'"):
        nc.cam.localization(_maps(sub, np.zeros((2, 32, 32))), sub, threshold=0)
    with pytest.raises(TypeError, match="'maps'"):
        nc.cam.localization(np.zeros((2, 32, 32)), sub)
    with pytest.raises(ValueError, match="not in this StimulusSet"):
        nc.cam.localization(_maps(sub, np.zeros((2, 32, 32))).assign_coords(stimulus=["a", "b"]), sub)
    zero = nc.cam.localization(_maps(sub, np.zeros((2, 32, 32))), sub, metrics=["energy", "iou"])
    assert zero["value"].isna().all()


def test_geometry_of_resize_and_centre_crop():
    """A mask pixel and a fixation point land on the same map pixel through resize + centre crop."""
    from torchvision.transforms._presets import ImageClassification

    from neurocompare.cam.geometry import point_map, to_map_grid, transform_steps

    steps = transform_steps(ImageClassification(crop_size=224, resize_size=256))
    assert steps == [["resize", [256]], ["center_crop", [224, 224]]]
    import json

    g = json.dumps(steps)
    w, h = 400, 300  # resize: 300 -> 256 rows, 400 -> 341 columns; crop 224 (offsets 16, 58)
    mask = np.zeros((h, w), bool)
    mask[140:160, 190:210] = True
    grid = to_map_grid(mask, g, (224, 224))
    rows, cols = np.nonzero(grid)
    sx, sy, tx, ty = point_map(g, (w, h), (224, 224))
    cx, cy = sx * (199.5 + 0.5) + tx - 0.5, sy * (149.5 + 0.5) + ty - 0.5
    assert abs(cx - cols.mean()) < 1.0 and abs(cy - rows.mean()) < 1.0
    assert sx == pytest.approx(341 / 400) and ty == pytest.approx(-16)


def test_trained_smallcnn_beats_chance_in_the_pointing_game(trained_smallcnn, test_set):
    maps = nc.cam.compute(trained_smallcnn, test_set, method="gradcam", layer="block3", target="true", device="cpu")
    scores = nc.cam.localization(maps, test_set)
    summary = nc.cam.summarize_scores(scores, random_state=0)
    pg = summary[summary["metric"] == "pointing_game"].iloc[0]
    assert pg["n"] == len(test_set)
    assert pg["value"] > 2 * pg["chance"]
    assert pg["ci_low"] > pg["chance"]
    assert pg["p"] < 0.01
    energy = summary[summary["metric"] == "energy"].iloc[0]
    assert energy["value"] > energy["chance"] and energy["p"] < 0.01


def test_summarize_scores_ci_and_test():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"stimulus": np.arange(40).astype(str), "model": "a", "method": "m", "layer": "l",
                       "metric": "pointing_game", "value": rng.binomial(1, 0.6, 40).astype(float), "chance": 0.1})
    s = nc.cam.summarize_scores(df, random_state=1)
    row = s.iloc[0]
    assert row["ci_low"] < row["value"] < row["ci_high"]
    assert row["value"] == pytest.approx(df["value"].mean())
    assert row["p"] < 0.01 and row["n"] == 40
    df["chance"] = df["value"].mean()
    assert nc.cam.summarize_scores(df, random_state=1)["p"].item() > 0.3
    same = nc.cam.summarize_scores(df, random_state=1)
    pd.testing.assert_frame_equal(same, nc.cam.summarize_scores(df, random_state=1))
    with pytest.raises(ValueError, match="missing"):
        nc.cam.summarize_scores(df.drop(columns="layer"))
