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


def test_gan_quality_matches_the_python_api(stim16, tmp_path):
    gan = nc.models.load("dcgan", image_size=16, latent_dim=8, width=8, random_state=0)
    nc.models.save(gan, tmp_path / "g.pt")
    feat = nc.models.load("smallcnn", n_classes=3, image_size=16, width=4, random_state=0)
    nc.models.save(feat, tmp_path / "feat.pt")
    args = ["gan", "quality", str(tmp_path / "g.pt"), str(stim16.root), "--model", str(tmp_path / "feat.pt"),
            "--n-fake", "40", "--kid-subsets", "10", "--kid-subset-size", "10", "--out", str(tmp_path / "q.csv")]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    got = pd.read_csv(tmp_path / "q.csv")
    ref = nc.generation.image_quality(stim16, nc.models.load("dcgan", weights=str(tmp_path / "g.pt")),
                                      model=nc.models.load("smallcnn", weights=str(tmp_path / "feat.pt")), n_fake=40,
                                      n_subsets=10, subset_size=10, random_state=0)
    assert got.metric.tolist() == ["fid", "kid"] and got.n_fake.tolist() == [40, 40]
    assert got.n_real.tolist() == [len(stim16)] * 2
    assert got.value.to_numpy() == pytest.approx(ref.value.to_numpy(), rel=1e-6)
    assert got.value[0] > 0
    # two stimulus folders: a set against itself has FID ~ 0
    res = runner.invoke(app, ["gan", "quality", str(stim16.root), str(stim16.root), "--model", str(tmp_path / "feat.pt"),
                              "--kid-subsets", "5", "--kid-subset-size", "10", "--out", str(tmp_path / "same.csv")])
    assert res.exit_code == 0, res.output
    assert abs(pd.read_csv(tmp_path / "same.csv").value[0]) < 1e-6


def test_gan_quality_errors(stim16, tmp_path):
    res = runner.invoke(app, ["gan", "quality", str(tmp_path / "nothing"), str(stim16.root)])
    assert res.exit_code == 1 and "'FAKE'" in res.output and "does not exist" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["gan", "quality", str(stim16.root), str(stim16.root), "--model", "inception",
                              "--out", str(tmp_path / "q.csv")])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert not (tmp_path / "q.csv").exists()
