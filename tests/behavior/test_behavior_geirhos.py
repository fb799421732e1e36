"""The real data of Geirhos et al. (2019): CNNs against the 10 humans; the shape-bias headline."""
import numpy as np
import pandas as pd
import pytest

from neurocompare import behavior as B
from neurocompare.datasets import fetch_geirhos2019

PAPER_CNNS = ["alexnet", "googlenet", "vgg", "resnet50"]


@pytest.fixture(scope="module")
def g19(data_dir):
    return fetch_geirhos2019(data_dir=data_dir)


def _raw(data_dir, exp, who):
    raw = pd.read_csv(data_dir / "geirhos2019/raw-data" / exp / f"{exp.split('-trained')[0]}_{who}_session_1.csv",
                      keep_default_na=False)
    raw["stim"] = raw["imagename"].str.split("_").str[-1].str.replace(".png", "")
    return raw.set_index("stim").sort_index()


def test_accuracy_matches_the_raw_csvs(g19, data_dir):
    acc = pd.concat([B.accuracy(g19.humans, n_bootstrap=0), B.accuracy(g19.models, n_bootstrap=0)])
    acc = acc.set_index(["subject", "condition"])["value"]
    for exp, cond in (("edge-experiment", "edge"), ("silhouette-filled-experiment", "silhouette")):
        for who in ["subject-01", "subject-09", "alexnet", "vgg"]:
            raw = _raw(data_dir, exp, who)
            assert acc[(who, cond)] == pytest.approx((raw["object_response"] == raw["category"]).mean(), abs=1e-12)
    # humans beat every CNN on both, and edges are hard for the CNNs (Geirhos et al. 2019, fig. 2)
    human = acc.loc[[f"subject-{i:02d}" for i in range(1, 11)]]
    assert human.xs("edge", level=1).mean() == pytest.approx(0.8713, abs=1e-3)
    assert human.xs("silhouette", level=1).mean() == pytest.approx(0.7531, abs=1e-3)
    for cnn in PAPER_CNNS:
        assert acc[(cnn, "edge")] < 0.5 and acc[(cnn, "edge")] < human.xs("edge", level=1).min()
    assert acc[("resnet50", "edge")] == pytest.approx(29 / 160)


def test_error_consistency_against_a_direct_computation(g19, data_dir):
    tab = B.consistency_table(g19.models, g19.humans, n_bootstrap=200, random_state=0)
    assert set(tab["pair"]) == {"model-human", "human-human", "model-model"}
    assert (tab["n"] == 160).all()
    per = tab.groupby(["pair", "condition"]).size().to_dict()
    assert per[("human-human", "edge")] == 45 and per[("model-human", "edge")] == 50
    # one pair by hand from the raw files, matched on the image name
    a, h = _raw(data_dir, "edge-experiment", "alexnet"), _raw(data_dir, "edge-experiment", "subject-03")
    ca, ch = (a["object_response"] == a["category"]).to_numpy(), (h["object_response"] == h["category"]).to_numpy()
    obs = np.mean(ca == ch)
    exp = ca.mean() * ch.mean() + (1 - ca.mean()) * (1 - ch.mean())
    row = tab[(tab.subject_a == "alexnet") & (tab.subject_b == "subject-03") & (tab.condition == "edge")].iloc[0]
    assert row["observed"] == pytest.approx(obs, abs=1e-12) and row["kappa"] == pytest.approx((obs - exp) / (1 - exp))
    assert row["ci_low"] <= row["kappa"] <= row["ci_high"]
    # people agree with each other on which edge images they get wrong; the CNNs do not agree with people
    s = B.summarize_consistency(tab).set_index(["subject", "condition"])
    assert s.loc[("humans", "edge"), "value"] == pytest.approx(0.318, abs=0.002)
    assert s.loc[("humans", "silhouette"), "value"] == pytest.approx(0.476, abs=0.002)
    for cnn in PAPER_CNNS:
        assert s.loc[(cnn, "edge"), "value"] < 0.12 < s.loc[("humans", "edge"), "value"]
        assert s.loc[(cnn, "edge"), "value"] > 0  # above chance, though
    # but the CNNs agree with each other
    mm = tab[(tab.pair == "model-model") & (tab.condition == "edge")].set_index(["subject_a", "subject_b"])["kappa"]
    assert mm[("googlenet", "vgg")] > 0.5


def test_shape_bias_headline(g19):
    cue = g19.cue_conflict
    assert len(cue[cue.subject == "subject-01"]) == 1280 and cue["observer"].value_counts()["human"] == 12800
    sb = B.shape_bias(cue, n_bootstrap=500, random_state=0)
    sb = sb[sb.metric == "shape_bias"].set_index("subject")
    humans = sb.loc[[f"subject-{i:02d}" for i in range(1, 11)], "value"]
    assert (sb["n"] == 1200).all()  # 80 of the 1280 images have the same shape and texture category
    # Geirhos et al. (2019), fig. 4: humans 95.9% shape decisions, ResNet-50 22.1%, VGG-16 17.2%, AlexNet 42.9%,
    # GoogLeNet 31.2%; ResNet-50 trained on Stylized-ImageNet 81%
    assert humans.mean() == pytest.approx(0.959, abs=0.005) and humans.min() > 0.9
    assert sb.loc["resnet50", "value"] == pytest.approx(0.221, abs=0.005)
    assert sb.loc["resnet50", "ci_high"] < 0.5 < humans.min()
    assert sb.loc["vgg", "value"] == pytest.approx(0.172, abs=0.005)
    assert sb.loc["alexnet", "value"] == pytest.approx(0.429, abs=0.005)
    assert sb.loc["googlenet", "value"] == pytest.approx(0.312, abs=0.005)
    assert sb.loc["resnet50-train-60-epochs", "value"] == pytest.approx(0.81, abs=0.01)


def test_stimuli_and_trials_line_up(g19):
    for exp in ("edge", "silhouette"):
        stim = g19.stimuli[exp]
        assert len(stim) == 160 and stim.metadata["category"].value_counts().eq(10).all()
        shown = set(g19.humans.loc[g19.humans.condition == exp, "stimulus"])
        assert shown == set(stim.ids)
        img = stim.load_image("cat1")
        assert img.size == (224, 224)
    assert "Geirhos" in g19.description and "CC-BY" in g19.description
    assert "10 subjects" in repr(g19)
