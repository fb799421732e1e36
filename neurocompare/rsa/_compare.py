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
    Missing entries (NaN, e.g. pairs a subject never rated) are handled by pairwise
    deletion: each similarity uses the entries that both of its RDMs define. When every
    RDM has the same missing entries this is rsatoolbox's result exactly (rsatoolbox
    refuses RDMs whose missing entries differ); :func:`pair_counts` says how many entries
    each comparison used.

    A correlation needs at least two shared defined entries (three stimuli) and a cosine
    one; fewer raise a ValueError naming the RDMs. A similarity that is undefined (a constant RDM for the
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


def pair_counts(rdms, reference):
    """How many stimulus pairs each comparison of :func:`compare` and :func:`evaluate` uses.

    With missing entries (pairs a subject never rated, for example) every comparison uses
    the pairs both RDMs define (pairwise deletion); this table says how many that is.

    Parameters
    ----------
    rdms, reference : RDM DataArray, rsatoolbox RDMs or array
        As for :func:`compare`.

    Returns
    -------
    pandas.DataFrame
        One row per pair of RDMs: the labels of ``rdms``' and ``reference``'s leading dims
        (a label of ``reference`` that ``rdms`` also has is suffixed ``_reference``),
        ``n_pairs`` (entries defined in both), ``n_possible`` (``n (n - 1) / 2``) and
        ``fraction``.
    """
    import pandas as pd

    a = as_rdm(rdms, name="rdms")
    b = align(a, as_rdm(reference, name="reference"))
    counts = count_shared(vectors(a), vectors(b))
    la, lb = leading_labels(a), leading_labels(b)
    n = a.sizes["stimulus_a"]
    rows = []
    for i, x in enumerate(la):
        for j, y in enumerate(lb):
            row = dict(x)
            row.update({(f"{k}_reference" if k in x else k): val for k, val in y.items()})
            row.update(n_pairs=int(counts[i, j]), n_possible=n * (n - 1) // 2)
            rows.append(row)
    out = pd.DataFrame(rows)
    out["fraction"] = out["n_pairs"] / out["n_possible"]
    return out


def check_defined(v1: np.ndarray, v2: np.ndarray, method: str, *, labels=None, sim=None) -> np.ndarray:
    """Refuse comparisons with too few shared entries; log which RDMs make similarities undefined.

    Returns a boolean (K, M) array: True where the similarity of ``v1[k]`` and ``v2[m]``
    is undefined (NaN in ``sim`` when given, else a constant or all-zero RDM).
    """
    v1, v2 = np.atleast_2d(v1), np.atleast_2d(v2)
    labels = labels or ([{}] * len(v1), [{}] * len(v2))
    counts = count_shared(v1, v2)
    need = 1 if method in COSINE_METHODS else 2
    if (counts < need).any():
        n = n_from_length(v1.shape[1])
        least = "a cosine needs at least 1" if need == 1 else "a correlation needs at least 2 (3 stimuli)"
        if (counts == counts.flat[0]).all():
            k = int(counts.flat[0])
            raise ValueError(f"Invalid RDMs for method {method!r}: {k} defined entr{'y' if k == 1 else 'ies'} "
                             f"({n} stimuli); {least}, so the comparison is undefined. Use more stimuli.")
        bad = np.argwhere(counts < need)
        named = "; ".join(f"{_name('rdms', labels[0], i)} and {_name('reference', labels[1], j)}: "
                          f"{int(counts[i, j])}" for i, j in bad[:5])
        raise ValueError(f"Invalid RDMs for method {method!r}: {len(bad)} comparison(s) have too few entries defined "
                         f"in both RDMs ({n} stimuli; {named}); {least}, so the comparison is undefined. Remove "
                         "those RDMs (e.g. a subject who rated almost no pairs) or use more stimuli.")
    flat = [_degenerate(v, method) for v in (v1, v2)]
    undefined = flat[0][:, None] | flat[1][None, :]
    if sim is not None:
        undefined = undefined | np.isnan(sim)
    if undefined.any():
        what = "all zero" if method in COSINE_METHODS else "constant"
        names = []
        for side, bad, labs in zip(("rdms", "reference"), flat, labels):
            for i in np.flatnonzero(bad)[:5]:
                names.append(_name(side, labs, i))
        logger.warning("%d of %d %r similarities are undefined (NaN): %s%s.", int(undefined.sum()),
                       undefined.size, method, f"these RDMs are {what} over their defined entries: "
                       if names else "", "; ".join(names) if names else "degenerate RDM vectors")
    return undefined


def _name(side, labs, i):
    lab = labs[i] if i < len(labs) else {}
    return f"{side} {', '.join(repr(x) for x in lab.values()) if lab else i}"


def _degenerate(v: np.ndarray, method: str) -> np.ndarray:
    """Per RDM: all zero (cosines) or constant (correlations) over its defined entries."""
    defined = ~np.isnan(v)
    if method in COSINE_METHODS:
        return ~((v != 0) & defined).any(1)
    with np.errstate(invalid="ignore"):
        lo = np.where(defined, v, np.inf).min(1)
        hi = np.where(defined, v, -np.inf).max(1)
    return ~(hi > lo)


def count_shared(v1: np.ndarray, v2: np.ndarray) -> np.ndarray:
    """(K, P) x (M, P) RDM vectors -> (K, M) numbers of entries defined in both."""
    d1 = (~np.isnan(np.atleast_2d(v1))).astype(np.float64)
    d2 = (~np.isnan(np.atleast_2d(v2))).astype(np.float64)
    return np.rint(d1 @ d2.T).astype(np.int64)


def common_mask(v1: np.ndarray, v2: np.ndarray) -> np.ndarray | None:
    """The entries defined in every RDM when all RDMs define the same entries, else None."""
    d1, d2 = ~np.isnan(v1), ~np.isnan(v2)
    first = d1[0]
    if (d1 == first).all() and (d2 == first).all():
        return first
    return None


def mask_groups(v: np.ndarray):
    """Rows of ``v`` grouped by which entries they define: [(row indices, mask), ...]."""
    defined = ~np.isnan(v)
    if (defined == defined[0]).all():
        return [(np.arange(len(v)), defined[0])]
    uniq, inverse = np.unique(defined, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return [(np.flatnonzero(inverse == g), m) for g, m in enumerate(uniq)]


def valid_mask(v1: np.ndarray, v2: np.ndarray) -> np.ndarray:
    """Entries defined in every RDM of both sets (the entries all comparisons share)."""
    return ~(np.isnan(v1).any(axis=0) | np.isnan(v2).any(axis=0))


def compare_vectors(v1: np.ndarray, v2: np.ndarray, method: str, *, sigma_k=None) -> np.ndarray:
    """(K, P) x (M, P) RDM vectors -> (K, M) similarities, each on the entries both RDMs define.

    RDMs that define the same entries are compared together (one call for the usual case of
    no or common missing entries); otherwise every pair of mask groups is compared on the
    intersection of its masks (pairwise deletion). Too few shared entries give NaN.
    """
    v1 = np.atleast_2d(np.asarray(v1, dtype=float))
    v2 = np.atleast_2d(np.asarray(v2, dtype=float))
    if v1.shape[1] != v2.shape[1]:
        raise ValueError(f"The RDMs have different sizes ({v1.shape[1]} and {v2.shape[1]} entries).")
    if method not in ("corr_cov", "cosine_cov") and sigma_k is not None:
        raise ValueError(f"Invalid value for 'sigma_k': only 'corr_cov' and 'cosine_cov' use it; method is {method!r}.")
    mask = common_mask(v1, v2)
    if mask is not None:
        return _compare_on(v1, v2, mask, method, sigma_k)
    need = 1 if method in COSINE_METHODS else 2
    out = np.full((len(v1), len(v2)), np.nan)
    for rows1, m1 in mask_groups(v1):
        for rows2, m2 in mask_groups(v2):
            m = m1 & m2
            if m.sum() >= need:
                a, b = np.where(m, v1[rows1], np.nan), np.where(m, v2[rows2], np.nan)
                out[np.ix_(rows1, rows2)] = _compare_on(a, b, m, method, sigma_k)
    return out


def _compare_on(v1, v2, mask, method, sigma_k):
    """Similarities of RDM vectors that all define exactly the entries ``mask``."""
    if method in ("corr_cov", "cosine_cov"):
        return _cov_weighted(v1, v2, method, sigma_k, mask)
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


def _cov_weighted(v1, v2, method, sigma_k, mask):
    """Cosine (or correlation) after whitening the covariance of RDM entries.

    Each RDM is mapped to the double-centred second-moment matrix G = -H D H / 2 (with a
    weighted least-squares centring when entries are missing); the cosine of the
    off-diagonal (counted twice) and diagonal entries is the whitened similarity.
    """
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
        # centring with missing entries (rsatoolbox's): g - W Z (Z'WZ)^-1 Z'g, Z the row + column indicators,
        # W 1/2 for each off-diagonal entry (it stands for two cells) and 1 for each diagonal entry; Z is
        # sparse, so Z'g and W Z h are scatters and gathers, and Z'WZ an n x n matrix
        i, j = iu[0][mask], iu[1][mask]
        adj = np.zeros((n, n))
        adj[i, j] = adj[j, i] = 1
        normal = 0.5 * (np.diag(adj.sum(1)) + adj) + np.eye(n)
        rhs = np.zeros((n, len(vec)))
        np.add.at(rhs, i, g[:, :n_off].T)
        np.add.at(rhs, j, g[:, :n_off].T)
        h = np.linalg.solve(normal, rhs).T                        # (R, n)
        g = g - np.concatenate([0.5 * (h[:, i] + h[:, j]), h], axis=1)
    if sigma_k is not None:
        s = np.sqrt(sigma_k)
        g = g / s[rows] / s[cols]
    g[:, :n_off] *= np.sqrt(2)
    return g
