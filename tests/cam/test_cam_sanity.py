"""Model-parameter randomisation test (Adebayo et al. 2018) and its similarity measures."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import neurocompare as nc
from neurocompare.cam._sanity import spearman, ssim

pytestmark = pytest.mark.usefixtures("one_thread")


def test_ssim_equals_scikit_image_wang_settings():
    skm = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(0)
    a, b = rng.random((3, 32, 40)), rng.random((3, 32, 40))
    b[1] = 0.7 * a[1] + 0.3 * b[1]
    ref = [skm.structural_similarity(a[i], b[i], gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                     data_range=1.0) for i in range(3)]
    np.testing.assert_allclose(ssim(a, b), ref, atol=1e-10)
    np.testing.assert_allclose(ssim(a, a), 1.0)
    with pytest.raises(ValueError, match="at least 11 x 11"):
        ssim(a[:, :8, :8], b[:, :8, :8])


def test_spearman_equals_scipy_with_ties_and_nan_for_constant():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(1)
    a = rng.integers(0, 5, (3, 6, 6)).astype(float)            # many ties
    b = a + rng.normal(0, 1, a.shape)
    b[2] = 0.0
    got = spearman(a, b)
    for i in range(2):
        assert got[i] == pytest.approx(spearmanr(a[i].ravel(), b[i].ravel()).statistic, abs=1e-12)
    assert np.isnan(got[2])


@pytest.fixture(scope="module")
def stim(tmp_path_factory):
    return nc.stimuli.make_whatwhere(tmp_path_factory.mktemp("rt") / "s", n_per_category=3, image_size=32,
                                     categories=4, random_state=0)


def test_cascade_changes_gradcam_but_not_eigencam_above_the_layer(trained_smallcnn, test_set):
    """Eigen-CAM ignores everything above its layer, so re-initialising the head leaves it identical;
    Grad-CAM depends on the head, so its maps change; randomising the layer itself changes both."""
    before = copy.deepcopy(trained_smallcnn.module.state_dict())
    sub = test_set.subset(range(12))
    df = nc.cam.randomization_test(trained_smallcnn, sub, method=["gradcam", "eigencam"], layer="block4",
                                   random_state=0)
    assert set(df.columns) == {"stimulus", "method", "layer", "order", "step", "randomized", "metric", "value"}
    assert len(df) == 2 * 12 * 2 * 7                                 # methods x stimuli x metrics x (1 + 6 blocks)
    mean = df.groupby(["method", "randomized", "metric"]).value.mean()
    assert list(df[df.method == "gradcam"].drop_duplicates("step").randomized) == \
        ["none", "fc", "fc1", "block4", "block3", "block2", "block1"]
    assert mean["gradcam", "none", "spearman"] == pytest.approx(1.0)
    assert mean["eigencam", "fc", "spearman"] == pytest.approx(1.0) and mean["eigencam", "fc1", "ssim"] == \
        pytest.approx(1.0)
    assert mean["gradcam", "fc", "spearman"] < 0.9
    assert mean["eigencam", "block4", "spearman"] < 0.99
    # the caller's model is untouched
    for k, v in trained_smallcnn.module.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_predicted_target_is_fixed_and_independent_order(monkeypatch):
    import neurocompare.cam._compute as comp

    model = nc.models.load("resnet18", weights=None, random_state=0)
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    calls, real = [], comp.compute

    def spy(m, stimuli, **kw):
        out = real(m, stimuli, **kw)
        calls.append((kw["target"], out["target_class"].values.copy()))
        return out

    monkeypatch.setattr(comp, "compute", spy)
    df = nc.cam.randomization_test(model, x, method="gradcam", order="independent", random_state=1)
    assert calls[0][0] == "predicted" and len(calls) == 7
    for tgt, cls in calls[1:]:                                       # every copy explains the original prediction
        np.testing.assert_array_equal(tgt, calls[0][1])
        np.testing.assert_array_equal(cls, calls[0][1])
    steps = list(df.drop_duplicates("step").randomized)
    assert steps == ["none", "fc", "layer4", "layer3", "layer2", "layer1", "all"]   # "all": conv1, bn1 too
    assert (df.order == "independent").all()
    assert df[df.metric == "ssim"].value.notna().all()
    monkeypatch.setattr(comp, "compute", real)
    again = nc.cam.randomization_test(model, x, method="gradcam", order="independent", random_state=1)
    np.testing.assert_allclose(df.value, again.value)                # seeded


def test_randomization_errors(stim):
    det_like = nc.models.load("unet", weights=None, n_classes=4, image_size=32)
    with pytest.raises(ValueError, match="for classifiers"):
        nc.cam.randomization_test(det_like, stim)
    model = nc.models.load("smallcnn", weights=None, n_classes=4, random_state=0)
    with pytest.raises(ValueError, match="order"):
        nc.cam.randomization_test(model, stim, order="bottom-up")
    with pytest.raises(KeyError, match="'blocks'.*block9.*block4"):
        nc.cam.randomization_test(model, stim, blocks=["fc", "block9"])


def test_plot_randomization_test(stim):
    import matplotlib

    matplotlib.use("Agg")
    model = nc.models.load("smallcnn", weights=None, n_classes=4, random_state=0)
    df = nc.cam.randomization_test(model, stim, method=["gradcam", "eigencam"])
    ax = nc.plotting.plot_randomization_test(df, metric="ssim")
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "original"
    assert len(ax.get_lines()) >= 2
    with pytest.raises(ValueError, match="spearman"):
        nc.plotting.plot_randomization_test(df, metric="pearson")


@pytest.mark.parametrize("order", ["cascade", "independent"])
def test_randomized_copies_touch_exactly_their_blocks(order):
    model = nc.models.load("smallcnn", weights=None, n_classes=4, random_state=0)
    before = copy.deepcopy(model.module.state_dict())
    copies = nc.cam.randomized_copies(model, order=order, random_state=3)
    blocks = [b for b, _ in copies]
    assert blocks == ["fc", "fc1", "block4", "block3", "block2", "block1"]
    for k, (block, net) in enumerate(copies):
        changed = {name.split(".")[0] for name, v in net.module.state_dict().items()
                   if v.is_floating_point() and not torch.equal(v, before[name])}
        expect = set(blocks[:k + 1]) if order == "cascade" else {block}
        assert changed == expect, (block, changed)
        assert "re-initialised" in net.name
    for k, v in model.module.state_dict().items():
        assert torch.equal(v, before[k])


def test_parameters_without_reset_are_redrawn_too():
    """A ViT's class token and position embedding have no reset_parameters: the "all" step redraws them too."""
    from torchvision.models.vision_transformer import VisionTransformer

    torch.manual_seed(0)
    vit = VisionTransformer(image_size=32, patch_size=8, num_layers=1, num_heads=2, hidden_dim=8, mlp_dim=16,
                            num_classes=3).eval()
    with torch.no_grad():
        vit.class_token.normal_(0, 0.5)
    model = nc.models.wrap(vit, name="tinyvit", transform=lambda im: im)
    before = copy.deepcopy(vit.state_dict())
    (label, net), = nc.cam.randomized_copies(model, blocks=[""], random_state=0)
    after = net.module.state_dict()
    unchanged = [k for k, v in after.items() if v.is_floating_point() and torch.equal(v, before[k])
                 and v.numel() > 1 and v.std() > 0]
    assert unchanged == [], unchanged
    assert float(after["class_token"].std()) == pytest.approx(float(before["class_token"].std()), rel=0.5)
