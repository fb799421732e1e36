from typer.testing import CliRunner

from neurocompare.cli import app
from neurocompare.extraction import get_layer, load

runner = CliRunner()


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


def test_extract_option_resize_fixes_mixed_sizes(tmp_path):
    import numpy as np
    import pandas as pd
    from PIL import Image

    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate([(64, 80), (80, 64), (72, 72)]):
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(tmp_path / f"im{i}.png")
    pd.DataFrame({"file": [f"im{i}.png" for i in range(3)]}).to_csv(tmp_path / "stimuli.csv", index=False)
    base = ["extract", "lraspp_mobilenet_v3_large", str(tmp_path), "--layers", "backbone.3",
            "--option", "resize_size=32"]
    res = runner.invoke(app, base + ["--out", str(tmp_path / "a.nc")])
    assert res.exit_code == 1
    assert "different sizes" in res.output and "--option resize=HxW" in res.output
    assert "--batch-size 1" in res.output  # the Python names are shown as the command's flags
    res = runner.invoke(app, base + ["--out", str(tmp_path / "b.nc"), "--option", "resize=48x40"])
    assert res.exit_code == 0, res.output
    tree = load(tmp_path / "b.nc")
    assert get_layer(tree, "backbone.3").sizes == {"stimulus": 3, "unit": 24 * 8 * 10}
    assert '"resize": [48, 40]' in tree["/lraspp_mobilenet_v3_large"].attrs["config"]
    res = runner.invoke(app, base + ["--out", str(tmp_path / "c.nc"), "--option", "resize=48by40"])
    assert res.exit_code == 1 and "Invalid value for '--option resize'" in res.output and "'48by40'" in res.output


def test_extract_scheduler_errors_name_the_flag(small_set, tmp_path):
    base = ["extract", "smallcnn", str(small_set.root), "--layers", "fc"]
    res = runner.invoke(app, base + ["--out", str(tmp_path / "a.zarr"), "--scheduler", "bogus"])
    assert res.exit_code != 0 and "Invalid value for '--scheduler'" in res.output and "'local'" in res.output
    res = runner.invoke(app, base + ["--out", str(tmp_path / "b.zarr"), "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code != 0 and "no dask scheduler answered at 'tcp://127.0.0.1:9'" in res.output
    assert "dask scheduler" in res.output and not (tmp_path / "b.zarr").exists()
