import matplotlib.pyplot as plt
import pytest

import neurocompare as nc
from neurocompare import plotting


@pytest.fixture(scope="module")
def acts(small_set):
    m = nc.models.load("twostreamnet", n_classes=6, image_size=32)
    return nc.extract(m, small_set, layers=["ventral.fc", "dorsal.fc1"], progress=False)


def test_plot_stimuli(small_set):
    ax = plotting.plot_stimuli(small_set, n=7, show_boxes=True)
    assert len(ax.texts) == 7 and len(ax.patches) == 7
    plt.close(ax.figure)
    fig, ax = plt.subplots()
    assert plotting.plot_stimuli(small_set, by=None, ax=ax) is ax
    with pytest.raises(ValueError, match="'by'"):
        plotting.plot_stimuli(small_set, by="colour")
    plt.close("all")


def test_plot_layer_pca(acts):
    da = nc.extraction.get_layer(acts, "ventral.fc")
    ax = plotting.plot_layer_pca(da)
    assert len(ax.collections) == 6 and "PC1" in ax.get_xlabel()
    ax2 = plotting.plot_layer_pca(nc.extraction.get_layer(acts, "dorsal.fc1"), color_by="x")
    assert len(ax2.figure.axes) == 2  # colour bar
    with pytest.raises(ValueError, match="'color_by'"):
        plotting.plot_layer_pca(da, color_by="colour")
    plt.close("all")


def test_plot_training_history_and_save(trained_twostream, tmp_path):
    ax = plotting.plot_training_history(trained_twostream.history, metric="where_mse")
    assert len(ax.lines) == 2
    files = plotting.save_figure(ax.figure, tmp_path / "fig" / "history")
    assert [f.suffix for f in files] == [".png", ".pdf"] and all(f.stat().st_size > 1000 for f in files)
    with pytest.raises(ValueError, match="'metric'"):
        plotting.plot_training_history(trained_twostream.history, metric="iou")
    plt.close("all")
