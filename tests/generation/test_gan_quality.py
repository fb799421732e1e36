"""FID / KID: oracle tests against torchmetrics with a custom feature extractor, and the image-level wrapper."""
import numpy as np
import pytest
import torch

import neurocompare as nc
from neurocompare.generation import frechet_distance, image_quality, kernel_distance


class _Flatten(torch.nn.Module):
    """torchmetrics feature extractor: the 'images' (N, 1, 1, d) already are the features."""

    def forward(self, x):
        return x.flatten(1).double()


@pytest.fixture(scope="module")
def feats():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((120, 6))
    b = rng.standard_normal((100, 6)) @ np.diag([1.5, 1, 1, 0.5, 1, 1]) + 0.3
    return a, b


def test_frechet_distance_matches_torchmetrics(feats):
    from torchmetrics.image.fid import FrechetInceptionDistance

    a, b = feats
    fid = FrechetInceptionDistance(feature=_Flatten(), input_img_size=(1, 1, 6))
    fid.update(torch.from_numpy(a).reshape(-1, 1, 1, 6), real=True)
    fid.update(torch.from_numpy(b).reshape(-1, 1, 1, 6), real=False)
    assert frechet_distance(a, b) == pytest.approx(float(fid.compute()), rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-9)
    # one feature: (mu_a - mu_b)^2 + (sd_a - sd_b)^2
    x, y = a[:, :1], b[:, :1]
    expected = (x.mean() - y.mean()) ** 2 + (x.std(ddof=1) - y.std(ddof=1)) ** 2
    assert frechet_distance(x, y) == pytest.approx(expected, rel=1e-9)


@pytest.mark.filterwarnings("ignore:Metric `Kernel Inception Distance` will save:UserWarning")  # the oracle's own note
def test_kernel_distance_matches_torchmetrics(feats):
    from torchmetrics.image.kid import KernelInceptionDistance

    a, b = feats
    kid = KernelInceptionDistance(feature=_Flatten(), subsets=1, subset_size=100)
    kid.update(torch.from_numpy(a[:100]).reshape(-1, 1, 1, 6), real=True)
    kid.update(torch.from_numpy(b).reshape(-1, 1, 1, 6), real=False)
    mean, _ = kid.compute()
    ours, sd = kernel_distance(a[:100], b, n_subsets=1, subset_size=100)
    assert ours == pytest.approx(float(mean), rel=1e-6) and np.isnan(sd)
    m, s = kernel_distance(a, b, n_subsets=20, subset_size=50, random_state=0)
    assert m > 0 and s > 0 and (m, s) == kernel_distance(a, b, n_subsets=20, subset_size=50, random_state=0)
    # two independent samples of one distribution score near 0 (the estimator is unbiased), of two distributions not
    rng = np.random.default_rng(1)
    x1, x2, y = rng.standard_normal((3, 600, 6))
    same, _ = kernel_distance(x1, x2, n_subsets=20, subset_size=300)
    other, _ = kernel_distance(x1, 1.3 * y + 0.3, n_subsets=20, subset_size=300)
    assert abs(same) < other / 10
    with pytest.raises(ValueError, match="extract both from the same layer"):
        kernel_distance(a, b[:, :3])


def test_image_quality_in_a_zoo_models_feature_space(small_set):
    net = nc.models.load("smallcnn", n_classes=6, image_size=32)
    gan = nc.models.load("dcgan", image_size=32, latent_dim=8, width=8)
    res = image_quality(small_set, gan, model=net, layer="block3", n_fake=24, subset_size=12, n_subsets=10)
    assert list(res.metric) == ["fid", "kid"] and set(res.layer) == {"block3"}
    assert (res.n_real == 24).all() and (res.n_fake == 24).all()
    fid_gan = res.set_index("metric").value["fid"]
    same = image_quality(small_set, small_set, model=net, layer="block3", subset_size=12, n_subsets=10)
    assert same.set_index("metric").value["fid"] == pytest.approx(0, abs=1e-6) and fid_gan > 0.01


def test_inception_needs_a_weights_file(small_set):
    with pytest.raises(ValueError, match="never downloads. Download https://github.com/toshas/torch-fidelity"):
        image_quality(small_set, small_set, model="inception")
