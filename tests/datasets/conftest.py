"""Fixtures of the dataset tests: no network, pooch's HTTP replaced by local copies, a fresh cache."""
import shutil

import pytest

from neurocompare.datasets import REGISTRY


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Nothing in these tests may reach the network: every HTTP request fails as if offline."""
    import requests

    attempts = []

    def offline(self, request, *args, **kwargs):
        attempts.append(request.url)
        raise requests.exceptions.ConnectionError(f"offline (test): {request.url}")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", offline)
    return attempts


@pytest.fixture
def local_http(data_dir, monkeypatch):
    """pooch's HTTP downloader replaced by a copy of the registered file in the data folder; returns the URLs asked."""
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
