from typer.testing import CliRunner

from neurocompare.cli import app

runner = CliRunner()


def test_models_list_and_layers():
    res = runner.invoke(app, ["models", "list"])
    assert res.exit_code == 0 and "twostreamnet" in res.output and "maskrcnn_resnet50_fpn" in res.output
    res = runner.invoke(app, ["models", "layers", "twostreamnet"])
    assert "where   dorsal.fc" in res.output and "what    ventral.fc" in res.output


def test_models_train_command(small_set, tmp_path):
    res = runner.invoke(app, ["models", "train", "smallcnn", str(small_set.root), "--out", str(tmp_path / "m.pt"),
                              "--epochs", "1"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.pt").is_file() and "validation" in res.output
