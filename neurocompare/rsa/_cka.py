"""Centred kernel alignment (Kornblith et al. 2019), from Gram matrices."""
from __future__ import annotations

import numpy as np


def cka(x, y, *, unbiased: bool = False):
    """Linear CKA between the representations of the same stimuli.

    Parameters
    ----------
    x, y : xarray.DataTree, xarray.DataArray or array
        Activations ``(stimulus, unit)``, or activation trees (every layer of ``x`` against
        every layer of ``y``). Stimuli must be the same and in the same order (DataArrays
        are aligned by stimulus id).
    unbiased : bool
        Use the unbiased HSIC estimator (Song et al. 2012; needs at least 4 stimuli) instead
        of the biased one. The unbiased estimate is not bounded to [0, 1] for small samples.

    Returns
    -------
    float or xarray.DataArray
        A float for two layers; a DataArray ``(layer_x, layer_y)`` for trees.

    Notes
    -----
    CKA(X, Y) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) with K = X X^T and L = Y Y^T.
    The Gram matrices are accumulated over chunks of units, so very wide layers are fine.
    Each unit is centred over the stimuli before its products (CKA does not change, and a
    large common mean cannot cancel catastrophically). NaN/inf activations, and
    activations that are constant across the stimuli (CKA is then 0/0), raise a ValueError.
    """
    import xarray as xr

    if isinstance(x, xr.DataTree) or isinstance(y, xr.DataTree):
        return _cka_trees(x, y, unbiased)
    gx, ids_x = _gram(x, "x")
    gy, ids_y = _gram(y, "y")
    if ids_x is not None and ids_y is not None and list(ids_x) != list(ids_y):
        if set(ids_x) != set(ids_y):
            raise ValueError("Invalid value for 'y': it covers other stimuli than 'x' (e.g. "
                             f"{sorted(set(ids_x) ^ set(ids_y))[:5]}).")
        order = {s: i for i, s in enumerate(ids_y)}
        idx = np.array([order[s] for s in ids_x])
        gy = gy[np.ix_(idx, idx)]
    if len(gx) != len(gy):
        raise ValueError(f"Invalid value for 'y': {len(gy)} stimuli, but 'x' has {len(gx)}.")
    return float(cka_from_grams(gx, gy, unbiased=unbiased))


def cka_from_grams(k: np.ndarray, lmat: np.ndarray, *, unbiased: bool = False) -> float:
    hxy = _hsic(k, lmat, unbiased)
    hxx = _hsic(k, k, unbiased)
    hyy = _hsic(lmat, lmat, unbiased)
    return hxy / np.sqrt(hxx * hyy)


def _hsic(k, lmat, unbiased):
    n = len(k)
    if not unbiased:
        h = np.eye(n) - 1.0 / n
        return float(np.sum((h @ k @ h) * lmat)) / (n - 1) ** 2
    if n < 4:
        raise ValueError(f"Unbiased CKA needs at least 4 stimuli; got {n}.")
    kt, lt = k.copy(), lmat.copy()
    np.fill_diagonal(kt, 0.0)
    np.fill_diagonal(lt, 0.0)
    term = np.sum(kt * lt) + kt.sum() * lt.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * kt.sum(0) @ lt.sum(1)
    return float(term / (n * (n - 3)))


def _gram(x, name):
    """The Gram matrix of the activations with every unit centred over the stimuli, and the stimulus ids."""
    import xarray as xr

    from ._compute import _Engine

    ids = units = None
    if isinstance(x, xr.DataArray):
        if x.ndim != 2:
            raise ValueError(f"Invalid value for {name!r}: expected dims (stimulus, unit); got {x.dims}.")
        ids = list(map(str, x[x.dims[0]].values)) if x.dims[0] in x.coords else None
        units = np.asarray(x[x.dims[1]].values) if x.dims[1] in x.coords else None
        src = x
    else:
        src = np.asarray(x, dtype=float)
        if src.ndim != 2:
            raise ValueError(f"Invalid value for {name!r}: expected a (stimulus, unit) array; got shape {src.shape}.")
    eng = _Engine(src, device="cpu", dtype="float64", chunk_bytes=256 * 2**20, ids=ids, units=units, name=name)
    g = np.zeros((eng.n, eng.n))
    varies = False
    for chunk in eng.chunks():
        varies = varies or bool((chunk.max(0) > chunk.min(0)).any())
        chunk = chunk - chunk.mean(0, keepdims=True)
        g += chunk @ chunk.T
    if not varies:
        raise ValueError(f"Invalid value for {name!r}: the activations are constant across the stimuli (every unit "
                         "has zero variance), so CKA is undefined (0/0). Choose another layer.")
    return g, ids


def _cka_trees(x, y, unbiased):
    import xarray as xr

    from ..extraction import iter_layers

    lx = list(iter_layers(x)) if isinstance(x, xr.DataTree) else [("x", "x", x)]
    ly = list(iter_layers(y)) if isinstance(y, xr.DataTree) else [("y", "y", y)]
    grams_y = [_gram(da, f"y ({m}/{lay})") for m, lay, da in ly]
    out = np.empty((len(lx), len(ly)))
    for i, (m, lay, da) in enumerate(lx):
        gx, _ = _gram(da, f"x ({m}/{lay})")
        for j, (gy, _) in enumerate(grams_y):
            out[i, j] = cka_from_grams(gx, gy, unbiased=unbiased)
    return xr.DataArray(out, dims=("layer_x", "layer_y"),
                        coords={"layer_x": [f"{m}/{lay}" for m, lay, _ in lx],
                                "layer_y": [f"{m}/{lay}" for m, lay, _ in ly]},
                        attrs={"method": "unbiased linear CKA" if unbiased else "linear CKA"})
