from typer.testing import CliRunner

from neurocompare.cli import app

runner = CliRunner()


def test_stimuli_make_specs_and_info(tmp_path):
    res = runner.invoke(app, ["stimuli", "make", str(tmp_path / "s"), "--n-per-category", "2", "--image-size", "24",
                              "--categories", "3", "--background", "noise"])
    assert res.exit_code == 0, res.output
    assert "Wrote 6 stimuli" in res.output
    res = runner.invoke(app, ["stimuli", "info", str(tmp_path / "s")])
    assert res.exit_code == 0 and "StimulusSet" in res.output
    assert "Image size (height x width): 24x24 px, all 6 images." in res.output
    assert "Colour modes: RGB (6)" in res.output
    res = runner.invoke(app, ["stimuli", "specs"])
    assert "whatwhere-default" in res.output
    res = runner.invoke(app, ["stimuli", "make", str(tmp_path / "t"), "--background", "plaid"])
    assert res.exit_code == 1 and "Invalid value for '--background'" in res.output
    assert "Traceback" not in res.output


def test_stimuli_info_shows_mixed_sizes_and_modes(tmp_path):
    from PIL import Image

    (tmp_path / "a").mkdir()
    for i, (size, mode) in enumerate([((10, 8), "RGB"), ((10, 8), "L"), ((12, 6), "RGB")]):
        Image.new(mode, size).save(tmp_path / "a" / f"{i}.png")
    res = runner.invoke(app, ["stimuli", "info", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "Image sizes (height x width): 2 different; height 6-8 px, width 10-12 px; most common 8x10 (2), 6x12 (1)" \
        in res.output
    assert "--option resize=HxW" in res.output
    assert "Colour modes: RGB (2), L (1); every image is converted to RGB" in res.output
