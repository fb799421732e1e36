"""The tutorial script runs end to end and reproduces the numbers its docs page shows (slow: about a minute)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_rating_study_tutorial_reproduces_its_docs_numbers(tmp_path):
    res = subprocess.run([sys.executable, str(ROOT / "analyses" / "11_rating_study.py"), "--out", str(tmp_path / "o"),
                          "--docs", str(tmp_path / "docs")], cwd=tmp_path, capture_output=True, text=True,
                         timeout=900, env={**os.environ, "MPLBACKEND": "Agg"})
    assert res.returncode == 0, res.stderr[-3000:]
    rsa = pd.read_csv(tmp_path / "o" / "tables" / "rsa.csv")
    assert set(rsa.model) == {"resnet18", "alexnet", "mobilenet_v3_small"}
    assert rsa.value.between(-1, 1).all() and (rsa.ci_low <= rsa.ci_high).all()
    assert (rsa.n_pairs_min < 153).all() and (rsa.n_pairs_max <= 153).all()   # missed trials: pairwise deletion
    for name in ("11_best_layers.csv", "11_numbers.json"):
        new, shipped = tmp_path / "docs" / name, ROOT / "docs" / "images" / name
        if name.endswith(".json"):
            assert json.loads(new.read_text()) == json.loads(shipped.read_text())
        else:
            assert new.read_text() == shipped.read_text(), f"docs/images/{name} does not reproduce"
