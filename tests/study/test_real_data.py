"""Studies on the real human datasets (skipped when ../shared/data is absent)."""
import pandas as pd
import pytest

from neurocompare.study import read_study, run_study


@pytest.mark.slow
def test_geirhos_behavior_study(data_dir, tmp_path, write_study):
    path = write_study(tmp_path, """
[stimuli.edges]
dataset = "geirhos2019"
part = "edge"

[models.cnn]
model = "smallcnn"
train_on = "edges"
epochs = 2
options = { image_size = 32 }

[human.people]
dataset = "geirhos2019"
stimuli = "edges"

[analyses.behavior]
trials = "people"
n_bootstrap = 200
""")
    out = run_study(path, progress=False)
    summary = pd.read_csv(out / "tables" / "behavior_consistency.csv")
    acc = pd.read_csv(out / "tables" / "behavior_accuracy.csv")
    humans = acc[acc.group == "human"]
    assert humans["subject"].nunique() == 10
    assert abs(humans["value"].mean() - 0.871) < 0.005  # the paper's human accuracy on edges
    trials = pd.read_csv(out / "tables" / "behavior_model_trials.csv")
    assert len(trials) == 160 and set(trials["condition"]) == {"edge"}
    assert "cnn" in set(summary["subject"]) and summary["value"].between(-1, 1).all()
    page = (out / "report.html").read_text()
    assert "Models and people, trial by trial" in page and "Error consistency" in page


@pytest.mark.slow
def test_kriegeskorte92_rsa_study_with_random_weights(data_dir, tmp_path):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "studies" / "kriegeskorte92_rsa.toml").read_text()
    text = text.replace('weights = "DEFAULT"\n', "")  # offline: seeded random networks (the control)
    for model in ("vgg16", "resnet50"):
        text = text.replace(f'[models.{model}]\nmodel = "{model}"\n', "")
    text = text.replace("n_bootstrap = 1000", "n_bootstrap = 20").replace("permutations = 1000", "permutations = 0")
    path = tmp_path / "k92.toml"
    path.write_text(text)
    assert list(read_study(path).config.models) == ["alexnet"]
    out = run_study(path, progress=False)
    rsa = pd.read_csv(out / "tables" / "rsa.csv")
    assert set(rsa.target) == {"judgments", "it", "animal"}
    judged = rsa[rsa.target == "judgments"]
    assert judged["n"].eq(16).all() and judged["n_stimuli"].eq(92).all()
    assert judged["noise_ceiling_lower"].notna().all()
