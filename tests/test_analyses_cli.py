"""The numbered analyses share one command line: --out, writing nothing next to the scripts."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ANALYSES = Path(__file__).resolve().parents[1] / "analyses"
SCRIPTS = sorted(ANALYSES.glob("[0-9][0-9]_*.py"))


def _run(args, cwd):
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "MPLBACKEND": "Agg"})


def test_every_script_takes_out():
    assert len(SCRIPTS) == 12
    for script in SCRIPTS:
        text = script.read_text()
        assert "parse_args(__doc__" in text and 'Path(__file__).resolve().parent / "output"' not in text, script.name


@pytest.mark.parametrize("script", [SCRIPTS[1], SCRIPTS[8]], ids=lambda p: p.name[:2])
def test_help_names_out_and_the_default_folder(script, tmp_path):
    res = _run([script, "--help"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert "--out DIR" in res.stdout and f"neurocompare-analyses/{script.stem[:2]}" in res.stdout
    assert not (tmp_path / "neurocompare-analyses").exists()          # --help writes nothing


def test_out_that_cannot_be_created_is_a_clear_error(tmp_path):
    (tmp_path / "results.csv").write_text("a file, not a folder\n")
    res = _run([SCRIPTS[1], "--out", tmp_path / "results.csv" / "02"], tmp_path)
    assert res.returncode == 2 and "--out" in res.stderr and "folder you can write to" in res.stderr
    assert "Traceback" not in res.stderr and (tmp_path / "results.csv").read_text().startswith("a file")


def test_default_out_is_in_the_current_directory(tmp_path):
    sys.path.insert(0, str(ANALYSES))
    try:
        import _analysis_cli
    finally:
        sys.path.remove(str(ANALYSES))
    old, argv = os.getcwd(), sys.argv
    os.chdir(tmp_path)
    sys.argv = ["x.py"]
    try:
        args = _analysis_cli.parse_args("doc", "02_rsa")
    finally:
        os.chdir(old)
        sys.argv = argv
    assert args.out == (tmp_path / "neurocompare-analyses" / "02_rsa").resolve()
    assert (args.out / "figures").is_dir() and (args.out / "tables").is_dir()
