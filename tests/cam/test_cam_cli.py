"""`neurocompare cam`."""
from __future__ import annotations

import pandas as pd
import xarray as xr
from typer.testing import CliRunner

from neurocompare.cli import app


def test_cam_command_writes_maps_scores_and_figures(small_set, tmp_path):
    out = tmp_path / "cam"
    res = CliRunner().invoke(app, ["cam", "smallcnn", str(small_set.root), "--out", str(out), "--method",
                                   "gradcam,eigencam", "--method", "Grad-CAM++", "--layer", "block4",
                                   "--option", "image_size=32", "--option", "n_classes=6", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    for stem in ("gradcam_block4", "eigencam_block4", "gradcampp_block4"):
        maps = xr.open_dataarray(out / "maps" / f"{stem}.nc", engine="h5netcdf")
        assert maps.shape == (len(small_set), 32, 32)
        assert (out / "figures" / f"overlay_{stem}.png").is_file()
    scores = pd.read_csv(out / "localization.csv")
    assert len(scores) == 3 * 3 * len(small_set)
    assert set(scores["method"]) == {"gradcam", "eigencam", "gradcam++"}
    assert (out / "localization_summary.csv").is_file()
    assert (out / "figures" / "scores_pointing_game.pdf").is_file()
    assert "pointing_game" in res.output


def test_cam_command_errors(small_set, tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["cam", "smallcnn", str(small_set.root), "--out", str(tmp_path / "o"), "--method",
                              "gradkam"])
    assert res.exit_code == 1 and "Did you mean 'gradcam'" in res.output
    res = runner.invoke(app, ["cam", "smallcnn", str(small_set.root), "--out", str(tmp_path / "o"), "--target",
                              "dog"])
    assert res.exit_code == 1 and "'--target'" in res.output
    res = runner.invoke(app, ["cam", "smallcnn", str(small_set.root), "--out", str(tmp_path / "o"), "--layer", "fc1",
                              "--option", "image_size=32", "--device", "cpu"])
    assert res.exit_code == 1 and "no spatial grid" in res.output
    assert not (tmp_path / "o").exists()
