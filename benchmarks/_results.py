"""Writing one section of benchmarks/RESULTS.md (replacing it if present)."""
from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(title: str, body: str) -> None:
    """Replace (or append) the section ``## {title}`` of RESULTS.md with ``body``."""
    text = RESULTS.read_text() if RESULTS.is_file() else "# Benchmark results\n\n"
    head = f"## {title}"
    section = head + "\n\n" + body.strip() + "\n"
    start = text.find(head)
    if start >= 0:
        end = text.find("\n## ", start + len(head))
        text = text[:start] + section + (text[end:] if end >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)
