import pandas as pd
import pytest
from typer.testing import CliRunner

from neurocompare.cli import app
from neurocompare.extraction import get_layer, load

runner = CliRunner()


def test_stimuli_make_specs_and_info(tmp_path):
    res = runner.invoke(app, ["stimuli", "make", str(tmp_path / "s"), "--n-per-category", "2", "--image-size", "24",
                              "--categories", "3", "--background", "noise"])
    assert res.exit_code == 0, res.output
    assert "Wrote 6 stimuli" in res.output
    res = runner.invoke(app, ["stimuli", "info", str(tmp_path / "s")])
    assert res.exit_code == 0 and "StimulusSet" in res.output
    res = runner.invoke(app, ["stimuli", "specs"])
    assert "whatwhere-default" in res.output
    res = runner.invoke(app, ["stimuli", "make", str(tmp_path / "t"), "--background", "plaid"])
    assert res.exit_code == 1 and "Invalid value for 'background'" in res.output
    assert "Traceback" not in res.output


def test_models_list_and_layers():
    res = runner.invoke(app, ["models", "list"])
    assert res.exit_code == 0 and "twostreamnet" in res.output and "maskrcnn_resnet50_fpn" in res.output
    res = runner.invoke(app, ["models", "layers", "twostreamnet"])
    assert "where   dorsal.fc" in res.output and "what    ventral.fc" in res.output


def test_extract_command(small_set, tmp_path):
    out = tmp_path / "acts.zarr"
    res = runner.invoke(app, ["extract", "smallcnn", str(small_set.root), "--out", str(out), "--layers",
                              "block1,fc", "--reduce", "grid:2", "--option", "n_classes=6"])
    assert res.exit_code == 0, res.output
    tree = load(out)
    assert get_layer(tree, "block1").sizes["unit"] == 16 * 4
    res = runner.invoke(app, ["extract", "smallcnn", str(small_set.root), "--out", str(out), "--layers", "blok1"])
    assert res.exit_code == 1 and "Close matches: 'block1'" in res.output
    res = runner.invoke(app, ["extract", "resnet18", str(tmp_path / "missing"), "--out", str(out)])
    assert res.exit_code == 1 and "does not exist" in res.output


def test_models_train_command(small_set, tmp_path):
    res = runner.invoke(app, ["models", "train", "smallcnn", str(small_set.root), "--out", str(tmp_path / "m.pt"),
                              "--epochs", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.pt").is_file() and "validation" in res.output


@pytest.mark.parametrize("args", [["demo", "--help"], ["--help"]])
def test_help(args):
    assert runner.invoke(app, args).exit_code == 0


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
    assert res.exit_code == 1 and "Invalid value for 'method'" in res.output


def test_probe_command(train_set, trained_twostream, tmp_path):
    import neurocompare as nc

    acts = tmp_path / "acts.nc"
    nc.extract(trained_twostream, train_set, layers=["block1", "ventral.fc", "dorsal.fc"], out=acts, progress=False)
    out = tmp_path / "probe"
    res = runner.invoke(app, ["probe", str(acts), "--stimuli", str(train_set.root), "--what", "category",
                              "--where", "x", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "tables" / "probes.csv")
    assert set(table.target) == {"category", "x"} and len(set(table.layer)) == 3
    assert (out / "figures" / "profile_twostreamnet.png").is_file()
    assert (out / "figures" / "cross_readout_twostreamnet.pdf").is_file()
    res = runner.invoke(app, ["probe", str(acts), "--stimuli", str(train_set.root), "--what", "shape"])
    assert res.exit_code == 1 and "'shape' is not a stimulus factor" in res.output


def test_console_tables_show_small_p_values_as_bounds():
    import pandas as pd

    from neurocompare.cli import _table

    text = _table(pd.DataFrame({"metric": ["a", "b", "c"], "value": [0.12345, 1.0, 2.0],
                                "p": [0.0004997, 0.0312, float("nan")]}))
    assert "<0.001" in text and "0.031" in text and "NaN" in text and "0.123" in text
    assert "0.000" not in text
