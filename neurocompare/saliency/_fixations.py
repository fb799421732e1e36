"""The tidy fixation table and the maps made from it: binary fixation maps and densities.

The fixation table is a pandas DataFrame with one row per fixation and the columns

- ``stimulus`` (str): the stimulus id (the image file name without extension);
- ``subject`` (str): the observer (``"all"`` where the source pools observers);
- ``x``, ``y`` (float): the position in pixels, 0-based, ``x`` = column, ``y`` = row.
  Pixel ``(i, j)`` covers ``[i - 0.5, i + 0.5) x [j - 0.5, j + 0.5)``, so a fixation
  falls in pixel ``(floor(y + 0.5), floor(x + 0.5))``: a position exactly half-way
  between two pixels goes to the higher one;
- ``width``, ``height`` (int): the size of the image in pixels;

plus optional extra columns (the loaders add ``file``). Loaders store the density
sigma recommended for their data set in ``DataFrame.attrs["sigma"]``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["FIXATION_COLUMNS", "check_fixations", "fixation_map", "fixation_density", "SIGMA_SALICON",
           "SIGMA_MIT1003"]

FIXATION_COLUMNS = ("stimulus", "subject", "x", "y", "width", "height")

#: Gaussian sigma (pixels) of SALICON's own fixation maps (``salicon-api``: ``buildFixMap(sigma=19)``,
#: 640 x 480 images).
SIGMA_SALICON = 19.0
#: Gaussian sigma (pixels) that reproduces the MIT1003 ``FIXATIONMAPS`` from ``FIXATIONLOCS``
#: (fitted on i210: r = 0.99988; the maps are said to use about 1 degree of visual angle).
SIGMA_MIT1003 = 24.0


def pixel_index(position) -> np.ndarray:
    """The pixel (int) that holds each position: pixel i covers [i - 0.5, i + 0.5), so i + 0.5 goes to i + 1."""
    pos = np.asarray(position, dtype=np.float64)
    low = np.floor(pos)
    # floor(pos + 0.5) would round 0.49999999999999994 up to 1; the fraction pos - floor(pos) is exact
    return (low + (pos - low >= 0.5)).astype(int)


def check_fixations(fixations, *, name: str = "fixations") -> pd.DataFrame:
    """Check a fixation table and return it unchanged.

    Parameters
    ----------
    fixations : pandas.DataFrame
        The fixation table: columns ``stimulus, subject, x, y, width, height`` (see
        :func:`fixation_map`), e.g. from :func:`~neurocompare.saliency.load_salicon_fixations`
        or your own CSV.
    name : str, default "fixations"
        The parameter name used in the error messages.

    Returns
    -------
    pandas.DataFrame
        ``fixations`` itself (not a copy).

    Raises
    ------
    ValueError
        If it is not a DataFrame, lacks a column, has missing or non-numeric positions or
        sizes, gives a stimulus more than one size, or has fixations outside their image.
    """
    import pandas as pd

    if not isinstance(fixations, pd.DataFrame):
        raise ValueError(f"Invalid value for {name!r}: expected a DataFrame with the columns "
                         f"{', '.join(FIXATION_COLUMNS)} (e.g. from load_salicon_fixations); got "
                         f"{type(fixations).__name__}.")
    missing = [c for c in FIXATION_COLUMNS if c not in fixations.columns]
    if missing:
        raise ValueError(f"Invalid value for {name!r}: missing column(s) {', '.join(map(repr, missing))}; expected "
                         f"{', '.join(FIXATION_COLUMNS)} (x = column, y = row, 0-based pixels); got columns "
                         f"{list(map(str, fixations.columns))}.")
    num = {}
    for col in ("x", "y", "width", "height"):
        vals = pd.to_numeric(fixations[col], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(vals).all():
            raise ValueError(f"Invalid value for {name!r}: column {col!r} has {int((~np.isfinite(vals)).sum())} "
                             f"missing or non-numeric values.")
        num[col] = vals
    sizes = fixations.groupby("stimulus", sort=False)[["width", "height"]].nunique()
    bad = sizes[(sizes > 1).any(axis=1)]
    if len(bad):
        raise ValueError(f"Invalid value for {name!r}: stimulus {str(bad.index[0])!r} has more than one "
                         f"width/height; each stimulus must have one image size.")
    sizes_ok = all((num[c] >= 1).all() and not (num[c] % 1).any() for c in ("width", "height"))
    if not sizes_ok:
        raise ValueError(f"Invalid value for {name!r}: width and height must be positive whole pixel counts.")
    col, row = pixel_index(num["x"]), pixel_index(num["y"])
    outside = (col < 0) | (row < 0) | (col >= num["width"]) | (row >= num["height"])
    if outside.any():
        counts = fixations.loc[outside, "stimulus"].astype(str).value_counts()
        first = counts.index[0]
        per = "; ".join(f"{s!r}: {n}" for s, n in counts.head(5).items())
        more = f" (and {len(counts) - 5} more stimuli)" if len(counts) > 5 else ""
        raise ValueError(f"Invalid value for {name!r}: {int(outside.sum())} fixation(s) fall outside their image "
                         f"({per}{more}). Positions are 0-based pixels (x = column in [0, width), y = row in "
                         f"[0, height)); 1-based data need x - 1 and y - 1. Drop them, e.g. "
                         f"fixations[fixations.x.between(0, fixations.width - 1)], or check the width/height given "
                         f"for {first!r}.")
    return fixations


def _rows(fixations, stimulus) -> tuple[pd.DataFrame, tuple[int, int]]:
    """The rows of one stimulus and its (height, width)."""
    from .._utils.checks import unknown_name_error

    table = check_fixations(fixations)
    sel = table[table["stimulus"].astype(str) == str(stimulus)]
    if sel.empty:
        raise unknown_name_error("stimulus in 'fixations'", str(stimulus),
                                 list(dict.fromkeys(table["stimulus"].astype(str))))
    return sel, (int(sel["height"].iloc[0]), int(sel["width"].iloc[0]))


def _binary(sel: pd.DataFrame, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    out[pixel_index(sel["y"].to_numpy(float)), pixel_index(sel["x"].to_numpy(float))] = True
    return out


def fixation_map(fixations, stimulus) -> np.ndarray:
    """The binary fixation map of one stimulus.

    Parameters
    ----------
    fixations : pandas.DataFrame
        Fixation table (columns ``stimulus, subject, x, y, width, height``; see
        :func:`~neurocompare.saliency.load_salicon_fixations`).
    stimulus : str
        The stimulus id.

    Returns
    -------
    numpy.ndarray of bool, shape (height, width)
        True at every pixel ``(floor(y + 0.5), floor(x + 0.5))`` that holds at least one
        fixation (of any subject): pixel ``i`` covers ``[i - 0.5, i + 0.5)``, so a
        position exactly at ``i + 0.5`` falls in pixel ``i + 1``. Repeated fixations on a
        pixel count once, as in the MIT and SALICON maps.
    """
    sel, shape = _rows(fixations, stimulus)
    return _binary(sel, shape)


def _sigma_of(fixations, sigma) -> float:
    if sigma is None:
        sigma = getattr(fixations, "attrs", {}).get("sigma")
        if sigma is None:
            raise ValueError(
                "Invalid value for 'sigma': the fixation table does not say which Gaussian to use, so pass "
                "sigma= in pixels (about 1 degree of visual angle at the viewing distance of the experiment: "
                f"{SIGMA_SALICON:g} for SALICON's 640 x 480 images, {SIGMA_MIT1003:g} to reproduce the MIT1003 "
                "FIXATIONMAPS, about 35 for the MIT300 benchmark).")
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float, np.integer, np.floating)) or not sigma > 0:
        raise ValueError(f"Invalid value for 'sigma': expected a positive number of pixels; got {sigma!r}.")
    return float(sigma)


def _blur(binary: np.ndarray, sigma: float) -> np.ndarray:
    """The binary map blurred by a Gaussian of ``sigma`` pixels, summing to 1."""
    from scipy.ndimage import gaussian_filter

    dens = gaussian_filter(binary.astype(np.float64), sigma, mode="reflect", truncate=4.0)
    return dens / dens.sum()


def fixation_density(fixations, stimulus, *, sigma=None) -> np.ndarray:
    """The continuous fixation density of one stimulus: the binary map blurred by a Gaussian.

    Parameters
    ----------
    fixations : pandas.DataFrame
        Fixation table (see :func:`fixation_map`).
    stimulus : str
        The stimulus id.
    sigma : float, optional
        Standard deviation of the Gaussian in pixels. The MIT convention is about one
        degree of visual angle (Judd et al. 2012: 8 cycles per image, about 35 px on
        MIT300); it depends on the screen and viewing distance of the experiment.
        Default: ``fixations.attrs["sigma"]``, which the loaders set to the value of
        their data set (:data:`SIGMA_SALICON` = 19 px, the SALICON API's; or
        :data:`SIGMA_MIT1003` = 24 px, which reproduces the MIT1003 ``FIXATIONMAPS``);
        an error if neither is given.

    Returns
    -------
    numpy.ndarray of float64, shape (height, width)
        Non-negative, sums to 1.

    Notes
    -----
    The binary map of :func:`fixation_map` is filtered with
    ``scipy.ndimage.gaussian_filter(mode="reflect", truncate=4)``, as the SALICON API
    does, and divided by its sum. The SALICON and MIT maps are instead scaled to a
    maximum of 1; CC, SIM and KL do not depend on the scale.
    """
    sigma = _sigma_of(fixations, sigma)
    sel, shape = _rows(fixations, stimulus)
    return _blur(_binary(sel, shape), sigma)
