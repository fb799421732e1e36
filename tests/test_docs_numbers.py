"""The docs' generated numbers: every marked table and value matches the analyses' own output in docs/images."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("fill_numbers", ROOT / "docs" / "_tools" / "fill_numbers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_page_matches_the_scripts_output():
    tool = _tool()
    stale = [p.relative_to(ROOT) for p in tool.pages()
             if tool.fill(p.read_text(encoding="utf-8"), ROOT / "docs" / "images", page=str(p.relative_to(ROOT)))
             != p.read_text(encoding="utf-8")]
    assert not stale, f"run `python docs/_tools/fill_numbers.py`: out of date {stale}"


def test_the_generated_pages_have_their_markers():
    text = (ROOT / "docs" / "analyses" / "03_probes.md").read_text(encoding="utf-8")
    assert "<!-- table 03_stream_experiment.csv -->" in text and "03_numbers.json identity_p" in text
    assert "<!-- table 01_heldout_summary.csv -->" in (ROOT / "docs" / "analyses" / "01_whatwhere.md").read_text()


def test_fill_rewrites_tables_and_values(tmp_path):
    tool = _tool()
    (tmp_path / "t.csv").write_text("model,value,note\na,0.50,x|y\nb,-1.25,\n", encoding="utf-8")
    (tmp_path / "n.json").write_text(json.dumps({"p": "p = 0.03"}), encoding="utf-8")
    page = ("Intro (<!-- value n.json p -->p = 0.5<!-- /value -->).\n\n<!-- table t.csv -->\n| stale |\n"
            "<!-- /table -->\nEnd.\n")
    out = tool.fill(page, tmp_path)
    assert "(<!-- value n.json p -->p = 0.03<!-- /value -->)" in out
    assert ("<!-- table t.csv -->\n| model | value | note |\n|---|---:|---|\n| a | 0.50 | x\\|y |\n"
            "| b | -1.25 |  |\n<!-- /table -->\nEnd.") in out
    assert tool.fill(out, tmp_path) == out


def test_missing_files_and_keys_say_what_to_run(tmp_path):
    tool = _tool()
    with pytest.raises(FileNotFoundError, match=r"page.md: the table x.csv is not in .*--docs docs/images"):
        tool.fill("<!-- table x.csv -->\n<!-- /table -->", tmp_path, page="page.md")
    (tmp_path / "n.json").write_text("{\"a\": \"1\"}")
    with pytest.raises(KeyError, match=r"has no value 'b'; it has \['a'\]"):
        tool.fill("<!-- value n.json b -->?<!-- /value -->", tmp_path)
