"""neurocompare run / study check / study schema / report: clear one-line errors, the same results as Python."""
import json

from typer.testing import CliRunner

from neurocompare.cli import app

runner = CliRunner()


def test_study_schema_prints_json_schema():
    res = runner.invoke(app, ["study", "schema"])
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    assert schema["title"] == "neurocompare study file" and "analyses" in schema["properties"]


def test_study_check_ok_and_dry_run(study_file):
    res = runner.invoke(app, ["study", "check", str(study_file)])
    assert res.exit_code == 0 and "OK (10 stages" in res.stdout
    res = runner.invoke(app, ["run", str(study_file), "--dry-run"])
    assert res.exit_code == 0
    assert "stimuli   shapes" in res.stdout and "16 stimuli" in res.stdout and "rsa " in res.stdout
    assert not (study_file.parent / "tiny-results").exists(), "a dry run writes nothing"


def test_study_errors_are_one_clear_message(tmp_path, study_dir, write_study):
    res = runner.invoke(app, ["study", "check", str(tmp_path / "missing.toml")])
    assert res.exit_code == 1 and "does not exist" in res.output and "Traceback" not in res.output
    bad = write_study(tmp_path, "[study]\nrandom_state = = 1\n")
    res = runner.invoke(app, ["run", str(bad)])
    assert res.exit_code == 1 and "not valid TOML" in res.output and "line 2" in res.output
    bad = write_study(study_dir, '[stimuli.shapes]\npath = "shapes"\n[models.m]\nmodel = "resnet19"\n'
                                 '[analyses.rsa]\nreferences = ["category"]\nbootstrap = "many"\n', "bad_cli.toml")
    res = runner.invoke(app, ["study", "check", str(bad)])
    assert res.exit_code == 1 and "analyses.rsa.bootstrap" in res.output and "Traceback" not in res.output


def test_report_needs_a_results_folder(tmp_path):
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 1 and "not a study results folder" in res.output and "Traceback" not in res.output
