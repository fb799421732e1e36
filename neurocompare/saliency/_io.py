"""Readers of human fixation data and saliency-map images: SALICON, MIT1003, map files.

The loaders return the fixation table of :mod:`neurocompare.saliency` (see
:func:`~neurocompare.saliency.fixation_map`), with the density sigma recommended for
their data set in ``DataFrame.attrs["sigma"]``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._utils.logging import logger
from ._fixations import SIGMA_MIT1003, SIGMA_SALICON, check_fixations

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import xarray as xr

__all__ = ["load_salicon_fixations", "load_mit1003_fixations", "load_mit1003_density", "read_saliency_map"]

def load_salicon_fixations(path_json, *, images=None) -> pd.DataFrame:
    """Read SALICON fixations (COCO-style JSON) into the fixation table.

    Parameters
    ----------
    path_json : path-like
        A SALICON fixation file, e.g. ``fixations_train2014.json``: ``images`` (``id``,
        ``file_name``, ``width``, ``height``) and ``annotations`` (``image_id``,
        ``worker_id``, ``fixations`` as ``[row, column]`` pairs, 1-based).
    images : sequence of int or str, optional
        Keep only these images, given by COCO id (``123855``), file name
        (``"COCO_train2014_000000123855.jpg"``) or stimulus id (the file name without
        extension). Default: all.

    Returns
    -------
    pandas.DataFrame
        Columns ``stimulus, subject, x, y, width, height, file``: one row per fixation
        sample, positions converted to 0-based (``x = column - 1``, ``y = row - 1``),
        ``subject`` = ``str(worker_id)``, ``file`` = the image file name. Ordered as in
        the file. ``attrs["sigma"]`` = 19 (the SALICON API's density sigma).

    Notes
    -----
    SALICON's "fixations" are mouse-movement samples recorded while observers
    explored blurred images (Jiang et al. 2015, CVPR): many samples per worker and
    image, often on neighbouring pixels.
    """
    import json

    import pandas as pd

    path = Path(path_json).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for 'path_json': no file {str(path)!r}. Expected a SALICON fixation "
                                f"JSON such as fixations_train2014.json (fetch_salicon_examples() gives one).")
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"Invalid value for 'path_json': {str(path)!r} is not valid JSON ({err}).") from None
    if not isinstance(data, dict) or "images" not in data or "annotations" not in data:
        raise ValueError(f"Invalid value for 'path_json': expected a COCO-style SALICON file with 'images' and "
                         f"'annotations'; {str(path)!r} has keys {sorted(data) if isinstance(data, dict) else '?'}.")
    if data.get("type", "fixations") != "fixations":
        raise ValueError(f"Invalid value for 'path_json': the file holds {data.get('type')!r} annotations, not "
                         f"'fixations'.")
    imgs = {}
    for im in data["images"]:
        name = str(im["file_name"])
        imgs[im["id"]] = {"stimulus": Path(name).stem, "file": name, "width": int(im["width"]),
                          "height": int(im["height"])}
    keep = None
    if images is not None:
        wanted = [images] if isinstance(images, (str, int)) else list(images)
        by_key = {}
        for iid, info in imgs.items():
            for key in (iid, str(iid), info["file"], info["stimulus"]):
                by_key[key] = iid
        keep = set()
        for w in wanted:
            if w not in by_key:
                from .._utils.checks import unknown_name_error

                raise unknown_name_error("image in 'images'", str(w), [i["stimulus"] for i in imgs.values()])
            keep.add(by_key[w])
    cols = {c: [] for c in ("stimulus", "subject", "x", "y", "width", "height", "file")}
    for ann in data["annotations"]:
        iid = ann["image_id"]
        if keep is not None and iid not in keep:
            continue
        if iid not in imgs:
            raise ValueError(f"Invalid value for 'path_json': annotation {ann.get('id')!r} refers to image_id {iid}, "
                             f"which is not in 'images'.")
        info = imgs[iid]
        fx = np.asarray(ann["fixations"], dtype=float).reshape(-1, 2)
        n = len(fx)
        cols["stimulus"] += [info["stimulus"]] * n
        cols["subject"] += [str(ann.get("worker_id", "unknown"))] * n
        cols["y"] += list(fx[:, 0] - 1.0)
        cols["x"] += list(fx[:, 1] - 1.0)
        cols["width"] += [info["width"]] * n
        cols["height"] += [info["height"]] * n
        cols["file"] += [info["file"]] * n
    table = pd.DataFrame(cols).astype({"x": float, "y": float, "width": int, "height": int})
    check_fixations(table, name="path_json")
    logger.info("Read %d fixations of %d images from %s", len(table), table["stimulus"].nunique(), path)
    table.attrs["sigma"] = SIGMA_SALICON
    return table


def _names(names) -> list[str]:
    out = [names] if isinstance(names, str) else [str(n) for n in names]
    if not out:
        raise ValueError("Invalid value for 'names': expected at least one image name (e.g. 'i210').")
    return [Path(n).stem for n in out]


def load_mit1003_fixations(root, names) -> pd.DataFrame:
    """Read MIT1003 fixation locations (``FIXATIONLOCS/<name>.mat``) into the fixation table.

    Parameters
    ----------
    root : path-like
        The MIT1003 folder holding ``FIXATIONLOCS/`` (and ``FIXATIONMAPS/``, ``ALLSTIMULI/``).
    names : str or sequence of str
        Image names, e.g. ``"i210"`` (an extension is ignored).

    Returns
    -------
    pandas.DataFrame
        Columns ``stimulus, subject, x, y, width, height, file``: one row per fixated
        pixel of the binary ``fixations`` variable (675 x 1024 for the landscape
        images), in row-major order, ``subject = "all"`` (the file pools the 15
        observers), ``file = "ALLSTIMULI/<name>.jpeg"``. ``attrs["sigma"]`` = 24.
    """
    import pandas as pd

    from .._utils.imports import require

    sio = require("scipy.io", purpose="reading MIT1003 .mat files")
    root = Path(root).expanduser()
    frames = []
    for name in _names(names):
        path = root / "FIXATIONLOCS" / f"{name}.mat"
        if not path.is_file():
            raise FileNotFoundError(f"Missing MIT1003 fixation file: expected {str(path)!r} (root={str(root)!r} "
                                    f"should hold FIXATIONLOCS/{name}.mat).")
        mat = sio.loadmat(path)
        if "fixations" not in mat:
            raise ValueError(f"{str(path)!r} has no variable 'fixations' (found "
                             f"{sorted(k for k in mat if not k.startswith('__'))}).")
        fix = np.asarray(mat["fixations"])
        if fix.ndim != 2:
            raise ValueError(f"{str(path)!r}: expected a 2-D binary map in 'fixations'; got shape {fix.shape}.")
        rows, cols = np.nonzero(fix > 0)
        if rows.size == 0:
            raise ValueError(f"{str(path)!r} holds no fixations (the map is all zeros).")
        img = next((p for p in sorted((root / "ALLSTIMULI").glob(f"{name}.*"))), None)
        frames.append(pd.DataFrame({
            "stimulus": name, "subject": "all", "x": cols.astype(float), "y": rows.astype(float),
            "width": fix.shape[1], "height": fix.shape[0],
            "file": f"ALLSTIMULI/{img.name}" if img is not None else f"ALLSTIMULI/{name}.jpeg"}))
    table = pd.concat(frames, ignore_index=True)
    table.attrs["sigma"] = SIGMA_MIT1003
    return table


def read_saliency_map(path) -> np.ndarray:
    """Read a saliency or fixation-density image (e.g. a JPEG of the MIT benchmark) as floats in [0, 1].

    Parameters
    ----------
    path : path-like
        A greyscale (or RGB, converted with PIL's ``"L"`` luma) image file.

    Returns
    -------
    numpy.ndarray of float64, shape (height, width)
        Pixel values / 255 (8-bit) or / 65535 (16-bit).
    """
    from PIL import Image

    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for 'path': no file {str(path)!r}.")
    from PIL import UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            if img.mode in ("I;16", "I;16B", "I"):
                return np.asarray(img, dtype=np.float64) / 65535.0
            return np.asarray(img.convert("L"), dtype=np.float64) / 255.0
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ValueError(f"Invalid value for 'path': {str(path)!r} is not a readable image ({err}); expected a "
                         "saliency or density map as an image file (PNG, JPEG, ...).") from None


def load_mit1003_density(root, names) -> xr.DataArray:
    """Read the MIT1003 continuous fixation maps (``FIXATIONMAPS/<name>.jpg``).

    Parameters
    ----------
    root : path-like
        The MIT1003 folder holding ``FIXATIONMAPS/``.
    names : str or sequence of str
        Image names, e.g. ``"i210"``; all must have the same size.

    Returns
    -------
    xarray.DataArray
        Dims ``("stimulus", "y", "x")``, values in [0, 1] as stored (maximum 1; the
        binary fixation map blurred by a Gaussian of about 24 px, see
        :data:`~neurocompare.saliency.SIGMA_MIT1003`). Use it as ``density=`` in
        :func:`~neurocompare.saliency.compare_to_fixations`.
    """
    import xarray as xr

    root = Path(root).expanduser()
    maps = []
    names = _names(names)
    for name in names:
        path = root / "FIXATIONMAPS" / f"{name}.jpg"
        if not path.is_file():
            raise FileNotFoundError(f"Missing MIT1003 fixation map: expected {str(path)!r}.")
        maps.append(read_saliency_map(path))
    shapes = {m.shape for m in maps}
    if len(shapes) > 1:
        raise ValueError(f"Invalid value for 'names': the maps have different sizes {sorted(shapes)}; load images "
                         f"of one size at a time (or pass a dict of maps to compare_to_fixations).")
    return xr.DataArray(np.stack(maps), dims=("stimulus", "y", "x"), coords={"stimulus": names},
                        name="fixation_density", attrs={"source": "MIT1003 FIXATIONMAPS", "sigma": SIGMA_MIT1003})
