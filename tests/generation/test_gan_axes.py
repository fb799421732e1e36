"""feature_axes on a synthetic generator with a known linear latent -> attribute map."""
import numpy as np
import pandas as pd
import pytest

import neurocompare as nc
from neurocompare.generation import feature_axes, gram_schmidt

from synthetic_blobs import D, W, BlobGenerator, centroid_labeler


@pytest.fixture(scope="module")
def gen():
    return BlobGenerator()


def test_tlgan_recovers_the_known_linear_map(gen):
    fa = feature_axes(gen, centroid_labeler, factors=["x", "y", "size"], n_samples=1500)
    for i, f in enumerate(["x", "y", "size"]):
        assert fa.axis(f).values @ W[i] > 0.95, f
    fit = fa.fit.set_index(["axis", "metric"]).value
    assert fit["x", "r2"] > 0.9 and fit["x", "slope"] == pytest.approx(0.1, rel=0.15)   # 0.1 image widths per unit
    assert fa.axes.dims == ("axis", "latent") and fa.z.shape == (1500, D) and len(fa.labels) == 1500


def test_gram_schmidt_disentangles_to_1e6(gen):
    fa = feature_axes(gen, centroid_labeler, factors="x", lock=["y", "size"], n_samples=800)
    x = fa.axis("x").values
    assert np.linalg.norm(x) == pytest.approx(1, abs=1e-12)
    for f in ("y", "size"):
        assert abs(x @ fa.raw.sel(axis=f).values) < 1e-6
    cos = fa.cosines.pivot_table(index=["stage", "axis_a"], columns="axis_b", values="cosine")
    assert cos.loc[("before", "x"), "y"] == pytest.approx(0.6, abs=0.1)       # built in: cos(x, y) = 0.6
    assert abs(cos.loc[("after", "x"), "y"]) < 1e-6 and abs(cos.loc[("after", "x"), "size"]) < 1e-6
    # what stays of x is the part of the true x direction orthogonal to y and size
    basis = gram_schmidt(W[[1, 2]])
    resid = W[0] - basis.T @ (basis @ W[0])
    assert x @ resid / np.linalg.norm(resid) > 0.95
    rng = np.random.default_rng(0)
    q = gram_schmidt(rng.standard_normal((6, 20)))
    assert np.abs(q @ q.T - np.eye(6)).max() < 1e-6
    assert len(gram_schmidt(np.vstack([q[:2], q[0] + q[1]]))) == 2      # dependent rows dropped


def test_interfacegan_and_ganspace(gen):
    svm = feature_axes(gen, centroid_labeler, factors="x", lock="y", method="interfacegan", n_samples=800,
                       top_fraction=0.2)
    assert svm.fit.set_index(["axis", "metric"]).value["x", "accuracy"] > 0.95
    assert abs(svm.axis("x").values @ svm.raw.sel(axis="y").values) < 1e-6
    basis = gram_schmidt(W[[1]])
    resid = W[0] - basis.T @ (basis @ W[0])
    assert svm.axis("x").values @ resid / np.linalg.norm(resid) > 0.9
    pcs = feature_axes(gen, centroid_labeler, method="ganspace", n_samples=400, n_components=3)
    assert list(pcs.axes.axis.values) == ["pc1", "pc2", "pc3"]
    ev = pcs.fit[pcs.fit.metric == "explained_variance"].value.to_numpy()
    assert np.all(np.diff(ev) <= 0) and set(pcs.fit.factor) >= {"x", "y", "size"}


def test_ganspace_on_a_dcgan_layer_and_a_model_labeler():
    gan = nc.models.load("dcgan", image_size=16, latent_dim=8, width=8)
    pcs = feature_axes(gan, method="ganspace", layer="generator.net.relu0", n_samples=60, n_components=4)
    assert pcs.axes.shape == (4, 8)
    lab = nc.models.load("twostreamnet", n_classes=3, image_size=16, width=4)
    fa = feature_axes(gan, lab, factors=["x"], lock=["p_0"], n_samples=60)
    assert {"category", "x", "y", "size", "p_0", "p_1", "p_2"} <= set(fa.labels.columns)
    assert fa.labels.filter(like="p_").sum(axis=1).to_numpy() == pytest.approx(1, abs=1e-5)


def test_clear_errors(gen):
    with pytest.raises(KeyError, match=r"factor in 'factors' \(the labeler does not output it\): 'xpos'.*'x'"):
        feature_axes(gen, centroid_labeler, factors="xpos", n_samples=50)
    with pytest.raises(ValueError, match=r"\['x'\] is also a target factor"):
        feature_axes(gen, centroid_labeler, factors=["x"], lock=["x", "y"], n_samples=50)
    with pytest.raises(ValueError, match="'category' is categorical"):
        feature_axes(gen, centroid_labeler, factors="category", n_samples=50)
    with pytest.raises(ValueError, match="Did you mean 'tlgan'"):
        feature_axes(gen, centroid_labeler, method="tl-gan")
    with pytest.raises(ValueError, match="needs a labeler"):
        feature_axes(gen, None, method="tlgan")
    with pytest.raises(ValueError, match="one row per image"):
        feature_axes(gen, lambda x: pd.DataFrame({"x": [0.0]}), n_samples=50)
    with pytest.raises(ValueError, match="pass latent_dim="):
        feature_axes(lambda z: z, centroid_labeler)
    with pytest.raises(ValueError, match="lies in the span of the locked axes"):
        feature_axes(gen, lambda x: centroid_labeler(x).assign(x2=lambda d: 2 * d.x), factors="x2", lock="x",
                     n_samples=200)


def test_save_and_load_axes(gen, tmp_path):
    fa = feature_axes(gen, centroid_labeler, factors=["x", "y"], lock="size", n_samples=300)
    fa.save(tmp_path / "ax")
    back = nc.generation.load_axes(tmp_path / "ax")
    np.testing.assert_allclose(back.values, fa.axes.values, rtol=1e-12)
    assert list(back.axis.values) == ["x", "y"] and back.attrs["method"] == "tlgan"
    assert {"axes.csv", "raw_axes.csv", "cosines.csv", "fit.csv"} <= {p.name for p in (tmp_path / "ax").iterdir()}
