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


def test_plot_predictions_overlays_instances(trained_unet, trained_twostream, test_set, small_set):
    fig, axes = plt.subplots(1, 3)
    p = nc.models.predict(trained_unet, test_set.subset(range(3)), progress=False)
    assert plotting.plot_predictions(p, test_set, 0, ax=axes[0]) is axes[0]
    assert axes[0].patches and axes[0].texts
    q = nc.models.predict(trained_twostream, test_set.subset(range(3)), progress=False)
    plotting.plot_predictions(q, test_set, test_set.ids[1], ax=axes[1])
    kp = nc.models.predict(nc.models.load("keypointrcnn_resnet50_fpn", min_size=64, max_size=64),
                           small_set.subset([0]), score_threshold=0.0, progress=False)
    plotting.plot_predictions(kp, small_set, 0, ax=axes[2], max_instances=2)
    plt.close(fig)


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


@pytest.fixture(scope="module")
def rsa_results():
    import numpy as np

    rng = np.random.default_rng(0)
    n, p = 12, 66
    base = rng.random(p)
    subjects = nc.rsa.make_rdm(base + 0.5 * rng.random((4, p)), [f"s{i}" for i in range(n)],
                               leading={"subject": range(4)}, factors={"category": list("aabbccaabbcc")})
    models = nc.rsa.make_rdm(np.stack([base + rng.random(p) for _ in range(3)]), [f"s{i}" for i in range(n)],
                             leading={"rdm": {"rdm": [0, 1, 2], "model": ["net"] * 3, "layer": ["l1", "l2", "l3"],
                                              "stream": ["shared", "what", "where"]}})
    res = nc.rsa.evaluate(models, subjects, n_bootstrap=100, permutations=100)
    return subjects, models, res


def test_plot_rdm_and_mds(rsa_results):
    subjects, _, _ = rsa_results
    g = nc.rsa.group_rdm(subjects)
    ax = plotting.plot_rdm(g, by="category", sort=True, percentile=True)
    assert len(ax.patches) == 2 * 12 and ax.get_legend() is not None
    ax2 = plotting.plot_mds(g)
    assert len(ax2.collections) == 3
    with pytest.raises(ValueError, match="single RDM"):
        plotting.plot_rdm(subjects)
    with pytest.raises(ValueError, match="'by'"):
        plotting.plot_rdm(g, by="colour")
    plt.close("all")


def test_plot_layer_profile_and_model_comparison(rsa_results):
    _, models, res = rsa_results
    ax = plotting.plot_layer_profile(res, colour_by_stream=True)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["l1", "l2", "l3"]
    pw = nc.rsa.pairwise_tests(models, rsa_results[0], n_bootstrap=100)
    ax2 = plotting.plot_model_comparison(res, label="layer", pairwise=pw)
    assert len(ax2.patches) >= 3
    with pytest.raises(ValueError, match="'results'"):
        plotting.plot_layer_profile(res.drop(columns="value"))
    plt.close("all")
