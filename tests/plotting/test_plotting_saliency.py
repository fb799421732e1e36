"""The saliency figures: metric scores per map type, fixations over the image."""
import numpy as np
import pytest
import xarray as xr

import neurocompare as nc
import neurocompare.saliency as M
from neurocompare.saliency import compare_to_fixations


def test_plot_saliency_scores_and_fixations(synthetic_fixations, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = synthetic_fixations(n_images=4)
    cb = M.make_center_bias((40, 50))
    maps = xr.DataArray(np.stack([np.stack([cb] * 4), np.ones((4, 40, 50))]), dims=("method", "stimulus", "y", "x"),
                        coords={"method": ["center", "uniform"], "stimulus": [f"img{i}" for i in range(4)]})
    df = compare_to_fixations(maps, table)
    fig = nc.plotting.plot_saliency_scores(df)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 8 and axes[0].get_title() == "NSS"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["center", "uniform"]
    fig2 = nc.plotting.plot_saliency_scores(df, metrics=["sauc"], by="method")
    assert len(fig2.axes) == 1
    with pytest.raises(KeyError, match="Unknown metric"):
        nc.plotting.plot_saliency_scores(df, metrics=["emd"])
    img = np.zeros((40, 50, 3), np.uint8)
    ax = nc.plotting.plot_fixations(img, table, stimulus="img0")
    assert len(ax.images) == 2 and len(ax.collections) == 1
    assert "img0 (30 fixations)" in ax.get_title()
    with pytest.raises(ValueError, match="name the one to draw"):
        nc.plotting.plot_fixations(img, table)
    with pytest.raises(ValueError, match="'image': its size"):
        nc.plotting.plot_fixations(img[:10], table, stimulus="img0")
    nc.plotting.save_figure(fig, tmp_path / "scores")
    assert (tmp_path / "scores.png").stat().st_size > 0
    plt.close("all")
