import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.random_projection import SparseRandomProjection

import neurocompare as nc
from neurocompare.extraction import get_layer, parse_reduce
from neurocompare.extraction._reduce import EXACT_PCA_MAX_UNITS


@pytest.fixture(scope="module")
def full(resnet18, small_set):
    return nc.extract(resnet18, small_set, layers=["layer3", "layer4", "fc"], batch_size=10, progress=False)


def test_parse_reduce():
    assert parse_reduce(None) == ("none", None)
    assert parse_reduce("avgpool") == ("avgpool", None)
    assert parse_reduce(("grid", 3)) == ("grid", 3)
    assert parse_reduce("pca:5") == ("pca", 5)
    for bad in ["max", ("grid", 0), ("grid", 2.5), ("svd", 3), "pca:x", ("grid",)]:
        with pytest.raises(ValueError, match="'reduce'"):
            parse_reduce(bad)


def test_avgpool_and_grid(resnet18, small_set, full):
    pooled = nc.extract(resnet18, small_set, layers=["layer4", "fc"], reduce="avgpool", progress=False)
    raw = get_layer(full, "layer4").values.reshape(len(small_set), 512, 7, 7)
    np.testing.assert_allclose(get_layer(pooled, "layer4").values, raw.mean((2, 3)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(get_layer(pooled, "fc").values, get_layer(full, "fc").values, rtol=1e-5, atol=1e-5)
    grid = nc.extract(resnet18, small_set, layers=["layer3"], reduce=("grid", 2), progress=False)
    g = get_layer(grid, "layer3")
    raw3 = torch.from_numpy(get_layer(full, "layer3").values.reshape(len(small_set), 256, 14, 14))
    want = torch.nn.functional.adaptive_avg_pool2d(raw3, 2).reshape(len(small_set), -1).numpy()
    np.testing.assert_allclose(g.values, want, rtol=1e-5, atol=1e-6)
    assert g.sizes["unit"] == 256 * 4 and set(np.unique(g.unit_y)) == {0, 1}


def test_random_projection_is_sklearns_and_seeded(resnet18, small_set, full):
    proj = nc.extract(resnet18, small_set, layers=["layer4"], reduce=("project", 64), random_state=3, batch_size=5,
                      progress=False)
    got = get_layer(proj, "layer4")
    x = get_layer(full, "layer4").values.astype(np.float64)
    srp = SparseRandomProjection(64, random_state=3).fit(x[:1])
    np.testing.assert_allclose(got.values, srp.transform(x), rtol=1e-4, atol=1e-4)
    assert got.attrs["reduce"] == "project:64" and list(got.component.values) == list(range(64))
    other = nc.extract(resnet18, small_set, layers=["layer4"], reduce=("project", 64), random_state=4,
                       progress=False)
    assert not np.allclose(get_layer(other, "layer4").values, got.values)


def test_pca_is_exact_for_moderate_layers(resnet18, small_set, full):
    tree = nc.extract(resnet18, small_set, layers=["fc"], reduce=("pca", 5), batch_size=5, progress=False)
    got = get_layer(tree, "fc")
    ref = PCA(5, svd_solver="full").fit(get_layer(full, "fc").values.astype(np.float64))
    np.testing.assert_allclose(got.values, ref.transform(get_layer(full, "fc").values), rtol=1e-4, atol=1e-4)
    assert got.attrs["pca_method"] == "exact"
    np.testing.assert_allclose(got.attrs["pca_explained_variance"], ref.explained_variance_, rtol=1e-6)


def test_pca_incremental_for_wide_layers(resnet18, small_set, full):
    x = get_layer(full, "layer3").values
    assert x.shape[1] > EXACT_PCA_MAX_UNITS
    tree = nc.extract(resnet18, small_set, layers=["layer3"], reduce=("pca", 4), batch_size=6, progress=False)
    got = get_layer(tree, "layer3")
    assert got.attrs["pca_method"] == "incremental"
    ref = PCA(4, svd_solver="full").fit(x.astype(np.float64))
    # the incremental fit spans (nearly) the same leading subspace
    for i in range(2):
        r = abs(np.corrcoef(got.values[:, i], ref.transform(x)[:, i])[0, 1])
        assert r > 0.95


def test_pca_asks_for_too_many_components(resnet18, small_set):
    with pytest.raises(ValueError, match="more components than there are stimuli"):
        nc.extract(resnet18, small_set, layers=["fc"], reduce=("pca", 50), progress=False)


def test_grid_on_tokens_is_refused(small_set):
    vit = nc.models.load("vit_b_16")
    with pytest.raises(RuntimeError, match="grid.*needs spatial maps"):
        nc.extract(vit, small_set.subset([0]), layers=["encoder.layers.encoder_layer_0"], reduce=("grid", 2),
                   progress=False)


def test_grid_larger_than_the_map_is_refused(resnet18, small_set):
    """layer4 of ResNet-18 has 7 x 7 maps at 224 px: a 9 x 9 grid would upsample them."""
    with pytest.raises(ValueError, match=r"'reduce'.*layer 'layer4'.*\('grid', 9\).*7x7.*largest valid k is 7"):
        nc.extract(resnet18, small_set.subset([0]), layers=["layer3", "layer4"], reduce=("grid", 9), progress=False)
    ok = nc.extract(resnet18, small_set.subset([0]), layers=["layer4"], reduce=("grid", 7), progress=False)
    assert get_layer(ok, "layer4").sizes["unit"] == 512 * 49
