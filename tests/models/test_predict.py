import numpy as np
import pytest

from neurocompare.models import load, predict
from neurocompare.models._predict import WHAT_COLUMNS, WHERE_COLUMNS, Predictions


def test_unet_segments_held_out_stimuli(trained_unet, test_set):
    p = predict(trained_unet, test_set, progress=False)
    assert isinstance(p, Predictions) and list(p.what.columns) == WHAT_COLUMNS
    ious = []
    for sid in test_set.ids:
        truth = test_set.load_mask(sid)
        pred = p.masks[sid].any(0) if len(p.masks[sid]) else np.zeros_like(truth)
        ious.append((pred & truth).sum() / (pred | truth).sum())
    assert np.mean(ious) > 0.75
    top = p.what[p.what["rank"] == 1].set_index("stimulus_id").label
    acc = (top == test_set.metadata.category).mean()
    assert acc > 0.35  # chance is 1/6
    # boxes of the largest instance lie near the true boxes
    best = p.where.sort_values("area").groupby("stimulus_id").tail(1).set_index("stimulus_id")
    err = (best[["bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"]] -
           test_set.metadata.loc[best.index, ["bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"]]).abs()
    assert float(err.median().max()) <= 2


def test_twostream_reads_out_location(trained_twostream, test_set):
    p = predict(trained_twostream, test_set, progress=False)
    assert list(p.where.columns) == WHERE_COLUMNS and len(p.where) == len(test_set)
    w = p.where.set_index("stimulus_id")
    truth = test_set.metadata.loc[w.index]
    for col in ("x", "y"):
        assert np.corrcoef(w[col], truth[col])[0, 1] > 0.9
    assert (p.what.groupby("stimulus_id").size() == 5).all()


def test_classifier_and_detector_outputs(small_set):
    sub = small_set.subset(range(2))
    p = predict(load("resnet18"), sub, top_k=3, progress=False)
    assert len(p.what) == 6 and p.where.empty
    assert (p.what.groupby("stimulus_id").score.apply(lambda s: s.is_monotonic_decreasing)).all()
    det = load("maskrcnn_resnet50_fpn", min_size=64, max_size=64)
    p = predict(det, sub, score_threshold=0.0, progress=False)
    assert set(p.masks) == set(sub.ids)
    for sid in sub.ids:
        n = (p.where.stimulus_id == sid).sum()
        assert p.masks[sid].shape == (n, 32, 32)
    assert p.where[["bbox_x0", "bbox_x1"]].max().max() <= 32 + 1e-3
    kp = predict(load("keypointrcnn_resnet50_fpn", min_size=64, max_size=64), sub.subset([0]),
                 score_threshold=0.0, progress=False)
    sid = sub.ids[0]
    assert kp.keypoints[sid].shape[1:] == (17, 3)


def test_predict_bad_input(small_set):
    with pytest.raises(TypeError, match="StimulusSet"):
        predict(load("smallcnn"), "folder")
    with pytest.raises(ValueError, match="GAN"):
        predict(load("dcgan"), small_set)
