"""Deletion and insertion curves and AUCs (Petsiuk et al. 2018)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import neurocompare as nc


@pytest.fixture(scope="module")
def maps_and_set(trained_smallcnn, test_set):
    sub = test_set.subset(range(0, len(test_set), 3))
    maps = nc.cam.compute(trained_smallcnn, sub, method="gradcam", layer="block3", target="true", device="cpu")
    return maps, sub


def test_curves_start_and_end_where_they_should(trained_smallcnn, maps_and_set):
    maps, sub = maps_and_set
    curves = nc.cam.faithfulness_curves(trained_smallcnn, sub, maps, step=64, device="cpu")
    n_steps = 32 * 32 // 64
    assert len(curves) == len(sub) * 2 * (n_steps + 1)
    x = torch.stack([trained_smallcnn.transform(sub.load_image(i)) for i in range(len(sub))])
    with torch.no_grad():
        prob = trained_smallcnn.module.eval()(x).softmax(1)
        zero = trained_smallcnn.module(torch.zeros_like(x[:1])).softmax(1)[0]
    cls = maps["target_class"].values
    dele = curves[curves["metric"] == "deletion"]
    first = dele[dele["step"] == 0].set_index("stimulus")["score"]
    last = dele[dele["step"] == n_steps].set_index("stimulus")["score"]
    for i, sid in enumerate(maps["stimulus"].values):
        assert first[sid] == pytest.approx(float(prob[i, cls[i]]), abs=1e-5)
        assert last[sid] == pytest.approx(float(zero[cls[i]]), abs=1e-5)  # RISE: deletion ends at zeros
    ins = curves[curves["metric"] == "insertion"]
    end = ins[ins["step"] == n_steps].set_index("stimulus")["score"]
    np.testing.assert_allclose(end.to_numpy(), [float(prob[i, cls[i]]) for i in range(len(sub))], atol=1e-5)
    assert curves["fraction"].max() == 1.0 and curves["fraction"].min() == 0.0
    auc = nc.cam.curve_auc(curves)
    g = curves[(curves["stimulus"] == sub.ids[0]) & (curves["metric"] == "deletion")]
    manual = np.sum((g["score"].to_numpy()[1:] + g["score"].to_numpy()[:-1]) / 2) / n_steps
    assert auc[(auc["stimulus"] == sub.ids[0]) & (auc["metric"] == "deletion")]["value"].item() == \
        pytest.approx(manual)


def test_maps_beat_their_reverse_order(trained_smallcnn, maps_and_set):
    maps, sub = maps_and_set
    ours = nc.cam.faithfulness(trained_smallcnn, sub, maps, device="cpu")
    rev = maps.copy(data=1.0 - maps.values)
    theirs = nc.cam.faithfulness(trained_smallcnn, sub, rev, device="cpu")
    mean = lambda df, m: df[df["metric"] == m]["value"].mean()  # noqa: E731
    assert mean(ours, "deletion") < mean(theirs, "deletion")
    assert mean(ours, "insertion") > mean(theirs, "insertion")
    assert set(ours.columns) == {"stimulus", "model", "method", "layer", "metric", "value"}
    assert ours["value"].between(0, 1).all()


def test_faithfulness_errors(trained_smallcnn, maps_and_set, small_set):
    maps, sub = maps_and_set
    with pytest.raises(ValueError, match="Did you mean 'blur'"):
        nc.cam.faithfulness(trained_smallcnn, sub, maps, baseline="blurr")
    with pytest.raises(ValueError, match="'step'"):
        nc.cam.faithfulness(trained_smallcnn, sub, maps, step=1.5)
    unet = nc.models.load("unet", weights=None, image_size=32)
    with pytest.raises(ValueError, match="need a classifier"):
        nc.cam.faithfulness(unet, sub, maps)
