"""Noise ceilings: how well the best possible model could do, given the subjects' disagreement."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_option
from ._compare import COMPARE_METHODS, compare_vectors
from ._format import as_rdm, vectors


def pool(v: np.ndarray, method: str) -> np.ndarray:
    """The RDM that scores best under ``method`` on average over the rows of ``v`` (rsatoolbox's ``pool_rdm``).

    Each RDM is normalised the way the method is invariant to (scale for cosine; z-scored
    for correlations; ranks for rank methods), over the entries it defines, and each entry
    of the pool is the mean over the RDMs that define it (all of them when the RDMs share
    their missing entries, as in rsatoolbox; pairwise deletion otherwise).
    """
    from scipy.stats import rankdata

    v = np.asarray(v, dtype=float)
    if method in ("cosine", "cosine_cov"):
        v = v / np.sqrt(np.nanmean(v ** 2, axis=1, keepdims=True))
    elif method in ("corr", "corr_cov"):
        v = v - np.nanmean(v, axis=1, keepdims=True)
        v = v / np.nanstd(v, axis=1, keepdims=True)
    else:
        ranked = np.full_like(v, np.nan)
        for i, row in enumerate(v):
            ok = ~np.isnan(row)
            ranked[i, ok] = rankdata(row[ok])
        v = ranked
    ok = (~np.isnan(v)).any(0)
    out = np.full(v.shape[1], np.nan)
    out[ok] = np.nanmean(v[:, ok], axis=0)
    if method in ("corr", "corr_cov"):
        out = out - np.nanmin(out)
    return out


def noise_ceiling(subject_rdms, method: str = "corr", *, sigma_k=None) -> tuple[float, float]:
    """Lower and upper bound of the noise ceiling (rsatoolbox's ``boot_noise_ceiling``).

    - upper bound: the mean over subjects of each subject's similarity to the pooled RDM of
      all subjects (it includes the subject, so it overestimates the true model's score);
    - lower bound: the same with the pooled RDM of the *other* subjects (leave one out).

    Parameters
    ----------
    subject_rdms : RDM DataArray or array
        At least two RDMs (a leading dim such as ``subject``).
    method : str
        A comparison method of :func:`compare`.
    sigma_k : array, optional
        Pattern covariance for ``corr_cov``/``cosine_cov``, used when comparing (the pooling
        does not use it, as in rsatoolbox).

    Returns
    -------
    (float, float)
        ``(lower, upper)``.
    """
    check_option("method", method, COMPARE_METHODS)
    da = as_rdm(subject_rdms, name="subject_rdms")
    v = vectors(da)
    if len(v) < 2:
        raise ValueError("Invalid value for 'subject_rdms': a noise ceiling needs the RDMs of at least 2 subjects; "
                         f"got {len(v)}. Pass the individual subjects' RDMs, not their average.")
    pooled_all = pool(v, method)[None]
    lower, upper = [], []
    for i in range(len(v)):
        others = np.delete(v, i, axis=0)
        lower.append(compare_vectors(pool(others, method)[None], v[i:i + 1], method, sigma_k=sigma_k)[0, 0])
        upper.append(compare_vectors(pooled_all, v[i:i + 1], method, sigma_k=sigma_k)[0, 0])
    return float(np.mean(lower)), float(np.mean(upper))
