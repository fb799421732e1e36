"""The StimulusSet (a folder of images plus a table of factors), and loading and saving it."""
from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._utils.checks import check_bool
from .._utils.logging import logger
from .._utils.paths import atomic_dir
from ._io import CSV_NAME, TOML_NAME, read_table, read_toml, scan_image_folder, validate_files, write_table

WHAT_DEFAULTS = ("category", "identity")
WHERE_DEFAULTS = ("x", "y", "size", "rotation", "bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1")
RESERVED = ("stimulus_id", "file", "mask_file")


class StimulusSet:
    """A set of image stimuli and their factors.

    Parameters
    ----------
    root : path-like
        Folder that ``file`` (and ``mask_file``) paths are relative to.
    metadata : pandas.DataFrame
        One row per stimulus. Must have a ``file`` column and either a
        ``stimulus_id`` column or a ``stimulus_id`` index. Other columns are
        factors. It is copied, so the caller's frame is never changed.
    what, where : sequence of str, optional
        Factor names that belong to the ventral ("what") and dorsal ("where")
        streams. By default the usual names present in ``metadata``:
        ``category, identity`` and ``x, y, size, rotation, bbox_*``.
    name : str, optional
        A short name used in results and provenance.

    Attributes
    ----------
    root : pathlib.Path
    metadata : pandas.DataFrame
        Indexed by ``stimulus_id`` with ``file`` relative to ``root``.
    what, where : tuple of str
    """

    def __init__(self, root, metadata: pd.DataFrame, *, what: Sequence[str] | None = None,
                 where: Sequence[str] | None = None, name: str | None = None):
        self.root = Path(root)
        md = metadata.copy()
        if "stimulus_id" in md.columns:
            md = md.set_index("stimulus_id")
        elif md.index.name != "stimulus_id":
            raise ValueError("Invalid 'metadata': expected a 'stimulus_id' column or index; "
                             f"got columns {list(md.columns)} and index {md.index.name!r}.")
        if "file" not in md.columns:
            raise ValueError(f"Invalid 'metadata': the required column 'file' is missing; got columns {list(md.columns)}.")
        md.index = md.index.astype(str)
        md.index.name = "stimulus_id"
        dup = md.index[md.index.duplicated()].unique()
        if len(dup):
            raise ValueError(f"Invalid 'metadata': duplicate stimulus_id values {list(dup[:5])}.")
        md["file"] = md["file"].astype(str)
        self.metadata = md
        self.what = self._check_stream("what", what, WHAT_DEFAULTS)
        self.where = self._check_stream("where", where, WHERE_DEFAULTS)
        self.name = name or self.root.name

    def _check_stream(self, stream, names, defaults) -> tuple[str, ...]:
        if names is None:
            return tuple(c for c in defaults if c in self.metadata.columns)
        names = (names,) if isinstance(names, str) else tuple(names)
        missing = [n for n in names if n not in self.metadata.columns]
        if missing:
            raise ValueError(f"Invalid value for {stream!r}: factor(s) {missing} are not columns of the "
                             f"stimulus table; available factors: {self.factors}.")
        return names

    # -- basic container behaviour -------------------------------------------------
    def __len__(self) -> int:
        return len(self.metadata)

    def __repr__(self) -> str:
        return (f"<StimulusSet {self.name!r}: {len(self)} stimuli in {str(self.root)!r}; "
                f"what={list(self.what)}, where={list(self.where)}>")

    @property
    def ids(self) -> pd.Index:
        """The stimulus ids, in order."""
        return self.metadata.index

    @property
    def factors(self) -> list[str]:
        """All factor columns (everything but ``file`` and ``mask_file``)."""
        return [c for c in self.metadata.columns if c not in RESERVED]

    @property
    def has_masks(self) -> bool:
        return "mask_file" in self.metadata.columns

    def _row(self, stimulus) -> pd.Series:
        if isinstance(stimulus, (int, np.integer)):
            if not -len(self) <= stimulus < len(self):
                raise IndexError(f"Stimulus position {stimulus} is out of range for {len(self)} stimuli.")
            return self.metadata.iloc[int(stimulus)]
        key = str(stimulus)
        if key not in self.metadata.index:
            from .._utils.checks import unknown_name_error

            raise unknown_name_error("stimulus_id", key, self.metadata.index)
        return self.metadata.loc[key]

    def path(self, stimulus) -> Path:
        """Absolute path of a stimulus image.

        Parameters
        ----------
        stimulus : str or int
            The stimulus: its ``stimulus_id`` or its position in the set
            (negative positions count from the end).

        Returns
        -------
        pathlib.Path
        """
        return self.root / self._row(stimulus)["file"]

    def load_image(self, stimulus, *, mode: str = "RGB"):
        """Load one image as an 8-bit PIL image in ``mode`` ("RGB", "RGBA", "L" or "LA").

        Any file mode is read: 16-bit images are divided by 257, float images must lie in
        [0, 1], alpha is composited onto white unless ``mode`` keeps it (see
        :func:`neurocompare.stimuli.to_mode`).

        Parameters
        ----------
        stimulus : str or int
            The stimulus: its ``stimulus_id`` or its position in the set.
        mode : {"RGB", "RGBA", "L", "LA"}
            PIL mode of the returned image.

        Returns
        -------
        PIL.Image.Image
        """
        from ._image import read_image

        row = self._row(stimulus)
        return read_image(self.root / row["file"], mode=mode, label=f"stimulus {row.name!r}")

    def load_mask(self, stimulus) -> np.ndarray:
        """Load the binary object mask of a stimulus as a boolean (H, W) array.

        Parameters
        ----------
        stimulus : str or int
            The stimulus: its ``stimulus_id`` or its position in the set. The
            set must have a ``mask_file`` column; pixels brighter than 127 are
            the object.

        Returns
        -------
        numpy.ndarray
        """
        from ._image import read_image

        if not self.has_masks:
            raise ValueError(f"This StimulusSet has no masks: the column 'mask_file' is missing from "
                             f"{str(self.root / 'stimuli.csv')!r}.")
        row = self._row(stimulus)
        img = read_image(self.root / row["mask_file"], mode="L", label=f"mask of stimulus {row.name!r}")
        return np.asarray(img) > 127

    def image_info(self) -> pd.DataFrame:
        """The size and colour mode of every image, one row each, read from the file headers only.

        Returns
        -------
        pandas.DataFrame
            Columns ``stimulus_id, file, width, height, mode`` (PIL's mode:
            ``"RGB"``, ``"L"``, ``"RGBA"``, ``"P"``, ``"I;16"``, ...), in the set's order.
            The pixels are not decoded, so it is quick on large sets. Images of
            different sizes need ``resize=(h, w)`` for segmenters and detectors
            (see :func:`neurocompare.models.load`).
        """
        from PIL import Image, UnidentifiedImageError

        rows = []
        for sid, rel in zip(self.ids, self.metadata["file"]):
            try:
                with Image.open(self.root / rel) as img:
                    width, height, mode = img.width, img.height, img.mode
            except (OSError, UnidentifiedImageError) as err:
                raise ValueError(f"Unreadable image for stimulus {sid!r}: {str(self.root / rel)!r} "
                                 f"({err}).") from None
            rows.append({"stimulus_id": sid, "file": rel, "width": width, "height": height, "mode": mode})
        return pd.DataFrame(rows, columns=["stimulus_id", "file", "width", "height", "mode"])

    def subset(self, selection) -> "StimulusSet":
        """A new StimulusSet with the selected rows, in the order given.

        Parameters
        ----------
        selection : list of str, list of int or boolean mask
            Stimulus ids, positions, or a boolean array / Series with one value
            per stimulus. Unknown ids are an error that lists them.

        Returns
        -------
        StimulusSet
            Same folder, streams and name; only the metadata rows differ.
        """
        sel = selection
        if isinstance(sel, pd.Series) and sel.dtype == bool:
            md = self.metadata[sel.to_numpy()]
        elif isinstance(sel, np.ndarray) and sel.dtype == bool:
            md = self.metadata[sel]
        else:
            sel = list(sel)
            if sel and all(isinstance(s, (int, np.integer)) for s in sel):
                md = self.metadata.iloc[sel]
            else:
                missing = [s for s in sel if str(s) not in self.metadata.index]
                if missing:
                    from .._utils.checks import _MessageKeyError

                    raise _MessageKeyError(f"Unknown stimulus_id(s) in 'selection': {missing[:5]}"
                                           f"{' ...' if len(missing) > 5 else ''} ({len(missing)} of {len(sel)}); "
                                           f"the set's ids look like {list(self.metadata.index[:3])}.")
                md = self.metadata.loc[[str(s) for s in sel]]
        return StimulusSet(self.root, md, what=self.what, where=self.where, name=self.name)

    def to_torch(self, transform=None, *, start: int = 0):
        """A ``torch.utils.data.Dataset`` yielding ``(transform(image), position)``.

        Parameters
        ----------
        transform : callable, optional
            PIL image -> tensor, exactly what the model sees. ``None``: the RGB
            image as a float tensor in [0, 1], shape (3, H, W).
        start : int
            Position of the first stimulus served (earlier ones are skipped, e.g.
            to resume an extraction); the dataset has ``len(self) - start`` items
            and ``position`` counts from the start of the set.

        Returns
        -------
        torch.utils.data.Dataset
        """
        from ._torch import ImageDataset

        return ImageDataset(self, transform, start=start)

    def coords(self) -> dict[str, tuple[str, np.ndarray]]:
        """The stimulus factors as xarray coordinates on a ``stimulus`` dim (zarr/netCDF-safe dtypes)."""
        out = {"stimulus": ("stimulus", self.ids.to_numpy().astype(str))}
        for col in ["file", *self.factors]:
            out[col] = ("stimulus", _storable(self.metadata[col]))
        return out

    def fingerprint(self) -> str:
        """A hash of the table and every image's bytes (for caching trained models)."""
        import hashlib

        h = hashlib.sha256(self.metadata.to_csv().encode())
        for f in self.metadata["file"]:
            h.update((self.root / f).read_bytes())
        return h.hexdigest()

    def save(self, out, *, overwrite: bool = False) -> "StimulusSet":
        """Copy the images (and masks) and write ``stimuli.csv`` to a new folder.

        Parameters
        ----------
        out : path-like
            The new folder (not the set's own folder).
        overwrite : bool
            Replace ``out`` if neurocompare wrote it before; an existing empty
            folder is always fine, anything else is refused.

        Returns
        -------
        StimulusSet
            The copy, loaded from ``out``.
        """
        return save(self, out, overwrite=overwrite)


def load(path, *, validate: bool = True, name: str | None = None) -> StimulusSet:
    """Load a stimulus folder.

    Parameters
    ----------
    path : path-like
        A folder holding ``stimuli.csv`` (one row per stimulus with at least a
        ``file`` column; ``stimulus_id`` is taken from the file stem when absent),
        or an ImageFolder-style tree with one subfolder of images per category.
        Column names may carry a stream prefix (``what:category``, ``where:x``);
        a sidecar ``stimuli.toml`` with a ``[streams]`` table (``what = [...]``,
        ``where = [...]``) does the same.
    validate : bool
        Check that every file exists and is a readable image (default). Errors
        name the CSV row and the file.
    name : str, optional
        Name of the set; defaults to the folder name.

    Returns
    -------
    StimulusSet
    """
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"Invalid value for 'path': expected a folder with a {CSV_NAME} or "
                                f"class subfolders; {str(root)!r} does not exist or is not a folder.")
    csv = root / CSV_NAME
    if csv.is_file():
        md, what, where = read_table(csv)
    else:
        md = scan_image_folder(root)
        what, where = ["category"], []
    if (root / TOML_NAME).is_file():
        streams = read_toml(root / TOML_NAME).get("streams", {})
        what = streams.get("what", what)
        where = streams.get("where", where)
    if check_bool("validate", validate):
        validate_files(root, md, csv if csv.is_file() else None)
    stim = StimulusSet(root, md, what=what, where=where, name=name)
    logger.info("Loaded %d stimuli from %s", len(stim), root)
    return stim


def save(stimuli: StimulusSet, out, *, overwrite: bool = False) -> StimulusSet:
    """Copy a StimulusSet to a new folder (images, masks, ``stimuli.csv``, ``stimuli.toml``).

    The folder is written under a temporary name and moved into place only when
    complete, so a failure leaves nothing behind.

    Parameters
    ----------
    stimuli : StimulusSet
        The set to copy.
    out : path-like
        The new folder (not the set's own folder).
    overwrite : bool
        Replace ``out`` if neurocompare wrote it before; an existing empty
        folder is always fine, anything else is refused.

    Returns
    -------
    StimulusSet
        The copy, loaded from ``out``.
    """
    out = Path(out)
    if out.resolve() == stimuli.root.resolve():
        raise ValueError(f"Invalid value for 'out': it is the set's own folder {str(out)!r}; choose another.")
    with atomic_dir(out, overwrite=overwrite) as tmp:
        md = stimuli.metadata.copy()
        for col in ("file", "mask_file"):
            if col not in md.columns:
                continue
            for rel in md[col].dropna():
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(stimuli.root / rel, dest)
        write_table(tmp, md, what=stimuli.what, where=stimuli.where)
    return load(out, name=stimuli.name)


def _storable(col: pd.Series) -> np.ndarray:
    """Numeric columns as they are; anything else as fixed-width unicode, a missing value as ""."""
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.to_numpy()
    return col.astype(object).where(col.notna(), "").astype(str).to_numpy().astype(str)
