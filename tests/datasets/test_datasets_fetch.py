"""The shared fetch machinery: the registry file, the data folder, the download (up to the network boundary)."""
import hashlib
import shutil
from pathlib import Path

import pytest

from neurocompare import datasets
from neurocompare.datasets import REGISTRY, DatasetDownloadError, fetch_files, fetch_kriegeskorte92
from neurocompare.datasets import _fetch

K92 = "kriegeskorte92"
SUPP = "Kriegeskorte_Neuron2008_supplementalData.mat"


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


def test_registry_file_is_read_alike_by_pooch(tmp_path):
    """registry.txt is a plain pooch registry: pooch's own loader gets the same hashes and addresses."""
    import pooch

    p = pooch.create(path=tmp_path, base_url="", registry=None)
    p.load_registry(_fetch._REGISTRY_FILE)
    ours = {f"{e.dataset}/{e.path}": e for entries in REGISTRY.values() for e in entries.values()}
    assert len(ours) == len(p.registry) == 5 + 12 + 6 + 377
    assert {k: f"sha256:{e.sha256}" for k, e in ours.items()} == p.registry
    assert {k: e.url for k, e in ours.items()} == p.urls
    assert list(REGISTRY) == ["kriegeskorte92", "salicon_examples", "mit1003_i210", "geirhos2019"]


def test_every_file_a_fetcher_asks_for_is_registered(data_dir, monkeypatch):
    """The fetchers ask only for registered files, and every registered file is asked for by its fetcher."""
    from neurocompare.datasets import _geirhos2019, _kriegeskorte92, _mit1003, _salicon

    asked = {name: [] for name in REGISTRY}

    def spy(dataset, paths=None, *, data_dir=None):
        files = _fetch.fetch_files(dataset, paths, data_dir=data_dir)
        asked[dataset] += list(files)
        return files

    for module in (_kriegeskorte92, _salicon, _mit1003, _geirhos2019):
        monkeypatch.setattr(module, "fetch_files", spy)
    for fetch in (datasets.fetch_kriegeskorte92, datasets.fetch_salicon_examples, datasets.fetch_mit1003_i210,
                  datasets.fetch_geirhos2019):
        fetch(data_dir=data_dir)
    for name, paths in asked.items():
        assert sorted(paths) == sorted(REGISTRY[name]), name


def test_a_bad_registry_line_is_a_clear_error(tmp_path):
    bad = tmp_path / "registry.txt"
    bad.write_text("# comment\n\nk92/LICENSE sha256:abc https://x/LICENSE\nLICENSE abc\n")
    with pytest.raises(ValueError, match=r"Invalid line 4 of .*registry\.txt.*expected '<dataset>/<path> "
                                         r"sha256:<hex> <url>'; got 'LICENSE abc'"):
        _fetch._read_registry(bad)
    bad.write_text("k92/LICENSE sha256:ABC https://x/LICENSE\n")
    assert _fetch._read_registry(bad) == {"k92": {"LICENSE": datasets.RemoteFile("k92", "LICENSE", "https://x/LICENSE",
                                                                                  "abc")}}


def test_every_dataset_has_a_description_file():
    for name in REGISTRY:
        text = _fetch.read_description(name)
        assert text == (Path(_fetch.__file__).parent / "descr" / f"{name}.md").read_text().rstrip("\n")
        assert "Please cite:\n" in text and "\n\nSource: " in text and not text.endswith("\n")
    assert _fetch.read_citation(K92).startswith("Kriegeskorte N, Mur M") and "Kiani R" in _fetch.read_citation(K92)
    assert "\n\n" not in _fetch.read_citation(K92)


# -- local folder ---------------------------------------------------------------------------------
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


@pytest.mark.parametrize("name, rel", [(K92, "LICENSE"), ("salicon_examples", "README.md"),
                                       ("mit1003_i210", "FIXATIONLOCS/i210.mat"), ("geirhos2019", "DATASET_LICENSE")])
def test_a_corrupted_local_file_fails_its_hash_check(name, rel, data_dir, tmp_path):
    target = tmp_path / name / rel
    target.parent.mkdir(parents=True)
    data = bytearray((data_dir / name / rel).read_bytes())
    data[10] ^= 0xFF
    target.write_bytes(bytes(data))
    entry = REGISTRY[name][rel]
    got = hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(ValueError) as err:
        fetch_files(name, [rel], data_dir=tmp_path)
    assert str(err.value) == (
        f"The file {str(target)!r} of dataset {name!r} does not match its known sha256: expected {entry.sha256}; "
        f"got {got}. It is corrupted or another version; replace it with a fresh copy of {entry.url}.")


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


# -- download -------------------------------------------------------------------------------------
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
