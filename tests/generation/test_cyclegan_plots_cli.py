"""CycleGAN figures and the `neurocompare cyclegan` command."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from neurocompare.cli import app  # noqa: E402
from neurocompare.generation import load_cyclegan, train_cyclegan  # noqa: E402
from neurocompare.plotting import plot_cyclegan_history, plot_dissociation, plot_translation_grid  # noqa: E402
from neurocompare.stimuli import make_whatwhere  # noqa: E402

runner = CliRunner()
TINY = ["--width", "4", "--n-blocks", "1", "--batch-size", "2"]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def domains(tmp_path_factory):
    root = tmp_path_factory.mktemp("cgp")
    a = make_whatwhere(root / "a", n_per_category=2, image_size=16, categories=3, random_state=0)
    b = make_whatwhere(root / "b", n_per_category=2, image_size=16, categories=3, background="texture",
                       random_state=1)
    return a, b


@pytest.fixture(scope="module")
def gan(domains):
    return train_cyclegan(*domains, epochs=2, width=4, n_blocks=1, batch_size=2, progress=False)


def test_plot_history(gan):
    fig = plot_cyclegan_history(gan.history)
    axes = fig.axes
    assert len(axes) == 3
    assert len(axes[0].get_lines()) == 4 + 1 and len(axes[1].get_lines()) == 4 and len(axes[2].get_lines()) == 4 + 2
    y = axes[1].get_lines()[0].get_ydata()
    h = gan.history
    np.testing.assert_allclose(y, h[(h.metric == "cycle_l1") & (h.domain == "a")].value)
    plt.close(fig)
    _, own = plt.subplots(1, 3)
    assert plot_cyclegan_history(gan, axes=own) is own[0].figure  # the CycleGAN itself works too
    plt.close("all")
    with pytest.raises(ValueError, match="'history': expected the history DataFrame"):
        plot_cyclegan_history(pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="expected 3 Axes"):
        plot_cyclegan_history(gan, axes=own[:2])


def test_plot_translation_grid(gan, domains):
    ax = plot_translation_grid(gan, *domains, n=4)
    img = ax.get_images()[0].get_array()
    pad = 2
    assert img.shape[:2] == (6 * (16 + pad) + pad, 4 * (16 + pad) + pad)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "A\u2192B", "A\u2192B\u2192A", "B", "B\u2192A",
                                                            "B\u2192A\u2192B"]
    ax2 = plot_translation_grid(gan, domains[0], n=3)
    assert len(ax2.get_yticklabels()) == 3
    plt.close("all")


def test_plot_dissociation():
    rows = [("where", "x", "source_vs_translation", "r", 0.9), ("where", "y", "source_vs_translation", "r", 0.8),
            ("what", "category", "source_vs_translation", "agreement", 0.7),
            ("where", "x", "source", "r_truth", 0.95),
            ("style", "domain", "source", "target_domain_rate", 0.05),
            ("style", "domain", "translation", "target_domain_rate", 0.85)]
    table = pd.DataFrame(rows, columns=["kind", "factor", "image", "metric", "value"]).assign(
        ci_low=lambda d: d.value - 0.05, ci_high=lambda d: d.value + 0.05, direction="a2b")
    ax = plot_dissociation(table)
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [0.9, 0.8, 0.7, 0.05, 0.85])
    plt.close("all")
    with pytest.raises(ValueError, match="several directions"):
        plot_dissociation(pd.concat([table, table.assign(direction="b2a")]))


def test_cli_train_and_translate(domains, tmp_path):
    a, b = domains
    out = tmp_path / "run"
    res = runner.invoke(app, ["cyclegan", "train", str(a.root), str(b.root), "--out", str(out), "--epochs", "1",
                              *TINY])
    assert res.exit_code == 0, res.output
    assert "cycle_l1" in res.output and "A->B->A" in res.output
    for f in ("cyclegan.pt", "checkpoint.pt", "history.csv", "cycle_metrics.csv", "figures/history.png",
              "figures/translations.pdf"):
        assert (out / f).is_file(), f
    assert load_cyclegan(out).image_shape == (16, 16)
    res = runner.invoke(app, ["cyclegan", "translate", str(out), str(b.root), "--out", str(tmp_path / "t"),
                              "--direction", "b2a"])
    assert res.exit_code == 0, res.output
    assert "Wrote 6 translated stimuli (b2a)" in res.output
    assert (tmp_path / "t" / "stimuli.csv").is_file()


def test_cli_errors(domains, tmp_path):
    a, b = domains
    res = runner.invoke(app, ["cyclegan", "train", str(a.root), str(b.root), "--out", str(tmp_path / "r"),
                              "--image-size", "30", *TINY])
    assert res.exit_code == 1 and "multiple of 4" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["cyclegan", "train", str(a.root), str(b.root), "--out", str(tmp_path / "r"),
                              "--lambda-cycle", "-1", *TINY])
    assert res.exit_code == 1 and "Invalid value for '--lambda-cycle'" in res.output
    res = runner.invoke(app, ["cyclegan", "translate", str(tmp_path / "nothing"), str(a.root), "--out",
                              str(tmp_path / "t")])
    assert res.exit_code == 1 and "no CycleGAN file" in res.output
    assert runner.invoke(app, ["cyclegan", "--help"]).exit_code == 0
