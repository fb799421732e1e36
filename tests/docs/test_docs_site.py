"""The docs site: generated references that cover the app, the build with every warning an error, a browser.

The generators (``docs/_ext/nc_docs.py``) are checked fast; the Sphinx build (about 30 s) and the page in
headless Chromium are ``slow`` (``make test-all`` or ``pytest -m slow tests/docs``).
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def _nc_docs():
    spec = importlib.util.spec_from_file_location("nc_docs", DOCS / "_ext" / "nc_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands(cmd, words):
    """Every command path of a (typer-made) click command, walked here, not by the generator."""
    yield words, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _commands(sub, (*words, name))


def test_cli_reference_covers_every_command_and_option():
    import typer

    from neurocompare.cli import app

    page = _nc_docs().write_cli_reference()
    found = list(_commands(typer.main.get_command(app), ("neurocompare",)))
    assert len(found) > 25 and ("neurocompare", "gan", "traverse") in [w for w, _ in found]
    headings = re.findall(r"^#+ `(neurocompare[^`]*)`$", page, flags=re.M)
    assert headings == [" ".join(w) for w, _ in found]  # each command once, in --help order
    sections = dict(zip(headings, re.split(r"^#+ `neurocompare[^`]*`$", page, flags=re.M)[1:]))
    for words, cmd in found:
        text = sections[" ".join(words)]
        for param in cmd.params:
            for flag in getattr(param, "opts", []):
                if flag.startswith("-"):
                    assert re.search(rf"`[^`]*{re.escape(flag)}\b", text), f"{' '.join(words)}: {flag} missing"
        assert f"Usage: {' '.join(words)}" in text


def test_gallery_and_guide_cover_every_page():
    nc_docs = _nc_docs()
    entries = nc_docs.gallery_entries()
    assert [d for d, _, _ in entries] == [f"analyses/{p.stem}" for p in sorted((DOCS / "analyses").glob("*.md"))]
    for doc, title, figure in entries:
        assert title[:2].isdigit(), doc
        assert figure and (DOCS / "analyses" / figure).resolve().is_file(), f"{doc}: no figure"
    guide = nc_docs.write_guide()
    listed = set(re.findall(r"^\.\./(\w+)$", guide, flags=re.M))
    pages = {p.stem for p in DOCS.glob("*.md")} - {"index", "getting_started"}
    assert listed == pages, f"docs/index.md's Guide list lacks {sorted(pages - listed)}"


def test_study_reference_lists_every_key():
    from neurocompare.study.schema import Extraction, ModelEntry

    page = _nc_docs().write_study_reference()
    assert page.startswith("# Study-file reference") and "\n### " not in page
    for model in (ModelEntry, Extraction):
        for key in model.model_fields:
            assert f"| `{key}` |" in page


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    for module in ("sphinx", "myst_parser", "numpydoc", "pydata_sphinx_theme"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install -e '.[docs]' (or make docs)")
    out = tmp_path_factory.mktemp("docs")
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                          "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
                         capture_output=True, text=True, timeout=900, env={**os.environ, "MPLBACKEND": "Agg"})
    assert run.returncode == 0, "the docs build has warnings (errors with -W):\n" + run.stderr[-6000:]
    return out / "html"


@pytest.mark.slow
def test_docs_build_with_no_warnings(built_site):
    assert (built_site / "index.html").is_file()
    cli = (built_site / "generated" / "cli.html").read_text()
    assert "neurocompare gan traverse" in cli and "--n-bootstrap" in cli
    assert "<code class=\"docutils literal notranslate\"><span class=\"pre\">lock</span></code>" in (
        built_site / "generated" / "study_file.html").read_text()
    api = built_site / "generated" / "api" / "neurocompare.rsa.compute_rdm.html"
    assert "Parameters" in api.read_text()
    gallery = (built_site / "generated" / "gallery.html").read_text()
    assert gallery.count("<img") == len(list((DOCS / "analyses").glob("*.md")))
    assert (built_site / "analyses" / "02_rsa.html").is_file()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("page", ["index.html", "generated/gallery.html"])
def test_docs_in_headless_chromium(chromium, built_site, tmp_path, page):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        tab = b.new_page(viewport={"width": 1200, "height": 900})
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto((built_site / page).as_uri(), wait_until="load")
        widths = tab.eval_on_selector_all("img", "els => els.map(e => e.complete ? e.naturalWidth : -1)")
        shot = tmp_path / "page.png"
        tab.screenshot(path=str(shot), full_page=True)
        b.close()
    assert errors == [], errors
    assert widths and all(w > 0 for w in widths), f"images that did not load: {widths}"
    low, high = Image.open(shot).convert("L").getextrema()
    assert low < 100 < high, "the screenshot must not be blank"
