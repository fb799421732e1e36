"""The demo: the shipped demo study, made small (quick=True), end to end."""
import json

import pandas as pd
import pytest

from neurocompare.demo import demo_study_path, run_demo
from neurocompare.study import plan_study, read_study


def test_the_demo_study_runs_every_stage():
    stages = {s.name for s in plan_study(read_study(demo_study_path()))}
    assert stages == {"stimuli", "model", "extract", "probes", "rsa", "decoding", "cam", "transfer", "generation",
                      "report"}


def test_quick_demo_writes_a_study_folder(tmp_path):
    out = tmp_path / "demo"
    summary = run_demo(out, quick=True, progress=False)
    assert summary.endswith(f"Report: {out / 'report.html'}") and "category:" in summary
    for table in ("probes", "rsa", "decoding", "cam_localization", "transfer_summary", "generation_traversal"):
        assert len(pd.read_csv(out / "tables" / f"{table}.csv")) > 0, table
    for fig in ("probes_twostream", "rsa_category", "cam_scores_pointing_game", "generation_traversal_x"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 5_000 and (out / "figures" / f"{fig}.pdf").is_file()
    prov = json.loads((out / "provenance.json").read_text())
    assert "torch" in prov["versions"] and prov["config"]["resolved_config"]["analyses"]["rsa"]["n_bootstrap"] == 100
    page = (out / "report.html").read_text()
    assert "What and where in two small networks" in page and "<b>Result:</b>" in page
    again = run_demo(out, quick=True, progress=False)  # a rerun resumes: same tables
    assert again == summary
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("x")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        run_demo(mine, quick=True, progress=False)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
