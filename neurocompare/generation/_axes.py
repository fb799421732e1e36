"""Latent feature axes: TL-GAN, InterFaceGAN and GANSpace directions, disentangled by Gram-Schmidt."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from .._utils.checks import check_option, check_positive_int
from .._utils.logging import logger

METHODS = ("tlgan", "interfacegan", "ganspace")


@dataclass
class FeatureAxes:
    """Directions in a generator's latent space and how they were found.

    Attributes
    ----------
    axes : xarray.DataArray
        ``(axis, latent)``: one unit-length direction per target factor (per
        principal component for GANSpace), after disentangling from the locked axes.
        Moving along ``+axis`` increases the factor.
    raw : xarray.DataArray
        ``(axis, latent)``: the unit-length directions of targets and locked factors
        before disentangling.
    cosines : pandas.DataFrame
        ``axis_a, axis_b, stage, cosine``: every pair of axes, ``stage`` = ``"before"``
        (raw) or ``"after"`` (targets disentangled; locked axes as they are).
    fit : pandas.DataFrame
        ``axis, factor, metric, value, n``: how well each axis was found (TL-GAN:
        in-sample ``r2`` and ``slope`` = factor units per latent unit along the raw
        axis; InterFaceGAN: held-out ``accuracy`` of the linear SVM; GANSpace:
        ``explained_variance`` and the Pearson ``r`` of each component with each factor).
    labels : pandas.DataFrame
        The decoded factors of the sampled images (empty without a labeler).
    z : numpy.ndarray
        The sampled latents (n_samples, latent_dim).
    method : str
    targets, lock : list of str
    """

    axes: object
    raw: object
    cosines: pd.DataFrame
    fit: pd.DataFrame
    labels: pd.DataFrame
    z: np.ndarray
    method: str
    targets: list = field(default_factory=list)
    lock: list = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"<FeatureAxes method={self.method!r}: axes {[str(a) for a in self.axes.axis.values]} in a "
                f"{self.axes.sizes['latent']}-d latent; locked {self.lock}; n_samples={len(self.z)}>")

    def axis(self, name: str):
        """One axis as a 1-D DataArray (``latent``), ready for :func:`traverse`.

        Parameters
        ----------
        name : str
            The axis (a target factor, or a component for GANSpace).

        Returns
        -------
        xarray.DataArray
        """
        from .._utils.checks import unknown_name_error

        names = [str(a) for a in self.axes.axis.values]
        if name not in names:
            raise unknown_name_error("axis", name, names)
        return self.axes.sel(axis=name)

    def save(self, out) -> Path:
        """Write ``axes.csv`` and ``raw_axes.csv`` (one row per axis), ``cosines.csv`` and ``fit.csv`` to ``out``.

        Parameters
        ----------
        out : str or Path
            The folder (created if needed).

        Returns
        -------
        Path
            The folder.
        """
        import pandas as pd
        from .._utils.paths import atomic_write_bytes

        out = Path(out)
        for fname, da in (("axes.csv", self.axes), ("raw_axes.csv", self.raw)):
            tab = pd.DataFrame(da.values, index=pd.Index(da.axis.values, name="axis"),
                               columns=[f"z{i}" for i in range(da.sizes["latent"])])
            tab.insert(0, "method", self.method)
            atomic_write_bytes(out / fname, tab.to_csv(lineterminator="\n").encode())
        atomic_write_bytes(out / "cosines.csv", self.cosines.to_csv(index=False, lineterminator="\n").encode())
        atomic_write_bytes(out / "fit.csv", self.fit.to_csv(index=False, lineterminator="\n").encode())
        return out


def load_axes(path):
    """Read the axes written by :meth:`FeatureAxes.save` (a folder or its ``axes.csv``).

    Parameters
    ----------
    path : str or Path
        The folder, or its ``axes.csv``.

    Returns
    -------
    xarray.DataArray
        ``(axis, latent)``, with the method in ``attrs``.
    """
    import pandas as pd
    import xarray as xr

    path = Path(path)
    csv = path / "axes.csv" if path.is_dir() else path
    if not csv.is_file():
        raise FileNotFoundError(f"Invalid value for 'path': {str(csv)!r} does not exist; write it with "
                                "FeatureAxes.save(folder) or `neurocompare gan axes ... --out folder`.")
    tab = pd.read_csv(csv, index_col="axis")
    cols = [c for c in tab.columns if c.startswith("z")]
    method = str(tab["method"].iloc[0]) if "method" in tab else "unknown"
    return xr.DataArray(tab[cols].to_numpy(float), dims=("axis", "latent"),
                        coords={"axis": tab.index.astype(str).to_numpy(), "latent": np.arange(len(cols))},
                        attrs={"method": method})


def feature_axes(generator, labeler=None, *, factors=None, lock=(), method: str = "tlgan", n_samples: int = 2000,
                 top_fraction: float = 0.1, layer: str | None = None, n_components: int = 5,
                 latent_dim: int | None = None, batch_size: int = 64, device="auto", random_state=0,
                 progress: bool = True) -> FeatureAxes:
    """Find latent directions that change one stimulus factor (TL-GAN, InterFaceGAN or GANSpace).

    ``n_samples`` latents are drawn from the generator's prior N(0, I), turned
    into images (as uint8, exactly what a saved stimulus holds) and decoded by the
    ``labeler``. Then, per factor:

    - ``"tlgan"`` (Guan 2018, Transparent Latent GAN): a least-squares regression of the
      factor on z (with intercept); the coefficient vector, scaled to unit length, is the axis.
    - ``"interfacegan"`` (Shen et al. 2020): a linear SVM separating the ``top_fraction`` highest
      from the lowest scorers (70% of them fit it, 30% give its held-out accuracy); the unit
      normal of its boundary is the axis.
    - ``"ganspace"`` (Harkonen et al. 2020): PCA of the latents (``layer=None``) or of a generator
      layer's activations; each component is carried back to z by a least-squares regression of
      z on the component scores. The labeler is optional and only names the components (``fit``).

    Disentangling (TL-GAN's Gram-Schmidt, which is InterFaceGAN's conditional projection): the
    ``lock`` axes are orthonormalised in the given order and each target axis loses its
    projection onto their span, then is rescaled to unit length. Moving along it changes the
    locked factors as little as a linear model can tell.

    Parameters
    ----------
    generator : ModelWrapper, nn.Module or callable
        A GAN from :func:`train_gan` / ``nc.models.load("dcgan", ...)``, or anything mapping a
        latent batch (N, latent_dim) to images (N, C, H, W) in [-1, 1].
    labeler : ModelWrapper or callable, optional
        Predicts the factors of an image: a trained classifier such as a TwoStreamNet
        (``category``, ``p_<class>``, ``x``, ``y``, ``size``) or a callable
        images (N, C, H, W) in [-1, 1] -> DataFrame with one row per image. Required
        for TL-GAN and InterFaceGAN.
    factors : str or list of str, optional
        Target factors (numeric columns of the labeler's output). Default: every numeric
        column not locked (GANSpace: the factors to correlate the components with).
    lock : list of str
        Factors whose axes the targets are made orthogonal to (TL-GAN / InterFaceGAN).
    method : {"tlgan", "interfacegan", "ganspace"}
        How the directions are found (see above).
    n_samples : int
        Latents drawn from the prior (at least 10).
    top_fraction : float
        InterFaceGAN: share of samples taken from each end of the factor's distribution.
    layer : str, optional
        GANSpace: the generator layer whose activations are decomposed (``None``: the latents).
    n_components : int
        GANSpace: number of principal components.
    latent_dim : int, optional
        For generators without a ``latent_dim`` attribute.
    batch_size : int
        Latents (images) per forward pass of the generator and the labeler.
    device : str
        Where the generator and the labeler run: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
    random_state : int
        Seeds the latents, the SVM and its split.
    progress : bool
        Show a progress bar over sampling the images and labelling them.

    Returns
    -------
    FeatureAxes
    """
    import pandas as pd
    import xarray as xr

    from ._latent import as_generator, decode, numeric_factor, sample_latents

    check_option("method", method, METHODS)
    n_samples = check_positive_int("n_samples", n_samples, minimum=10)
    gen = as_generator(generator, latent_dim)
    lock = [lock] if isinstance(lock, str) else list(lock or [])
    targets = [factors] if isinstance(factors, str) else (list(factors) if factors is not None else None)
    if method == "ganspace" and lock:
        raise ValueError("Invalid value for 'lock': GANSpace components are found without labels, so there is "
                         "nothing to lock; use method='tlgan' or 'interfacegan' to lock factors.")
    if labeler is None and factors is not None:
        raise ValueError("Invalid value for 'labeler': naming 'factors' needs a labeler that decodes them from the "
                         "images.")
    if method != "ganspace" and labeler is None:
        raise ValueError(f"Invalid value for 'labeler': method={method!r} needs a labeler that predicts the factors "
                         "(e.g. a trained TwoStreamNet, or a callable images -> DataFrame).")
    if targets is not None:
        both = [f for f in targets if f in lock]
        if both:
            raise ValueError(f"Invalid value for 'lock': {both} is also a target factor; an axis cannot be held "
                             "fixed and moved at once. Remove it from 'lock' (or from 'factors').")
    if len(set(lock)) != len(lock):
        raise ValueError(f"Invalid value for 'lock': duplicate factors in {lock}.")

    z = sample_latents(n_samples, gen.latent_dim, random_state)
    labels = pd.DataFrame(index=range(n_samples))
    if labeler is not None:
        from .._utils.progress import progress_bar

        with progress_bar(2 * n_samples, f"{gen.name}: sampling and labelling", enable=progress) as advance:
            labels = decode(labeler, gen.images(z, device=device, batch_size=batch_size, advance=advance),
                            device=device, batch_size=batch_size, advance=advance)
    if targets is None:
        targets = [c for c in labels.columns if c not in lock and pd.api.types.is_numeric_dtype(labels[c])
                   and not pd.api.types.is_bool_dtype(labels[c])]
        if method != "ganspace" and not targets:
            raise ValueError("Invalid value for 'factors': the labeler outputs no numeric factor to find an axis for; "
                             f"its columns are {list(labels.columns)}.")
    values = {f: numeric_factor(labels, f) for f in targets}
    values.update({f: numeric_factor(labels, f, param="lock") for f in lock})
    for f, v in values.items():
        if np.ptp(v) == 0:
            raise ValueError(f"Invalid value for 'factors': the decoded factor {f!r} is constant ({v[0]}) over the "
                             f"{n_samples} samples, so no direction changes it.")

    fit_rows: list[tuple] = []
    if method == "ganspace":
        names, raw = _ganspace(gen, z, layer, n_components, values, fit_rows, batch_size, device, random_state)
        final = raw
        lock_names: list[str] = []
    else:
        names = targets + lock
        finder = _tlgan_axis if method == "tlgan" else _interfacegan_axis
        raw = np.stack([finder(z, values[f], f, fit_rows, top_fraction, random_state) for f in names])
        basis = gram_schmidt(raw[len(targets):])
        final = np.stack([_project_out(raw[i], basis) for i in range(len(targets))]) if targets else raw[:0]
        lock_names = lock
        names = targets
    coords = {"latent": np.arange(gen.latent_dim)}
    axes = xr.DataArray(final, dims=("axis", "latent"), coords={"axis": list(names), **coords},
                        attrs={"method": method, "lock": list(lock_names), "generator": gen.name})
    raw_names = list(names) + list(lock_names)
    raw_da = xr.DataArray(raw, dims=("axis", "latent"), coords={"axis": raw_names, **coords},
                          attrs={"method": method})
    after = np.concatenate([final, raw[len(names):]]) if lock_names else final
    cosines = pd.concat([_cosine_table(raw, raw_names, "before"), _cosine_table(after, raw_names, "after")],
                        ignore_index=True)
    fit = pd.DataFrame(fit_rows, columns=["axis", "factor", "metric", "value", "n"])
    logger.info("Found %s axes %s (locked %s)", method, list(names), lock_names)
    return FeatureAxes(axes=axes, raw=raw_da, cosines=cosines, fit=fit, labels=labels, z=z, method=method,
                       targets=list(names), lock=list(lock_names))


def gram_schmidt(vectors) -> np.ndarray:
    """Orthonormalise the rows of ``vectors`` in order (modified Gram-Schmidt, twice for accuracy).

    Rows that are (numerically) in the span of the earlier ones are dropped.

    Parameters
    ----------
    vectors : array-like
        ``(k, d)``: one vector per row.

    Returns
    -------
    numpy.ndarray
        (k, d) orthonormal rows, k <= len(vectors).
    """
    vecs = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    basis: list[np.ndarray] = []
    for v in vecs:
        u = v.copy()
        for _ in range(2):
            for b in basis:
                u -= (u @ b) * b
        norm = np.linalg.norm(u)
        if norm > 1e-10 * max(1.0, np.linalg.norm(v)):
            basis.append(u / norm)
    return np.array(basis).reshape(len(basis), vecs.shape[1])


def _project_out(v, basis) -> np.ndarray:
    u = np.asarray(v, dtype=np.float64).copy()
    for _ in range(2):
        for b in basis:
            u -= (u @ b) * b
    norm = np.linalg.norm(u)
    if norm < 1e-8:
        raise ValueError("Invalid value for 'lock': the target axis lies in the span of the locked axes, so nothing "
                         "is left after disentangling; lock fewer factors.")
    return u / norm


def _unit(v, name) -> np.ndarray:
    norm = np.linalg.norm(v)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError(f"Invalid value for 'factors': no latent direction predicts {name!r} (zero coefficients).")
    return v / norm


def _tlgan_axis(z, y, name, rows, top_fraction, random_state) -> np.ndarray:
    x = np.column_stack([z.astype(np.float64), np.ones(len(z))])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    beta = coef[:-1]
    resid = y - x @ coef
    r2 = 1 - (resid ** 2).sum() / ((y - y.mean()) ** 2).sum()
    rows += [(name, name, "r2", float(r2), len(y)), (name, name, "slope", float(np.linalg.norm(beta)), len(y))]
    return _unit(beta, name)


def _interfacegan_axis(z, y, name, rows, top_fraction, random_state) -> np.ndarray:
    from sklearn.model_selection import train_test_split
    from sklearn.svm import LinearSVC

    from .._utils.random import seed_int

    if not 0 < top_fraction <= 0.5:
        raise ValueError(f"Invalid value for 'top_fraction': expected a number in (0, 0.5]; got {top_fraction!r}.")
    k = int(round(top_fraction * len(y)))
    if k < 5:
        raise ValueError(f"Invalid value for 'n_samples': top_fraction={top_fraction} of {len(y)} samples leaves {k} "
                         "per side; the SVM needs at least 5. Draw more samples.")
    order = np.argsort(y, kind="stable")
    idx = np.concatenate([order[:k], order[-k:]])
    lab = np.r_[np.zeros(k, int), np.ones(k, int)]
    seed = seed_int(random_state)
    tr, te = train_test_split(np.arange(2 * k), test_size=0.3, random_state=seed, stratify=lab)
    svm = LinearSVC(C=1.0, max_iter=20000, random_state=seed).fit(z[idx[tr]], lab[tr])
    rows.append((name, name, "accuracy", float(svm.score(z[idx[te]], lab[te])), len(te)))
    return _unit(svm.coef_[0].astype(np.float64), name)


def _ganspace(gen, z, layer, n_components, values, rows, batch_size, device, random_state):
    from sklearn.decomposition import PCA

    from .._utils.random import seed_int

    n_components = check_positive_int("n_components", n_components)
    if layer is None:
        feats = z.astype(np.float64)
    else:
        if gen.wrapper is None:
            raise ValueError("Invalid value for 'layer': GANSpace on a layer needs a GAN ModelWrapper (so the layer "
                             "can be hooked); pass layer=None to decompose the latents.")
        from ..extraction import extract, get_layer

        tree = extract(gen.wrapper, z, layers=[layer], batch_size=batch_size, device=device, progress=False)
        feats = np.asarray(get_layer(tree, layer).values, dtype=np.float64)
    k = min(n_components, feats.shape[1], len(z) - 1)
    pca = PCA(k, random_state=seed_int(random_state)).fit(feats)
    scores = pca.transform(feats)
    # carry each component back to z: least squares z ~ scores (GANSpace's regression for non-StyleGAN generators)
    u, *_ = np.linalg.lstsq(np.column_stack([scores, np.ones(len(z))]), z.astype(np.float64), rcond=None)
    names = [f"pc{i + 1}" for i in range(k)]
    raw = np.stack([_unit(u[i], names[i]) for i in range(k)])
    for i, name in enumerate(names):
        rows.append((name, "", "explained_variance", float(pca.explained_variance_ratio_[i]), len(z)))
        for f, v in values.items():
            rows.append((name, f, "r", float(np.corrcoef(scores[:, i], v)[0, 1]), len(z)))
    return names, raw


def _cosine_table(vecs, names, stage) -> pd.DataFrame:
    import pandas as pd
    v = np.asarray(vecs, dtype=np.float64)
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    c = v @ v.T
    rows = [(a, b, stage, float(c[i, j])) for i, a in enumerate(names) for j, b in enumerate(names)]
    return pd.DataFrame(rows, columns=["axis_a", "axis_b", "stage", "cosine"])
