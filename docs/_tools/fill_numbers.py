"""Write the analyses' numbers into the docs pages, so that none is typed by hand.

A page marks a generated table, or a generated value inside a sentence::

    <!-- table 03_stream_experiment.csv -->
    | ... |            (rewritten from docs/images/03_stream_experiment.csv)
    <!-- /table -->

    ... is ahead on identity (<!-- value 03_numbers.json identity_p -->p = 0.11<!-- /value -->) ...

The CSV and JSON files come from the analyses scripts run with ``--docs docs/images``; they hold the cells
and values exactly as the page shows them. Run ``python docs/_tools/fill_numbers.py`` to rewrite the pages,
``--check`` to list the pages that are out of date (exit status 1), as the test suite does.
"""
from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]
TABLE = re.compile(r"<!-- table (?P<file>[\w.-]+\.csv) -->\n(?P<body>.*?)<!-- /table -->", re.S)
VALUE = re.compile(r"<!-- value (?P<file>[\w.-]+\.json) (?P<key>[\w.-]+) -->(?P<text>.*?)<!-- /value -->", re.S)
_NUMBER = re.compile(r"^[-+\u2212]?\d[\d,]*(\.\d+)?(e[-+]?\d+)?$", re.I)


def render_table(path: Path) -> str:
    """A Markdown table of the CSV's cells as written; numeric columns right-aligned."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path}: empty table")
    head, body = rows[0], rows[1:]
    numeric = [bool(body) and all(_NUMBER.match(r[i].strip()) for r in body if r[i].strip()) for i in range(len(head))]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    return "\n".join(lines) + "\n"


def fill(text: str, images: Path, *, page: str = "page") -> str:
    """The page's text with every marked table and value regenerated from ``images``."""
    def table(m):
        path = images / m["file"]
        if not path.is_file():
            raise FileNotFoundError(f"{page}: the table {m['file']} is not in {images}; run the analysis script "
                                    "that writes it with --docs docs/images")
        return f"<!-- table {m['file']} -->\n{render_table(path)}<!-- /table -->"

    cache: dict[str, dict] = {}

    def value(m):
        path = images / m["file"]
        if m["file"] not in cache:
            if not path.is_file():
                raise FileNotFoundError(f"{page}: the numbers file {m['file']} is not in {images}; run the "
                                        "analysis script that writes it with --docs docs/images")
            cache[m["file"]] = json.loads(path.read_text(encoding="utf-8"))
        numbers = cache[m["file"]]
        if m["key"] not in numbers:
            raise KeyError(f"{page}: {m['file']} has no value {m['key']!r}; it has {sorted(numbers)}")
        return f"<!-- value {m['file']} {m['key']} -->{numbers[m['key']]}<!-- /value -->"

    return VALUE.sub(value, TABLE.sub(table, text))


def pages(docs: Path = DOCS) -> list[Path]:
    return sorted(p for p in docs.rglob("*.md") if "_build" not in p.parts)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale, errors = [], []
    for path in pages():
        old = path.read_text(encoding="utf-8")
        try:
            new = fill(old, DOCS / "images", page=f"docs/{path.relative_to(DOCS)}")
        except (FileNotFoundError, KeyError) as exc:
            errors.append(str(exc).strip("\"'"))
            continue
        if new != old:
            stale.append(path.relative_to(DOCS))
            if not check:
                path.write_text(new, encoding="utf-8")
    verb = "out of date" if check else "rewritten"
    print("\n".join(f"{verb}: docs/{p}" for p in stale) or "every page is up to date")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 2
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
