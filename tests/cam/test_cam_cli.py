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


def test_cam_command_scores_maps_against_fixations(small_set, tmp_path):
    meta = small_set.metadata
    # two "observers" look at the centre of each object's box
    rows = [{"stimulus": sid, "subject": s, "x": (r.bbox_x0 + r.bbox_x1) / 2 + s, "y": (r.bbox_y0 + r.bbox_y1) / 2,
             "width": 32, "height": 32} for sid, r in meta.iterrows() for s in (0, 1)]
    pd.DataFrame(rows).to_csv(tmp_path / "fix.csv", index=False)
    out = tmp_path / "cam"
    args = ["cam", "smallcnn", str(small_set.root), "--out", str(out), "--method", "eigencam", "--layer", "block3",
            "--option", "image_size=32", "--option", "n_classes=6", "--device", "cpu", "--fixations",
            str(tmp_path / "fix.csv")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and "sigma" in res.output          # a CSV carries no density width
    res = CliRunner().invoke(app, [*args, "--sigma", "2"])
    assert res.exit_code == 0, res.output
    scores = pd.read_csv(out / "fixations.csv")
    assert len(scores) == len(small_set)
    assert {"nss", "auc_judd", "auc_borji", "sauc", "cc", "sim", "kl", "ig"} <= set(scores.columns)
    assert scores["auc_judd"].mean() > 0.6                        # object-centred maps predict object-centred looks
    assert (out / "figures" / "fixation_scores.png").is_file()
    pd.DataFrame(rows).drop(columns="width").to_csv(tmp_path / "bad.csv", index=False)
    res = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "bad.csv"), "--sigma", "2", "--out",
                                   str(tmp_path / "o2")])
    assert res.exit_code == 1 and "width" in res.output


def test_cam_command_randomization_test(small_set, tmp_path):
    import neurocompare as nc

    out = tmp_path / "cam"
    args = ["cam", "smallcnn", str(small_set.root), "--out", str(out), "--method", "gradcam,eigencam", "--layer",
            "block4", "--option", "image_size=32", "--option", "n_classes=6", "--device", "cpu", "--sanity",
            "cascade"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    rand = pd.read_csv(out / "randomization.csv")
    model = nc.models.load("smallcnn", weights=None, random_state=0, image_size=32, n_classes=6)
    ref = nc.cam.randomization_test(model, small_set, method=["gradcam", "eigencam"], layer="block4",
                                    random_state=0)
    pd.testing.assert_series_equal(rand["value"], ref["value"], check_names=False)
    assert (out / "figures" / "randomization_ssim.png").is_file()
    assert "Randomisation test (cascade)" in res.output and "fc1" in res.output
    res = CliRunner().invoke(app, args[:-1] + ["bottom-up", "--overwrite"])
    assert res.exit_code == 1 and "'--sanity'" in res.output and "cascade" in res.output
