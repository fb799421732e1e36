"""Score any maps against human fixations: one row per stimulus (and per map label), eight metrics."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._utils.logging import logger
from . import _metrics as _m
from ._fixations import _binary, _blur, _sigma_of, check_fixations, pixel_index

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["compare_to_fixations"]

#: attrs of a maps DataArray copied into the result as identifying columns (when scalar).
_ID_ATTRS = ("model", "weights", "method", "layer", "target")


def _scalar(value) -> bool:
    return isinstance(value, (str, int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _iter_maps(maps, stimuli: list[str]):
    """Yield (labels, stimulus, 2-D array) for every map; labels = identifying columns."""
    import xarray as xr

    if isinstance(maps, dict):
        if not maps:
            raise ValueError("Invalid value for 'maps': the dict is empty; expected {stimulus: 2-D map}.")
        for stim, arr in maps.items():
            yield {}, str(stim), _m._as_map(arr, "maps", f"stimulus {str(stim)!r}")
        return
    if isinstance(maps, xr.DataArray):
        labels = {k: maps.attrs[k] for k in _ID_ATTRS if k in maps.attrs and _scalar(maps.attrs[k])}
        # scalar coordinates left by .sel(model=...) and the like label the map too
        labels.update({str(c): maps[c].item() for c in maps.coords
                       if c in _ID_ATTRS and maps[c].ndim == 0 and _scalar(maps[c].item())})
        if maps.ndim == 2:
            if "stimulus" in maps.coords and maps["stimulus"].ndim == 0:
                stim = str(maps["stimulus"].item())
            elif len(stimuli) == 1:
                stim = stimuli[0]
            else:
                raise ValueError(f"Invalid value for 'maps': a single 2-D map needs a scalar 'stimulus' coordinate "
                                 f"when 'fixations' holds {len(stimuli)} stimuli; pass a DataArray with dims "
                                 f"('stimulus', 'y', 'x') or a dict {{stimulus: map}}.")
            yield labels, stim, _m._as_map(maps.values, "maps")
            return
        if "stimulus" not in maps.dims or maps.ndim < 3:
            raise ValueError(f"Invalid value for 'maps': expected a DataArray with dims ('stimulus', 'y', 'x') (e.g. "
                             f"from nc.cam.compute); got dims {maps.dims}.")
        spatial = [d for d in maps.dims if d != "stimulus"][-2:]
        extra = [d for d in maps.dims if d not in ("stimulus", *spatial)]
        maps = maps.transpose(*extra, "stimulus", *spatial)
        grid = [maps[d].values if d in maps.coords else np.arange(maps.sizes[d]) for d in extra]
        for idx in np.ndindex(*[maps.sizes[d] for d in extra]):
            sub = maps[idx] if idx else maps
            lab = {**labels, **{d: (g[i].item() if hasattr(g[i], "item") else g[i])
                                for d, g, i in zip(extra, grid, idx)}}
            for k, stim in enumerate(sub["stimulus"].values):
                yield lab, str(stim), _m._as_map(sub.values[k], "maps", f"stimulus {str(stim)!r}")
        return
    if np.ndim(maps) == 2 and len(stimuli) == 1:
        yield {}, stimuli[0], _m._as_map(maps, "maps")
        return
    raise ValueError(f"Invalid value for 'maps': expected an xarray.DataArray with dims ('stimulus', 'y', 'x'), a "
                     f"dict {{stimulus: 2-D map}}, or one 2-D map when 'fixations' holds one stimulus; got "
                     f"{type(maps).__name__}" + (f" with shape {np.shape(maps)}." if hasattr(maps, "shape") else "."))


def _per_stimulus(value, stim: str, shape, name: str):
    """A per-stimulus 2-D array from a DataArray (stimulus, y, x), a dict, or one shared 2-D array."""
    import xarray as xr

    if isinstance(value, dict):
        if stim not in {str(k) for k in value}:
            from .._utils.checks import unknown_name_error

            raise unknown_name_error(f"stimulus in {name!r}", stim, [str(k) for k in value])
        arr = {str(k): v for k, v in value.items()}[stim]
    elif isinstance(value, xr.DataArray) and "stimulus" in value.dims:
        ids = [str(s) for s in value["stimulus"].values]
        if stim not in ids:
            from .._utils.checks import unknown_name_error

            raise unknown_name_error(f"stimulus in {name!r}", stim, ids)
        arr = value.isel(stimulus=ids.index(stim)).values
    else:
        arr = value
    arr = _m._as_map(arr, name, f"stimulus {stim!r}")
    if arr.shape != tuple(shape):
        raise ValueError(f"Invalid value for {name!r}: the map of stimulus {stim!r} has shape {arr.shape}; expected "
                         f"the image size {tuple(shape)} (height, width) of its fixations.")
    return arr


def _other_map(pool: pd.DataFrame, stim: str, shape, n_other, rng) -> np.ndarray | None:
    """Binary map of the fixations on other stimuli, their coordinates scaled into this image's frame."""
    others = pool[pool["stimulus"].astype(str) != stim]
    if others.empty:
        return None
    if n_other is not None:
        names = list(dict.fromkeys(others["stimulus"].astype(str)))
        if n_other < len(names):
            chosen = set(rng.choice(names, size=n_other, replace=False))
            others = others[others["stimulus"].astype(str).isin(chosen)]
    h, w = shape
    x = (others["x"].to_numpy(float) + 0.5) * w / others["width"].to_numpy(float) - 0.5
    y = (others["y"].to_numpy(float) + 0.5) * h / others["height"].to_numpy(float) - 0.5
    out = np.zeros(shape, dtype=bool)
    out[np.clip(pixel_index(y), 0, h - 1), np.clip(pixel_index(x), 0, w - 1)] = True
    return out


def compare_to_fixations(maps, fixations, *, metrics=None, sigma=None, density=None, baseline="center",
                         other_fixations=None, n_other=None, resize: bool = False, n_splits: int = 100,
                         step: float = 0.1, ddof: int = 1, random_state=0) -> pd.DataFrame:
    """Score any maps against where people looked: CAMs, saliency models, a centre bias.

    Nothing here is specific to class-activation maps: a map is any 2-D array of
    real values per stimulus, read as "how likely people look here". It can be the
    output of :func:`neurocompare.cam.compute`, a saliency model's map (e.g. read with
    :func:`~neurocompare.saliency.read_saliency_map`), a centre bias from
    :func:`~neurocompare.saliency.make_center_bias`, or any hand-made array.

    Parameters
    ----------
    maps : xarray.DataArray, dict or 2-D array
        The maps: a DataArray with dims ``("stimulus", "y", "x")``, e.g. as returned by
        :func:`neurocompare.cam.compute` (extra leading dims, e.g. ``method`` or
        ``model``, are looped over and become columns; the attrs ``model``, ``weights``,
        ``method``, ``layer``, ``target`` become columns too, as do scalar coordinates of
        those names, e.g. after ``.sel(model="Judd")``), a dict ``{stimulus: 2-D map}``
        (maps may differ in size), or one 2-D map when ``fixations`` holds one stimulus.
        Every stimulus must have fixations.
    fixations : pandas.DataFrame
        The fixation table (``stimulus, subject, x, y, width, height``; from
        :func:`~neurocompare.saliency.load_salicon_fixations`,
        :func:`~neurocompare.saliency.load_mit1003_fixations` or your own). Stimuli without
        a map are ignored (but serve as other images for sAUC).
    metrics : sequence of str, optional
        A subset of ``nss, auc_judd, auc_borji, sauc, cc, sim, kl, ig`` (default: all).
    sigma : float, optional
        Gaussian sigma (pixels) of the fixation densities used by CC, SIM and KL; see
        :func:`~neurocompare.saliency.fixation_density` (default ``fixations.attrs["sigma"]``).
    density : xarray.DataArray or dict, optional
        Ready-made densities per stimulus (e.g. :func:`~neurocompare.saliency.load_mit1003_density`),
        used instead of blurring the fixations.
    baseline : "center", 2-D array, dict or xarray.DataArray, default "center"
        Baseline of IG: ``"center"`` is :func:`~neurocompare.saliency.make_center_bias`
        at each image's size; an array is used for every stimulus; a dict or a DataArray
        with a ``stimulus`` dim gives one per stimulus.
    other_fixations : pandas.DataFrame, optional
        Fixations on other images, the negatives of sAUC for every stimulus. Default:
        the fixations of the other stimuli in ``fixations``. Their coordinates are
        scaled into each image's frame (``x' = (x + 0.5) * width / width_other - 0.5``).
        With no other images, sAUC is NaN (with a warning).
    n_other : int, optional
        Use the fixations of only ``n_other`` randomly chosen other images per stimulus
        (the MIT benchmark uses 10); default all.
    resize : bool, default False
        Maps whose size differs from the image's (e.g. a CAM at the network's input
        size) are an error unless ``resize=True``; then they are resized (bilinear) to
        the image size, and a log line says how many.
    n_splits, step : int, float
        Random splits and threshold step of AUC-Borji and sAUC (MIT defaults 100 and 0.1).
    ddof : {1, 0}, default 1
        Delta degrees of freedom of the standard deviation in NSS (1 = MATLAB/MIT).
    random_state : None, int or numpy.random.Generator, default 0
        Seed of the AUC-Borji and sAUC negatives. Each stimulus gets its own stream,
        the same for every map of that stimulus, so maps are compared on the same
        negatives.

    Returns
    -------
    pandas.DataFrame
        One row per map: the identifying columns (from attrs and extra dims, if any),
        ``stimulus``, ``n_fixations`` (fixated pixels), ``width``, ``height``, then one
        column per metric.

    See Also
    --------
    neurocompare.saliency.METRICS : the metric names; each is also a function of one map
        (``nc.saliency.nss`` and so on), with its definition.
    """
    import pandas as pd

    from .._utils.checks import check_option, check_positive_int, unknown_name_error
    from .._utils.random import seed_int

    table = check_fixations(fixations)
    wanted = list(_m.METRICS) if metrics is None else ([metrics] if isinstance(metrics, str) else list(metrics))
    if not wanted:
        raise ValueError(f"Invalid value for 'metrics': expected a non-empty subset of {', '.join(_m.METRICS)}.")
    for name in wanted:
        check_option("metrics", name, _m.METRICS)
    wanted = [m for m in _m.METRICS if m in wanted]
    if n_other is not None:
        n_other = check_positive_int("n_other", n_other)
    n_splits = check_positive_int("n_splits", n_splits)
    step = _m._check_step(step)
    ddof = _m._check_ddof(ddof)
    need_density = any(m in wanted for m in ("cc", "sim", "kl")) and density is None
    if need_density:
        sigma = _sigma_of(table, sigma)
    if isinstance(baseline, str):
        check_option("baseline", baseline, ["center"])
    pool = table if other_fixations is None else check_fixations(other_fixations, name="other_fixations")
    base_seed = seed_int(random_state)

    stimuli = list(dict.fromkeys(table["stimulus"].astype(str)))
    groups = {s: g for s, g in table.groupby(table["stimulus"].astype(str), sort=False)}
    cache: dict[str, dict] = {}
    rows, n_resized, sizes_resized, warned = [], 0, set(), False
    for labels, stim, arr in _iter_maps(maps, stimuli):
        if stim not in groups:
            hint = ("Every map needs fixations: select the maps of stimuli with fixations, e.g. "
                    "maps.sel(stimulus=[s for s in maps.stimulus.values if s in set(fixations.stimulus)]).")
            if stim.isdigit():
                hint += (" Maps computed from a tensor are numbered 0, 1, ...: name them after the fixations' "
                         "stimuli with maps.assign_coords(stimulus=[...]).")
            raise unknown_name_error("stimulus (it is in 'maps' but has no fixations in 'fixations')", stim,
                                     stimuli, hint=hint)
        sel = groups[stim]
        shape = (int(sel["height"].iloc[0]), int(sel["width"].iloc[0]))
        if arr.shape != shape:
            if not resize:
                raise ValueError(f"Invalid value for 'maps': the map of stimulus {stim!r} has shape {arr.shape} but "
                                 f"its image (fixations' height, width) is {shape}. Pass resize=True to resize the "
                                 f"maps (bilinear) to the image size.")
            sizes_resized.add(arr.shape)
            arr = _m._resize(arr, shape)
            n_resized += 1
        if stim not in cache:
            k = stimuli.index(stim)
            fix = _binary(sel, shape)
            item = {"fix": fix, "seed": (base_seed, k)}
            if need_density:
                item["density"] = _blur(fix, sigma)
            elif density is not None and any(m in wanted for m in ("cc", "sim", "kl")):
                item["density"] = _per_stimulus(density, stim, shape, "density")
            if "ig" in wanted:
                item["baseline"] = (_m.make_center_bias(shape) if isinstance(baseline, str)
                                    else _per_stimulus(baseline, stim, shape, "baseline"))
            if "sauc" in wanted:
                item["other"] = _other_map(pool, stim, shape, n_other, np.random.default_rng([base_seed, k, 2]))
                if item["other"] is None and not warned:
                    logger.warning("sAUC is NaN for stimulus %r: no fixations on other images (pass "
                                   "other_fixations=, e.g. the fixations of other images of the same data set).", stim)
                    warned = True
            cache[stim] = item
        item = cache[stim]
        row = {**labels, "stimulus": stim, "n_fixations": int(item["fix"].sum()), "width": shape[1],
               "height": shape[0]}
        fix = item["fix"]
        for name in wanted:
            if name == "nss":
                row[name] = _m.nss(arr, fix, ddof=ddof)
            elif name == "auc_judd":
                row[name] = _m.auc_judd(arr, fix)
            elif name == "auc_borji":
                row[name] = _m.auc_borji(arr, fix, n_splits=n_splits, step=step,
                                         random_state=np.random.default_rng([*item["seed"], 0]))
            elif name == "sauc":
                row[name] = (np.nan if item["other"] is None else
                             _m.sauc(arr, fix, item["other"], n_splits=n_splits, step=step,
                                     random_state=np.random.default_rng([*item["seed"], 1])))
            elif name == "cc":
                row[name] = _m.cc(arr, item["density"])
            elif name == "sim":
                row[name] = _m.sim(arr, item["density"])
            elif name == "kl":
                row[name] = _m.kl(arr, item["density"])
            elif name == "ig":
                row[name] = _m.ig(arr, fix, item["baseline"])
        rows.append(row)
    if n_resized:
        logger.info("Resized %d map(s) from %s to their image sizes (bilinear; resize=True)", n_resized,
                    ", ".join(str(s) for s in sorted(sizes_resized)))
    return pd.DataFrame(rows)
