"""Comparing RDMs, exactly as ``rsatoolbox.rdm.compare`` does, vectorised over many RDMs."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_option
from .._utils.logging import logger
from ._format import align, as_rdm, leading_labels, n_from_length, triu_indices, vectors

COMPARE_METHODS = ("cosine", "corr", "spearman", "rho-a", "tau-a", "tau-b", "corr_cov", "cosine_cov")
#: methods that compare angles (defined for one entry, undefined for an all-zero RDM); the others
#: are correlations (they need two entries and are undefined for a constant RDM)
COSINE_METHODS = ("cosine", "cosine_cov")


def compare(rdms, reference, method: str = "corr", *, sigma_k=None):
    """Similarity between RDMs, numerically identical to ``rsatoolbox.rdm.compare``.

    Parameters
    ----------
    rdms, reference : RDM DataArray, rsatoolbox RDMs or array
        One or several RDMs each (leading dims such as ``rdm``, ``layer`` or ``subject``).
        They must cover the same stimuli; ``reference`` is reordered to ``rdms``' order by
        stimulus id (a ValueError names ids present on one side only).
    method : str
        ``"cosine"``, ``"corr"`` (Pearson), ``"spearman"``, ``"rho-a"`` (Spearman without
        tie correction, Nili et al. 2014), ``"tau-a"``, ``"tau-b"`` (Kendall),
        ``"corr_cov"`` and ``"cosine_cov"`` (after whitening the RDM entries' covariance,
        Diedrichsen et al. 2021).
    sigma_k : array, optional
        Pattern covariance for ``corr_cov``/``cosine_cov``: ``None`` (identity), a vector
        (diagonal) or a full symmetric positive-definite ``(n, n)`` matrix. With a full
        matrix the similarity is the cosine in the metric of the RDM entries' covariance
        ``V = (C S C') o (C S C')`` (Diedrichsen et al. 2021), solved exactly (rsatoolbox
        solves it iteratively, to about 1e-5), up to 12,000 valid entries.

    Returns
    -------
    float or xarray.DataArray
        A float when both arguments are single RDMs; otherwise a DataArray with the leading
        dims of ``rdms`` then those of ``reference`` (renamed ``reference`` if the names clash).

    Notes
    -----
    Entries that are NaN in any RDM are left out of every comparison. As in rsatoolbox, the
    NaN positions of ``rdms`` and ``reference`` must agree; mask the other side with
    ``rdms.where(reference.notnull())`` otherwise.

    A correlation needs at least two defined entries (three stimuli) and a cosine one;
    fewer raise a ValueError. A similarity that is undefined (a constant RDM for the
    correlations, an all-zero RDM for the cosines) is NaN, with a warning naming the RDM.
    """
    import xarray as xr

    check_option("method", method, COMPARE_METHODS)
    a = as_rdm(rdms, name="rdms")
    b = align(a, as_rdm(reference, name="reference"))
    va, vb = vectors(a), vectors(b)
    sim = compare_vectors(va, vb, method, sigma_k=sigma_k)
    check_defined(va, vb, method, labels=(leading_labels(a), leading_labels(b)), sim=sim)
    if a.ndim == 2 and b.ndim == 2:
        return float(sim[0, 0])
    lead_a, lead_b = list(a.dims[:-2]), list(b.dims[:-2])
    rename = {d: "reference" if d in lead_a else d for d in lead_b}
    shape = [a.sizes[d] for d in lead_a] + [b.sizes[d] for d in lead_b]
    coords = {}
    for d in lead_a:
        for c in a.coords:
            if a[c].dims == (d,):
                coords[c] = (d, a[c].values)
    for d in lead_b:
        for c in b.coords:
            if b[c].dims == (d,):
                name = rename[d] if c == d else (c if c not in coords else f"{c}_reference")
                coords[name] = (rename[d], b[c].values)
    return xr.DataArray(sim.reshape(shape), dims=[*lead_a, *[rename[d] for d in lead_b]], coords=coords,
                        attrs={"method": method})


def check_defined(v1: np.ndarray, v2: np.ndarray, method: str, *, labels=None, sim=None) -> np.ndarray:
    """Refuse comparisons with too few entries; log which RDMs make similarities undefined.

    Returns a boolean (K, M) array: True where the similarity of ``v1[k]`` and ``v2[m]``
    is undefined (NaN in ``sim`` when given, else a constant or all-zero RDM).
    """
    v1, v2 = np.atleast_2d(v1), np.atleast_2d(v2)
    mask = valid_mask(v1, v2)
    need = 1 if method in COSINE_METHODS else 2
    if mask.sum() < need:
        n = n_from_length(v1.shape[1])
        least = "a cosine needs at least 1" if need == 1 else "a correlation needs at least 2 (3 stimuli)"
        raise ValueError(f"Invalid RDMs for method {method!r}: {int(mask.sum())} defined entr"
                         f"{'y' if mask.sum() == 1 else 'ies'} ({n} stimuli); {least}, so the comparison is "
                         "undefined. Use more stimuli.")
    flat = [_degenerate(v[:, mask], method) for v in (v1, v2)]
    undefined = flat[0][:, None] | flat[1][None, :]
    if sim is not None:
        undefined = undefined | np.isnan(sim)
    if undefined.any():
        what = "all zero" if method in COSINE_METHODS else "constant"
        names = []
        for side, bad, labs in zip(("rdms", "reference"), flat, labels or ([{}] * len(v1), [{}] * len(v2))):
            for i in np.flatnonzero(bad)[:5]:
                lab = labs[i] if i < len(labs) else {}
                names.append(f"{side} {', '.join(repr(x) for x in lab.values()) if lab else i}")
        logger.warning("%d of %d %r similarities are undefined (NaN): %s%s.", int(undefined.sum()),
                       undefined.size, method, f"these RDMs are {what} over their defined entries: "
                       if names else "", "; ".join(names) if names else "degenerate RDM vectors")
    return undefined


def _degenerate(v: np.ndarray, method: str) -> np.ndarray:
    """Per RDM: all zero (cosines) or constant (correlations) over the given entries."""
    if method in COSINE_METHODS:
        return ~(v != 0).any(1)
    return ~(v != v[:, :1]).any(1)


def valid_mask(v1: np.ndarray, v2: np.ndarray) -> np.ndarray:
    """Entries defined in every RDM; raises like rsatoolbox when the two sets disagree."""
    m1 = ~np.isnan(v1).any(axis=0)
    m2 = ~np.isnan(v2).any(axis=0)
    if not np.array_equal(m1, m2):
        raise ValueError(f"The RDMs have NaN entries in different places ({int((~m1).sum())} undefined in 'rdms', "
                         f"{int((~m2).sum())} in 'reference'); rsatoolbox refuses this too. Mask both at the same "
                         "entries first, e.g. rdms.where(reference.notnull()).")
    return m1


def compare_vectors(v1: np.ndarray, v2: np.ndarray, method: str, *, sigma_k=None) -> np.ndarray:
    """(K, P) x (M, P) RDM vectors -> (K, M) similarities."""
    v1 = np.atleast_2d(np.asarray(v1, dtype=float))
    v2 = np.atleast_2d(np.asarray(v2, dtype=float))
    if v1.shape[1] != v2.shape[1]:
        raise ValueError(f"The RDMs have different sizes ({v1.shape[1]} and {v2.shape[1]} entries).")
    if method in ("corr_cov", "cosine_cov"):
        return _cov_weighted(v1, v2, method, sigma_k)
    if sigma_k is not None:
        raise ValueError(f"Invalid value for 'sigma_k': only 'corr_cov' and 'cosine_cov' use it; method is {method!r}.")
    mask = valid_mask(v1, v2)
    a, b = v1[:, mask], v2[:, mask]
    if method == "cosine":
        return cosine(a, b)
    if method == "corr":
        return cosine(a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True))
    if method in ("spearman", "rho-a"):
        from scipy.stats import rankdata

        ra, rb = rankdata(a, axis=1), rankdata(b, axis=1)
        ra -= ra.mean(1, keepdims=True)
        rb -= rb.mean(1, keepdims=True)
        if method == "spearman":
            return cosine(ra, rb)
        n = a.shape[1]
        out = ra @ rb.T * 12 / (n ** 3 - n) if n > 1 else np.zeros((len(a), len(b)))
        out[_degenerate(ra, "cosine")[:, None] | _degenerate(rb, "cosine")[None, :]] = np.nan
        return out
    return _kendall(a, b, variant=method)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of every row of ``a`` with every row of ``b``; NaN where a row has zero length (undefined)."""
    na = np.sqrt(np.einsum("ij,ij->i", a, a))
    nb = np.sqrt(np.einsum("ij,ij->i", b, b))
    out = a @ b.T
    with np.errstate(invalid="ignore", divide="ignore"):
        out = out / na[:, None] / nb[None, :]
    out[~((na > 0)[:, None] & (nb > 0)[None, :])] = np.nan
    return out


def _kendall(a, b, *, variant):
    from scipy.stats import kendalltau

    out = np.empty((len(a), len(b)))
    n0 = a.shape[1] * (a.shape[1] - 1) // 2
    ties_a = [_tied_pairs(x) for x in a]
    ties_b = [_tied_pairs(y) for y in b]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            if ties_a[i] == n0 or ties_b[j] == n0:  # a constant vector: undefined
                out[i, j] = np.nan
                continue
            tb = kendalltau(x, y).statistic
            if variant == "tau-b":
                out[i, j] = tb
                continue
            denom = (n0 - ties_a[i]) * (n0 - ties_b[j])
            # tau-a = (concordant - discordant) / all pairs = tau-b * sqrt((n0 - n1)(n0 - n2)) / n0
            out[i, j] = np.nan if denom == 0 else float(np.clip(tb * np.sqrt(denom) / n0, -1, 1))
    return out


def _tied_pairs(x) -> int:
    _, counts = np.unique(x, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def _cov_weighted(v1, v2, method, sigma_k):
    """Cosine (or correlation) after whitening the covariance of RDM entries.

    Each RDM is mapped to the double-centred second-moment matrix G = -H D H / 2 (with a
    weighted least-squares centring when entries are missing); the cosine of the
    off-diagonal (counted twice) and diagonal entries is the whitened similarity.
    """
    mask = valid_mask(v1, v2)
    full = False
    if sigma_k is not None:
        n = n_from_length(mask.shape[0])
        sigma_k = np.asarray(sigma_k, dtype=float)
        if sigma_k.shape not in ((n,), (n, n)):
            raise ValueError(f"Invalid value for 'sigma_k': expected a vector of {n} pattern variances or an "
                             f"({n}, {n}) covariance matrix for these {n}-stimulus RDMs; got shape {sigma_k.shape}.")
        if sigma_k.ndim == 2:
            if not np.allclose(sigma_k, sigma_k.T):
                raise ValueError("Invalid value for 'sigma_k': the covariance matrix is not symmetric.")
            try:
                np.linalg.cholesky(sigma_k)
            except np.linalg.LinAlgError:
                raise ValueError("Invalid value for 'sigma_k': the covariance matrix is not positive definite."
                                 ) from None
            full = True
    if method == "corr_cov":
        v1 = v1 - np.nanmean(v1[:, mask], axis=1, keepdims=True)
        v2 = v2 - np.nanmean(v2[:, mask], axis=1, keepdims=True)
    if full:
        return _cosine_in_metric(v1[:, mask], v2[:, mask], _distance_covariance(sigma_k, mask))
    w1 = _whitened(v1[:, mask], mask, sigma_k)
    w2 = _whitened(v2[:, mask], mask, sigma_k)
    return cosine(w1, w2)


#: largest number of RDM entries for the dense solve of a full ``sigma_k`` (memory grows with its square)
MAX_FULL_SIGMA_ENTRIES = 12_000


def _distance_covariance(sigma_k, mask):
    """Covariance of the RDM entries under pattern covariance ``sigma_k``: V = (C S C') o (C S C'), C the
    pairwise contrasts (Diedrichsen et al. 2021; rsatoolbox's ``_get_v``), rows and columns of the valid entries."""
    n = sigma_k.shape[0]
    if int(mask.sum()) > MAX_FULL_SIGMA_ENTRIES:
        raise ValueError(f"Invalid value for 'sigma_k': a full covariance matrix needs a dense {int(mask.sum())}^2 "
                         f"solve for {n}-stimulus RDMs (limit {MAX_FULL_SIGMA_ENTRIES} entries); pass its diagonal.")
    i, j = triu_indices(n)
    i, j = i[mask], j[mask]
    a = sigma_k[i][:, i] - sigma_k[i][:, j] - sigma_k[j][:, i] + sigma_k[j][:, j]     # C S C'
    return a * a


def _cosine_in_metric(a, b, v):
    """a' V^-1 b / sqrt(a' V^-1 a) / sqrt(b' V^-1 b) for every row pair (exact Cholesky solve)."""
    from scipy.linalg import cho_factor, cho_solve

    f = cho_factor(v)
    va, vb = cho_solve(f, a.T), cho_solve(f, b.T)
    out = a @ vb
    with np.errstate(invalid="ignore", divide="ignore"):
        out = out / np.sqrt(np.einsum("ij,ji->i", a, va))[:, None] / np.sqrt(np.einsum("ij,ji->i", b, vb))[None, :]
    return out


def _whitened(vec, mask, sigma_k):
    n = n_from_length(mask.shape[0])
    iu = triu_indices(n)
    rows = np.concatenate([iu[0][mask], np.arange(n)])
    cols = np.concatenate([iu[1][mask], np.arange(n)])
    n_off = int(mask.sum())
    g = np.concatenate([-0.5 * vec, np.zeros((len(vec), n))], axis=1)
    if mask.all():
        full = np.zeros((len(vec), n, n))
        full[:, iu[0], iu[1]] = g[:, :n_off]
        full[:, iu[1], iu[0]] = g[:, :n_off]
        row_mean = full.mean(2)
        grand = full.mean((1, 2))
        g = g - row_mean[:, rows] - row_mean[:, cols] + grand[:, None]
    else:
        # centring with missing entries: remove the best additive row/column fit, weighting each
        # off-diagonal entry 1/2 (it stands for two cells) and each diagonal entry 1
        z = np.zeros((len(rows), n))
        z[np.arange(len(rows)), rows] += 1
        z[np.arange(len(rows)), cols] += 1
        z[n_off:] /= 2
        w = np.concatenate([np.full(n_off, 0.5), np.ones(n)])
        proj = (w[:, None] * z) @ np.linalg.inv(z.T @ (w[:, None] * z)) @ z.T
        g = g - g @ proj.T
    if sigma_k is not None:
        s = np.sqrt(sigma_k)
        g = g / s[rows] / s[cols]
    g[:, :n_off] *= np.sqrt(2)
    return g
