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
    res = runner.invoke(app, ["stimuli", "specs"])
    assert "whatwhere-default" in res.output
    res = runner.invoke(app, ["stimuli", "make", str(tmp_path / "t"), "--background", "plaid"])
    assert res.exit_code == 1 and "Invalid value for '--background'" in res.output
    assert "Traceback" not in res.output
