"""The fast copies Score-CAM and Ablation-CAM run: faithful to the model, the model untouched, safe fallbacks."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import neurocompare as nc
from neurocompare.cam._fast import channels_last_copy, scoring_copy

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def resnet():
    return nc.models.load("resnet18", weights=None, random_state=0)


@pytest.fixture(scope="module")
def resnet_module(resnet):
    return resnet.module.eval()


def _x(n=3, size=64, seed=0):
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_scoring_copy_folds_batch_norm_and_agrees(resnet_module):
    before = copy.deepcopy(resnet_module.state_dict())
    fast = scoring_copy(resnet_module, _x(2))
    assert fast.kind == "oneDNN (BN folded)" and not fast.channels_last
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.module.modules())
    x = _x(5, seed=1)
    with torch.inference_mode():
        ref, got = resnet_module(x), fast(x)
    assert got.shape == (5, 1000)
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=0, atol=1e-5 * float(ref.abs().max()))
    # the caller's module keeps its batch norms, weights and memory format
    assert isinstance(resnet_module.bn1, torch.nn.BatchNorm2d)
    for k, v in resnet_module.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert resnet_module.conv1.weight.is_contiguous()


class _Branchy(torch.nn.Module):
    """Data-dependent control flow: torch.fx cannot trace it."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        h = self.conv(x)
        if float(h.mean()) > 1e9:
            h = -h
        return self.fc(h.mean((2, 3)))


def test_untraceable_model_falls_back_to_channels_last():
    torch.manual_seed(0)
    m = _Branchy().eval()
    fast = scoring_copy(m, _x(2, 16))
    assert fast.kind == "channels-last" and fast.channels_last
    x = _x(4, 16, seed=2)
    with torch.inference_mode():
        np.testing.assert_allclose(fast(x).numpy(), m(x).numpy(), atol=1e-6)


def test_disagreeing_copy_is_dropped(resnet_module, monkeypatch):
    import torch.fx.experimental.optimization as opt

    def broken(module):
        return lambda x: module(x) + 1.0

    monkeypatch.setattr(opt, "optimize_for_inference", broken)
    assert scoring_copy(resnet_module, _x(2)).kind == "channels-last (BN folded)"
    monkeypatch.setattr(opt, "fuse", lambda module: broken(module))
    fast = scoring_copy(resnet_module, _x(2))
    assert fast.kind == "channels-last" and any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.module.modules())


def test_only_float32_cpu_eval_modules_are_optimised(resnet_module):
    train = copy.deepcopy(resnet_module).train()
    assert scoring_copy(train, _x(2)).kind == "channels-last"
    assert scoring_copy(resnet_module, _x(2).double()).kind == "channels-last"
    lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 2)).eval()
    assert scoring_copy(lin, torch.zeros(2, 3, 2, 2)).kind == "original"
    assert channels_last_copy(lin).module is lin


def test_scorecam_resnet18_matches_pytorch_grad_cam(resnet, resnet_module):
    """End to end on resnet18 (the optimised copy in use): equal to pytorch-grad-cam's Score-CAM to 1e-4."""
    pgc = pytest.importorskip("pytorch_grad_cam")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    x = _x(2, 64, seed=4)
    ours = nc.cam.compute(resnet, x, method="scorecam", layer="layer4", target=[3, 7], device="cpu")
    mod = copy.deepcopy(resnet_module)
    with pgc.ScoreCAM(mod, [mod.layer4]) as cam:
        cam.batch_size = 128
        ref = cam(x, targets=[ClassifierOutputTarget(3), ClassifierOutputTarget(7)])
    assert np.abs(ours.values - ref).max() < 1e-4
    assert (ours.values > 0).mean() > 0.3


def test_bn_folded_channels_last_copy_off_onednn(resnet_module):
    """The copy used on GPUs (BN folded, channels-last), checked here on the CPU."""
    fast = scoring_copy(resnet_module, _x(2), onednn=False)
    assert fast.kind == "channels-last (BN folded)" and fast.channels_last
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.module.modules())
    x = _x(3, seed=5)
    with torch.inference_mode():
        ref, got = resnet_module(x), fast(x)
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=0, atol=1e-5 * float(ref.abs().max()))
    assert resnet_module.conv1.weight.is_contiguous()


def test_default_score_chunk_follows_the_input_size(resnet):
    from neurocompare.cam._compute import _Runner

    run = _Runner(resnet, "scorecam", 3, True, None, None)
    assert [run._chunk(torch.zeros(1, 3, s, s)) for s in (16, 64, 224, 1024)] == [256, 96, 7, 4]
    assert run._chunk([torch.zeros(3, 64, 64)]) == 96
    assert _Runner(resnet, "scorecam", 3, True, 5, None)._chunk(torch.zeros(1, 3, 64, 64)) == 5
    with pytest.raises(ValueError, match="score_batch_size"):
        nc.cam.compute(resnet, _x(1), method="scorecam", score_batch_size=0, device="cpu")


def test_grouped_convolutions_use_the_bn_folded_channels_last_copy():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                              torch.nn.Conv2d(8, 8, 3, groups=8), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 3)).eval()
    fast = scoring_copy(net, _x(2, 16))
    assert fast.kind == "channels-last (BN folded)"
    x = _x(3, 16, seed=9)
    with torch.inference_mode():
        np.testing.assert_allclose(fast(x).numpy(), net(x).numpy(), atol=1e-5)


def test_a_copy_that_cannot_run_is_dropped_silently(capfd):
    """MobileNetV3's squeeze-excitation broadcasts a product oneDNN cannot do: the BN-folded copy is used, and
    torch.fx's print of the failing generated code does not reach the user."""
    from torchvision.models import mobilenet_v3_small

    torch.manual_seed(0)
    net = mobilenet_v3_small().eval()
    fast = scoring_copy(net, _x(2), onednn=True)
    assert fast.kind == "channels-last (BN folded)"
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("method", ["scorecam", "ablationcam"])
def test_progress_advances_within_a_batch_and_sums_to_the_images(monkeypatch, method):
    """Perturbation methods run hundreds of passes per batch: the bar moves per chunk, and ends at n images."""
    from contextlib import contextmanager

    import neurocompare._utils.progress as progress

    steps = []

    @contextmanager
    def recorder(total, description, *, enable=True):
        yield lambda n=1: steps.append(n)

    monkeypatch.setattr(progress, "progress_bar", recorder)
    model = nc.models.load("smallcnn", weights=None, n_classes=4, random_state=0)
    nc.cam.compute(model, _x(5, 32), method=method, layer="block4", target=1, device="cpu", batch_size=2,
                   score_batch_size=50, progress=True)
    assert len(steps) > 6                                   # more than one step per batch of 2 images
    assert sum(steps) == pytest.approx(5.0)
    assert all(s >= 0 for s in steps)
