"""``compute_rdm``: RDMs from activations, built from Gram matrices accumulated over feature chunks."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_finite_activations, check_option, check_positive_int, check_real
from .._utils.logging import logger
from .._utils.progress import progress_bar
from ._format import make_rdm, square, triu_indices

METHODS = ("euclidean", "correlation", "cosine", "mahalanobis", "crossnobis", "poisson")
CHUNK_BYTES = 256 * 2**20


def compute_rdm(data, method: str = "correlation", *, descriptor=None, cv_descriptor=None, noise=None,
                remove_mean: bool = False, prior_lambda: float = 1.0, prior_weight: float = 0.1,
                device: str = "auto", dtype: str = "float64", chunk_bytes: int = CHUNK_BYTES, progress: bool = True,
                scheduler=None):
    """Representational dissimilarity matrices, numerically identical to ``rsatoolbox.rdm.calc_rdm``.

    Parameters
    ----------
    data : xarray.DataTree, xarray.DataArray or array
        An activation tree from :func:`neurocompare.extract` (one RDM per layer), one
        layer's DataArray ``(stimulus, unit)``, or an array ``(n_observations, n_channels)``.
        Zarr/dask-backed layers are read one chunk of units at a time.
    method : str
        ``"euclidean"`` (squared, divided by the number of channels), ``"correlation"``
        (1 - Pearson r), ``"cosine"`` (1 - cosine similarity), ``"mahalanobis"``
        (squared, with the precision matrix ``noise``, divided by the number of channels),
        ``"crossnobis"`` (cross-validated Mahalanobis over the folds in ``cv_descriptor``)
        or ``"poisson"`` (symmetrised KL divergence of Poisson rates, with a prior).
    descriptor : str or array, optional
        Condition label of each observation (a stimulus coordinate name, or an array).
        Observations with the same label are averaged, as rsatoolbox does; required for
        crossnobis. Conditions keep the order of their first appearance.
    cv_descriptor : str or array, optional
        Cross-validation fold of each observation (crossnobis). By default the k-th
        occurrence of each condition is fold k, as in rsatoolbox.
    noise : array, list or dict, optional
        Precision matrix (channels x channels) for mahalanobis and crossnobis; identity
        when omitted. For crossnobis also one precision per fold: a list (or a
        ``(folds, channels, channels)`` array) in the sorted order of the fold labels, or a
        dict ``{fold label: precision}``. Then, as in rsatoolbox, every pair of folds
        ``i < j`` is crossed with the precision ``inv((inv(P_i) + inv(P_j)) / 2)`` and the
        pair RDMs are averaged (instead of each fold against the mean of the others).
    remove_mean : bool
        Subtract each pattern's mean over channels first (euclidean, mahalanobis, crossnobis).
    prior_lambda, prior_weight : float
        Poisson prior, as in rsatoolbox.
    device : str
        ``"auto"`` (a CUDA GPU where there is one, else the cpu), ``"cpu"`` (numpy BLAS), or a
        torch device such as ``"cuda"`` for the Gram products.
    dtype : {"float64", "float32"}
        Precision of the Gram products. float64 (the default) is needed for agreement with
        rsatoolbox to 1e-8; float32 is faster on GPUs.
    chunk_bytes : int
        Memory for one chunk of channels; arrays that are not already in memory as
        float64 are processed chunk by chunk.
    progress : bool
        Show a progress bar over the layers of a tree.
    scheduler : None, "local", str or distributed.Client
        ``None``: here. Otherwise a dask cluster (``"local"``, an address such as
        ``"tcp://host:8786"``, or a ``distributed.Client``) computes the layers of a tree
        as parallel tasks, each worker reading its layer chunk by chunk (a zarr-backed
        tree must then be on storage the workers reach). The RDMs equal the local ones.
        Needs ``pip install "neurocompare[dask]"``.

    Returns
    -------
    xarray.DataArray
        ``(stimulus_a, stimulus_b)`` for a DataArray or array, ``(rdm, stimulus_a,
        stimulus_b)`` for a tree (coords ``model``, ``layer``, ``stream`` on ``rdm``).
        Stimulus ids and factors are kept and never reordered; attrs record the method.
    """
    import xarray as xr

    check_option("method", method, METHODS)
    check_option("dtype", dtype, ("float64", "float32"))
    prior_lambda = check_real("prior_lambda", prior_lambda, low=0)
    prior_weight = check_real("prior_weight", prior_weight, low=0)
    chunk_bytes = check_positive_int("chunk_bytes", chunk_bytes)
    raw_device = device
    device = _gram_device(device)
    if isinstance(data, xr.DataTree):
        from ..extraction import iter_layers

        layers = list(iter_layers(data))
        if not layers:
            raise ValueError("Invalid value for 'data': the activation tree holds no layers.")
        args = (method, descriptor, cv_descriptor, noise, remove_mean, prior_lambda, prior_weight)
        if scheduler is not None:
            rdms = _on_cluster(scheduler, [da for _, _, da in layers], args, raw_device, dtype, chunk_bytes,
                               progress=progress)
        else:
            rdms = []
            with progress_bar(len(layers), "RDMs", enable=progress) as advance:
                for _, _, da in layers:
                    rdms.append(_compute_one(da, *args, device, dtype, chunk_bytes))
                    advance()
        first = rdms[0]
        for r, (model, layer, _) in zip(rdms[1:], layers[1:]):
            if list(r.stimulus_a.values) != list(first.stimulus_a.values):
                raise ValueError(f"Layer {model}/{layer} has other stimuli than the first layer.")
        out = xr.concat(rdms, dim="rdm", coords="minimal", compat="override", combine_attrs="drop")
        out = out.assign_coords(rdm=np.arange(len(layers)), model=("rdm", [m for m, _, _ in layers]),
                                layer=("rdm", [lay for _, lay, _ in layers]),
                                stream=("rdm", [da.attrs.get("stream", "") for _, _, da in layers]))
        out.attrs = {"method": method}
        return out
    if scheduler is not None:
        return _on_cluster(scheduler, [data], (method, descriptor, cv_descriptor, noise, remove_mean, prior_lambda,
                                               prior_weight), raw_device, dtype, chunk_bytes, progress=progress)[0]
    return _compute_one(data, method, descriptor, cv_descriptor, noise, remove_mean, prior_lambda, prior_weight,
                        device, dtype, chunk_bytes)


def _layer_task(data, args, device, dtype, chunk_bytes):
    """On a worker: one RDM, the layer's chunks read here (synchronously: no tasks spawned from a task)."""
    import dask

    with dask.config.set(scheduler="synchronous"):
        return _compute_one(data, *args, _gram_device(device), dtype, chunk_bytes, warn=False)


def _on_cluster(scheduler, datas, args, device, dtype, chunk_bytes, *, progress):
    """RDMs of ``datas`` as one task each on a dask cluster, in order; undefined entries reported here."""
    from .._utils.scheduler import using_scheduler

    with using_scheduler(scheduler, progress=progress) as client:
        from distributed import as_completed

        futures = [client.submit(_layer_task, d, args, device, dtype, chunk_bytes, pure=False) for d in datas]
        try:
            with progress_bar(len(futures), "RDMs on dask workers", enable=progress) as advance:
                for _ in as_completed(futures):
                    advance()
            rdms = client.gather(futures)
        finally:
            client.cancel(futures)
    for r in rdms:
        if np.isnan(r.values).any():
            _warn_undefined(r.values, args[0], r["stimulus_a"].values)
    return rdms


def _gram_device(device):
    """``"auto"`` -> ``"cuda"`` where torch sees a GPU, else ``"cpu"`` (mps has no float64)."""
    if device != "auto":
        return device
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def _compute_one(data, method, descriptor, cv_descriptor, noise, remove_mean, prior_lambda, prior_weight, device,
                 dtype, chunk_bytes, warn: bool = True):
    import xarray as xr

    ids, factors, attrs, units = None, {}, {}, None
    if isinstance(data, xr.DataArray):
        if data.ndim != 2:
            raise ValueError(f"Invalid value for 'data': expected a 2-D DataArray (stimulus, unit); got dims "
                             f"{data.dims}.")
        obs_dim = data.dims[0]
        ids = np.asarray(data[obs_dim].values).astype(str) if obs_dim in data.coords else None
        factors = {c: np.asarray(data[c].values) for c in data.coords
                   if data[c].dims == (obs_dim,) and c != obs_dim}
        attrs = {k: data.attrs[k] for k in ("model", "layer", "stream") if k in data.attrs}
        unit_dim = data.dims[1]
        units = np.asarray(data[unit_dim].values) if unit_dim in data.coords else None
        descriptor = _descriptor(data, descriptor, "descriptor")
        cv_descriptor = _descriptor(data, cv_descriptor, "cv_descriptor")
        source = data
    else:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise ValueError(f"Invalid value for 'data': expected an array (n_observations, n_channels); got shape "
                             f"{arr.shape}.")
        source = arr
        descriptor = None if descriptor is None else np.asarray(descriptor)
        cv_descriptor = None if cv_descriptor is None else np.asarray(cv_descriptor)
    if np.dtype(source.dtype).kind not in "biuf":
        raise TypeError(f"Invalid value for 'data': expected numeric activations (n_observations, n_channels); got "
                        f"an array of {np.dtype(source.dtype)}. Convert it with np.asarray(data, dtype=float) if the "
                        "values are numbers stored as text.")
    n_obs, n_chan = source.shape
    if n_obs < 2 or n_chan < 1:
        raise ValueError(f"Invalid value for 'data': an RDM needs at least 2 patterns and 1 channel; got shape "
                         f"({n_obs}, {n_chan}).")
    for nm, d in (("descriptor", descriptor), ("cv_descriptor", cv_descriptor)):
        if d is not None and len(d) != n_obs:
            raise ValueError(f"Invalid value for {nm!r}: {len(d)} labels for {n_obs} observations.")
    if method == "crossnobis" and descriptor is None:
        raise ValueError("Invalid value for 'descriptor': crossnobis needs the condition of each observation "
                         "(repeated measurements grouped into folds); got None.")
    if noise is not None:
        per_fold = _per_fold(noise)
        if per_fold and method != "crossnobis":
            raise ValueError(f"Invalid value for 'noise': one precision per fold is for 'crossnobis'; method is "
                             f"{method!r}. Pass a single ({n_chan}, {n_chan}) matrix.")
        if not per_fold:
            noise = np.asarray(noise, dtype=float)
            if noise.shape != (n_chan, n_chan):
                raise ValueError(f"Invalid value for 'noise': expected a ({n_chan}, {n_chan}) precision matrix; got "
                                 f"shape {noise.shape}.")
        if method not in ("mahalanobis", "crossnobis"):
            raise ValueError(f"Invalid value for 'noise': only 'mahalanobis' and 'crossnobis' use a noise precision; "
                             f"method is {method!r}.")
    eng = _Engine(source, device=device, dtype=dtype, chunk_bytes=chunk_bytes, ids=ids, units=units)
    if method == "crossnobis":
        rdm, conds = _crossnobis(eng, descriptor, cv_descriptor, noise, remove_mean)
        ids, factors = conds, _condition_factors(factors, descriptor, conds)
    else:
        if descriptor is not None:
            conds, inverse = _first_appearance(descriptor)
            eng = _Engine(_average(eng, inverse, len(conds)), device=device, dtype=dtype, chunk_bytes=chunk_bytes)
            factors = _condition_factors(factors, descriptor, conds)
            ids = conds
        rdm = _single(eng, method, noise, remove_mean, prior_lambda, prior_weight)
    if warn and np.isnan(rdm).any():
        _warn_undefined(rdm, method, ids)
    return make_rdm(rdm, ids, method=method, factors=factors, attrs={**attrs, "n_channels": int(n_chan)})


def _warn_undefined(rdm, method, ids):
    """Log which patterns make entries undefined, and why."""
    rows = np.flatnonzero(np.isnan(rdm).sum(1) >= len(rdm) - 1)
    names = [str(ids[i]) if ids is not None else int(i) for i in rows[:5]]
    why = {"correlation": "their activations are constant across the units (zero variance), so their correlation "
                          "with any other pattern is undefined",
           "cosine": "their activations are all zero, so their angle to any other pattern is undefined"}
    reason = why.get(method, "they have no defined distance to the other patterns") if len(rows) else \
        "see the NaN entries"
    logger.warning("The %s RDM has %d undefined entries (NaN), from %d stimuli %s%s: %s.", method,
                   int(np.isnan(rdm).sum() // 2), len(rows), names, " ..." if len(rows) > 5 else "", reason)


def _descriptor(da, d, name):
    if d is None or not isinstance(d, str):
        return None if d is None else np.asarray(d)
    if d not in da.coords:
        coords = [c for c in da.coords if da[c].dims == (da.dims[0],)]
        raise ValueError(f"Invalid value for {name!r}: {d!r} is not a coordinate of the data; available: {coords}.")
    return np.asarray(da[d].values)


def _first_appearance(labels):
    labels = np.asarray(labels).astype(str)
    uniq, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return uniq[order], rank[inverse.ravel()]


def _average(eng, inverse, n):
    x = np.concatenate(list(eng.chunks(np.float64)), axis=1)
    out = np.zeros((n, x.shape[1]))
    np.add.at(out, inverse, x)
    return out / np.bincount(inverse, minlength=n)[:, None]


def _condition_factors(factors, descriptor, conds):
    """Keep the factors that are constant within every condition."""
    out = {}
    labels = np.asarray(descriptor).astype(str)
    for name, vals in factors.items():
        picked = []
        for c in conds:
            v = vals[labels == c]
            if len(set(map(str, v))) != 1:
                break
            picked.append(v[0])
        else:
            out[name] = np.asarray(picked)
    return out


class _Engine:
    """Chunked access to a (patterns x channels) matrix and Gram products over the chunks."""

    def __init__(self, source, *, device, dtype, chunk_bytes, ids=None, units=None, name="data"):
        self.source = source
        self.ids, self.units, self.name = ids, units, name
        self.n, self.d = source.shape
        self.dtype = np.float64 if dtype == "float64" else np.float32
        self.device = device
        in_memory = isinstance(source, np.ndarray) or isinstance(getattr(source, "data", None), np.ndarray)
        raw = source if isinstance(source, np.ndarray) else (source.data if in_memory else None)
        if raw is not None and raw.dtype == self.dtype and raw.flags.c_contiguous:
            self.chunk = self.d  # already in the working precision: no copies at all
        else:
            self.chunk = max(1, int(chunk_bytes // (8 * self.n)))
        self._raw = raw

    def chunks(self, dtype=None):
        """The matrix chunk by chunk of channels, in the working precision; NaN/inf are refused."""
        for a in range(0, self.d, self.chunk):
            b = min(self.d, a + self.chunk)
            if self._raw is not None:
                x = self._raw[:, a:b]
            else:
                x = self.source[:, a:b].values
            x = np.ascontiguousarray(x, dtype=dtype or self.dtype)
            check_finite_activations(x, name=self.name, stimuli=self.ids, unit_offset=a,
                                     units=None if self.units is None else self.units[a:b])
            yield x

    def _owned(self, x) -> bool:
        """Whether a chunk is a private copy (so it may be changed in place)."""
        return x.base is None and x is not self._raw

    def centred_gram(self):
        """Gram matrix of the rows centred on their means, and which rows are constant.

        Each row is shifted by its mean over the first chunk before the products (the exact
        mean when the matrix is one chunk); the remaining mean is removed from the Gram
        matrix. A large common offset therefore never cancels catastrophically.
        """
        g = np.zeros((self.n, self.n))
        sums = np.zeros(self.n)
        lo, hi = np.full(self.n, np.inf), np.full(self.n, -np.inf)
        shift = None
        for x in self.chunks():
            lo, hi = np.minimum(lo, x.min(1)), np.maximum(hi, x.max(1))
            if shift is None:
                shift = x.mean(1, dtype=np.float64, keepdims=True).astype(x.dtype)
            if self._owned(x):
                x -= shift
            else:
                x = x - shift
            sums += x.sum(1, dtype=np.float64)
            g += self._matmul(x, x)
        return g - np.outer(sums, sums) / self.d, lo == hi

    def gram(self, transform=None, other=None):
        """Sum over chunks of f(X_c) f(X_c)^T (or f(X_c) g(X_c)^T), plus row sums of f(X)."""
        g = np.zeros((self.n, self.n))
        sums = np.zeros(self.n)
        for x in self.chunks():
            left = x if transform is None else transform(x)
            right = left if other is None else other(x)
            sums += left.sum(1, dtype=np.float64)
            g += self._matmul(left, right)
        return g, sums

    def _matmul(self, a, b):
        if self.device == "cpu":
            return (a @ b.T).astype(np.float64, copy=False)
        import torch

        ta = torch.from_numpy(a).to(self.device)
        tb = ta if b is a else torch.from_numpy(b).to(self.device)
        return (ta @ tb.T).double().cpu().numpy()

    def dense(self):
        return np.concatenate(list(self.chunks(np.float64)), axis=1)


def _single(eng: _Engine, method, noise, remove_mean, prior_lambda, prior_weight) -> np.ndarray:
    d = eng.d
    if method == "poisson":
        def rates(x):
            m = (x.astype(np.float64) + prior_lambda * prior_weight) / (1 + prior_weight)
            if m.min() <= 0:
                raise ValueError("Invalid value for 'data': the poisson RDM needs non-negative rates or counts; the "
                                 f"data has values down to {x.min():.3g}.")
            return m

        k, _ = eng.gram(transform=rates, other=lambda x: np.log(rates(x)))
        diag = np.diag(k)
        rdm = diag[None, :] + diag[:, None] - k - k.T
        return rdm / d
    if method == "mahalanobis" and noise is not None:
        x = eng.dense()
        if remove_mean:
            x = x - x.mean(1, keepdims=True)
        k = x @ noise @ x.T
        diag = np.diag(k)
        return (diag[None, :] + diag[:, None] - 2 * k) / d
    if method == "correlation":
        gc, constant = eng.centred_gram()
        var = np.where(constant, 0.0, np.diag(gc))
        with np.errstate(invalid="ignore", divide="ignore"):
            norm = np.sqrt(var)
            r = gc / norm[:, None] / norm[None, :]
        rdm = 1 - r
        np.fill_diagonal(rdm, 0.0)
        return rdm
    if method in ("euclidean", "mahalanobis"):
        # distances do not change when every pattern moves by the same vector: centre the
        # channels over patterns first, so a large common offset cannot cancel in sq_i + sq_j - 2 g_ij
        g, s = eng.gram(transform=lambda x: x - x.mean(0, dtype=np.float64, keepdims=True).astype(x.dtype))
        if remove_mean:
            g = g - np.outer(s, s) / d
        sq = np.diag(g)
        rdm = (sq[:, None] + sq[None, :] - 2 * g) / d
        np.fill_diagonal(rdm, 0.0)
        return rdm
    g, _ = eng.gram()  # cosine
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.sqrt(np.diag(g))
        rdm = 1 - g / norm[:, None] / norm[None, :]
    np.fill_diagonal(rdm, 0.0)
    return rdm


def _crossnobis(eng: _Engine, descriptor, cv_descriptor, noise, remove_mean):
    conds, inverse = _first_appearance(descriptor)
    if cv_descriptor is None:
        counts = np.bincount(inverse)
        if not np.all(counts == counts[0]):
            raise ValueError("Invalid value for 'cv_descriptor': without it, every condition must have the same "
                             f"number of observations (the k-th of each is fold k); counts range {counts.min()}"
                             f"-{counts.max()}. Pass cv_descriptor=.")
        folds = np.zeros(len(inverse), dtype=int)
        for c in range(len(conds)):
            folds[inverse == c] = np.arange(counts[c])
        fold_labels = np.arange(counts[0])
    else:
        labels = np.asarray(cv_descriptor)
        try:                                            # sorted as rsatoolbox (numbers numerically)
            fold_labels, folds = np.unique(labels, return_inverse=True)
        except TypeError:
            fold_labels, folds = np.unique(labels.astype(str), return_inverse=True)
        folds = folds.ravel()
    n_folds = len(fold_labels)
    if n_folds < 2:
        raise ValueError("Invalid value for 'cv_descriptor': crossnobis needs at least 2 folds; got 1.")
    x = eng.dense()
    n_c = len(conds)
    iu = triu_indices(n_c)
    if _per_fold(noise):
        return _crossnobis_fold_pairs(x, inverse, folds, fold_labels, noise, remove_mean, n_c), conds
    total = np.zeros(n_c * (n_c - 1) // 2)
    for f in range(n_folds):
        test = _fold_means(x, inverse, folds == f, n_c)
        train = _fold_means(x, inverse, folds != f, n_c)
        if remove_mean:
            test = test - test.mean(1, keepdims=True)
            train = train - train.mean(1, keepdims=True)
        k = train @ noise @ test.T if noise is not None else train @ test.T
        total += _cross_rdm(k)[iu] / x.shape[1]
    return square(total / n_folds), conds


def _per_fold(noise) -> bool:
    """One precision per crossnobis fold (a dict, list, tuple or stacked array) rather than one for all."""
    return isinstance(noise, (dict, list, tuple)) or np.ndim(noise) == 3


def _cross_rdm(k):
    diag = np.diag(k)
    return diag[None, :] + diag[:, None] - k - k.T


def _crossnobis_fold_pairs(x, inverse, folds, fold_labels, noise, remove_mean, n_c):
    """rsatoolbox's crossnobis with one precision per fold: every fold pair, inv of the mean covariance."""
    n_chan = x.shape[1]
    if isinstance(noise, dict):
        keys = {str(k): v for k, v in noise.items()}
        missing = [str(f) for f in fold_labels if str(f) not in keys]
        if missing:
            raise ValueError(f"Invalid value for 'noise': no precision for fold(s) {missing[:5]}; the folds are "
                             f"{[str(f) for f in fold_labels]}.")
        mats = [keys[str(f)] for f in fold_labels]
    else:
        mats = list(noise)
        if len(mats) != len(fold_labels):
            raise ValueError(f"Invalid value for 'noise': {len(mats)} precision matrices for {len(fold_labels)} folds "
                             f"({[str(f) for f in fold_labels]}, in this order); pass one per fold.")
    covs = []
    for f, m in zip(fold_labels, mats):
        m = np.asarray(m, dtype=float)
        if m.shape != (n_chan, n_chan):
            raise ValueError(f"Invalid value for 'noise': the precision of fold {str(f)!r} has shape {m.shape}; "
                             f"expected ({n_chan}, {n_chan}).")
        try:
            covs.append(np.linalg.inv(m))
        except np.linalg.LinAlgError:
            raise ValueError(f"Invalid value for 'noise': the precision of fold {str(f)!r} is singular.") from None
    means = []
    for f in range(len(fold_labels)):
        m = _fold_means(x, inverse, folds == f, n_c)
        means.append(m - m.mean(1, keepdims=True) if remove_mean else m)
    iu = triu_indices(n_c)
    total, pairs = np.zeros(len(iu[0])), 0
    for i in range(len(means)):
        for j in range(i + 1, len(means)):
            prec = np.linalg.inv((covs[i] + covs[j]) / 2)
            total += _cross_rdm(means[i] @ prec @ means[j].T)[iu] / n_chan
            pairs += 1
    return square(total / pairs)


def _fold_means(x, inverse, mask, n_c):
    sums = np.zeros((n_c, x.shape[1]))
    np.add.at(sums, inverse[mask], x[mask])
    counts = np.bincount(inverse[mask], minlength=n_c)
    if np.any(counts == 0):
        raise ValueError("Invalid value for 'cv_descriptor': some condition has no observation in some fold; every "
                         "condition must appear in every fold.")
    return sums / counts[:, None]
