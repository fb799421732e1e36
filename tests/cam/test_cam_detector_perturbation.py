"""Score-CAM and Ablation-CAM on a detector: a tiny seeded Faster R-CNN, checked against the definitions."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import neurocompare as nc
from neurocompare.cam._targets import match_detection

tv = pytest.importorskip("torchvision")
pytestmark = pytest.mark.usefixtures("one_thread")

LAYER = "backbone.3"
H, W = 28, 40            # resized by the R-CNN transform to 32 x 45, padded to 32 x 64: real geometry


@pytest.fixture(scope="module")
def detector():
    from torchvision.models.detection import FasterRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.ops import MultiScaleRoIAlign

    torch.manual_seed(0)
    backbone = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, 2, 1), torch.nn.ReLU(),
                                   torch.nn.Conv2d(8, 6, 3, 2, 1), torch.nn.ReLU())
    backbone.out_channels = 6
    net = FasterRCNN(backbone, num_classes=3, min_size=32, max_size=64, box_score_thresh=0.0,
                     rpn_anchor_generator=AnchorGenerator(((8, 16),), ((1.0,),)),
                     box_roi_pool=MultiScaleRoIAlign(["0"], 3, 2), representation_size=32)
    return nc.models.wrap(net.eval(), name="tiny-rcnn", family="detection", transform=lambda im: im)


@pytest.fixture(scope="module")
def image():
    return torch.rand(3, H, W, generator=torch.Generator().manual_seed(3))


def _grid_to_image(cam, module, img):
    """The map geometry of every detector map: padded batch -> crop the image -> image size."""
    images, _ = module.transform([img])
    hp, wp = images.tensors.shape[-2:]
    h, w = images.image_sizes[0]
    up = F.interpolate(cam[None, None], size=(hp, wp), mode="bilinear", align_corners=False)[..., :h, :w]
    up = F.interpolate(up, size=(cam.shape[-2] * h // hp, cam.shape[-1] * w // wp), mode="bilinear",
                       align_corners=False)
    return F.interpolate(up, size=(H, W), mode="bilinear", align_corners=False)[0, 0]


def _reference(module, img, method):
    """Loop over channels, one copy at a time, straight from the definitions."""
    store = {}
    layer = dict(module.named_modules())[LAYER]
    h0 = layer.register_forward_hook(lambda m, i, o: store.__setitem__("a", o.detach().clone()))
    with torch.no_grad():
        det = module([img])[0]
    h0.remove()
    A = store["a"][0]                                                   # (C, h, w) over the padded batch
    j = int(det["scores"].argmax())
    box, label, s0 = det["boxes"][j], int(det["labels"][j]), float(det["scores"][j])
    images, _ = module.transform([img])
    hp, wp = images.tensors.shape[-2:]
    h, w = images.image_sizes[0]
    weights = []
    for c in range(A.shape[0]):
        if method == "scorecam":
            up = F.interpolate(A[None, c:c + 1], size=(hp, wp), mode="bilinear", align_corners=False)[..., :h, :w]
            up = F.interpolate(up, size=(H, W), mode="bilinear", align_corners=False)[0, 0]
            mask = (up - up.min()) / (up.max() - up.min() + 1e-8) if up.max() > up.min() else up * 0
            with torch.no_grad():
                weights.append(float(match_detection(module([img * mask])[0], box, label)))
        else:
            def ablate(m, i, o, c=c):
                o = o.clone()
                o[:, c] = 0.0                                           # after a ReLU: minimum 0
                return o
            hk = layer.register_forward_hook(ablate)
            with torch.no_grad():
                sc = float(match_detection(module([img])[0], box, label))
            hk.remove()
            weights.append((s0 - sc) / s0)
    wt = torch.tensor(weights)
    if method == "scorecam":
        wt = wt.softmax(0)
    cam = (wt[:, None, None] * A).sum(0).clamp_min(0)
    return _grid_to_image(cam, module, img), label, s0


@pytest.mark.parametrize("method", ["scorecam", "ablationcam"])
def test_detector_perturbation_maps_follow_the_definition(detector, image, method):
    ours = nc.cam.compute(detector, image[None], method=method, layer=LAYER, target="predicted", normalize=False,
                          score_batch_size=4, device="cpu")
    ref, label, s0 = _reference(detector.module, image, method)
    assert ours.shape == (1, H, W)
    assert int(ours["target_class"][0]) == label and float(ours["target_score"][0]) == pytest.approx(s0, abs=1e-6)
    assert float(ref.max()) > 0
    np.testing.assert_allclose(ours.values[0], ref.numpy(), rtol=1e-4, atol=1e-5 * float(ref.max()))
    assert np.isfinite(ours.values).all()


@pytest.mark.parametrize("method", ["scorecam", "ablationcam"])
def test_detector_without_a_matching_detection_gets_nan_maps(detector, image, method, caplog):
    """The seeded net detects nothing of class 2 in this image: NaN map, class -1, a warning; no masked passes."""
    with caplog.at_level("WARNING", logger="neurocompare"):
        maps = nc.cam.compute(detector, image[None], method=method, layer=LAYER, target=2, device="cpu")
    assert maps["target_class"].values[0] == -1
    assert np.isnan(maps.values).all()
    assert "no matching detection" in caplog.text


@pytest.mark.slow
@pytest.mark.parametrize("method", ["scorecam", "ablationcam"])
def test_torchvision_faster_rcnn(small_set, method):
    det = nc.models.load("fasterrcnn_resnet50_fpn", weights=None, min_size=64, max_size=64, box_score_thresh=0.0,
                         random_state=0)
    maps = nc.cam.compute(det, small_set.subset([0]), method=method, layer="backbone.body.layer1.0.conv1",
                          target="true", device="cpu")
    assert maps.shape == (1, 32, 32)
    assert np.isfinite(maps.values).all() and float(maps.max()) == pytest.approx(1.0, abs=1e-5)
    assert maps["target_class"].values[0] >= 1
