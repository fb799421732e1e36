"""End to end on the real 92-image data: models vs human similarity judgments and human IT."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

import neurocompare as nc


@pytest.fixture(scope="module")
def k92(data_dir):
    return nc.datasets.fetch_kriegeskorte92(data_dir=data_dir)


@pytest.fixture(scope="module")
def seeded_rdms(k92, resnet18):
    acts = nc.extract(resnet18, k92.stimuli, layers=["layer1", "layer2", "layer3", "layer4", "fc"],
                      reduce="avgpool", batch_size=46, progress=False)
    return nc.rsa.compute_rdm(acts, "correlation")


def test_seeded_model_against_judgments_and_it(k92, seeded_rdms):
    assert list(seeded_rdms.stimulus_a.values) == list(k92.stimuli.ids)
    judg = nc.rsa.evaluate(seeded_rdms, k92.judgments, method="corr", n_bootstrap=200, permutations=200,
                           target="similarity judgments")
    assert list(judg.layer) == ["layer1", "layer2", "layer3", "layer4", "fc"]
    lo, hi = nc.rsa.noise_ceiling(k92.judgments, "corr")
    assert judg.noise_ceiling_lower.iloc[0] == pytest.approx(lo) and 0.4 < lo < hi < 0.8
    assert (judg.value < hi).all()  # no random network reaches the humans' ceiling
    assert np.isfinite(judg[["ci_low", "ci_high", "se", "p"]].to_numpy()).all()
    it = nc.rsa.evaluate(seeded_rdms, k92.human_it.stack(rdm=("subject", "session")), method="rho-a",
                         n_bootstrap=200, permutations=0, target="human IT")
    assert it.n.iloc[0] == 8 and np.isfinite(it.noise_ceiling_upper.iloc[0])
    single = nc.rsa.compare(seeded_rdms, k92.human_it_group, "rho-a")
    assert single.dims == ("rdm",) and np.isfinite(single.values).all()


def test_trained_builtin_and_layer_profile_figure(k92, trained_twostream, tmp_path):
    acts = nc.extract(trained_twostream, k92.stimuli, reduce="avgpool", progress=False)
    rdms = nc.rsa.compute_rdm(acts, "correlation")
    assert set(rdms.stream.values) == {"shared", "what", "where"}
    res = nc.rsa.evaluate(rdms, k92.judgments, method="corr", bootstrap="both", n_bootstrap=200, permutations=200)
    assert set(res.stream) == {"shared", "what", "where"} and (res.n == 16).all()
    ax = nc.plotting.plot_layer_profile(res, color_by="stream")
    assert ax.get_ylabel() == "RDM similarity (corr)" and len(ax.get_xticklabels()) == len(res)
    nc.plotting.save_figure(ax.figure, tmp_path / "profile")
    assert (tmp_path / "profile.png").stat().st_size > 10_000
    plt.close("all")
    choice = nc.rsa.assign_layers(rdms, k92.judgments, by="subjects", n_splits=4)
    assert len(choice) == 4 and choice.best_layer.isin(list(res.layer)).all()


def test_judgments_category_structure(k92):
    """Humans group faces with faces: within-face dissimilarity is below the between-category average."""
    g = nc.rsa.group_rdm(k92.judgments)
    face = g.face.values.astype(bool)
    m = g.values
    within = m[np.ix_(face, face)][np.triu_indices(face.sum(), 1)].mean()
    between = m[np.ix_(face, ~face)].mean()
    assert within < 0.7 * between
