import json

import pandas as pd
import pytest

from neurocompare.demo import run_demo


def test_quick_demo_writes_results_folder(tmp_path):
    out = tmp_path / "demo"
    summary = run_demo(out, quick=True)
    assert "Held-out category accuracy" in summary
    for fig in ("stimuli", "training", "predictions", "layers_pca"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000
        assert (out / "figures" / f"{fig}.pdf").is_file()
    layers = pd.read_csv(out / "tables" / "layers.csv")
    assert set(layers.stream) == {"shared", "what", "where"}
    prov = json.loads((out / "provenance.json").read_text())
    assert "torch" in prov["versions"] and prov["config"]["quick"] is True
    assert (out / "activations.zarr" / ".zmetadata").is_file()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        run_demo(out, quick=True)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
