"""Every behaviour figure draws; `neurocompare behavior` end to end and its errors."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from neurocompare import behavior as B  # noqa: E402
from neurocompare import plotting  # noqa: E402
from neurocompare.cli import app  # noqa: E402

runner = CliRunner()


def _trials(subject, correct, cond="c", rt=None):
    n = len(correct)
    cat = np.where(np.arange(n) % 2, "dog", "cat")
    return pd.DataFrame({"subject": subject, "stimulus": [f"s{i}" for i in range(n)],
                         "response": np.where(correct, cat, np.where(cat == "cat", "dog", "cat")), "category": cat,
                         "correct": correct,
                         "rt": rt if rt is not None else np.nan, "condition": cond, "session": 1,
                         "trial": np.arange(1, n + 1)})


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(0)
    truth = rng.random(60) < 0.7
    h = pd.concat([_trials(f"subject-{i}", truth ^ (rng.random(60) < 0.1), cond=c) for i in range(3)
                   for c in ("a", "b")], ignore_index=True)
    m = pd.concat([_trials(f"m{i}", rng.random(60) < 0.6, cond=c) for i in range(2) for c in ("a", "b")],
                  ignore_index=True)
    return h, m


def test_figures_draw(tables, tmp_path):
    h, m = tables
    tab = B.consistency_table(m, h, n_bootstrap=50)
    ax = plotting.plot_error_consistency_matrix(tab, condition="a", annotate=True)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["m0", "m1", "subject-0", "subject-1", "subject-2"]
    img = ax.images[0].get_array()
    row = tab[(tab.condition == "a") & (tab.subject_a == "m0") & (tab.subject_b == "subject-1")]
    assert img[0, 3] == pytest.approx(row["kappa"].iloc[0])
    with pytest.raises(ValueError, match="several conditions"):
        plotting.plot_error_consistency_matrix(tab)
    ax = plotting.plot_accuracy_by_condition(B.accuracy(m, n_bootstrap=50), B.accuracy(h, n_bootstrap=50))
    assert ax.get_ylabel() == "proportion correct" and len(ax.get_xticklabels()) == 2
    numeric = plotting.plot_accuracy_by_condition(
        B.accuracy(m.assign(condition=m.condition.map({"a": 0.1, "b": 0.2})), n_bootstrap=0),
        B.accuracy(h.assign(condition=h.condition.map({"a": 0.1, "b": 0.2})), n_bootstrap=0), band="ci")
    assert numeric.get_xlabel() == "condition"
    ax = plotting.plot_consistency(B.summarize_consistency(tab))
    assert ax.get_ylabel() == "error consistency (kappa)"
    stims = ["cat1-dog1", "dog2-cat1", "cat2-bird1", "bird1-cat3"]
    cue = pd.concat([pd.DataFrame({"subject": s, "stimulus": stims, "category": ["cat", "dog", "cat", "bird"],
                                   "response": r, "correct": False, "condition": "cc"})
                     for s, r in (("subject-1", ["cat", "dog", "cat", "bird"]),
                                  ("cnn", ["dog", "cat", "bird", "cat"]))],
                    ignore_index=True)
    sb = B.shape_bias(cue, by_category=True, n_bootstrap=20)
    ax = plotting.plot_shape_bias(sb)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cnn", "subject-1"]
    ax = plotting.plot_shape_bias(sb, kind="categories")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "bird"]
    with pytest.raises(ValueError, match="by_category=True"):
        plotting.plot_shape_bias(B.shape_bias(cue, n_bootstrap=0), kind="categories")
    rng = np.random.default_rng(1)
    lv = np.repeat([0.0, 0.2, 0.4, 0.6], 40)
    psy = pd.DataFrame({"subject": "subject-1", "stimulus": [f"s{i}" for i in range(len(lv))], "category": "a",
                        "response": "a", "correct": rng.random(len(lv)) < 1 - lv, "condition": lv})
    fits = B.fit_psychometric(psy, guess=0.1, n_bootstrap=0)
    ax = plotting.plot_psychometric(psy, fits)
    assert ax.get_xlabel() == "condition" and len(ax.lines) == 4  # points, curve, threshold, guess rate
    files = plotting.save_figure(ax.figure, tmp_path / "psy")
    assert [f.suffix for f in files] == [".png", ".pdf"]
    plt.close("all")


def test_cli_on_trial_files(tables, tmp_path):
    h, m = tables
    (tmp_path / "humans").mkdir()
    for s, g in h.groupby("subject"):
        g.to_csv(tmp_path / "humans" / f"{s}.csv", index=False)
    m.to_csv(tmp_path / "models.csv", index=False)
    out = tmp_path / "res"
    res = runner.invoke(app, ["behavior", str(tmp_path / "humans"), "--models", str(tmp_path / "models.csv"),
                              "--n-bootstrap", "50", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "humans" in res.output and "Wrote 4 tables" in res.output
    tab = pd.read_csv(out / "tables" / "error_consistency.csv")
    assert set(tab["pair"]) == {"model-human", "human-human", "model-model"}
    for name in ("accuracy", "consistency", "error_consistency_1_a", "error_consistency_2_b"):
        assert (out / "figures" / f"{name}.png").is_file() and (out / "figures" / f"{name}.pdf").is_file()
    # humans only: the human-to-human table
    res = runner.invoke(app, ["behavior", str(tmp_path / "humans"), "--n-bootstrap", "0", "--out", str(tmp_path / "h")])
    assert res.exit_code == 0, res.output


def test_cli_errors(tables, tmp_path):
    h, m = tables
    h.to_csv(tmp_path / "h.csv", index=False)
    m.assign(stimulus=m.stimulus + "x").to_csv(tmp_path / "m.csv", index=False)
    res = runner.invoke(app, ["behavior", str(tmp_path / "h.csv"), "--models", str(tmp_path / "m.csv"),
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "stimuli in '--models' are missing from 'HUMANS'" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["behavior", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "Missing argument 'HUMANS'" in res.output
    one = h[h.subject == "subject-0"].assign(response="bird")
    one.to_csv(tmp_path / "one.csv", index=False)
    res = runner.invoke(app, ["behavior", str(tmp_path / "one.csv")])
    assert res.exit_code == 1 and "120 response(s) in the trial table from" in res.output
    assert "{'bird': 120}" in res.output
    res = runner.invoke(app, ["behavior", str(tmp_path / "one.csv"), "--categories", "cat,dog,bird", "--out",
                              str(tmp_path / "o1")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["behavior", str(tmp_path / "h.csv"), "--columns", "subject"])
    assert res.exit_code == 1 and "Invalid value for '--columns'" in res.output
    res = runner.invoke(app, ["behavior", "--dataset", "geirhos"])
    assert res.exit_code == 1 and "'geirhos2019'" in res.output


def test_cli_geirhos2019(data_dir, tmp_path):
    res = runner.invoke(app, ["behavior", "--dataset", "geirhos2019", "--n-bootstrap", "20", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "resnet50" in res.output and "Shape bias" in res.output
    sb = pd.read_csv(tmp_path / "tables" / "shape_bias.csv")
    r = sb[(sb.subject == "resnet50") & (sb.metric == "shape_bias") & (sb.category == "all")]["value"].iloc[0]
    assert r == pytest.approx(0.2207, abs=1e-3)
    assert (tmp_path / "figures" / "shape_bias.png").is_file()
