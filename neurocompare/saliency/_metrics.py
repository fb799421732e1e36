"""Saliency metrics: how well a map predicts where people look.

Eight metrics of the MIT saliency benchmark, written after the definitions of
Bylinskii et al. (2019), "What do different evaluation metrics tell us about
saliency models?" (IEEE TPAMI 41(3):740-757), and the conventions of the
benchmark's MATLAB code (``cvzoya/saliency``, ``code_forMetrics``):

=============  ========================  ==========================================
function       compares the map with     perfect / chance
=============  ========================  ==========================================
:func:`nss`        binary fixation map   larger is better; 0 = chance
:func:`auc_judd`   binary fixation map   1 / 0.5
:func:`auc_borji`  binary fixation map   1 / 0.5 (random negatives, ``random_state``)
:func:`sauc`       binary fixation map   1 / 0.5; negatives = other images' fixations
:func:`cc`         continuous density    1 / 0
:func:`sim`        continuous density    1 / (0 = no overlap)
:func:`kl`         continuous density    0 (lower is better)
:func:`ig`         binary fixation map   bits per fixation over a baseline map; 0 = as good
=============  ========================  ==========================================

:func:`make_center_bias` gives a documented centre-bias baseline (for :func:`ig`
and as a reference model).

Every function takes one 2-D map and returns a Python float. The maps must have
the same shape; ``resize=True`` resizes the saliency map (bilinear) to the
fixation map's shape and says so in a log line. Maps must be finite (no NaN);
fixation maps must hold at least one fixation. Where this module departs from
the MATLAB code, the docstring says so (ties in AUC-Judd, constant maps).
"""
from __future__ import annotations

import numpy as np

from .._utils.logging import logger

__all__ = ["nss", "auc_judd", "auc_borji", "sauc", "cc", "sim", "kl", "ig", "make_center_bias", "METRICS",
           "EPS"]

_trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 has only trapz

#: The machine epsilon of MATLAB's ``eps`` (float64), used by :func:`kl` and :func:`ig`.
EPS = 2.2204e-16

#: Names of the metrics, in the order of the columns of :func:`~neurocompare.saliency.compare_to_fixations`.
METRICS = ("nss", "auc_judd", "auc_borji", "sauc", "cc", "sim", "kl", "ig")


# ----------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------
def _as_map(value, name: str, where: str = "") -> np.ndarray:
    """A finite 2-D float64 array, or a ValueError naming ``name`` (and ``where``, e.g. "stimulus 'a'")."""
    what = f"the map of {where}" if where else "the map"
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid value for {name!r}: expected a 2-D array of numbers; got "
                         f"{type(value).__name__}.") from None
    if arr.ndim != 2:
        raise ValueError(f"Invalid value for {name!r}: expected a 2-D map (height, width); got an array with "
                         f"shape {arr.shape}{' for ' + where if where else ''}.")
    if arr.size == 0:
        raise ValueError(f"Invalid value for {name!r}: {what} is empty (shape {arr.shape}).")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"Invalid value for {name!r}: {what} has {int(bad.sum())} NaN or infinite values (of "
                         f"{arr.size}). Replace them (e.g. np.nan_to_num) or fix the map that produced them.")
    return arr


def _as_fixations(value, name: str) -> np.ndarray:
    """A boolean 2-D mask of fixated pixels (any value > 0), with at least one fixation."""
    arr = _as_map(value, name)
    if (arr < 0).any():
        raise ValueError(f"Invalid value for {name!r}: expected a binary fixation map (0 = not fixated, "
                         f"> 0 = fixated); got negative values (min {arr.min():g}).")
    mask = arr > 0
    if not mask.any():
        raise ValueError(f"Invalid value for {name!r}: the fixation map is empty (no pixel > 0), so there are no "
                         f"fixations to predict.")
    return mask


def _resize(arr: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a 2-D float map to ``shape`` (height, width)."""
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(arr, dtype=np.float32))  # mode "F"
    return np.asarray(img.resize((shape[1], shape[0]), Image.Resampling.BILINEAR), dtype=np.float64)


def _match(saliency: np.ndarray, shape: tuple[int, int], *, resize: bool, name: str = "saliency_map",
           other: str = "fixation_map") -> np.ndarray:
    if saliency.shape == tuple(shape):
        return saliency
    if not resize:
        raise ValueError(f"Invalid value for {name!r}: its shape {saliency.shape} differs from the shape of "
                         f"{other!r} {tuple(shape)}. Pass resize=True to resize the saliency map (bilinear) to "
                         f"the fixation map's size, or resize it yourself.")
    logger.info("Resizing %s from %s to %s (bilinear; resize=True)", name, saliency.shape, tuple(shape))
    return _resize(saliency, shape)


def _minmax(arr: np.ndarray) -> np.ndarray | None:
    """Rescale to [0, 1]; None for a constant map."""
    lo, hi = arr.min(), arr.max()
    if hi == lo:
        return None
    return (arr - lo) / (hi - lo)


def _check_step(step) -> float:
    if isinstance(step, bool) or not isinstance(step, (int, float, np.floating)) or not 0 < step <= 1:
        raise ValueError(f"Invalid value for 'step': expected a number in (0, 1]; got {step!r}.")
    return float(step)


def _check_ddof(ddof) -> int:
    if ddof not in (0, 1) or isinstance(ddof, bool):
        raise ValueError(f"Invalid value for 'ddof': expected 0 or 1; got {ddof!r}.")
    return int(ddof)


# ----------------------------------------------------------------------------------------------
# location-based metrics (binary fixation map)
# ----------------------------------------------------------------------------------------------
def nss(saliency_map, fixation_map, *, ddof: int = 1, resize: bool = False) -> float:
    r"""Normalized scanpath saliency: the mean z-scored saliency at fixated pixels.

    .. math:: \mathrm{NSS} = \frac{1}{N} \sum_{i\,:\,F_i = 1} \frac{S_i - \mu_S}{\sigma_S}

    Parameters
    ----------
    saliency_map : array-like, shape (height, width)
        The map to evaluate (any real values).
    fixation_map : array-like, shape (height, width)
        Binary fixation map: pixels > 0 are fixated. Each fixated pixel counts once.
    ddof : {1, 0}, default 1
        Delta degrees of freedom of :math:`\sigma_S`. 1 (divide by N - 1) is MATLAB's
        ``std`` and so the MIT benchmark's; 0 (divide by N) is ``numpy.std`` as in most
        Python ports (pysaliency, the SALICON evaluation). The two differ by a factor
        :math:`\sqrt{N/(N-1)}`, below 1e-6 relative for a 675 x 1024 map.
    resize : bool, default False
        Resize the saliency map (bilinear) to the fixation map's shape when they differ;
        otherwise a different shape is an error.

    Returns
    -------
    float
        0 for chance; larger is better. A constant map scores 0 (it carries no
        information; the MATLAB code would return NaN from 0/0).
    """
    f = _as_fixations(fixation_map, "fixation_map")
    s = _match(_as_map(saliency_map, "saliency_map"), f.shape, resize=resize)
    ddof = _check_ddof(ddof)
    if s.max() == s.min():  # exact test: std of a constant map can be a rounding residue, not 0
        return 0.0
    sd = s.std(ddof=ddof)
    return float(((s[f] - s.mean()) / sd).mean())


def auc_judd(saliency_map, fixation_map, *, resize: bool = False) -> float:
    r"""AUC-Judd: area under the ROC curve with thresholds at the fixated saliency values.

    For each distinct saliency value :math:`t` at a fixated pixel, the true-positive
    rate is the fraction of fixated pixels with :math:`S \ge t` and the false-positive
    rate the fraction of non-fixated pixels with :math:`S \ge t`. The points, with
    (0, 0) and (1, 1) added, are joined by straight lines and integrated with the
    trapezoid rule (Judd et al. 2012; ``AUC_Judd.m``).

    Parameters
    ----------
    saliency_map : array-like, shape (height, width)
    fixation_map : array-like, shape (height, width)
        Binary fixation map (pixels > 0 are fixated; each counts once).
    resize : bool, default False
        Resize the saliency map to the fixation map's shape when they differ.

    Returns
    -------
    float
        1 for a map that ranks every fixated pixel above every other pixel; 0.5 for a
        constant map.

    Notes
    -----
    The MATLAB code adds uniform noise of at most 1e-7 to the map (``jitter``) to break
    ties, which makes the score random. Here ties are handled exactly instead: at a
    threshold shared by several pixels, all of them count as above it (so a tie earns
    half credit, as in the Mann-Whitney AUC). Without ties the result equals the
    MATLAB code's. With many ties the jittered MATLAB score scatters around this
    value: on MIT1003 image i210 the Itti-Koch map is 0 at 185 of the 259 fixated
    pixels, and jittered runs give 0.586 +/- 0.009 (mean +/- sd of 20 seeds) against
    0.580 here; for the Judd map (no ties at fixations) they agree to 1e-3.

    Because the curve is sampled only at fixated values and joined by straight
    lines, AUC-Judd is at least the Mann-Whitney AUC (``sklearn.metrics.roc_auc_score``),
    and equal to it when every map level holds a fixation.
    """
    f = _as_fixations(fixation_map, "fixation_map")
    s = _match(_as_map(saliency_map, "saliency_map"), f.shape, resize=resize)
    pos = np.sort(s[f])
    neg = np.sort(s[~f])
    if neg.size == 0:
        return 1.0  # every pixel fixated: nothing to rank below
    thresholds = np.unique(pos)[::-1]
    tp = (pos.size - np.searchsorted(pos, thresholds, side="left")) / pos.size
    fp = (neg.size - np.searchsorted(neg, thresholds, side="left")) / neg.size
    tp = np.concatenate([[0.0], tp, [1.0]])
    fp = np.concatenate([[0.0], fp, [1.0]])
    return float(_trapezoid(tp, fp))


def _split_auc(pos: np.ndarray, negs: np.ndarray, step: float) -> float:
    """Mean over splits of the thresholded AUC of ``AUC_Borji.m`` / ``AUC_shuffled.m``.

    ``pos``: normalised saliency at fixations; ``negs``: (n_splits, n) saliency at the negatives.
    Thresholds are 0, step, 2 step, ... up to the largest value, swept downwards.
    """
    top = max(float(pos.max()), float(negs.max()))
    n_steps = int(np.floor(top / step + 1e-9))
    # a tolerance of 1e-12 so that a value of exactly k * step passes threshold k * step despite rounding
    # (3 * 0.1 = 0.30000000000000004 in floating point; MATLAB's colon operator rounds differently)
    thresholds = (np.arange(n_steps + 1) * step)[::-1] - 1e-12
    # thresholds above one split's own maximum add (0, 0) points: no area, same result as per-split sweeps
    tp = (pos[None, :] >= thresholds[:, None]).mean(axis=1)
    sorted_negs = np.sort(negs, axis=1)
    fp = np.stack([(negs.shape[1] - np.searchsorted(row, thresholds, side="left")) / negs.shape[1]
                   for row in sorted_negs])
    ones, zeros = np.ones((negs.shape[0], 1)), np.zeros((negs.shape[0], 1))
    tp_all = np.hstack([zeros, np.broadcast_to(tp, fp.shape), ones])
    fp_all = np.hstack([zeros, fp, ones])
    return float(_trapezoid(tp_all, fp_all, axis=1).mean())


def auc_borji(saliency_map, fixation_map, *, n_splits: int = 100, step: float = 0.1, random_state=0,
              resize: bool = False) -> float:
    r"""AUC-Borji: fixated pixels against uniformly random pixels, averaged over random splits.

    The saliency map is min-max normalised to [0, 1]. For each of ``n_splits`` splits,
    as many pixels as there are fixated pixels are drawn uniformly with replacement
    from the whole image (fixated pixels included) as negatives. The ROC curve of
    fixated against negative values is swept at thresholds 0, ``step``, 2 ``step``, ...
    up to the largest value, with (0, 0) and (1, 1) added, and integrated with the
    trapezoid rule; the score is the mean over splits (Borji et al. 2013; ``AUC_Borji.m``).

    Parameters
    ----------
    saliency_map : array-like, shape (height, width)
    fixation_map : array-like, shape (height, width)
        Binary fixation map (pixels > 0 are fixated; each counts once).
    n_splits : int, default 100
        Number of random sets of negatives (the MATLAB default).
    step : float, default 0.1
        Threshold spacing on the normalised map (the MATLAB default).
    random_state : None, int or numpy.random.Generator, default 0
        Seed of the random negatives.
    resize : bool, default False
        Resize the saliency map to the fixation map's shape when they differ.

    Returns
    -------
    float
        1 is perfect, 0.5 chance. A constant map scores 0.5 (the MATLAB code returns NaN).
    """
    from .._utils.checks import check_positive_int
    from .._utils.random import check_random_state

    f = _as_fixations(fixation_map, "fixation_map")
    s = _match(_as_map(saliency_map, "saliency_map"), f.shape, resize=resize)
    n_splits = check_positive_int("n_splits", n_splits)
    step = _check_step(step)
    rng = check_random_state(random_state)
    norm = _minmax(s)
    flat = np.zeros(s.size) if norm is None else norm.ravel()
    pos = flat[f.ravel()]
    negs = flat[rng.integers(0, flat.size, size=(n_splits, pos.size))]
    return _split_auc(pos, negs, step)


def sauc(saliency_map, fixation_map, other_fixation_map, *, n_splits: int = 100, step: float = 0.1,
         random_state=0, resize: bool = False) -> float:
    r"""Shuffled AUC: fixated pixels against the fixated pixels of *other* images.

    As :func:`auc_borji`, but the negatives of each split are drawn without
    replacement from the pixels fixated in ``other_fixation_map`` (the fixations on
    other images of the same data set, mapped into this image's frame), as many as
    there are fixated pixels (or all of them if there are fewer). Because the
    negatives share the observers' centre bias, a map that only encodes the centre
    bias scores about 0.5 (Zhang et al. 2008; ``AUC_shuffled.m``).

    Parameters
    ----------
    saliency_map : array-like, shape (height, width)
    fixation_map : array-like, shape (height, width)
        Binary fixation map of this image (pixels > 0 are fixated).
    other_fixation_map : array-like, shape (height, width)
        Binary map of the fixations on other images (pixels > 0), same shape.
    n_splits : int, default 100
    step : float, default 0.1
        As in :func:`auc_borji`.
    random_state : None, int or numpy.random.Generator, default 0
        Seed of the random choice of negatives.
    resize : bool, default False
        Resize the saliency map to the fixation map's shape when they differ.

    Returns
    -------
    float
        1 is perfect, 0.5 chance (and the score of a pure centre-bias map).
    """
    from .._utils.checks import check_positive_int
    from .._utils.random import check_random_state

    f = _as_fixations(fixation_map, "fixation_map")
    other = _as_fixations(other_fixation_map, "other_fixation_map")
    if other.shape != f.shape:
        raise ValueError(f"Invalid value for 'other_fixation_map': expected the shape of 'fixation_map' "
                         f"{f.shape}; got {other.shape}. Map the other images' fixations into this image's frame "
                         f"first (compare_to_fixations does this by scaling their coordinates).")
    s = _match(_as_map(saliency_map, "saliency_map"), f.shape, resize=resize)
    n_splits = check_positive_int("n_splits", n_splits)
    step = _check_step(step)
    rng = check_random_state(random_state)
    norm = _minmax(s)
    flat = np.zeros(s.size) if norm is None else norm.ravel()
    pos = flat[f.ravel()]
    pool = flat[np.flatnonzero(other.ravel())]
    n_neg = min(pos.size, pool.size)
    negs = np.stack([pool[rng.permutation(pool.size)[:n_neg]] for _ in range(n_splits)])
    return _split_auc(pos, negs, step)


# ----------------------------------------------------------------------------------------------
# distribution-based metrics (continuous density)
# ----------------------------------------------------------------------------------------------
def cc(saliency_map, density_map, *, resize: bool = False) -> float:
    r"""Pearson's linear correlation coefficient between the map and the fixation density.

    .. math:: \mathrm{CC} = \frac{\operatorname{cov}(S, D)}{\sigma_S\,\sigma_D}

    Parameters
    ----------
    saliency_map : array-like, shape (height, width)
    density_map : array-like, shape (height, width)
        Continuous fixation density (e.g. :func:`~neurocompare.saliency.fixation_density`, or
        the MIT1003 ``FIXATIONMAPS``); any scale.
    resize : bool, default False
        Resize the saliency map to the density map's shape when they differ.

    Returns
    -------
    float
        In [-1, 1]; 1 for a map identical to the density up to a positive linear
        transform. The MATLAB code z-scores both maps with N - 1 before ``corr2``; the
        correlation does not depend on that choice. A constant map scores 0 (the MATLAB
        code returns NaN).
    """
    d = _as_map(density_map, "density_map")
    s = _match(_as_map(saliency_map, "saliency_map"), d.shape, resize=resize, other="density_map")
    if s.max() == s.min() or d.max() == d.min():
        return 0.0
    s, d = s - s.mean(), d - d.mean()
    denom = np.sqrt((s * s).sum() * (d * d).sum())
    if denom == 0:
        return 0.0
    return float(np.clip((s * d).sum() / denom, -1.0, 1.0))


def sim(saliency_map, density_map, *, resize: bool = False) -> float:
    r"""Similarity (histogram intersection) of the map and the fixation density.

    Both maps are min-max normalised to [0, 1] (a constant map becomes all ones), then
    divided by their sums so each sums to 1, and

    .. math:: \mathrm{SIM} = \sum_i \min(P_i, Q_i)

    as in the MIT code (``similarity.m``).

    Parameters
    ----------
    saliency_map : array-like, shape (height, width)
    density_map : array-like, shape (height, width)
        Continuous fixation density, any scale.
    resize : bool, default False
        Resize the saliency map to the density map's shape when they differ.

    Returns
    -------
    float
        In [0, 1]; 1 for identical distributions.

    Notes
    -----
    The min-max step follows the benchmark code; Bylinskii et al. (2019) describe only
    the sum normalisation. It matters only for maps whose minimum is not 0.
    """
    d = _as_map(density_map, "density_map")
    s = _match(_as_map(saliency_map, "saliency_map"), d.shape, resize=resize, other="density_map")
    p, q = _minmax(s), _minmax(d)
    p = np.ones_like(s) if p is None else p
    q = np.ones_like(d) if q is None else q
    return float(np.minimum(p / p.sum(), q / q.sum()).sum())


def kl(saliency_map, density_map, *, eps: float = EPS, resize: bool = False) -> float:
    r"""Kullback-Leibler divergence of the map from the fixation density (nats).

    Both maps are divided by their sums (``P`` from the saliency map, ``Q`` from the
    density), then

    .. math:: \mathrm{KL} = \sum_i Q_i \log\!\left(\epsilon + \frac{Q_i}{P_i + \epsilon}\right)

    with natural logarithms and :math:`\epsilon` = 2.2204e-16 (``KLdiv.m``).

    Parameters
    ----------
    saliency_map : array-like, shape (height, width)
        Non-negative map (read as a probability distribution after normalisation).
    density_map : array-like, shape (height, width)
        Non-negative continuous fixation density, any scale.
    eps : float, default 2.2204e-16
        Regulariser (MATLAB's ``eps``).
    resize : bool, default False
        Resize the saliency map to the density map's shape when they differ.

    Returns
    -------
    float
        0 for identical distributions; larger is worse. It is sensitive to zeros: a
        map that puts (almost) no mass where people look is heavily penalised.
    """
    d = _as_map(density_map, "density_map")
    s = _match(_as_map(saliency_map, "saliency_map"), d.shape, resize=resize, other="density_map")
    for name, arr in (("saliency_map", s), ("density_map", d)):
        if (arr < 0).any():
            raise ValueError(f"Invalid value for {name!r}: KL needs a non-negative map (a distribution); got a "
                             f"minimum of {arr.min():g}. Rescale it first, e.g. (m - m.min()) / (m.max() - m.min()).")
    if not d.any():
        raise ValueError("Invalid value for 'density_map': the density is zero everywhere.")
    p = s / s.sum() if s.any() else s
    q = d / d.sum()
    return float((q * np.log(eps + q / (p + eps))).sum())


def ig(saliency_map, fixation_map, baseline_map, *, eps: float = EPS, resize: bool = False) -> float:
    r"""Information gain of the map over a baseline map at the fixated pixels (bits per fixation).

    Both maps are min-max normalised to [0, 1] (a constant map becomes uniform),
    divided by their sums to become distributions ``P`` (saliency) and ``B``
    (baseline), and

    .. math:: \mathrm{IG} = \frac{1}{N} \sum_{i\,:\,F_i = 1}
              \left[\log_2(\epsilon + P_i) - \log_2(\epsilon + B_i)\right]

    (Kümmerer et al. 2015; ``InfoGain.m``), with :math:`\epsilon` = 2.2204e-16.

    Parameters
    ----------
    saliency_map : array-like, shape (height, width)
    fixation_map : array-like, shape (height, width)
        Binary fixation map (pixels > 0 are fixated; each counts once).
    baseline_map : array-like, shape (height, width)
        The reference model, usually a centre bias (:func:`make_center_bias`, or the
        average fixation map of a data set). It must have the fixation map's shape.
    eps : float, default 2.2204e-16
        Regulariser (MATLAB's ``eps``).
    resize : bool, default False
        Resize the saliency map to the fixation map's shape when they differ.

    Returns
    -------
    float
        Bits per fixation; > 0 means the map predicts the fixations better than the
        baseline, 0 as well. A map with zeros at fixated pixels is heavily penalised
        (log2 of eps is about -52).
    """
    f = _as_fixations(fixation_map, "fixation_map")
    s = _match(_as_map(saliency_map, "saliency_map"), f.shape, resize=resize)
    b = _as_map(baseline_map, "baseline_map")
    if b.shape != f.shape:
        raise ValueError(f"Invalid value for 'baseline_map': expected the shape of 'fixation_map' {f.shape}; got "
                         f"{b.shape}. make_center_bias(fixation_map.shape) gives a centre-bias baseline of the "
                         f"right size.")
    p, q = _minmax(s), _minmax(b)
    p = np.ones_like(s) if p is None else p
    q = np.ones_like(b) if q is None else q
    p, q = p / p.sum(), q / q.sum()
    return float((np.log2(eps + p[f]) - np.log2(eps + q[f])).mean())


# ----------------------------------------------------------------------------------------------
# baselines
# ----------------------------------------------------------------------------------------------
#: Clarke & Tatler (2014): variance of the horizontal axis (image width = 2 units) and
#: the vertical/horizontal variance ratio of their best-fitting centre-bias Gaussian.
CLARKE_TATLER_VARIANCE = 0.22
CLARKE_TATLER_RATIO = 0.45


def make_center_bias(shape, *, sigma=None) -> np.ndarray:
    r"""A centre-bias baseline: an anisotropic Gaussian at the image centre, summing to 1.

    .. math:: B(x, y) \propto \exp\!\left(-\frac{(x - x_c)^2}{2\sigma_x^2}
              - \frac{(y - y_c)^2}{2\sigma_y^2}\right)

    with :math:`(x_c, y_c)` the centre of the pixel grid, ``((width - 1) / 2, (height - 1) / 2)``.

    Parameters
    ----------
    shape : tuple of int
        ``(height, width)`` of the image.
    sigma : float or (float, float), optional
        Standard deviations in pixels, one number for both axes or ``(sigma_y,
        sigma_x)``. Default: the Gaussian of Clarke & Tatler (2014, Vision Research
        98:1-9), fitted to the fixations of several scene-viewing data sets: in units
        where the image spans -1 to 1 horizontally, variance 0.22 horizontally and
        0.45 x 0.22 vertically, i.e. :math:`\sigma_x \approx 0.235 \times` width and
        :math:`\sigma_y \approx 0.157 \times` width.

    Returns
    -------
    numpy.ndarray, shape (height, width)
        Non-negative, sums to 1.

    Notes
    -----
    The MIT benchmark uses the average fixation map of its data set as the IG
    baseline (``center.jpg``). With a single data set at hand, the average of its
    :func:`~neurocompare.saliency.fixation_density` maps is the closest match; this
    Gaussian is the data-free alternative.
    """
    try:
        h, w = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid value for 'shape': expected (height, width); got {shape!r}.") from None
    if h < 1 or w < 1:
        raise ValueError(f"Invalid value for 'shape': expected positive (height, width); got {shape!r}.")
    if sigma is None:
        half = w / 2.0
        sx = np.sqrt(CLARKE_TATLER_VARIANCE) * half
        sy = np.sqrt(CLARKE_TATLER_VARIANCE * CLARKE_TATLER_RATIO) * half
    else:
        vals = np.atleast_1d(np.asarray(sigma, dtype=float))
        if vals.size not in (1, 2) or not np.all(np.isfinite(vals)) or np.any(vals <= 0):
            raise ValueError(f"Invalid value for 'sigma': expected a positive number or (sigma_y, sigma_x) in "
                             f"pixels; got {sigma!r}.")
        sy, sx = (vals[0], vals[0]) if vals.size == 1 else (vals[0], vals[1])
    y = (np.arange(h) - (h - 1) / 2.0)[:, None]
    x = (np.arange(w) - (w - 1) / 2.0)[None, :]
    g = np.exp(-0.5 * ((x / sx) ** 2 + (y / sy) ** 2))
    return g / g.sum()
