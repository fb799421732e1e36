"""traverse: a new StimulusSet along a latent axis, with decoded factors and per-step effects."""
import numpy as np
import pandas as pd
import pytest
import torch

import neurocompare as nc
from neurocompare.generation import feature_axes, traversal_effects, traversal_summary, traverse

from synthetic_blobs import W, BlobGenerator, centroid_labeler  # noqa: E402  (same folder, unique basenames)


@pytest.fixture(scope="module")
def axes():
    return feature_axes(BlobGenerator(), centroid_labeler, factors="x", lock=["y", "size"], n_samples=800)


def test_traversal_moves_the_target_monotonically(axes, tmp_path):
    gen = BlobGenerator()
    t = traverse(gen, axes, steps=7, span=2.0, n=5, labeler=centroid_labeler, out=tmp_path / "trav", random_state=3)
    assert isinstance(t, nc.stimuli.StimulusSet) and len(t) == 35
    md = t.metadata
    assert list(md.columns[:6]) == ["file", "chain", "step", "offset", "axis", "axis_coordinate"]
    assert set(md.axis) == {"x"} and np.allclose(sorted(md.offset.unique()), np.linspace(-2, 2, 7))
    for _, chain in md.groupby("chain"):
        assert np.all(np.diff(chain.sort_values("step").x) > 0)                 # strictly monotonic in every chain
        assert np.allclose(np.diff(chain.sort_values("step").axis_coordinate), 2 / 3)  # 1 sd = 1 latent unit
    summ = traversal_summary(t).set_index("factor")
    assert summ.loc["x", "role"] == "target" and summ.loc["x", "chain_rho"] == 1.0
    assert summ.loc["x", "spearman_rho"] > 0.95
    assert abs(summ.loc["y", "total_change"]) < 0.1 * summ.loc["x", "total_change"]
    eff = traversal_effects(t)
    assert set(eff.role) == {"target", "off-target"}
    ref = eff[(eff.factor == "x") & (eff.offset == 0)]
    assert ref.change.item() == 0 and ref.change_sd.item() == 0
    cat = eff[eff.factor == "category"]
    assert cat["mean"].isna().all() and cat.change.between(0, 1).all()
    # the folder: images, table, latents and effects; the latents reproduce the images
    files = {p.name for p in (tmp_path / "trav").iterdir()}
    assert {"images", "stimuli.csv", "stimuli.toml", "latents.npy", "effects.csv"} <= files
    z = np.load(tmp_path / "trav" / "latents.npy")
    assert z.shape == (35, W.shape[1])
    with torch.no_grad():
        again = nc.generation._gan.to_uint8(gen(torch.from_numpy(z[:3])))
    assert np.array_equal(again[2], np.asarray(t.load_image(2)))
    assert pd.read_csv(tmp_path / "trav" / "effects.csv").shape == eff.shape
    back = nc.stimuli.load(tmp_path / "trav")
    assert back.where == ("x", "y", "size") and back.what == ("category",)


def test_axis_forms_and_units(axes, tmp_path):
    gen = BlobGenerator()
    a = traverse(gen, axes.axis("x"), steps=[-1.0, 0.0, 1.0], n=2, random_state=0, out=tmp_path / "a")
    b = traverse(gen, 3 * axes.axis("x").values, steps=[-1.0, 0.0, 1.0], n=2, step_units="latent", random_state=0,
                 out=tmp_path / "b")
    da, db = a.metadata.axis_coordinate.to_numpy(), b.metadata.axis_coordinate.to_numpy()
    assert np.allclose(np.diff(da)[:2], 1) and np.allclose(np.diff(db)[:2], 3)
    assert set(a.metadata.axis) == {"x"} and "y" not in a.metadata    # no labeler: no decoded factors
    start = np.zeros((1, W.shape[1]), np.float32)
    c = traverse(gen, axes, steps=3, n=1, start=start, out=tmp_path / "c")
    assert np.allclose(c.metadata.axis_coordinate, [-2, 0, 2])


def test_traversal_errors(axes):
    gen = BlobGenerator()
    with pytest.raises(ValueError, match="length latent_dim=16"):
        traverse(gen, np.ones(5))
    with pytest.raises(ValueError, match="Did you mean 'sd'"):
        traverse(gen, axes, step_units="sds")
    two = feature_axes(gen, centroid_labeler, factors=["x", "y"], n_samples=200)
    with pytest.raises(ValueError, match="holds several axes"):
        traverse(gen, two)
    with pytest.raises(ValueError, match="'steps'"):
        traverse(gen, axes, steps=1)
    with pytest.raises(TypeError, match="from traverse"):
        traversal_effects(42)
