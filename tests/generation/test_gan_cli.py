"""`neurocompare gan train | axes | traverse`."""
import pandas as pd
import pytest
from typer.testing import CliRunner

import neurocompare as nc
from neurocompare.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def stim16(tmp_path_factory):
    return nc.stimuli.make_whatwhere(tmp_path_factory.mktemp("cli") / "s16", n_per_category=6, image_size=16,
                                     categories=3, random_state=0)


def test_gan_train_axes_traverse(stim16, tmp_path):
    res = runner.invoke(app, ["gan", "train", str(stim16.root), "--out", str(tmp_path / "gan"), "--epochs", "2",
                              "--latent-dim", "8", "--width", "8"])
    assert res.exit_code == 0, res.output
    assert "generator.pt" in res.output and (tmp_path / "gan" / "figures" / "history.png").is_file()
    lab = nc.models.load("twostreamnet", n_classes=3, image_size=16, width=4)
    nc.models.save(lab, tmp_path / "lab.pt")
    res = runner.invoke(app, ["gan", "axes", str(tmp_path / "gan"), "--labeler", str(tmp_path / "lab.pt"),
                              "--factors", "x", "--lock", "y,size", "--n-samples", "60", "--out", str(tmp_path / "ax")])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "ax" / "axes.csv").axis.tolist() == ["x"]
    assert (tmp_path / "ax" / "figures" / "axis_cosines.pdf").is_file()
    res = runner.invoke(app, ["gan", "traverse", str(tmp_path / "gan" / "generator.pt"), "--axes",
                              str(tmp_path / "ax"), "--factor", "x", "--labeler", str(tmp_path / "lab.pt"),
                              "--steps", "3", "--n", "2", "--out", str(tmp_path / "trav")])
    assert res.exit_code == 0, res.output
    assert "Wrote 6 stimuli" in res.output and "spearman_rho" in res.output
    assert len(nc.stimuli.load(tmp_path / "trav")) == 6


def test_gan_cli_errors(stim16, tmp_path):
    res = runner.invoke(app, ["gan", "train", str(stim16.root), "--out", str(tmp_path / "g"), "--image-size", "24"])
    assert res.exit_code == 1 and "[16, 32, 64, 128]" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["gan", "axes", str(tmp_path / "missing"), "--factors", "x"])
    assert res.exit_code == 1 and "does not exist" in res.output
    gan = nc.models.load("dcgan", image_size=16, latent_dim=8, width=8)
    nc.models.save(gan, tmp_path / "g.pt")
    res = runner.invoke(app, ["gan", "axes", str(tmp_path / "g.pt"), "--method", "tlgan", "--factors", "x"])
    assert res.exit_code == 1 and "needs a labeler" in res.output
