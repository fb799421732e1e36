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
