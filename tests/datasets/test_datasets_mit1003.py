"""MIT1003 image i210: fixations, density and the two models' maps."""
from neurocompare import datasets


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


def test_fetch_mit1003_i210_from_the_download_cache(data_dir, fresh_cache, local_http, monkeypatch):
    """Downloaded files land in <cache>/datasets/mit1003_i210/<relative path>, where the loaders find them."""
    monkeypatch.delenv("NEUROCOMPARE_DATA_DIR", raising=False)
    mit = datasets.fetch_mit1003_i210()
    assert mit.image == fresh_cache / "datasets" / "mit1003_i210" / "ALLSTIMULI" / "i210.jpg"
    assert len(mit.fixations) == 259 and mit.density.shape == (1, 675, 1024)
