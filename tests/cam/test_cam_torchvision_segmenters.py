"""CAM on torchvision segmenters (random weights): equal to pytorch-grad-cam's SemanticSegmentationTarget."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import neurocompare as nc

pgc = pytest.importorskip("pytorch_grad_cam")
from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


class _Out(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


@pytest.mark.parametrize("name, method", [("lraspp_mobilenet_v3_large", "gradcam"),
                                          ("lraspp_mobilenet_v3_large", "scorecam"),
                                          ("fcn_resnet50", "gradcam"), ("deeplabv3_resnet50", "gradcam")])
def test_predicted_class_inside_its_mask_matches_pytorch_grad_cam(name, method):
    """target="predicted": the most-predicted non-background class, its summed logit inside its predicted mask."""
    model = nc.models.load(name, weights=None, random_state=0)
    x = torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    ours = nc.cam.compute(model, x, method=method, target="predicted", device="cpu")
    layer = ours.attrs["layer"]
    assert layer.startswith("classifier.")          # the default: the head's last spatial layer
    wrapped = _Out(copy.deepcopy(model.module).eval())
    with torch.no_grad():
        out = wrapped(x)
    pred = out.argmax(1)
    cls = ours["target_class"].values
    for b in range(2):                              # the class really is the most frequent non-background one
        counts = torch.bincount(pred[b].flatten(), minlength=out.shape[1])
        counts[0] = 0
        assert cls[b] == int(counts.argmax()) and counts[cls[b]] > 0
    targets = [SemanticSegmentationTarget(int(cls[b]), (pred[b] == int(cls[b])).float().numpy()) for b in range(2)]
    oracle = pgc.GradCAM if method == "gradcam" else pgc.ScoreCAM
    with oracle(wrapped, [dict(wrapped.m.named_modules())[layer]]) as cam:
        if method == "scorecam":
            cam.batch_size = 64
        ref = cam(x, targets=targets)
    assert ours.shape == (2, 96, 96)
    assert np.abs(ours.values - ref).max() < 1e-4
    assert (ours.values > 0).mean() > 0.3
