"""CAM on timm, OpenCLIP and Hugging Face transformers (random init) equals pytorch-grad-cam with its reshape."""
from __future__ import annotations

import copy
import os
from functools import partial

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import neurocompare as nc  # noqa: E402

pgc = pytest.importorskip("pytorch_grad_cam")
pytest.importorskip("timm")
from pytorch_grad_cam.ablation_layer import AblationLayerVit  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402
from pytorch_grad_cam.utils.reshape_transforms import vit_reshape_transform  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")
TINY_VIT = dict(patch_size=8, depth=2, embed_dim=32, num_heads=2, num_classes=5)
#: the smallest OpenCLIP ViT: 32 px, 8 px patches (4 x 4 grid), two blocks, a one-block text tower
TINY_CLIP = dict(embed_dim=16, vision_cfg=dict(image_size=32, layers=2, width=32, head_width=16, patch_size=8),
                 text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1))


def _x(h=32, w=32, n=2, seed=1):
    return torch.randn(n, 3, h, w, generator=torch.Generator().manual_seed(seed))


def _oracle(module, layer, x, targets, reshape, method="GradCAM", **kw):
    mod = copy.deepcopy(module)
    with getattr(pgc, method)(mod, [dict(mod.named_modules())[layer]], reshape_transform=reshape, **kw) as cam:
        if method in ("ScoreCAM", "AblationCAM"):
            cam.batch_size = 1                # pytorch-grad-cam lowers the ablation value per copy in a batch
        return cam(x, targets=[ClassifierOutputTarget(t) for t in targets])


def _drop(n_prefix, h, w):
    """pytorch-grad-cam's vit_reshape_transform with ``n_prefix`` leading tokens dropped instead of one."""
    return lambda t: t[:, n_prefix:].reshape(t.size(0), h, w, t.size(2)).transpose(2, 3).transpose(1, 2)


@pytest.mark.parametrize("name, opts, hw, n_prefix, layer", [
    ("timm:vit_tiny_patch16_224", dict(img_size=(32, 48), dynamic_img_size=True), (32, 48), 1, "blocks.1.norm1"),
    ("timm:vit_tiny_patch16_224", dict(img_size=32, reg_tokens=2), (32, 32), 3, "blocks.1.norm1"),
    ("timm:deit_tiny_distilled_patch16_224", dict(img_size=32), (32, 32), 2, "blocks.1.norm1"),
    # no class token, average-pooled patches: every patch reaches the head, so the last block itself
    ("timm:vit_tiny_patch16_224", dict(img_size=32, class_token=False, global_pool="avg"), (32, 32), 0, "blocks.1"),
])
def test_timm_vit_gradcam_matches_pytorch_grad_cam(name, opts, hw, n_prefix, layer):
    m = nc.models.load(name, **TINY_VIT, **opts)
    assert m.tokens.n_prefix == n_prefix
    assert m.channels_last == ({"patch_embed"} if opts.get("dynamic_img_size") else set())
    x = _x(*hw)
    ours = nc.cam.compute(m, x, target=[1, 3], device="cpu")
    assert ours.attrs["layer"] == layer  # with a class token, the last block's input: only it reaches the head
    h, w = hw[0] // 8, hw[1] // 8
    reshape = partial(vit_reshape_transform, height=h, width=w) if n_prefix == 1 else _drop(n_prefix, h, w)
    ref = _oracle(m.module, layer, x, [1, 3], reshape)
    assert ours.shape == (2, *hw)
    assert np.abs(ours.values - ref).max() < 1e-4
    assert (ours.values > 0).mean() > 0.3


def test_timm_vit_scorecam_matches_pytorch_grad_cam():
    m = nc.models.load("timm:vit_tiny_patch16_224", img_size=32, reg_tokens=2, **TINY_VIT)
    x = _x()
    ours = nc.cam.compute(m, x, method="scorecam", layer="blocks.0", target=[0, 4], device="cpu")
    ref = _oracle(m.module, "blocks.0", x, [0, 4], _drop(3, 4, 4), method="ScoreCAM")
    assert np.abs(ours.values - ref).max() < 1e-4


@pytest.fixture(scope="module")
def swin():
    return nc.models.load("timm:swin_tiny_patch4_window7_224", img_size=64, window_size=2, embed_dim=8,
                          depths=(1, 1, 1, 1), num_heads=(1, 1, 1, 1), num_classes=5)


@pytest.mark.parametrize("method", ["GradCAM", "AblationCAM"])
def test_swin_channels_last_matches_pytorch_grad_cam(swin, method):
    x = _x(64, 64)
    ours = nc.cam.compute(swin, x, method=method.lower(), layer="layers.2", target=[1, 3], device="cpu")
    # AblationLayerVit ablates the last axis: the channels of Swin's (N, H, W, C) maps
    kw = {"ablation_layer": AblationLayerVit()} if method == "AblationCAM" else {}
    ref = _oracle(swin.module, "layers.2", x, [1, 3], lambda t: t.permute(0, 3, 1, 2), method=method, **kw)
    assert np.abs(ours.values - ref).max() < 1e-4
    assert (ours.values > 0).mean() > 0.3
    if method == "GradCAM":                  # the default: the final norm's (N, H, W, C) maps, 2 x 2 at 64 px
        d = nc.cam.compute(swin, x, target=[1, 3], device="cpu")
        assert d.attrs["layer"] == "norm"
        ref = _oracle(swin.module, "norm", x, [1, 3], lambda t: t.permute(0, 3, 1, 2))
        assert np.abs(d.values - ref).max() < 1e-4


class _Pooled(torch.nn.Module):
    """A Hugging Face model's pooler output as a tensor, for pytorch-grad-cam (HF models return output objects)."""

    def __init__(self, hf):
        super().__init__()
        self.hf = hf

    def forward(self, x):
        return self.hf(x).pooler_output


def test_hf_vit_gradcam_matches_pytorch_grad_cam():
    pytest.importorskip("transformers")
    m = nc.models.load("hf:vit", hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                       image_size=32, patch_size=8)
    x = _x()
    ours = nc.cam.compute(m, x, target=lambda out: out.pooler_output[:, 3], device="cpu")
    layer = ours.attrs["layer"]
    assert layer.endswith("1.layernorm_before")           # the last block's input
    ref = _oracle(_Pooled(m.module), f"hf.{layer}", x, [3, 3], partial(vit_reshape_transform, height=4, width=4))
    assert np.abs(ours.values - ref).max() < 1e-4
    assert ours.target_class.values.tolist() == [-1, -1]


@pytest.fixture(scope="module")
def clip_tower():
    pytest.importorskip("open_clip")
    return nc.models.load("openclip:ViT-S-32", **TINY_CLIP)


def test_openclip_tower_gradcam_matches_pytorch_grad_cam(clip_tower):
    x = _x()
    ours = nc.cam.compute(clip_tower, x, target=[1, 3], device="cpu")     # target: an embedding dimension
    assert ours.attrs["layer"] == "transformer.resblocks.1.ln_1"
    ref = _oracle(clip_tower.module, "transformer.resblocks.1.ln_1", x, [1, 3],
                  partial(vit_reshape_transform, height=4, width=4))
    assert np.abs(ours.values - ref).max() < 1e-4


def test_zero_shot_clip_cam_by_label(small_set):
    pytest.importorskip("open_clip")
    labels = sorted(small_set.metadata["category"].unique())
    z = nc.models.load("openclip:ViT-S-32", labels=labels, **TINY_CLIP)
    ours = nc.cam.compute(z, small_set, target="true", device="cpu")
    assert ours.attrs["layer"] == "visual.transformer.resblocks.1.ln_1"
    assert list(ours.target_label.values) == list(small_set.metadata["category"])
    x = torch.stack([z.transform(small_set.load_image(i)) for i in range(len(small_set))])
    idx = [labels.index(c) for c in small_set.metadata["category"]]
    ref = _oracle(z.module, "visual.transformer.resblocks.1.ln_1", x, idx,
                  partial(vit_reshape_transform, height=4, width=4))
    assert np.abs(ours.values - ref).max() < 1e-4


def test_token_model_layer_without_grid_is_an_error():
    m = nc.models.load("timm:vit_tiny_patch16_224", img_size=32, **TINY_VIT)
    with pytest.raises(ValueError, match=r"'head' outputs shape \(2, 5\), which has no spatial grid.*or "
                                         r"transformer tokens"):
        nc.cam.compute(m, _x(), layer="head", target=0, device="cpu")
