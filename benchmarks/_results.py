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


def write_subsection(title: str, heading: str, text: str, *, before: str | None = None) -> None:
    """Replace the subsection of ``## {title}`` whose line starts with ``heading`` by ``text`` (which starts with it).

    Absent, it is inserted before the subsection starting with ``before`` (or at the end of the section).
    """
    if not RESULTS.is_file() or f"## {title}" not in RESULTS.read_text():
        write_section(title, text)
        return
    full = RESULTS.read_text()
    start = full.find(f"## {title}")
    end = full.find("\n## ", start + 3)
    end = len(full) if end < 0 else end + 1
    section = full[start:end]
    block = text.strip() + "\n\n"
    at = section.find("\n" + heading)
    if at >= 0:
        stop = section.find("\n### ", at + 1)
        stop = len(section) if stop < 0 else stop + 1
        section = section[:at + 1] + block + section[stop:]
    else:
        at = section.find("\n" + before) if before else -1
        if at >= 0:
            section = section[:at + 1] + block + section[at + 1:]
        else:
            section = section.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(full[:start] + section.rstrip("\n") + "\n" + ("\n" if end < len(full) else "") + full[end:])
