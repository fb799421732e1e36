"""The command line every numbered analysis shares: ``--out DIR`` (default: a folder in the current directory).

Nothing is written next to the scripts, so they run from a read-only checkout or an installed copy.
"""
from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_ROOT = Path("neurocompare-analyses")


def parser_for(doc: str) -> argparse.ArgumentParser:
    """An argument parser whose help is the script's docstring."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def parse_args(doc: str, name: str, *, parser: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """Parse ``--out`` (and the options already on ``parser``); create ``OUT/figures`` and ``OUT/tables``.

    ``args.out`` is the absolute output folder (default ``./neurocompare-analyses/NAME``).
    """
    parser = parser or parser_for(doc)
    parser.add_argument("--out", type=Path, default=DEFAULT_ROOT / name, metavar="DIR",
                        help=f"Folder for the figures and tables (default: {DEFAULT_ROOT / name} in the current "
                             "directory).")
    args = parser.parse_args()
    out = args.out.expanduser().resolve()
    try:
        for sub in ("figures", "tables"):
            (out / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"--out {out}: cannot create the output folder ({exc.strerror or exc}); pass --out with a "
                     "folder you can write to.")
    args.out = out
    return args
