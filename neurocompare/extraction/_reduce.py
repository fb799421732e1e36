"""Reductions of layer outputs: none, global average pool, class token, spatial grid, random projection, PCA."""
from __future__ import annotations

import numbers

REDUCTIONS = ("none", "avgpool", "cls", "grid", "project", "pca")


def parse_reduce(reduce) -> tuple[str, int | None]:
    """Normalise ``reduce`` to ``(kind, k)``.

    Accepts ``None``, ``"avgpool"``, ``"cls"``, ``("grid", k)``, ``("project", k)``,
    ``("pca", k)``, and the CLI spellings ``"grid:k"``, ``"project:k"``, ``"pca:k"``.

    Parameters
    ----------
    reduce : None, str or (str, int)
        The activation reduction, as given to :func:`neurocompare.extract`
        (``None`` and ``"none"`` both mean no reduction).

    Returns
    -------
    kind : str
        ``"none"``, ``"avgpool"``, ``"cls"``, ``"grid"``, ``"project"`` or ``"pca"``.
    k : int or None
        The grid side or number of components; ``None`` for the kinds without one.
    """
    expected = "None, 'avgpool', 'cls', ('grid', k), ('project', k) or ('pca', k) with k a positive int"
    if reduce is None or reduce == "none":
        return "none", None
    if isinstance(reduce, str) and reduce in ("avgpool", "cls"):
        return reduce, None
    if isinstance(reduce, str) and ":" in reduce:
        kind, _, k = reduce.partition(":")
        try:
            reduce = (kind, int(k))
        except ValueError:
            raise ValueError(f"Invalid value for 'reduce': expected {expected}; got {reduce!r}.") from None
    if (isinstance(reduce, (tuple, list)) and len(reduce) == 2 and reduce[0] in ("grid", "project", "pca")
            and isinstance(reduce[1], numbers.Integral) and not isinstance(reduce[1], bool) and reduce[1] > 0):
        return str(reduce[0]), int(reduce[1])
    raise ValueError(f"Invalid value for 'reduce': expected {expected}; got {reduce!r}.")


def describe(kind: str, k: int | None) -> str:
    return kind if k is None else f"{kind}:{k}"


def grid_problem(t, k: int, layout: str) -> str | None:
    """Why ``("grid", k)`` cannot reduce this output (a grid finer than the map would upsample it), or None."""
    from ..models.tokens import TokenGrid

    if isinstance(layout, TokenGrid):
        h, w, what = layout.h, layout.w, "patch grid"
    elif layout == "map":
        h, w, what = int(t.shape[2]), int(t.shape[3]), "maps"
    else:
        return None
    if k > min(h, w):
        return (f"('grid', {k}) needs k no larger than the map, but its {what} is {h}x{w} (a finer grid would "
                f"upsample it); the largest valid k is {min(h, w)}")
    return None


def patch_map(t, layout):
    """The patch tokens of a (N, T, C) output as (N, C, h, w) maps (class, register, distillation tokens dropped)."""
    n = t.shape[0]
    return t[:, layout.n_prefix:].reshape(n, layout.h, layout.w, t.shape[-1]).permute(0, 3, 1, 2)


def spatial(t, kind: str, k: int | None, layout: str):
    """Apply a per-sample spatial reduction to one output tensor (batch first).

    ``layout`` is ``"vector"`` (N, C), ``"map"`` (N, C, H, W), ``"tokens"`` (N, T, D),
    ``"volume"`` (N, C, T, H, W) or ``"other"``, or a :class:`~neurocompare.models.tokens.TokenGrid` for
    the token outputs of a transformer whose layout is known: then ``"avgpool"`` averages the patch tokens
    only, ``"cls"`` keeps the class token and ``("grid", k)`` pools the patch grid like a map. None means
    the reduction is not defined for this output.
    """
    import torch.nn.functional as F

    from ..models.tokens import TokenGrid

    if isinstance(layout, TokenGrid):
        if kind == "avgpool":
            return t[:, layout.n_prefix:].mean(dim=1)
        if kind == "cls":
            return t[:, layout.prefix.index("cls")] if "cls" in layout.prefix else None
        if kind == "grid":
            return F.adaptive_avg_pool2d(patch_map(t, layout), k)
        return t
    if kind == "cls":
        return t if layout == "vector" else None
    if kind == "avgpool":
        if layout == "map":
            return t.mean(dim=(2, 3))
        if layout == "tokens":
            return t.mean(dim=1)
        if layout == "volume":
            return t.mean(dim=(2, 3, 4))
        return t
    if kind == "grid":
        if layout == "map":
            return F.adaptive_avg_pool2d(t, k)
        if layout == "vector":
            return t
        return None  # not defined; caller raises
    return t


def layout_of(t) -> str:
    return {2: "vector", 3: "tokens", 4: "map", 5: "volume"}.get(t.dim(), "other")


class RandomProjection:
    """A seeded sparse random projection (Li et al. 2006), fixed per layer.

    Entries are 0 with probability 1 - 1/sqrt(D), else +-sqrt(sqrt(D) / k);
    identical to :class:`sklearn.random_projection.SparseRandomProjection` with the
    same seed, which builds the matrix.
    """

    def __init__(self, n_features: int, k: int, random_state: int, device):
        import numpy as np
        import torch
        from sklearn.random_projection import SparseRandomProjection

        srp = SparseRandomProjection(n_components=k, random_state=random_state, dense_output=True)
        srp.fit(np.zeros((1, n_features), dtype=np.float32))
        comp = srp.components_.tocoo()
        idx = torch.from_numpy(np.vstack([comp.row, comp.col]).astype(np.int64))
        self.matrix = torch.sparse_coo_tensor(idx, torch.from_numpy(comp.data.astype(np.float32)),
                                              size=comp.shape, check_invariants=True).coalesce().to(device)

    def __call__(self, x):
        import torch

        return torch.sparse.mm(self.matrix, x.T.float()).T


EXACT_PCA_MAX_UNITS = 4096


class StreamingPCA:
    """PCA fitted batch by batch, so no (stimuli x units) matrix is ever held.

    Up to ``EXACT_PCA_MAX_UNITS`` units it accumulates the mean and the units x
    units scatter matrix in float64 and takes its eigenvectors: the result is
    scikit-learn's ``PCA`` (same sign convention: the largest-magnitude loading
    of each component is positive). Wider layers use scikit-learn's
    ``IncrementalPCA`` (Ross et al. 2008), an approximation whose every partial
    fit sees at least ``k`` rows. ``method`` says which was used.
    """

    def __init__(self, k: int, n_features: int):
        import numpy as np

        self.k = k
        self.method = "exact" if n_features <= EXACT_PCA_MAX_UNITS else "incremental"
        if self.method == "exact":
            self._sum = np.zeros(n_features)
            self._scatter = np.zeros((n_features, n_features))
            self._n = 0
        else:
            from sklearn.decomposition import IncrementalPCA

            self.pca = IncrementalPCA(n_components=k)
            self._buffer: list = []
            self._rows = 0

    def add(self, x) -> None:
        import numpy as np

        x = np.asarray(x, dtype=np.float64)
        if self.method == "exact":
            self._sum += x.sum(0)
            self._scatter += x.T @ x
            self._n += len(x)
            return
        self._buffer.append(x)
        self._rows += len(x)
        if self._rows >= 2 * self.k:
            data = np.concatenate(self._buffer)
            self.pca.partial_fit(data[:-self.k])
            self._buffer, self._rows = [data[-self.k:]], self.k

    def finish(self) -> None:
        import numpy as np

        if self.method == "exact":
            self.mean_ = self._sum / self._n
            cov = (self._scatter - self._n * np.outer(self.mean_, self.mean_)) / max(self._n - 1, 1)
            vals, vecs = np.linalg.eigh(cov)
            comps = vecs[:, ::-1][:, :self.k].T
            signs = np.sign(comps[np.arange(self.k), np.argmax(np.abs(comps), axis=1)])
            signs[signs == 0] = 1
            self.components_ = comps * signs[:, None]
            self.explained_variance_ = vals[::-1][:self.k]
            del self._scatter
            return
        if self._rows:
            self.pca.partial_fit(np.concatenate(self._buffer))
        self._buffer, self._rows = [], 0
        self.mean_, self.components_ = self.pca.mean_, self.pca.components_
        self.explained_variance_ = self.pca.explained_variance_

    def transform(self, x):
        import numpy as np

        return ((np.asarray(x, dtype=np.float64) - self.mean_) @ self.components_.T).astype(np.float32)
