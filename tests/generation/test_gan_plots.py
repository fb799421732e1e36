"""Every GAN figure draws."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import neurocompare as nc  # noqa: E402
from synthetic_blobs import BlobGenerator, centroid_labeler  # noqa: E402


def _history():
    rows = [("dcgan", e, "train", m, v) for e in (1, 2, 3)
            for m, v in [("loss_d", 1.2 / e), ("loss_g", 0.7 + e / 10), ("d_real", 0.6), ("d_fake", 0.4)]]
    return pd.DataFrame(rows, columns=["model", "epoch", "split", "metric", "value"])


def test_history_and_sample_grid():
    fig = nc.plotting.plot_gan_history(_history())
    assert len(fig.axes) == 2 and fig.axes[1].get_ylim() == (0, 1)
    imgs = np.random.default_rng(0).integers(0, 255, (10, 8, 8, 3), dtype=np.uint8)
    ax = nc.plotting.plot_sample_grid(imgs, ncol=5)
    assert ax.images[0].get_array().shape == (2 * 9 + 1, 5 * 9 + 1, 3)
    import xarray as xr

    da = xr.DataArray(np.stack([imgs, imgs]), dims=("epoch", "sample", "y", "x", "channel"), coords={"epoch": [0, 5]})
    ax = nc.plotting.plot_sample_grid(da, n=4, ncol=2)
    assert ax.get_title() == "epoch 5" and ax.images[0].get_array().shape == (19, 19, 3)
    with pytest.raises(ValueError, match=r"expected one of \[0, 5\]"):
        nc.plotting.plot_sample_grid(da, epoch=3)
    with pytest.raises(ValueError, match="GAN metrics"):
        nc.plotting.plot_gan_history(_history().replace({"loss_g": "acc"}))
    with pytest.raises(ValueError, match="uint8"):
        nc.plotting.plot_sample_grid(imgs.astype(float))
    plt.close("all")


def test_traversal_and_cosines(tmp_path):
    gen = BlobGenerator()
    fa = nc.generation.feature_axes(gen, centroid_labeler, factors="x", lock=["y", "size"], n_samples=300)
    fig = nc.plotting.plot_axis_cosines(fa)
    assert [a.get_title() for a in fig.axes[:2]] == ["before disentangling", "after disentangling"]
    t = nc.generation.traverse(gen, fa, steps=5, n=3, labeler=centroid_labeler, out=tmp_path / "t")
    fig = nc.plotting.plot_traversal(t)
    labels = [line.get_label() for line in fig.axes[1].get_lines()]
    assert labels[0] == "x (target)" and "y (off-target)" in labels
    with pytest.raises(ValueError, match="not decoded numeric factors"):
        nc.plotting.plot_traversal(t, factors=["category"])
    nc.plotting.save_figure(fig, tmp_path / "trav")
    assert (tmp_path / "trav.png").is_file() and (tmp_path / "trav.pdf").is_file()
    plt.close("all")
