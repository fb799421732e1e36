import pytest
from typer.testing import CliRunner

from neurocompare.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args", [["demo", "--help"], ["--help"]])
def test_help(args):
    assert runner.invoke(app, args).exit_code == 0


def test_console_tables_show_small_p_values_as_bounds():
    import pandas as pd

    from neurocompare.cli._app import _table

    text = _table(pd.DataFrame({"metric": ["a", "b", "c"], "value": [0.12345, 1.0, 2.0],
                                "p": [0.0004997, 0.0312, float("nan")]}))
    assert "<0.001" in text and "0.031" in text and "NaN" in text and "0.123" in text
    assert "0.000" not in text


def _params(*path):
    """The click parameters of a command, e.g. ``_params("stimuli", "make")``."""
    import typer

    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]
    return cmd.params


def test_help_lists_the_commands_in_order():
    import typer

    assert list(typer.main.get_command(app).commands) == ["run", "report", "demo", "extract", "rsa", "probe",
                                                          "behavior", "cam", "transfer", "stimuli", "models",
                                                          "cyclegan", "gan", "study"]


def test_every_command_reports_errors():
    import typer

    from neurocompare.cli._app import _Command

    def leaves(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs is None:
            yield " ".join(path), cmd
        for name, sub in (subs or {}).items():
            yield from leaves(sub, path + [name])

    found = dict(leaves(typer.main.get_command(app), []))
    assert len(found) == 23 and "gan quality" in found and "study check" in found
    assert [name for name, cmd in found.items() if not isinstance(cmd, _Command)] == []


def test_command_modules_import_only_the_app():
    import ast
    from pathlib import Path

    import neurocompare.cli

    folder = Path(neurocompare.cli.__file__).parent
    modules = sorted(p for p in folder.glob("_*.py") if p.stem not in ("_app", "__init__", "__main__"))
    assert len(modules) == 12
    for path in modules:
        siblings = [(node.module, [a.name for a in node.names]) for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.ImportFrom) and node.level == 1]
        assert siblings == [("_app", siblings[0][1])], (path.name, siblings)


def test_user_error_is_one_line_in_the_commands_words(tmp_path):
    res = runner.invoke(app, ["stimuli", "make", str(tmp_path / "t"), "--background", "plaid"])
    assert res.exit_code == 1
    assert res.output == ("Error: Invalid value for '--background': expected one of 'blank', 'noise', 'texture'; "
                          "got 'plaid'.\n")


def test_overwrite_true_becomes_the_flag(tmp_path):
    args = ["stimuli", "make", str(tmp_path / "s"), "--n-per-category", "1", "--categories", "2", "--image-size", "16"]
    assert runner.invoke(app, args).exit_code == 0
    res = runner.invoke(app, args)
    assert res.exit_code == 1
    assert res.output == (f"Error: Invalid value for 'OUT': the folder {str(tmp_path / 's')!r} already exists. "
                          "Choose another path, or pass --overwrite to replace it.\n")


def test_os_error_names_the_file(tmp_path):
    (tmp_path / "afile").write_text("")
    res = runner.invoke(app, ["stimuli", "make", str(tmp_path / "afile" / "s"), "--n-per-category", "1"])
    assert res.exit_code == 1
    assert res.output == (f"Error: Invalid value for 'OUT': {str(tmp_path / 'afile' / 's')!r} cannot be written "
                          f"because {str(tmp_path / 'afile')!r} is a file, not a folder. Choose another path.\n")


def test_error_from_inside_numpy_is_reported_as_a_bug(monkeypatch, tmp_path):
    import numpy as np

    import neurocompare.stimuli

    monkeypatch.setattr(neurocompare.stimuli, "load", lambda path: np.linspace(0, 1, num="many"))
    res = runner.invoke(app, ["stimuli", "info", str(tmp_path)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[0] == ("This looks like a bug in neurocompare or an input it does not check yet; please report it "
                        "with the traceback below.")
    assert "Traceback (most recent call last):" in lines and lines[-1].startswith("TypeError: ")
    assert "numpy" in res.output and "Error:" not in res.output.split("Traceback")[0]


def test_value_error_counts_as_a_user_error_only_when_raised_by_neurocompare(monkeypatch, tmp_path):
    import neurocompare.stimuli

    def outside(path):
        raise ValueError("Invalid value for 'path': raised outside neurocompare")

    monkeypatch.setattr(neurocompare.stimuli, "load", outside)
    res = runner.invoke(app, ["stimuli", "info", str(tmp_path)])
    assert res.exit_code == 1 and res.output.startswith("This looks like a bug")
    assert res.output.rstrip().endswith("ValueError: Invalid value for 'path': raised outside neurocompare")


def test_message_of_os_errors_and_key_errors():
    from neurocompare.cli._app import _message

    assert _message(FileNotFoundError(2, "No such file or directory", "trials.csv")) == \
        "No such file or directory: 'trials.csv'"
    assert _message(OSError(18, "Invalid cross-device link", "a.csv", None, "b.csv")) == \
        "Invalid cross-device link: 'a.csv' -> 'b.csv'"
    assert _message(FileExistsError("'out' exists; pass --overwrite.")) == "'out' exists; pass --overwrite."
    assert _message(KeyError("no layer 'fc9'")) == "no layer 'fc9'"
    assert _message(ValueError()) == "ValueError"


def test_readers_errors_are_user_errors():
    import csv
    import pickle

    import PIL.Image
    import scipy.io.matlab

    from neurocompare.cli._app import _is_user_error

    for err in (csv.Error("Could not determine delimiter"), pickle.UnpicklingError("bad"), ConnectionError("offline"),
                ModuleNotFoundError("No module named 'h5netcdf'"), PIL.UnidentifiedImageError("x.png"),
                PIL.Image.DecompressionBombError("too big"), scipy.io.matlab.MatReadError("not a .mat"),
                PermissionError(13, "Permission denied", "x.csv")):
        assert _is_user_error(err), err
    assert not _is_user_error(ValueError("never raised, so raised by nobody"))
    assert not _is_user_error(MemoryError())


def test_parameter_names_become_flags():
    from neurocompare.cli._app import _in_cli_words

    rsa = _params("rsa")
    assert _in_cli_words("Invalid value for 'n_bootstrap': got n_bootstrap=0; \"rdm_method\" too", rsa) == \
        "Invalid value for '--n-bootstrap': got --n-bootstrap 0; \"--rdm-method\" too"
    # only whole names of this command's parameters, quoted or followed by '='
    assert _in_cli_words("'random_state', the_seed=1, seed==1, n_bootstrap, 'n_bootstraps'", rsa) == \
        "'random_state', the_seed=1, seed==1, n_bootstrap, 'n_bootstraps'"
    assert _in_cli_words("'activations' and 'reference'", rsa) == "'ACTIVATIONS' and '--reference'"
    make = _params("stimuli", "make")
    assert _in_cli_words("pass overwrite=True or overwrite=False", make) == "pass --overwrite or --no-overwrite"
    assert _in_cli_words("Invalid value for 'out'", make) == "Invalid value for 'OUT'"
    assert _in_cli_words("'stimuli_path'", _params("models", "train")) == "'STIMULI'"
    assert _in_cli_words("'stimuli_path'", _params("probe")) == "'--stimuli'"
    assert _in_cli_words("'all_layers'", _params("models", "layers")) == "'--all'"


def test_column_names_and_received_values_are_not_flags():
    from neurocompare.cli._app import _in_cli_words

    rsa = _params("rsa")
    assert _in_cli_words("Invalid values in column 'rating' (parameter 'rating'): expected numbers; got 'x' in "
                         "rows 2. Try data.dropna(subset=['rating']).", rsa) == \
        "Invalid values in column 'rating' (parameter '--rating'): expected numbers; got 'x' in rows 2. Try " \
        "data.dropna(subset=['rating'])."
    assert _in_cli_words("Invalid value for 'stimulus_a': no column 'stimulus_a'; the columns are 'x', 'y' and "
                         "'subject'. Did you mean one of the columns 'stimulus', 'trial'? (its columns: ['y'])",
                         rsa) == \
        "Invalid value for '--stimulus-a': no column 'stimulus_a'; the columns are 'x', 'y' and 'subject'. Did " \
        "you mean one of the columns 'stimulus', 'trial'? (its columns: ['y'])"
    assert _in_cli_words("Invalid values for 'stimulus_a' and 'stimulus_b': both name the column 'x'", rsa) == \
        "Invalid values for '--stimulus-a' and '--stimulus-b': both name the column 'x'"
