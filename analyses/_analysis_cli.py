"""The command line every numbered analysis shares: ``--out DIR`` (default: a folder in the current directory).

Nothing is written next to the scripts, so they run from a read-only checkout or an installed copy, unless
``--docs DIR`` is given: then the figures, tables and numbers that the script's docs page shows are also
written there (``--docs docs/images`` regenerates the docs' copies; ``python docs/_tools/fill_numbers.py``
then writes the numbers into the pages, so no number in the docs is typed by hand).
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
    parser.add_argument("--docs", type=Path, default=None, metavar="DIR",
                        help="Also write the figures, tables and numbers the docs page shows into DIR "
                             "(docs/images for the docs' own copies).")
    args = parser.parse_args()
    out = args.out.expanduser().resolve()
    try:
        for sub in ("figures", "tables"):
            (out / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"--out {out}: cannot create the output folder ({exc.strerror or exc}); pass --out with a "
                     "folder you can write to.")
    args.out = out
    if args.docs is not None:
        args.docs = args.docs.expanduser().resolve()
        try:
            args.docs.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            parser.error(f"--docs {args.docs}: cannot create the folder ({exc.strerror or exc}).")
    return args


def publish(args: argparse.Namespace, prefix: str, *, figures=(), tables=None, numbers=None) -> None:
    """With ``--docs DIR``: copy ``figures`` (names in OUT/figures, PNG) and write ``tables`` and ``numbers``.

    Files are named ``PREFIX_NAME``: ``tables`` maps a name to a DataFrame of the cells exactly as the page
    shows them (formatted strings), written as ``PREFIX_NAME.csv``; ``numbers`` maps a key to the text the
    page quotes, written as ``PREFIX_numbers.json``. Without ``--docs`` nothing happens.
    """
    import json
    import shutil

    if args.docs is None:
        return
    for name in figures:
        shutil.copy(args.out / "figures" / f"{name}.png", args.docs / f"{prefix}_{name}.png")
    for name, df in (tables or {}).items():
        df.to_csv(args.docs / f"{prefix}_{name}.csv", index=False)
    if numbers:
        text = json.dumps({k: str(v) for k, v in numbers.items()}, indent=1, ensure_ascii=False)
        (args.docs / f"{prefix}_numbers.json").write_text(text + "\n", encoding="utf-8")
    print(f"Wrote the docs' copies to {args.docs}")
