"""A tiny study on disk: 16 shapes, two small nets, made-up ratings."""
import textwrap

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def study_dir(tmp_path_factory):
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
