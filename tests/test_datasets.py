"""Dataset fetchers: real data from ../shared/data; the download path is tested up to the network boundary."""
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from neurocompare import datasets
from neurocompare.datasets import REGISTRY, DatasetDownloadError, fetch_files, fetch_kriegeskorte92

K92 = "kriegeskorte92"
SUPP = "Kriegeskorte_Neuron2008_supplementalData.mat"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Nothing in this file may reach the network: every HTTP request fails as if offline."""
    import requests

    attempts = []

    def offline(self, request, *args, **kwargs):
        attempts.append(request.url)
        raise requests.exceptions.ConnectionError(f"offline (test): {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", offline)
    return attempts


@pytest.fixture
def local_http(data_dir, monkeypatch):
    """pooch's HTTP downloader replaced by a copy of the registered file from the data folder; returns the URLs asked."""
    import pooch

    by_url = {e.url: data_dir / e.dataset / e.path for files in REGISTRY.values() for e in files.values()}
    calls = []

    def fake_download(self, url, output_file, pooch_obj, check_only=False):
        calls.append(url)
        shutil.copyfile(by_url[url], output_file)

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", fake_download)
    return calls


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("NEUROCOMPARE_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(scope="module")
def k92(data_dir):
    return fetch_kriegeskorte92(data_dir=data_dir)


def _mat(data_dir, name):
    from scipy.io import loadmat

    return loadmat(data_dir / K92 / name, squeeze_me=True, struct_as_record=False)


# -- registry -------------------------------------------------------------------------------------
def test_registry_urls_are_pinned_and_hashes_match_the_local_copies(data_dir):
    assert set(REGISTRY[K92]) == {"92_behavRDMs.mat", "92_brainRDMs.mat", "92_modelRDMs.mat", SUPP, "LICENSE"}
    commit = "f1f83cadb7243492a1aae7460466e0f0140b20ac"
    assert REGISTRY[K92]["LICENSE"].url == f"https://raw.githubusercontent.com/rsagroup/rsatoolbox/{commit}/LICENSE"
    assert REGISTRY[K92][SUPP].url == ("https://raw.githubusercontent.com/rsagroup/rsatoolbox/"
                                       f"{commit}/demos/92imageData/{SUPP}")
    for name, entries in REGISTRY.items():
        for rel, entry in entries.items():
            assert entry.dataset == name and entry.path == rel
            owner, repo, pinned = entry.url.split("/")[3:6]
            assert entry.url.startswith("https://raw.githubusercontent.com/") and len(pinned) == 40
            assert len(entry.sha256) == 64
            local = data_dir / name / rel
            if local.is_file():
                assert hashlib.sha256(local.read_bytes()).hexdigest() == entry.sha256, local


def test_fetch_files_reads_the_data_dir(data_dir, _no_network):
    files = fetch_files(K92, ["LICENSE", "92_brainRDMs.mat"], data_dir=data_dir)
    assert list(files) == ["LICENSE", "92_brainRDMs.mat"]
    assert files["LICENSE"] == data_dir / K92 / "LICENSE"
    assert "MIT License" in files["LICENSE"].read_text()
    assert fetch_files(K92, "LICENSE") == {"LICENSE": data_dir / K92 / "LICENSE"}  # from NEUROCOMPARE_DATA_DIR
    assert _no_network == []


def test_invalid_arguments(data_dir, tmp_path):
    with pytest.raises(ValueError, match="Invalid value for 'dataset'.*'kriegeskorte92'.*got 'kriegeskorte'"):
        fetch_files("kriegeskorte", data_dir=data_dir)
    with pytest.raises(KeyError, match="92_brainRDMs.mat"):
        fetch_files(K92, ["92_brainRDM.mat"], data_dir=data_dir)
    with pytest.raises(FileNotFoundError, match="Invalid value for 'data_dir'.*nope"):
        fetch_kriegeskorte92(data_dir=tmp_path / "nope")


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


# -- errors ---------------------------------------------------------------------------------------
def test_sha256_mismatch(data_dir, tmp_path, monkeypatch):
    local = tmp_path / K92
    shutil.copytree(data_dir / K92, local)
    target = local / "92_behavRDMs.mat"
    target.chmod(0o644)
    data = bytearray(target.read_bytes())
    data[1000] ^= 0xFF
    target.write_bytes(bytes(data))
    monkeypatch.setenv("NEUROCOMPARE_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=r"92_behavRDMs\.mat.*does not match its known sha256.*"
                                         + REGISTRY[K92]["92_behavRDMs.mat"].sha256):
        fetch_kriegeskorte92()


def test_missing_file(data_dir, tmp_path, monkeypatch):
    (tmp_path / K92).mkdir()
    shutil.copy(data_dir / K92 / "LICENSE", tmp_path / K92 / "LICENSE")
    monkeypatch.setenv("NEUROCOMPARE_DATA_DIR", str(tmp_path))
    expected = str(tmp_path / K92 / "92_behavRDMs.mat")
    with pytest.raises(FileNotFoundError, match="NEUROCOMPARE_DATA_DIR") as err:
        fetch_kriegeskorte92()
    assert expected in str(err.value) and REGISTRY[K92]["92_behavRDMs.mat"].url in str(err.value)
    # pointing at the dataset folder itself gets a hint
    with pytest.raises(FileNotFoundError, match="pass its parent"):
        fetch_files(K92, ["LICENSE"], data_dir=data_dir / K92)


def test_offline_download_error(fresh_cache, monkeypatch, _no_network):
    monkeypatch.delenv("NEUROCOMPARE_DATA_DIR", raising=False)
    with pytest.raises(DatasetDownloadError) as err:
        fetch_kriegeskorte92()
    assert isinstance(err.value, ConnectionError)
    entry = REGISTRY[K92]["92_behavRDMs.mat"]
    msg = str(err.value)
    assert _no_network == [entry.url]  # pooch really tried, and only that address
    assert entry.url in msg
    assert str(fresh_cache / "datasets" / K92 / "92_behavRDMs.mat") in msg
    assert "NEUROCOMPARE_DATA_DIR=/path/to/folder" in msg and f"/path/to/folder/{K92}/" in msg
    assert not (fresh_cache / "datasets" / K92 / "92_behavRDMs.mat").exists()


def test_download_into_cache_then_reuse(data_dir, fresh_cache, local_http, monkeypatch):
    """The pooch path, with the HTTP downloader replaced by a copy of the local file."""
    import pooch

    monkeypatch.delenv("NEUROCOMPARE_DATA_DIR", raising=False)
    calls = local_http
    files = fetch_files(K92, ["LICENSE", "92_brainRDMs.mat"])
    assert files["LICENSE"] == fresh_cache / "datasets" / K92 / "LICENSE"
    assert files["LICENSE"].read_bytes() == (data_dir / K92 / "LICENSE").read_bytes()
    assert len(calls) == 2
    fetch_files(K92, ["LICENSE", "92_brainRDMs.mat"])
    assert len(calls) == 2  # re-used, not downloaded again

    # a corrupted download is rejected and leaves nothing behind
    def bad_download(self, url, output_file, pooch_obj, check_only=False):
        Path(output_file).write_bytes(b"not the file")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", bad_download)
    with pytest.raises(ValueError, match="does not match its known sha256"):
        fetch_files(K92, [SUPP])
    assert not (fresh_cache / "datasets" / K92 / SUPP).exists()


# -- human fixations: salicon_examples and mit1003_i210 ---------------------------------------------
def test_fetch_salicon_examples(data_dir):
    from neurocompare.datasets import fetch_salicon_examples

    sal = fetch_salicon_examples(data_dir=data_dir)
    assert len(sal.images) == 10 and all(p.is_file() for p in sal.images.values())
    assert set(sal.fixations.stimulus) == set(sal.images)
    assert len(sal.fixations) == 73630 and sal.sigma == 19.0 and sal.fixations.attrs["sigma"] == 19.0
    assert list(sal.fixations.columns[:6]) == ["stimulus", "subject", "x", "y", "width", "height"]
    assert "Jiang M" in sal.description and "b4a7af9" in sal.description
    assert set(sal.files) == set(REGISTRY["salicon_examples"])
    assert "10 images" in repr(sal)


def test_fetch_mit1003_i210(data_dir, monkeypatch):
    from neurocompare.datasets import fetch_mit1003_i210

    monkeypatch.setenv("NEUROCOMPARE_DATA_DIR", str(data_dir))
    mit = fetch_mit1003_i210()
    assert len(mit.fixations) == 259 and set(mit.fixations.stimulus) == {"i210"}
    assert mit.density.shape == (1, 675, 1024) and mit.models.dims == ("model", "y", "x")
    assert list(mit.models.model.values) == ["Judd", "IttiKoch"] and mit.models.shape == (2, 675, 1024)
    assert 0 <= float(mit.models.min()) and float(mit.models.max()) <= 1
    assert mit.image == data_dir / "mit1003_i210" / "ALLSTIMULI" / "i210.jpg" and mit.sigma == 24.0
    assert "Judd T" in mit.description and "Itti L" in mit.description


@pytest.mark.parametrize("name, first", [("salicon_examples", "README.md"), ("mit1003_i210", "ALLSTIMULI/i210.jpg")])
def test_fixation_fetchers_offline_error(name, first, fresh_cache, monkeypatch, _no_network):
    fetch = {"salicon_examples": datasets.fetch_salicon_examples, "mit1003_i210": datasets.fetch_mit1003_i210}[name]
    monkeypatch.delenv("NEUROCOMPARE_DATA_DIR", raising=False)
    with pytest.raises(DatasetDownloadError) as err:
        fetch()
    entry = REGISTRY[name][first]
    msg = str(err.value)
    assert _no_network == [entry.url] and entry.url in msg
    assert str(fresh_cache / "datasets" / name / first) in msg and f"/path/to/folder/{name}/" in msg
    assert not (fresh_cache / "datasets" / name / first).exists()


def test_fetch_mit1003_i210_from_the_download_cache(data_dir, fresh_cache, local_http, monkeypatch):
    """Downloaded files land in <cache>/datasets/mit1003_i210/<relative path>, where the loaders find them."""
    monkeypatch.delenv("NEUROCOMPARE_DATA_DIR", raising=False)
    mit = datasets.fetch_mit1003_i210()
    assert mit.image == fresh_cache / "datasets" / "mit1003_i210" / "ALLSTIMULI" / "i210.jpg"
    assert len(mit.fixations) == 259 and mit.density.shape == (1, 675, 1024)


# -- geirhos2019 --------------------------------------------------------------------------------------
G19 = "geirhos2019"


def test_geirhos2019_registry_matches_the_shared_folder(data_dir):
    entries = REGISTRY[G19]
    local = sorted(p.relative_to(data_dir / G19).as_posix() for p in (data_dir / G19).rglob("*") if p.is_file())
    assert sorted(entries) == local and len(entries) == 377
    commit = "ccd0c01d42c0a8a834e90ec141e7f24fa915dc23"
    base = f"https://raw.githubusercontent.com/rgeirhos/texture-vs-shape/{commit}/"
    assert entries["stimuli/edges/cat/cat1.png"].url == base + "stimuli/edges/cat/cat1.png"
    rel = "raw-data/edge-experiment/edge-experiment_subject-01_session_1.csv"
    assert entries[rel].url == base + rel
    assert entries["DATASET_LICENSE"].url == base + "DATASET_LICENSE"
    assert sum(p.startswith("stimuli/edges/") for p in entries) == 160
    assert sum(p.startswith("raw-data/") for p in entries) == 56
    for rel in ("DATASET_LICENSE", "stimuli/filled-silhouettes/truck/truck7.png",
                "raw-data/style-transfer-512-nomask-experiment-trained-CNNs/"
                "style-transfer-512-nomask-experiment_resnet50_session-1.csv"):
        assert hashlib.sha256((data_dir / G19 / rel).read_bytes()).hexdigest() == entries[rel].sha256


def test_geirhos2019_fetch_subset(data_dir, _no_network):
    from neurocompare.datasets import fetch_geirhos2019

    g = fetch_geirhos2019(data_dir=data_dir, experiments="edge")
    assert list(g.stimuli) == ["edge"] and g.cue_conflict is None
    assert set(g.humans["condition"]) == {"edge"} and g.humans["subject"].nunique() == 10
    assert sorted(g.models["subject"].unique()) == ["alexnet", "googlenet", "resnet50", "resnet50-train-60-epochs",
                                                    "vgg"]
    assert all(p.startswith(("stimuli/edges/", "raw-data/edge-experiment", "DATASET_LICENSE")) for p in g.files)
    assert g.stimuli["edge"].root == data_dir / G19 / "stimuli" / "edges"  # read in place, nothing copied
    assert _no_network == []
    with pytest.raises(ValueError, match="Invalid value for 'experiments'.*'cue-conflict'.*got 'cue'"):
        fetch_geirhos2019(data_dir=data_dir, experiments=["cue"])


def test_geirhos2019_offline_download_error(fresh_cache, monkeypatch, _no_network):
    from neurocompare.datasets import fetch_geirhos2019

    monkeypatch.delenv("NEUROCOMPARE_DATA_DIR", raising=False)
    with pytest.raises(DatasetDownloadError) as err:
        fetch_geirhos2019(experiments=["edge"])
    entry = REGISTRY[G19]["DATASET_LICENSE"]
    assert _no_network == [entry.url]
    msg = str(err.value)
    assert entry.url in msg and f"/path/to/folder/{G19}/" in msg
    assert str(fresh_cache / "datasets" / G19 / "DATASET_LICENSE") in msg


def test_geirhos2019_download_into_cache(data_dir, fresh_cache, local_http, monkeypatch):
    """The pooch path (HTTP replaced by a copy of the local file) for the cue-conflict experiment."""
    from neurocompare.datasets import fetch_geirhos2019

    monkeypatch.delenv("NEUROCOMPARE_DATA_DIR", raising=False)
    calls = local_http
    g = fetch_geirhos2019(experiments=["cue-conflict"])
    assert len(calls) == 1 + 13 + 13 and g.stimuli == {} and g.humans is None
    assert g.cue_conflict["subject"].nunique() == 26
    assert g.files["DATASET_LICENSE"] == fresh_cache / "datasets" / G19 / "DATASET_LICENSE"
    fetch_geirhos2019(experiments=["cue-conflict"])
    assert len(calls) == 27  # re-used
