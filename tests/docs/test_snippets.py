"""Every ```python block of the README and docs/ runs, so what the docs promise and what the code does cannot drift.

A page's blocks run in order in one namespace, in a temporary working folder, with the
datasets read from ``NEUROCOMPARE_DATA_DIR``. A block whose first line is
``# doctest: skip (why)`` is not run: a sketch whose names stand for the reader's data, or a
block that downloads weights, needs a GPU or trains for minutes; the reason is required.
Pages that train or extract for more than a few seconds are ``slow``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "analyses").glob("*.md"))]
SKIP = re.compile(r"^# doctest: skip(?: \((?P<why>.+)\))?\s*$")
#: pages whose runnable blocks take over 10 s (a 92-image extraction, training on the default spec)
SLOW = {"docs/rsa.md", "docs/analyses/04_cam.md"}


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of every fenced ```python block of a Markdown text."""
    blocks, current, start = [], None, 0
    for i, line in enumerate(text.splitlines(), 1):
        if current is None and line.strip() == "```python":
            current, start = [], i + 1
        elif current is not None and line.strip() == "```":
            blocks.append((start, "\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def skip_reason(code: str) -> str | None:
    first = code.lstrip("\n").split("\n", 1)[0]
    m = SKIP.match(first)
    return None if m is None else (m["why"] or "")


def _rel(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


RUNNABLE = [p for p in PAGES if any(skip_reason(c) is None for _, c in python_blocks(p.read_text(encoding="utf-8")))]


def test_the_pages_have_python_blocks():
    assert len(RUNNABLE) >= 4
    assert sum(len(python_blocks(p.read_text(encoding="utf-8"))) for p in PAGES) >= 25


def test_every_skip_says_why():
    for page in PAGES:
        for line, code in python_blocks(page.read_text(encoding="utf-8")):
            if "doctest: skip" in code:
                why = skip_reason(code)
                assert why, f"{_rel(page)}:{line}: '# doctest: skip (reason)' must be the block's first line, with a reason"


def test_python_blocks_parses_fences():
    text = "a\n```python\nx = 1\n```\n```bash\nls\n```\n```python\n# doctest: skip (why)\ny\n```\n"
    assert python_blocks(text) == [(3, "x = 1"), (9, "# doctest: skip (why)\ny")]
    assert skip_reason(python_blocks(text)[1][1]) == "why"


@pytest.mark.parametrize("page", [pytest.param(p, id=_rel(p), marks=[pytest.mark.slow] if _rel(p) in SLOW else [])
                                  for p in RUNNABLE])
def test_snippets_run(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not os.environ.get("NEUROCOMPARE_DATA_DIR"):
        data = ROOT.parent / "shared" / "data"
        if data.is_dir():
            monkeypatch.setenv("NEUROCOMPARE_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    try:
        for line, code in python_blocks(page.read_text(encoding="utf-8")):
            if skip_reason(code) is not None:
                continue
            data = Path(os.environ.get("NEUROCOMPARE_DATA_DIR", "/nonexistent"))
            if "nc.datasets.fetch_" in code and not data.is_dir():
                pytest.skip(f"{_rel(page)}:{line} reads a public dataset and NEUROCOMPARE_DATA_DIR={data} does not "
                            "exist (offline, nothing can be fetched)")
            try:
                exec(compile(code, f"{_rel(page)}:{line}", "exec"), namespace)
            except Exception as err:  # name the block, so the page is easy to fix
                raise AssertionError(f"the block at {_rel(page)}:{line} failed: {type(err).__name__}: {err}") from err
    finally:
        plt.close("all")
