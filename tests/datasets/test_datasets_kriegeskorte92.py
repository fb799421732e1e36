"""Kriegeskorte et al. (2008): the 92 images, the judgment, IT and model RDMs, the cached stimulus folder."""
import os
from pathlib import Path

import numpy as np
import pytest

from neurocompare.datasets import fetch_kriegeskorte92

K92 = "kriegeskorte92"
SUPP = "Kriegeskorte_Neuron2008_supplementalData.mat"


@pytest.fixture(scope="module")
def k92(data_dir):
    return fetch_kriegeskorte92(data_dir=data_dir)


def _mat(data_dir, name):
    from scipy.io import loadmat

    return loadmat(data_dir / K92 / name, squeeze_me=True, struct_as_record=False)


# -- kriegeskorte92: content -----------------------------------------------------------------------
def test_stimuli_ids_factors_and_pixels(k92, data_dir):
    stim = k92.stimuli
    assert len(stim) == 92
    assert list(stim.ids) == [f"s{i:02d}" for i in range(1, 93)]
    md = stim.metadata
    assert md["category"].value_counts().to_dict() == {
        "natural inanimate": 23, "artificial inanimate": 21, "human bodypart": 12, "human face": 12,
        "nonhuman bodypart": 12, "nonhuman face": 12}
    assert md["category"].iloc[0] == "human bodypart" and md["category"].iloc[-1] == "artificial inanimate"
    assert (md["animacy"] == "animate").sum() == 48 and md["animate"].sum() == 48 and md["inanim"].sum() == 44
    assert md["face"].sum() == 24 and md["human"].sum() == 24 and md["animal"].sum() == 48
    assert md["natural"].sum() == 71 and md["body"].sum() == 24 and md["monkeyape"].sum() == 7
    assert {"nonhumani", "natobj", "artiobj", "rand24", "rand48", "other48"} <= set(md.columns)
    assert stim.what == ("category", "animacy", "human", "face", "animal", "natural") and stim.where == ()
    # the cache, never the repository
    assert Path(os.environ["NEUROCOMPARE_CACHE_DIR"]) in stim.root.parents
    objs = _mat(data_dir, SUPP)["stimuli_92objs"]
    assert [o.category for o in objs] == list(md["category"])
    for i in range(92):
        img = stim.load_image(i)
        assert img.size == (175, 175)
        np.testing.assert_array_equal(np.asarray(img), objs[i].image)


def test_judgments(k92, data_dir):
    j = k92.judgments
    assert j.dims == ("subject", "stimulus_a", "stimulus_b") and j.shape == (16, 92, 92)
    assert list(j["subject"].values) == [f"subject{i}" for i in range(1, 17)]
    assert list(j["stimulus_a"].values) == list(k92.stimuli.ids) == list(j["stimulus_b"].values)
    assert list(j["category"].values) == list(k92.stimuli.metadata["category"])
    assert j["face"].values.sum() == 24
    m = j.values
    assert not np.isnan(m).any()
    np.testing.assert_array_equal(m, np.swapaxes(m, -1, -2))
    assert np.all(np.diagonal(m, axis1=1, axis2=2) == 0)
    raw = _mat(data_dir, "92_behavRDMs.mat")["rdms_behav_92"]
    assert float(j.sel(subject="subject4", stimulus_a="s11", stimulus_b="s51")) == raw[3].RDM[10, 50]
    assert float(j[0, 0, 1]) == pytest.approx(0.025375314041887868, abs=0)
    assert "Mur" in j.attrs["description"] + j.attrs["citation"]


def test_human_it_and_group_vector_order(k92, data_dir):
    from scipy.spatial.distance import squareform

    h = k92.human_it
    assert h.dims == ("subject", "session", "stimulus_a", "stimulus_b") and h.shape == (4, 2, 92, 92)
    assert list(h["subject"].values) == ["BE", "KO", "SN", "TI"] and list(h["session"].values) == [1, 2]
    raw = _mat(data_dir, "92_brainRDMs.mat")["RDMs"]
    np.testing.assert_array_equal(h.sel(subject="SN", session=2).values, raw[2, 1].RDM.astype(float))
    assert not np.isnan(h.values).any()
    np.testing.assert_array_equal(h.values, np.swapaxes(h.values, -1, -2))

    # The group vectors are in scipy squareform order (row-major upper triangle): unpacked that way the
    # human IT vector is exactly the mean of the 8 single-session RDMs, the monkey IT vector the monkeyIT
    # model RDM; unpacked as a row-major *lower* triangle they are unrelated.
    group = {g.name: g.RDM for g in _mat(data_dir, SUPP)["RDMs_mIT_hIT_fig1"]}
    vec = group["hITvisStim_316vx"]
    assert vec.shape == (4186,)
    mean = h.values.mean(axis=(0, 1))
    np.testing.assert_allclose(squareform(vec), mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(k92.human_it_group.values, mean, rtol=0, atol=1e-12)
    wrong = np.zeros((92, 92))
    wrong[np.tril_indices(92, -1)] = vec
    iu = np.triu_indices(92, 1)
    assert abs(np.corrcoef((wrong + wrong.T)[iu], mean[iu])[0, 1]) < 0.1
    np.testing.assert_array_equal(k92.monkey_it.values, squareform(group["mIT_674neurons"]))
    np.testing.assert_array_equal(k92.monkey_it.values, k92.models.sel(model="monkeyIT").values)
    assert k92.monkey_it.dims == ("stimulus_a", "stimulus_b")
    assert list(k92.monkey_it["stimulus_a"].values) == list(k92.stimuli.ids)


def test_models_description_and_files(k92, data_dir):
    assert k92.models.dims == ("model", "stimulus_a", "stimulus_b")
    assert list(k92.models["model"].values) == ["animacy", "FaceBodyManmadeNatobj", "monkeyIT", "EVA", "HMAX",
                                                 "V1", "Silhouette", "RADON"]
    for rdm in (k92.models, k92.human_it_group, k92.monkey_it):
        assert not np.isnan(rdm.values).any()
        np.testing.assert_array_equal(rdm.values, np.swapaxes(rdm.values, -1, -2))
    for text in ("Kriegeskorte", "Neuron", "Mur", "MIT"):
        assert text in k92.description
    assert k92.files[SUPP] == data_dir / K92 / SUPP
    assert "92 stimuli" in repr(k92)


# -- kriegeskorte92: caching -----------------------------------------------------------------------
def test_second_call_reuses_the_cached_pngs(k92, data_dir):
    pngs = sorted(k92.stimuli.root.glob("*.png"))
    assert len(pngs) == 92
    before = {p: p.stat().st_mtime_ns for p in [*pngs, k92.stimuli.root / "stimuli.csv"]}
    again = fetch_kriegeskorte92(data_dir=data_dir)
    assert again.stimuli.root == k92.stimuli.root
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert list(again.stimuli.metadata.columns) == list(k92.stimuli.metadata.columns)


def test_incomplete_cache_is_rebuilt_and_nothing_half_written(data_dir, fresh_cache):
    first = fetch_kriegeskorte92(data_dir=data_dir)
    root = first.stimuli.root
    assert root.parent == fresh_cache / "datasets" / K92
    (root / "s05.png").unlink()
    again = fetch_kriegeskorte92(data_dir=data_dir)
    assert (root / "s05.png").is_file() and len(again.stimuli) == 92
    assert [p.name for p in root.parent.iterdir() if p.name.startswith(".")] == []
