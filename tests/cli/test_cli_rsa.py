import pandas as pd
from typer.testing import CliRunner

from neurocompare.cli import app

runner = CliRunner()


def test_rsa_command(small_set, tmp_path):
    import numpy as np

    import neurocompare as nc

    acts = tmp_path / "acts.zarr"
    res = runner.invoke(app, ["extract", "smallcnn", str(small_set.root), "--out", str(acts), "--layers",
                              "block2,fc", "--option", "n_classes=6"])
    assert res.exit_code == 0, res.output
    rng = np.random.default_rng(0)
    subj = np.stack([nc.rsa.compute_rdm(rng.normal(size=(len(small_set), 5)), "euclidean").values for _ in range(3)])
    np.save(tmp_path / "ref.npy", subj)
    out = tmp_path / "rsa"
    res = runner.invoke(app, ["rsa", str(acts), "--reference", str(tmp_path / "ref.npy"), "--n-bootstrap", "50",
                              "--permutations", "50", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "tables" / "rsa.csv")
    assert list(table.layer) == ["block2", "fc"] and (table.n == 3).all()
    assert (out / "figures" / "layer_profile.png").is_file() and "Noise ceiling" in res.output
    res = runner.invoke(app, ["rsa", str(acts), "--reference", str(tmp_path / "ref.npy"), "--method", "pearson"])
    assert res.exit_code == 1 and "Invalid value for '--method'" in res.output
    res = runner.invoke(app, ["rsa", str(acts), "--reference", str(tmp_path / "ref.npy"), "--rdm-method", "corelation"])
    assert res.exit_code == 1 and "Invalid value for '--rdm-method'" in res.output and "'correlation'?" in res.output
