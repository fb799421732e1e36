"""Geirhos et al. (2019): stimuli, human and CNN trials, cue conflict."""
import hashlib

import pytest

from neurocompare.datasets import REGISTRY, DatasetDownloadError

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
