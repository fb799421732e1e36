"""The files of a StimulusSet folder: images, ``stimuli.csv`` and the ``stimuli.toml`` sidecar (no StimulusSet here)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._utils.logging import logger

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
CSV_NAME = "stimuli.csv"
TOML_NAME = "stimuli.toml"


def _check_image_header(path: Path) -> str | None:
    """None if the file decodes as an image, otherwise the reason it does not.

    The pixels are decoded, not only the header: a truncated JPEG or PNG fails here, at
    loading, rather than in the middle of an extraction.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        return str(err) or type(err).__name__
    return None


def read_toml(path: Path) -> dict:
    """Read a TOML file (a stimulus sidecar or spec), with a clear error when it is not valid TOML.

    Parameters
    ----------
    path : path-like
        The TOML file.

    Returns
    -------
    dict
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"The sidecar file {str(path)!r} is not valid TOML: {err}.") from None


def read_table(csv: Path):
    from .._utils.tables import SEPARATORS, read_csv_table

    md = read_csv_table(csv, what="The stimulus table", dtype={"stimulus_id": str, "file": str, "mask_file": str,
                                                               "category": str, "identity": str},
                        keep_default_na=False, na_values=[""])
    sep = md.attrs.get("separator", ",")
    streams: dict[str, list[str]] = {"what": [], "where": []}
    renames = {}
    for col in md.columns:
        prefix, _, rest = str(col).partition(":")
        if rest and prefix in streams:
            renames[col] = rest
            streams[prefix].append(rest)
    md = md.rename(columns=renames)
    what, where = streams["what"] or None, streams["where"] or None
    if "file" not in md.columns:
        raise ValueError(f"The stimulus table {str(csv)!r} is missing the required column 'file' "
                         f"(image paths relative to the folder); read with the {SEPARATORS[sep]} ({sep!r}) "
                         f"separator found on its header line, its columns are {list(md.columns)}. Name the "
                         "column of image paths 'file' and separate the columns with commas, semicolons, tabs or pipes.")
    if len(md) == 0:
        raise ValueError(f"The stimulus table {str(csv)!r} has a header but no rows.")
    empty = md.index[md["file"].isna()]
    if len(empty):
        rows = [int(i) + 2 for i in empty[:5]]
        raise ValueError(f"The stimulus table {str(csv)!r} has an empty 'file' on line(s) {rows}.")
    if "stimulus_id" not in md.columns:
        md.insert(0, "stimulus_id", [Path(f).stem for f in md["file"]])
        logger.info("%s has no 'stimulus_id' column; using file names without extension", csv)
    ids = md["stimulus_id"]
    if ids.isna().any():
        rows = [int(i) + 2 for i in md.index[ids.isna()][:5]]
        raise ValueError(f"The stimulus table {str(csv)!r} has an empty 'stimulus_id' on line(s) {rows}.")
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        first = dup.iloc[0]
        lines = [int(i) + 2 for i in dup.index[dup == first]]
        raise ValueError(f"The stimulus table {str(csv)!r} has duplicate stimulus_id {first!r} on lines "
                         f"{lines} ({dup.nunique()} duplicated id(s) in all); ids must be unique.")
    return md, what, where


def scan_image_folder(root: Path) -> pd.DataFrame:
    """One row per image of an ImageFolder-style tree (one subfolder per category).

    Files that are not used (images at the top of the tree, files that are not
    images, folders inside a category folder) are listed in one
    :class:`~neurocompare.NeurocompareWarning`; hidden files are passed over quietly.
    """
    rows, skipped = [], []
    for p in sorted(root.iterdir()):
        if p.name.startswith(".") or p.is_dir() or p.name == TOML_NAME:
            continue
        why = "image at the top of the tree, not in a category folder" if p.suffix.lower() in IMAGE_SUFFIXES \
            else "not in a category folder"
        skipped.append((p.name, why))
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in sorted(sub.iterdir()):
            if f.name.startswith("."):
                continue
            rel = f.relative_to(root).as_posix()
            if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES:
                rows.append({"stimulus_id": f"{sub.name}/{f.stem}", "file": rel, "category": sub.name})
            elif f.is_dir():
                skipped.append((rel + "/", "a folder inside a category folder (only one level is read)"))
            else:
                skipped.append((rel, "not an image file"))
    if rows and skipped:
        from .._utils.logging import warn

        shown = "; ".join(f"{name} ({why})" for name, why in skipped[:10])
        more = f"; and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        warn(f"Loading {str(root)!r} as one subfolder of images per category: skipped {len(skipped)} "
             f"item(s): {shown}{more}. Move images into a category folder, or describe the stimuli in a "
             f"{CSV_NAME} with a 'file' column.", stacklevel=4)
    if not rows:
        loose = sum(why.startswith("image at the top") for _, why in skipped)
        found = f" (it has {loose} image(s) at its top level, which a folder tree does not use)" if loose else ""
        raise FileNotFoundError(
            f"Invalid value for 'path': {str(root)!r} has no {CSV_NAME} and no class subfolders with images "
            f"({', '.join(IMAGE_SUFFIXES)}){found}. Add a {CSV_NAME} with a 'file' column, or put the images in "
            "one subfolder per category.")
    md = pd.DataFrame(rows)
    dup = md["stimulus_id"][md["stimulus_id"].duplicated()]
    if len(dup):
        raise ValueError(f"Two images in {str(root)!r} give the same stimulus_id {dup.iloc[0]!r} "
                         "(same name, different extension); rename one of them.")
    return md


def validate_files(root: Path, md: pd.DataFrame, csv: Path | None) -> None:
    where = f" (listed in {str(csv)!r})" if csv else ""
    cols = ["file"] + (["mask_file"] if "mask_file" in md.columns else [])
    for col in cols:
        for i, rel in zip(md.index, md[col]):
            line = f"line {int(i) + 2}, " if csv else ""
            if pd.isna(rel):
                if col == "mask_file":
                    continue
            f = root / str(rel)
            if not f.is_file():
                raise FileNotFoundError(f"Missing {col.replace('_', ' ')} for stimulus "
                                        f"{md.loc[i, 'stimulus_id']!r} ({line}{col}={rel!r}){where}: "
                                        f"{str(f)!r} does not exist.")
            reason = _check_image_header(f)
            if reason:
                raise ValueError(f"Unreadable {col.replace('_', ' ')} for stimulus {md.loc[i, 'stimulus_id']!r} "
                                 f"({line}{col}={rel!r}){where}: {str(f)!r} is not an image ({reason}).")


def write_table(folder: Path, metadata: pd.DataFrame, *, what, where, extra: dict | None = None) -> None:
    """Write ``stimuli.csv`` and the ``stimuli.toml`` sidecar into ``folder``.

    Parameters
    ----------
    folder : path-like
        The stimulus folder (it exists).
    metadata : pandas.DataFrame
        One row per stimulus (``stimulus_id`` as index or column, ``file``, factors).
    what, where : sequence of str
        The factors of each stream.
    extra : dict, optional
        Further TOML sections, ``{section: {key: value}}``.
    """
    md = metadata.reset_index() if metadata.index.name == "stimulus_id" else metadata
    md.to_csv(folder / CSV_NAME, index=False, lineterminator="\n")
    lines = ["# Stream assignment of the factors in stimuli.csv (see stimuli/README.md)", "[streams]",
             f"what = [{', '.join(repr(w).replace(chr(39), chr(34)) for w in what)}]",
             f"where = [{', '.join(repr(w).replace(chr(39), chr(34)) for w in where)}]"]
    for section, table in (extra or {}).items():
        lines += ["", f"[{section}]"]
        for k, v in table.items():
            lines.append(f"{k} = {_toml_value(v)}")
    (folder / TOML_NAME).write_text("\n".join(lines) + "\n")


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


