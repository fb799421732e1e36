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
    # the legend tells the solid (predicted region) and dashed (true) boxes apart
    legend = axes[0].get_legend()
    entries = dict(zip([t.get_text() for t in legend.get_texts()], legend.legend_handles))
    assert set(entries) == {"predicted region (region label, score)", "true box"}
    assert entries["predicted region (region label, score)"].get_linestyle() == "-"
    assert entries["true box"].get_linestyle() == "--"
    dashed = [b for b in axes[0].patches if b.get_linestyle() == "--"]
    assert len(dashed) == 1  # the true box is drawn dashed, as the legend says
    # the title names the image-level prediction as such, apart from the region labels in the boxes
    assert "image: " in axes[0].get_title() and ", true: " in axes[0].get_title()
    assert plotting.plot_predictions(p, test_set, 1, ax=axes[1], legend=False).get_legend() is None
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


def _overlap(a, b):
    """Whether two display boxes share area (touching edges do not count)."""
    return a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5


def test_add_panel_letters():
    fig, axes = plt.subplots(2, 2)
    out = plotting.add_panel_letters(axes)
    assert out == list(axes.ravel())
    letters = [[t for t in a.texts if t.get_gid() == "panel_letter"][0] for a in out]
    assert [t.get_text() for t in letters] == ["a", "b", "c", "d"]
    assert all(t.get_fontweight() == "bold" for t in letters)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    for a, t in zip(out, letters):  # top-left, outside the Axes
        box, frame = t.get_window_extent(r), a.get_window_extent(r)
        assert box.x1 <= frame.x0 + 1 and box.y0 >= frame.y1 - 1
    fig3, ax3 = plt.subplots(1, 2)  # a title and a y label: the letter sits above and left of both
    ax3[0].set_title("a long title over the panel")
    ax3[0].set_ylabel("score")
    (letter,) = [t for t in plotting.add_panel_letters(ax3)[0].texts if t.get_gid() == "panel_letter"]
    fig3.tight_layout()
    fig3.canvas.draw()
    r = fig3.canvas.get_renderer()
    box, title, ylabel = (x.get_window_extent(r) for x in (letter, ax3[0].title, ax3[0].yaxis.label))
    assert box.y0 >= title.y1 - 1 and box.x0 <= ylabel.x0 + 1
    fig2, ax2 = plt.subplots(1, 3)
    assert len(plotting.add_panel_letters(fig2, letters=["A", "B", "C"])) == 3
    assert [a.texts[0].get_text() for a in ax2] == ["A", "B", "C"]
    with pytest.raises(ValueError, match="'letters'"):
        plotting.add_panel_letters(axes, letters="ab")
    plt.close("all")


def test_plot_rdm_colourbar_names_the_measure(rsa_results):
    import numpy as np

    subjects, _, _ = rsa_results
    g = nc.rsa.group_rdm(subjects)
    corr = g.copy()
    corr.attrs["method"] = "correlation"
    ax = plotting.plot_rdm(corr)
    assert ax.figure.axes[-1].get_ylabel() == "1 − r"
    ax = plotting.plot_rdm(corr, percentile=True)
    assert ax.figure.axes[-1].get_ylabel() == "percentile of 1 − r"
    # an RDM without stimulus factors draws without a 'by' (no bands, no legend)
    bare = nc.rsa.make_rdm(np.random.default_rng(1).random(15), [f"s{i}" for i in range(6)], method="euclidean")
    ax = plotting.plot_rdm(bare)
    assert not ax.patches and ax.get_legend() is None
    assert ax.figure.axes[-1].get_ylabel() == "squared Euclidean distance / unit"
    assert len(plotting.plot_mds(bare).collections) == 1
    # with a category factor, "auto" draws its bands
    assert len(plotting.plot_rdm(g).patches) == 2 * 12
    plt.close("all")


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


def test_plot_layer_profile_paper_defaults(rsa_results):
    _, _, res = rsa_results
    ax = plotting.plot_layer_profile(res, color_by="stream", layer_names={"l1": "conv 1", "l3": "fully conn."})
    assert ax.get_xlabel() == "layer"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["conv 1", "l2", "fully conn."]
    assert ax.get_xticklabels()[0].get_rotation() == 45 and ax.get_xticklabels()[0].get_ha() == "right"
    assert ax.get_title() == "net vs reference"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    # the bars and stars say what they are, from the table's columns
    assert "95% bootstrap CI\n(over stimuli, 100 resamples)" in texts
    stars = [t for t in texts if t.startswith("* p < .05")]
    assert stars == ["* p < .05, ** p < .01, *** p < .001\n(one-sided permutation test,\n"
                     "100 stimulus-label permutations)"]
    assert {"noise ceiling", "net", "shared layer", "what layer", "where layer"} <= set(texts)
    # the legend lies outside the Axes: never over the data or the noise-ceiling band
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(r)
    band = [p for p in ax.patches if p.get_gid() == "ceiling"][0]
    assert not _overlap(legend, ax.get_window_extent(r)) and not _overlap(legend, band.get_window_extent(r))
    below = plotting.plot_layer_profile(res, legend="below")
    below.figure.canvas.draw()
    r = below.figure.canvas.get_renderer()
    assert not _overlap(below.get_legend().get_window_extent(r), below.get_window_extent(r))
    assert plotting.plot_layer_profile(res, legend=None, title="mine").get_legend() is None
    with pytest.raises(ValueError, match="'layer_names'"):
        plotting.plot_layer_profile(res, layer_names=["a", "b"])
    with pytest.raises(KeyError, match="'layer_names'"):
        plotting.plot_layer_profile(res, layer_names={"l4": "x"})
    with pytest.raises(ValueError, match="'legend'"):
        plotting.plot_layer_profile(res, legend="inside")
    plt.close("all")


def test_layer_profile_claims_only_what_the_table_did(rsa_results):
    _, models, _ = rsa_results
    subjects = rsa_results[0]
    res = nc.rsa.evaluate(models, subjects, bootstrap="subjects", n_bootstrap=50, permutations=0, ci=0.9,
                          target="data/judgments.csv")
    ax = plotting.plot_layer_profile(res)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "90% bootstrap CI\n(over subjects, 50 resamples)" in texts
    assert not any("p <" in t for t in texts) and not any(t.get_text().startswith("*") for t in ax.texts)
    assert ax.get_title() == "net vs judgments"  # the reference's name, not its file path
    # a table without the method columns (an older CSV) claims no level or count
    old = res.drop(columns=["ci_level", "n_permutations", "bootstrap", "n_bootstrap"])
    texts = [t.get_text() for t in plotting.plot_layer_profile(old).get_legend().get_texts()]
    assert "CI (ci_low to ci_high)" in texts
    plt.close("all")


def test_plot_model_comparison_keeps_layer_names(rsa_results):
    _, _, res = rsa_results
    ax = plotting.plot_model_comparison(res)  # one model's layers: the bars are the layers
    assert [t.get_text() for t in ax.get_xticklabels()] == ["l1", "l2", "l3"]
    assert ax.get_xlabel() == "layer" and ax.get_title() == "net vs reference"
    two = res.assign(model=["a", "a", "b"])
    ax = plotting.plot_model_comparison(two)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a\nl1", "a\nl2", "b\nl3"]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "95% bootstrap CI\n(over stimuli, 100 resamples)" in texts
    plt.close("all")


def test_plot_layer_profile_and_model_comparison(rsa_results):
    _, models, res = rsa_results
    ax = plotting.plot_layer_profile(res, color_by="stream")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["l1", "l2", "l3"]
    pw = nc.rsa.pairwise_tests(models, rsa_results[0], n_bootstrap=100)
    ax2 = plotting.plot_model_comparison(res, label="layer", pairwise=pw)
    assert len(ax2.patches) >= 3
    with pytest.raises(ValueError, match="'results'"):
        plotting.plot_layer_profile(res.drop(columns="value"))
    plt.close("all")


def test_plot_layer_profile_color_by(rsa_results):
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_hex

    from neurocompare.plotting._style import PALETTE, STREAM_COLOURS

    def colours(ax):  # the points' colours, from the scatter
        (pts,) = [c for c in ax.collections if isinstance(c, PathCollection)]
        return [to_hex(c) for c in pts.get_facecolors()]

    _, _, res = rsa_results
    ax = plotting.plot_layer_profile(res, color_by="stream")
    points = colours(ax)
    assert points == [to_hex(STREAM_COLOURS[s]) for s in res["stream"]]
    # another column: the palette, one colour per value, named in the legend
    ax = plotting.plot_layer_profile(res, color_by="layer")
    assert len(set(colours(ax))) == res["layer"].nunique()
    assert colours(ax)[0] == to_hex(PALETTE[0])
    assert "layer l1" in [t.get_text() for t in ax.get_legend().get_texts()]
    # without color_by every point has its line's colour
    ax = plotting.plot_layer_profile(res)
    assert len(set(colours(ax))) == 1
    with pytest.raises(ValueError, match="'color_by'.*'colour' is not a column"):
        plotting.plot_layer_profile(res, color_by="colour")
    with pytest.raises(TypeError, match="'color_by'.*column name or None; got True"):
        plotting.plot_layer_profile(res, color_by=True)
    plt.close("all")
