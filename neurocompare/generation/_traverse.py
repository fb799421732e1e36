"""Traversals: images along a latent axis, saved as a new StimulusSet with their decoded factors."""
from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from .._utils.checks import check_option, check_positive_int
from ._latent import OWN_COLUMNS
from .tables import decoded_factors, traversal_table

STEP_UNITS = ("sd", "latent")


def traverse(generator, axis, *, steps=7, span: float = 2.0, n: int = 8, step_units: str = "sd", labeler=None,
             factor: str | None = None, start=None, out=None, overwrite: bool = False, latent_dim: int | None = None,
             batch_size: int = 64, device="auto", random_state=0, progress: bool = True):
    """Walk along a latent axis and save the images as a StimulusSet.

    ``n`` start latents are drawn from the prior; each gives one chain of images at
    ``z + offset * axis`` for every offset. The folder holds the PNGs, ``stimuli.csv``
    (``chain, step, offset, axis, axis_coordinate`` plus every factor the ``labeler``
    decodes from the saved image, under the labeler's column names), ``latents.npy``
    (every image's latent vector, rows in table order) and ``effects.csv``
    (:func:`traversal_effects`: the change of the target and of every off-target factor
    per step).

    Parameters
    ----------
    generator : ModelWrapper, nn.Module or callable
        As for :func:`feature_axes`.
    axis : FeatureAxes, xarray.DataArray or array-like
        The direction: a :class:`FeatureAxes` (pick the axis with ``factor`` when it
        has several), one of its rows (``axes.axis("x")``), or a vector of length latent_dim.
    steps : int or sequence of float
        The number of evenly spaced offsets from ``-span`` to ``+span`` (odd numbers
        include the start image itself), or the offsets themselves.
    span : float
        Largest offset for an int ``steps``.
    n : int
        Number of chains (start latents).
    step_units : {"sd", "latent"}
        ``"sd"``: offsets in standard deviations of the latent prior along the axis (the
        axis is scaled to unit length; for N(0, I) one sd is one latent unit).
        ``"latent"``: the axis vector is used as given.
    labeler : ModelWrapper or callable, optional
        Decodes the factors of each saved image (see :func:`feature_axes`).
    factor : str, optional
        The target factor's name (default: the axis name); it labels the ``axis`` column
        and marks the target row in ``effects.csv``.
    start : array-like, optional
        (n, latent_dim) start latents instead of random ones.
    out : path-like, optional
        The new folder; default a fresh temporary folder (copy it with ``.save(path)``).
    overwrite : bool
        Replace ``out`` if neurocompare wrote it before.
    latent_dim : int, optional
        For generators without a ``latent_dim`` attribute.
    batch_size : int
        Images per forward pass of the generator and the labeler.
    device : str
        Where the generator and the labeler run: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
    random_state : int
        Seeds the start latents.
    progress : bool
        Show a progress bar over generating the images (and decoding them, with a ``labeler``).

    Returns
    -------
    StimulusSet
        One stimulus per (chain, step), ids ``c<chain>_s<step>``.
    """
    import pandas as pd
    import tempfile

    from PIL import Image

    from .._utils.paths import atomic_dir
    from .._utils.random import seed_int
    from ..stimuli import load, write_table
    from ._latent import as_generator, decode, sample_latents

    gen = as_generator(generator, latent_dim)
    check_option("step_units", step_units, STEP_UNITS)
    vec, name = _axis_vector(axis, factor, gen.latent_dim)
    if step_units == "sd":
        vec = vec / np.linalg.norm(vec)
    offsets = _offsets(steps, span)
    n = check_positive_int("n", n)
    if start is not None:
        z0 = np.asarray(start, dtype=np.float32)
        if z0.ndim != 2 or z0.shape[1] != gen.latent_dim:
            raise ValueError(f"Invalid value for 'start': expected shape (n, {gen.latent_dim}); got {z0.shape}.")
        n = len(z0)
    else:
        z0 = sample_latents(n, gen.latent_dim, random_state)
    unit = vec / np.linalg.norm(vec)
    z = (z0[:, None, :] + offsets[None, :, None] * vec[None, None, :]).reshape(-1, gen.latent_dim).astype(np.float32)
    from .._utils.progress import progress_bar

    bar = progress_bar(len(z) * (1 if labeler is None else 2), f"{gen.name}: traversal ({name})", enable=progress)
    with bar as advance:
        images = gen.images(z, device=device, batch_size=batch_size, advance=advance)
        dec = None if labeler is None else decode(labeler, images, device=device, batch_size=batch_size,
                                                  advance=advance)
    chain, step = np.divmod(np.arange(len(z)), len(offsets))
    md = pd.DataFrame({"stimulus_id": [f"c{c:03d}_s{s:02d}" for c, s in zip(chain, step)],
                       "file": [f"images/c{c:03d}_s{s:02d}.png" for c, s in zip(chain, step)],
                       "chain": chain, "step": step, "offset": offsets[step], "axis": name,
                       "axis_coordinate": z.astype(np.float64) @ unit})
    if dec is not None:
        clash = [c for c in dec.columns if c in OWN_COLUMNS or c == "stimulus_id" or c == "mask_file"]
        if clash:
            raise ValueError(f"Invalid value for 'labeler': its output columns {clash} clash with the traversal's "
                             f"own columns {list(OWN_COLUMNS)}; rename them.")
        md = pd.concat([md, dec.reset_index(drop=True)], axis=1)
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="neurocompare-traversal-")) / "traversal"
    with atomic_dir(out, overwrite=overwrite) as tmp:
        (tmp / "images").mkdir()
        for f, im in zip(md["file"], images):
            Image.fromarray(im).save(tmp / f)
        np.save(tmp / "latents.npy", z)
        stim_what = [c for c in ("category",) if c in md.columns]
        stim_where = [c for c in ("x", "y", "size") if c in md.columns]
        write_table(tmp, md, what=stim_what, where=stim_where,
                    extra={"generation": {"generator": gen.name, "axis": name, "step_units": step_units,
                                          "n_chains": int(n), "random_state": seed_int(random_state),
                                          "factors": "decoded by the labeler from the saved images"
                                          if labeler is not None else "none"}})
        if labeler is not None:
            eff = traversal_effects(md)
            eff.to_csv(tmp / "effects.csv", index=False, lineterminator="\n")
    return load(out)


def traversal_effects(traversal, *, target: str | None = None) -> pd.DataFrame:
    """The change of the target factor and of every off-target factor at each step of a traversal.

    For every chain the value at the reference step (the offset nearest 0) is
    subtracted; the changes are then averaged over chains. For a categorical factor
    (``category``) ``change`` is the share of chains whose decoded category differs
    from the reference step's.

    Parameters
    ----------
    traversal : StimulusSet or pandas.DataFrame
        From :func:`traverse` (or its table).
    target : str, optional
        The target factor (default: the ``axis`` column).

    Returns
    -------
    pandas.DataFrame
        ``factor, role, step, offset, mean, change, change_sd, n`` (role ``"target"`` or
        ``"off-target"``; ``mean`` is NaN for categorical factors).
    """
    import pandas as pd
    md = traversal_table(traversal)
    target = target or str(md["axis"].iloc[0])
    factors = decoded_factors(md)
    if target not in factors:
        from .._utils.checks import unknown_name_error

        raise unknown_name_error("target factor (not decoded in this traversal)", target, factors)
    ref_step = int(md.loc[md["offset"].abs().idxmin(), "step"])
    rows = []
    for f in factors:
        wide = md.pivot(index="chain", columns="step", values=f)
        ref = wide[ref_step]
        numeric = pd.api.types.is_numeric_dtype(md[f])
        for s in wide.columns:
            off = float(md.loc[md.step == s, "offset"].iloc[0])
            if numeric:
                d = wide[s].astype(float) - ref.astype(float)
                rows.append((f, s, off, float(wide[s].astype(float).mean()), float(d.mean()),
                             float(d.std(ddof=1)) if len(d) > 1 else np.nan, len(d)))
            else:
                flip = (wide[s] != ref).astype(float)
                rows.append((f, s, off, np.nan, float(flip.mean()), np.nan, len(flip)))
    out = pd.DataFrame(rows, columns=["factor", "step", "offset", "mean", "change", "change_sd", "n"])
    out.insert(1, "role", np.where(out["factor"] == target, "target", "off-target"))
    return out


def traversal_summary(traversal, *, target: str | None = None) -> pd.DataFrame:
    """Per decoded numeric factor: how monotonically and how much it changes along the traversal.

    Parameters
    ----------
    traversal : StimulusSet or pandas.DataFrame
        From :func:`traverse` (or its table).
    target : str, optional
        The target factor, marked ``role="target"`` (default: the ``axis`` column).

    Returns
    -------
    pandas.DataFrame
        ``factor, role, spearman_rho`` (the change from each chain's reference step, the offset
        nearest 0, against offset, pooled over chains),
        ``chain_rho`` (median over chains of the per-chain Spearman rho), ``slope`` (least-squares
        change per unit offset, pooled), ``total_change`` (mean change from the first to the last
        step), ``n`` (images).
    """
    import pandas as pd
    from scipy.stats import spearmanr

    md = traversal_table(traversal)
    target = target or str(md["axis"].iloc[0])
    ref_step = int(md.loc[md["offset"].abs().idxmin(), "step"])
    rows = []
    for f in decoded_factors(md):
        if not pd.api.types.is_numeric_dtype(md[f]):
            continue
        v = md[f].to_numpy(float)
        o = md["offset"].to_numpy(float)
        ref = md.loc[md.step == ref_step].set_index("chain")[f].astype(float)
        rho = spearmanr(o, v - md["chain"].map(ref).to_numpy(float)).statistic
        per_chain = [spearmanr(g["offset"], g[f]).statistic for _, g in md.groupby("chain") if g[f].nunique() > 1]
        slope = np.polyfit(o, v, 1)[0]
        wide = md.pivot(index="chain", columns="step", values=f)
        total = float((wide[wide.columns.max()] - wide[wide.columns.min()]).mean())
        rows.append((f, "target" if f == target else "off-target", float(rho),
                     float(np.median(per_chain)) if per_chain else np.nan, float(slope), total, len(v)))
    return pd.DataFrame(rows, columns=["factor", "role", "spearman_rho", "chain_rho", "slope", "total_change", "n"])


def _offsets(steps, span) -> np.ndarray:
    if isinstance(steps, (int, np.integer)) and not isinstance(steps, bool):
        steps = check_positive_int("steps", steps, minimum=2)
        if not (isinstance(span, (int, float)) and span > 0):
            raise ValueError(f"Invalid value for 'span': expected a positive number; got {span!r}.")
        return np.linspace(-span, span, steps)
    arr = np.asarray(steps, dtype=np.float64)
    if arr.ndim != 1 or len(arr) < 2 or not np.isfinite(arr).all():
        raise ValueError(f"Invalid value for 'steps': expected an int >= 2 or at least two finite offsets; "
                         f"got {steps!r}.")
    return arr


def _axis_vector(axis, factor, latent_dim):
    import xarray as xr

    from ._axes import FeatureAxes

    name = factor
    if isinstance(axis, FeatureAxes):
        names = [str(a) for a in axis.axes.axis.values]
        if factor is None and len(names) > 1:
            raise ValueError(f"Invalid value for 'factor': the FeatureAxes holds several axes {names}; name one "
                             "(factor='x') or pass axes.axis('x').")
        axis = axis.axis(factor or names[0])
        name = factor or names[0]
    if isinstance(axis, xr.DataArray):
        if axis.ndim == 2 and axis.sizes.get("axis") == 1:
            axis = axis.isel(axis=0)
        if name is None and "axis" in axis.coords and axis.coords["axis"].ndim == 0:
            name = str(axis.coords["axis"].item())
    vec = np.asarray(axis, dtype=np.float64)
    if vec.ndim != 1 or len(vec) != latent_dim:
        raise ValueError(f"Invalid value for 'axis': expected a vector of length latent_dim={latent_dim}; got shape "
                         f"{vec.shape}.")
    if not np.isfinite(vec).all() or np.linalg.norm(vec) == 0:
        raise ValueError("Invalid value for 'axis': expected a finite, non-zero direction.")
    return vec, name or "axis"
