"""nc.cam.compute: oracle tests against pytorch-grad-cam, targets, families, the model left as it was, errors."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import neurocompare as nc

pgc = pytest.importorskip("pytorch_grad_cam")
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget, SemanticSegmentationTarget  # noqa: E402

ORACLES = {"gradcam": "GradCAM", "gradcam++": "GradCAMPlusPlus", "hirescam": "HiResCAM", "xgradcam": "XGradCAM",
           "layercam": "LayerCAM", "eigencam": "EigenCAM", "scorecam": "ScoreCAM", "ablationcam": "AblationCAM"}


@pytest.fixture(scope="module")
def resnet():
    return nc.models.load("resnet18", weights=None, random_state=0)


def _images(n, size, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g)


def _oracle(method, module, layer_module, x, targets, **kw):
    cls = getattr(pgc, ORACLES[method])
    mod = copy.deepcopy(module)
    layer = dict(mod.named_modules())[layer_module]
    with cls(mod, [layer], **kw) as cam:
        if method == "scorecam":
            cam.batch_size = 64
        return cam(x, targets=targets)


@pytest.mark.parametrize("method, layer", [("gradcam", "layer4"), ("gradcam", "layer3"), ("gradcam++", "layer4"),
                                           ("hirescam", "layer3"), ("xgradcam", "layer4"), ("layercam", "layer3"),
                                           ("eigencam", "layer4")])
def test_matches_pytorch_grad_cam(resnet, method, layer):
    x = _images(4, 128)
    ours = nc.cam.compute(resnet, x, method=method, layer=layer, target=[3, 7, 3, 500], device="cpu")
    ref = _oracle(method, resnet.module, layer, x, [ClassifierOutputTarget(c) for c in (3, 7, 3, 500)])
    assert ours.shape == (4, 128, 128) and ours.dims == ("stimulus", "y", "x")
    assert np.abs(ours.values - ref).max() < 1e-4
    # not a trivial map: most pixels are non-zero and each map spans [0, 1]
    assert (ours.values > 0).mean() > 0.5
    np.testing.assert_allclose(ours.values.max((1, 2)), 1.0, atol=1e-5)


def test_predicted_target_matches_pytorch_grad_cam_default(resnet):
    x = _images(3, 96, seed=1)
    ours = nc.cam.compute(resnet, x, method="gradcam", layer="layer4", device="cpu")
    ref = _oracle("gradcam", resnet.module, "layer4", x, None)
    assert np.abs(ours.values - ref).max() < 1e-4
    with torch.no_grad():
        pred = resnet.module.eval()(x).argmax(1).numpy()
    np.testing.assert_array_equal(ours["target_class"].values, pred)


@pytest.fixture(scope="module")
def small_cnn():
    return nc.models.load("smallcnn", weights=None, n_classes=4, random_state=1)


@pytest.mark.parametrize("method", ["scorecam", "ablationcam"])
@pytest.mark.parametrize("layer", ["block4", "block3.conv"])
def test_perturbation_methods_match_pytorch_grad_cam(small_cnn, method, layer):
    """Score-CAM and Ablation-CAM (every channel; ``block3.conv`` is before the ReLU, so not all >= 0)."""
    x = _images(2, 32, seed=2)
    ours = nc.cam.compute(small_cnn, x, method=method, layer=layer, target=[1, 2], device="cpu")
    ref = _oracle(method, small_cnn.module, layer, x, [ClassifierOutputTarget(1), ClassifierOutputTarget(2)])
    assert np.abs(ours.values - ref).max() < 1e-4
    assert (ours.values > 0).mean() > 0.3


def test_scorecam_constant_channels_scored_once(trained_smallcnn, test_set):
    """Channels that are constant after upsampling (all-zero ReLU maps) give a zero image: same result, fewer passes."""
    sub = test_set.subset(range(4))
    x = torch.stack([trained_smallcnn.transform(sub.load_image(i)) for i in range(4)])
    ours = nc.cam.compute(trained_smallcnn, x, method="scorecam", layer="block4", target=[0, 1, 2, 3], device="cpu")
    ref = _oracle("scorecam", trained_smallcnn.module, "block4", x, [ClassifierOutputTarget(c) for c in range(4)])
    assert np.abs(ours.values - ref).max() < 1e-4


def test_ablation_and_score_batches_do_not_change_maps(small_cnn):
    """Every ablated copy gets the same value (pytorch-grad-cam lowers it per copy, which only matters when no
    ReLU follows); the masked/ablated copies per pass change speed, not the maps."""
    x = _images(1, 32, seed=3)
    for method in ("ablationcam", "scorecam"):
        a = nc.cam.compute(small_cnn, x, method=method, layer="block3.conv", target=1, normalize=False,
                           device="cpu", score_batch_size=7)
        b = nc.cam.compute(small_cnn, x, method=method, layer="block3.conv", target=1, normalize=False,
                           device="cpu", score_batch_size=64)
        np.testing.assert_allclose(a.values, b.values, rtol=1e-4, atol=1e-6 * float(b.max()))
        assert float(b.max()) > 0


def test_cam_equals_gradcam_for_gap_linear_head(resnet):
    """CAM (Zhou et al.) and Grad-CAM differ only by the 1 / (h * w) of the average pool for a GAP + linear head."""
    x = _images(2, 96, seed=4)
    cam = nc.cam.compute(resnet, x, method="cam", layer="layer4", target=11, normalize=False, device="cpu")
    grad = nc.cam.compute(resnet, x, method="gradcam", layer="layer4", target=11, normalize=False, device="cpu")
    hw = 3 * 3
    np.testing.assert_allclose(cam.values, hw * grad.values, rtol=1e-4, atol=1e-6 * float(cam.max()))
    assert float(cam.max()) > 0


def test_normalize_false_keeps_strength(resnet):
    x = _images(2, 96, seed=5)
    raw = nc.cam.compute(resnet, x, method="gradcam", layer="layer3", normalize=False, device="cpu")
    raw2 = nc.cam.compute(resnet, x, method="gradcam", layer="layer3",
                          target=lambda out: 2 * out.max(1).values, normalize=False, device="cpu")
    norm = nc.cam.compute(resnet, x, method="gradcam", layer="layer3", device="cpu")
    np.testing.assert_allclose(raw2.values, 2 * raw.values, rtol=1e-5, atol=1e-9)
    assert (raw.values >= 0).all() and float(raw.max()) != pytest.approx(1.0)
    # min-max scaling commutes with the (linear) resize: the normalised map is the scaled raw map
    r = raw.values - raw.values.min((1, 2), keepdims=True)
    top = r.max((1, 2), keepdims=True)
    assert (top > 0).all()
    np.testing.assert_allclose(r / top, norm.values, atol=1e-4)
    assert raw.attrs["normalize"] == 0 and norm.attrs["normalize"] == 1
    assert list(raw2["target_class"].values) == [-1, -1]
    np.testing.assert_allclose(raw2["target_score"].values, 2 * raw["target_score"].values, rtol=1e-5)


def test_stimulus_set_coords_and_true_target(trained_smallcnn, test_set):
    maps = nc.cam.compute(trained_smallcnn, test_set, method="gradcam", layer="block3", target="true", device="cpu")
    assert maps.shape == (len(test_set), 32, 32)
    assert list(maps["stimulus"].values) == list(test_set.ids)
    for factor in ("category", "x", "y", "bbox_x0", "file"):
        assert factor in maps.coords
    classes = trained_smallcnn.classes
    np.testing.assert_array_equal(maps["target_class"].values,
                                  [classes.index(c) for c in test_set.metadata["category"]])
    # target="true": the name of the class each map explains is the stimulus' own category
    assert list(maps["target_label"].values) == list(test_set.metadata["category"].astype(str))
    assert maps.attrs["method"] == "gradcam" and maps.attrs["layer"] == "block3"
    assert maps.attrs["target"] == "true" and maps.attrs["model"] == "smallcnn"
    # a per-stimulus list of classes gives the same maps
    again = nc.cam.compute(trained_smallcnn, test_set, method="gradcam", layer="block3",
                           target=list(maps["target_class"].values), device="cpu")
    np.testing.assert_allclose(again.values, maps.values, atol=1e-6)
    # default layer: the last spatial one
    assert nc.cam.compute(trained_smallcnn, test_set.subset([0]), device="cpu").attrs["layer"] == "block4"


def test_model_left_exactly_as_it_was(trained_twostream, test_set):
    model = trained_twostream
    module = model.module
    module.train()
    module.ventral.eval()
    module.block1.conv.weight.requires_grad_(False)
    before = {k: v.clone() for k, v in module.state_dict().items()}
    modes = {n: m.training for n, m in module.named_modules()}
    flags = {n: p.requires_grad for n, p in module.named_parameters()}
    grads = {n: None if p.grad is None else p.grad.clone() for n, p in module.named_parameters()}
    try:
        for method in ("gradcam", "scorecam", "ablationcam", "cam", "eigencam"):
            nc.cam.compute(model, test_set.subset(range(3)), method=method, layer="ventral.block4", target="true",
                           device="cpu")
        assert {n: m.training for n, m in module.named_modules()} == modes
        assert {n: p.requires_grad for n, p in module.named_parameters()} == flags
        for n, p in module.named_parameters():
            assert (p.grad is None) if grads[n] is None else torch.equal(p.grad, grads[n]), n
        for k, v in module.state_dict().items():
            assert torch.equal(v, before[k]), k
        for m in module.modules():
            assert not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
        assert next(module.parameters()).device.type == "cpu"
        assert torch.is_grad_enabled()
    finally:
        module.eval()
        module.block1.conv.weight.requires_grad_(True)


def test_twostream_cam_uses_the_ventral_head(trained_twostream, test_set):
    sub = test_set.subset(range(4))
    cam = nc.cam.compute(trained_twostream, sub, method="cam", target="true", normalize=False, device="cpu")
    grad = nc.cam.compute(trained_twostream, sub, method="gradcam", target="true", normalize=False, device="cpu")
    assert cam.attrs["layer"] == "ventral.block4"
    h = w = 32 // 8
    np.testing.assert_allclose(cam.values, h * w * grad.values, rtol=1e-4, atol=1e-6 * float(cam.max()))


@pytest.mark.slow
def test_vit_token_grid_matches_pytorch_grad_cam():
    from pytorch_grad_cam.utils.reshape_transforms import vit_reshape_transform

    vit = nc.models.load("vit_b_16", weights=None, random_state=0).copy()
    with torch.no_grad():  # torchvision zero-initialises the head; give it seeded weights
        g = torch.Generator().manual_seed(0)
        vit.module.heads.head.weight.copy_(torch.randn(vit.module.heads.head.weight.shape, generator=g) * 0.02)
    x = _images(1, 224, seed=6)
    ours = nc.cam.compute(vit, x, method="gradcam", target=7, device="cpu")
    assert ours.attrs["layer"] == "encoder.layers.encoder_layer_11.ln_1"
    mod = copy.deepcopy(vit.module)
    with pgc.GradCAM(mod, [mod.encoder.layers[-1].ln_1], reshape_transform=vit_reshape_transform) as cam:
        ref = cam(x, targets=[ClassifierOutputTarget(7)])
    assert ours.shape == (1, 224, 224)
    assert np.abs(ours.values - ref).max() < 1e-4
    assert (ours.values > 0).mean() > 0.3


def test_segmentation_true_target_matches_semantic_segmentation_target(test_set):
    unet = nc.models.load("unet", weights=None, n_classes=6, image_size=32, random_state=0)
    unet.classes = sorted(test_set.metadata["category"].unique())
    sub = test_set.subset([0, 7])
    ours = nc.cam.compute(unet, sub, method="gradcam", layer="bottleneck", target="true", device="cpu")
    x = torch.stack([unet.transform(sub.load_image(i)) for i in range(2)])

    class Out(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, x):
            return self.m(x)["out"]

    wrapped = Out(copy.deepcopy(unet.module))
    targets = [SemanticSegmentationTarget(unet.classes.index(sub.metadata["category"].iloc[i]) + 1,
                                          sub.load_mask(i).astype(np.float32)) for i in range(2)]
    with pgc.GradCAM(wrapped, [wrapped.m.bottleneck]) as cam:
        ref = cam(x, targets=targets)
    assert np.abs(ours.values - ref).max() < 1e-4
    assert (ours.values > 0).mean() > 0.3


@pytest.mark.slow
def test_detection_map_follows_the_matched_box(small_set):
    det = nc.models.load("fasterrcnn_resnet50_fpn", weights=None, min_size=64, max_size=64, box_score_thresh=0.0,
                         random_state=0)
    sub = small_set.subset([0])
    maps = nc.cam.compute(det, sub, method="gradcam", target="true", device="cpu")
    assert maps.attrs["layer"] == "backbone.body.layer4"
    assert maps.shape == (1, 32, 32)
    assert np.isfinite(maps.values).all() and float(maps.max()) == pytest.approx(1.0, abs=1e-5)
    assert 0 < float(maps["target_score"][0]) <= 1
    assert maps["target_class"].values[0] >= 1


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "gradcam", "layer": "fc1"}, "no spatial grid.*block4"),
    ({"method": "eigencam", "layer": "fc"}, "no spatial grid"),
    ({"method": "gradkam"}, "Did you mean 'gradcam'"),
    ({"method": "cam", "layer": "block4"}, "GAP \\+ linear.*'gradcam'"),
    ({"target": 6}, "class index 6 is out of range.*6 output classes"),
    ({"target": "truth"}, "Did you mean 'true'"),
    ({"target": [0, 1]}, "one class index"),
])
def test_clear_errors(trained_smallcnn, small_set, kwargs, match):
    with pytest.raises(ValueError, match=match):
        nc.cam.compute(trained_smallcnn, small_set, device="cpu", **kwargs)


def test_unknown_layer_and_array_true_target(trained_smallcnn):
    with pytest.raises(KeyError, match="block4"):
        nc.cam.compute(trained_smallcnn, _images(1, 32), layer="blok4", device="cpu")
    with pytest.raises(ValueError, match="'true' reads each stimulus' category"):
        nc.cam.compute(trained_smallcnn, _images(1, 32), target="true", device="cpu")


def test_method_spellings():
    from neurocompare.cam._compute import check_method

    assert check_method("Grad-CAM++") == "gradcam++"
    assert check_method("grad_cam") == "gradcam"
    assert check_method("Score-CAM") == "scorecam"
    assert set(nc.cam.METHODS) == {"cam", "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "scorecam",
                                   "ablationcam", "eigencam"}
