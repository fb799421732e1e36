"""Shared fixtures: small seeded stimulus sets, trained built-in nets, an isolated cache."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    os.environ.setdefault("NEUROCOMPARE_DATA_DIR", str((REPO / ".." / "shared" / "data").resolve()))
    os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Trained weights, generated stimuli and torch hub files go to a throw-away folder."""
    root = tmp_path_factory.mktemp("cache")
    old = {k: os.environ.get(k) for k in ("NEUROCOMPARE_CACHE_DIR", "TORCH_HOME")}
    os.environ["NEUROCOMPARE_CACHE_DIR"] = str(root / "neurocompare")
    os.environ["TORCH_HOME"] = str(root / "torch")
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def data_dir():
    """The real human datasets (../shared/data); tests using it skip when it is absent."""
    path = Path(os.environ["NEUROCOMPARE_DATA_DIR"])
    if not path.is_dir():
        pytest.skip(f"NEUROCOMPARE_DATA_DIR={path} does not exist; real-data tests skipped")
    return path


@pytest.fixture(scope="session")
def small_set(tmp_path_factory):
    """6 categories x 4 stimuli, 32 px, blank background."""
    from neurocompare.stimuli import make_whatwhere

    return make_whatwhere(tmp_path_factory.mktemp("stim") / "small", n_per_category=4, image_size=32,
                          categories=6, random_state=0)


@pytest.fixture(scope="session")
def train_set(tmp_path_factory):
    """6 categories x 30 stimuli, 32 px: enough to train the built-in nets in seconds."""
    from neurocompare.stimuli import make_whatwhere

    return make_whatwhere(tmp_path_factory.mktemp("stim") / "train", n_per_category=30, image_size=32,
                          categories=6, random_state=1)


@pytest.fixture(scope="session")
def test_set(tmp_path_factory):
    """Held-out stimuli from the same distribution as ``train_set`` (another seed)."""
    from neurocompare.stimuli import make_whatwhere

    return make_whatwhere(tmp_path_factory.mktemp("stim") / "test", n_per_category=5, image_size=32,
                          categories=6, random_state=2)


@pytest.fixture(scope="session")
def trained_unet(train_set):
    from neurocompare.models import train

    return train("unet", train_set, epochs=15, options={"image_size": 32}, progress=False)


@pytest.fixture(scope="session")
def trained_twostream(train_set):
    from neurocompare.models import train

    return train("twostreamnet", train_set, epochs=15, options={"image_size": 32}, progress=False)


@pytest.fixture(scope="session")
def resnet18():
    from neurocompare.models import load

    return load("resnet18", random_state=0)


@pytest.fixture(scope="session")
def trained_smallcnn(train_set):
    """A SmallCNN trained briefly on ``train_set`` (32 px; about 15 s on 2 cores)."""
    from neurocompare.models import train

    return train("smallcnn", train_set, epochs=15, options={"image_size": 32}, progress=False, random_state=0)


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for modules of tiny nets: threads gain nothing there and stall on a busy CPU (restored)."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="session")
def synthetic_fixations():
    """Builds a fixation table: ``n_fix`` fixations per image, all drawn from the same centre bias (seeded)."""
    import numpy as np
    import pandas as pd

    from neurocompare.saliency import make_center_bias

    def make(n_images=6, shape=(40, 50), n_fix=30, seed=0):
        rng = np.random.default_rng(seed)
        cb = make_center_bias(shape)
        rows = []
        for i in range(n_images):
            idx = rng.choice(cb.size, size=n_fix, p=cb.ravel())
            y, x = np.unravel_index(idx, shape)
            rows.append(pd.DataFrame({"stimulus": f"img{i}", "subject": "s", "x": x.astype(float),
                                      "y": y.astype(float), "width": shape[1], "height": shape[0]}))
        table = pd.concat(rows, ignore_index=True)
        table.attrs["sigma"] = 2.0
        return table

    return make


@pytest.fixture(scope="session")
def face_ratings(tmp_path_factory):
    """The psychologist's rating study: a folder of class subfolders (``images/face/face_01.png``, ...; ids
    ``face/face_01``), and 1-7 similarity ratings of file names (``face_01.png``) in the lab's own columns
    ``stim_a, stim_b, rating, subject``: ``ratings.csv`` complete, ``ratings_missed.csv`` with empty cells."""
    import types

    import numpy as np
    import pandas as pd
    from PIL import Image

    root = tmp_path_factory.mktemp("faces")
    rng = np.random.default_rng(7)
    names = []
    for category, level in (("face", 60), ("house", 190)):
        (root / "images" / category).mkdir(parents=True)
        for i in range(1, 4):
            pixels = np.clip(level + rng.normal(0, 40, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / "images" / category / f"{category}_{i:02d}.png")
            names.append(f"{category}_{i:02d}.png")
    rows = []
    for s in ("p1", "p2", "p3"):
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                same = a[:4] == b[:4]
                rows.append({"stim_a": a, "stim_b": b,
                             "rating": int(np.clip(round((6 if same else 2) + rng.normal(0, 1)), 1, 7)),
                             "subject": s})
    table = pd.DataFrame(rows)
    table.to_csv(root / "ratings.csv", index=False)
    missed = table.copy()
    missed.loc[[3, 20, 31], "rating"] = None  # one missed trial per subject (rows 0-14 are p1, ...)
    missed.to_csv(root / "ratings_missed.csv", index=False)
    return types.SimpleNamespace(root=root, images=root / "images", ratings=root / "ratings.csv",
                                 missed=root / "ratings_missed.csv", table=table, missed_table=missed)


# -- study files (tests/study, tests/cli): a tiny study on disk, 16 shapes, two small nets, made-up ratings --



@pytest.fixture(scope="session")
def study_dir(tmp_path_factory):
    import numpy as np
    import pandas as pd

    from neurocompare.stimuli import make_whatwhere

    root = tmp_path_factory.mktemp("study")
    st = make_whatwhere(root / "shapes", n_per_category=4, image_size=32, categories=4, random_state=0)
    rng = np.random.default_rng(0)
    ids, rows = list(st.ids), []
    for s in range(3):
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                same = st.metadata.loc[a, "category"] == st.metadata.loc[b, "category"]
                rows.append({"stim_a": f"{a}.png", "stim_b": f"{b}.png", "subject": f"s{s}",
                             "rating": float(np.clip(round((6 if same else 2) + rng.normal(0, 1)), 1, 7))})
    pd.DataFrame(rows).to_csv(root / "ratings.csv", index=False)
    return root


STUDY = """
[study]
title = "Tiny study"
description = "Two small nets against made-up similarity ratings."
random_state = 0

[stimuli.shapes]
path = "shapes"

[models.cnn]
model = "smallcnn"
train_on = "shapes"
epochs = 2
options = { image_size = 32 }

[models.random]
model = "smallcnn"
layers = ["block2", "fc"]
options = { image_size = 32, n_classes = 4 }

[human.judgments]
ratings = "ratings.csv"
stimuli = "shapes"
stimulus_a = "stim_a"
stimulus_b = "stim_b"
kind = "similarity"
scale = [1, 7]

[extraction]
reduce = "avgpool"

[analyses.probes]
what = ["category"]
where = ["x"]
cv = 2

[analyses.rsa]
references = ["judgments", "category"]
n_bootstrap = 50
permutations = 20

[analyses.decoding]
targets = ["identity", "size"]
cv = 2

[analyses.cam]
models = ["cnn"]
n_bootstrap = 100
"""


@pytest.fixture(scope="session")
def study_file(study_dir):
    path = study_dir / "tiny.toml"
    path.write_text(textwrap.dedent(STUDY))
    return path


@pytest.fixture(scope="session")
def write_study():
    """``write(folder, text, name)``: a study file ``text`` in ``folder`` (for the bad-input tests)."""
    def write(folder, text, name="s.toml"):
        path = folder / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture(scope="session")
def chromium():
    """The system Chromium (Debian's package) for the ``browser`` tests; they skip, saying why, without it."""
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); browser check skipped")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    return browser


@pytest.fixture
def interrupt_extraction(monkeypatch):
    """``with interrupt_extraction(n):`` extraction stops (KeyboardInterrupt, as a kill would) right after its
    n-th progress write; the store's writer is restored when the block ends."""
    import contextlib

    from neurocompare.extraction import _store

    @contextlib.contextmanager
    def after(n_writes: int):
        real = _store.ZarrStore.set_progress
        calls = {"n": 0}

        def interrupted(self, *args, **kwargs):
            real(self, *args, **kwargs)
            calls["n"] += 1
            if calls["n"] == n_writes:
                raise KeyboardInterrupt

        monkeypatch.setattr(_store.ZarrStore, "set_progress", interrupted)
        try:
            yield
        finally:
            monkeypatch.setattr(_store.ZarrStore, "set_progress", real)

    return after


@pytest.fixture(scope="module")
def dask_client():
    """A dask LocalCluster of 2 worker processes, 1 thread each (one per test module; closed after)."""
    distributed = pytest.importorskip("distributed")

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
