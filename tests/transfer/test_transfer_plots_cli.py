"""Figures and the `neurocompare transfer` command."""
import matplotlib
import pytest

matplotlib.use("Agg")


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from neurocompare import models
    from neurocompare.stimuli import make_digits

    root = tmp_path_factory.mktemp("tiny")
    digits = make_digits(root / "all", image_size=8).subset(list(range(60))).save(root / "digits60")
    net = models.load("smallcnn", image_size=16, width=4, n_classes=3)
    models.save(net, root / "smallcnn.pt")
    return net, digits, root


@pytest.fixture(scope="module")
def result(tiny):
    from neurocompare import transfer

    net, digits, _ = tiny
    return transfer.run(net, digits, train_sizes=[10, 20], random_state=[0, 1], epochs=1, freeze_until=[None, "block2"],
                        progress=False)


def test_plots_draw(result):
    import matplotlib.pyplot as plt

    from neurocompare import plotting

    ax = plotting.plot_learning_curves(result.history)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"frozen backbone", "frozen to block2", "fine-tuned", "from scratch", "validation"} <= set(labels)
    assert len(ax.lines) == 4 * 2 + 2  # validation + training per mode, two legend keys
    ax = plotting.plot_learning_curves(result.history, metric="loss", n_train=10)
    assert ax.get_ylabel() == "loss" and "n = 10" in ax.get_title()
    ax = plotting.plot_score_vs_n(result.scores, chance=0.1)
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "test accuracy"
    ax = plotting.plot_representational_change(result.change)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["block1", "block2", "block3", "block4", "fc1"]
    ax = plotting.plot_representational_change(result.change, metric="rdm_corr", compared_to="source")
    assert len(ax.containers) == 1  # only scratch runs are compared with the source
    ax = plotting.plot_freezing_sweep(result.scores)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["none", "block2", "all"]
    with pytest.raises(ValueError, match="'metric'.*'r2'"):
        plotting.plot_learning_curves(result.history, metric="r2")
    with pytest.raises(ValueError, match=r"'scores'.*missing \['n_train'\]"):
        plotting.plot_score_vs_n(result.scores.drop(columns="n_train"))
    with pytest.raises(ValueError, match="neither 'accuracy' nor 'r2'"):
        plotting.plot_score_vs_n(result.scores[result.scores.metric == "loss"])
    plt.close("all")


def test_summary_ci_across_seeds(result):
    import numpy as np
    from scipy import stats

    summ = result.summary()
    row = summ[(summ["mode"] == "finetune") & (summ.n_train == 20) & (summ.metric == "accuracy")].iloc[0]
    v = result.scores[(result.scores["mode"] == "finetune") & (result.scores.n_train == 20)
                      & (result.scores.metric == "accuracy")].value.to_numpy()
    half = stats.t.ppf(0.975, 1) * v.std(ddof=1) / np.sqrt(2)
    assert row.value == pytest.approx(v.mean()) and row.ci_high == pytest.approx(v.mean() + half)
    assert row.n_seeds == 2


def test_cli_transfer(tiny, tmp_path):
    from typer.testing import CliRunner

    from neurocompare.cli import app

    _, digits, root = tiny
    runner = CliRunner()
    out = tmp_path / "res"
    args = ["transfer", str(root / "smallcnn.pt"), str(root / "digits60"), "--train-sizes", "10,20", "--epochs", "1",
            "--modes", "frozen,finetune", "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "finetune" in res.output and "accuracy" in res.output
    for f in ("scores.csv", "history.csv", "change.csv", "summary.csv", "figures/score_vs_n.png",
              "figures/learning_curves.pdf", "figures/cka_change.png"):
        assert (out / f).is_file(), f
    again = runner.invoke(app, args)  # every run is loaded from out/runs
    assert again.exit_code == 0 and again.output == res.output
    bad = runner.invoke(app, ["transfer", str(root / "smallcnn.pt"), str(root / "digits60"), "--freeze-until",
                              "blok2", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 1 and "Close matches: 'block2'" in bad.output and "Traceback" not in bad.output
    bad = runner.invoke(app, ["transfer", str(root / "smallcnn.pt"), str(root / "digits60"), "--train-sizes",
                              "10,x", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 1 and "'--train-sizes'" in bad.output
    sweep = runner.invoke(app, ["transfer", str(root / "smallcnn.pt"), str(root / "digits60"), "--sweep",
                                "--freeze-until", "block1,block3", "--train-sizes", "20", "--epochs", "1",
                                "--out", str(tmp_path / "sweep")])
    assert sweep.exit_code == 0, sweep.output
    assert (tmp_path / "sweep" / "figures" / "freezing_sweep.png").is_file()
