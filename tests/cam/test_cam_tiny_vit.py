"""Every perturbation and gradient method on a tiny seeded ViT equals pytorch-grad-cam (token grid from the config)."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import neurocompare as nc

pgc = pytest.importorskip("pytorch_grad_cam")
from pytorch_grad_cam.ablation_layer import AblationLayerVit  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")
LAYER = "encoder.layers.encoder_layer_1.ln_1"


@pytest.fixture(scope="module")
def tiny_vit():
    from torchvision.models.vision_transformer import VisionTransformer

    torch.manual_seed(0)
    vit = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=32,
                            num_classes=5).eval()
    with torch.no_grad():                     # torchvision zero-initialises the head
        vit.heads.head.weight.normal_(0, 0.5)
    return nc.models.wrap(vit, name="tinyvit", transform=lambda im: im)


def _tokens_to_grid(t):
    return t[:, 1:, :].reshape(t.size(0), 4, 4, t.size(2)).permute(0, 3, 1, 2)


@pytest.mark.parametrize("method, oracle", [("ablationcam", "AblationCAM"), ("scorecam", "ScoreCAM"),
                                            ("gradcam", "GradCAM"), ("eigencam", "EigenCAM")])
def test_tiny_vit_matches_pytorch_grad_cam(tiny_vit, method, oracle):
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    ours = nc.cam.compute(tiny_vit, x, method=method, layer=LAYER, target=[1, 3], device="cpu")
    mod = copy.deepcopy(tiny_vit.module)
    kw = {"ablation_layer": AblationLayerVit()} if method == "ablationcam" else {}
    with getattr(pgc, oracle)(mod, [dict(mod.named_modules())[LAYER]], reshape_transform=_tokens_to_grid,
                              **kw) as cam:
        if method in ("ablationcam", "scorecam"):
            cam.batch_size = 1                # pytorch-grad-cam lowers the ablation value per copy in a batch
        ref = cam(x, targets=[ClassifierOutputTarget(1), ClassifierOutputTarget(3)])
    assert ours.shape == (2, 32, 32)
    assert np.abs(ours.values - ref).max() < 1e-4
    assert (ours.values > 0).mean() > 0.5
