"""How well maps point at the object: pointing game, energy inside the mask, IoU; and bootstrap summaries."""
from __future__ import annotations

import numpy as np

from .geometry import as_map_list

from .._utils.checks import check_option
from .._utils.stats import bootstrap_mean_ci

LOCALIZATION_METRICS = ("pointing_game", "energy", "iou")
SCORE_COLUMNS = ["stimulus", "category", "model", "method", "layer", "target", "region", "metric", "value", "chance"]


def regions(maps, stimuli, *, region: str = "mask"):
    """The ground-truth region of each stimulus on the map grid, as a boolean (stimulus, y, x) array.

    ``region="mask"`` uses :meth:`StimulusSet.load_mask`, ``"box"`` the
    ``bbox_x0, bbox_y0, bbox_x1, bbox_y1`` columns (pixels, ``[x0, x1)``). Both
    go through the geometry of the model's preprocessing recorded in
    ``maps.attrs["geometry"]`` (resize / centre crop), so they line up with the
    map; without a recorded geometry they are resized to the map.

    Parameters
    ----------
    maps : xarray.DataArray
        Maps ``(stimulus, y, x)`` from :func:`compute`; their grid and
        ``attrs["geometry"]`` decide the output's shape and alignment.
    stimuli : StimulusSet
        The set the maps were computed on (every map's stimulus must be in it).
    region : {"mask", "box"}
        Which region counts as the object: the object mask (``mask_file``) or
        the bounding box.

    Returns
    -------
    numpy.ndarray
        Boolean, ``(stimulus, y, x)``, in the maps' stimulus order.
    """
    from ..stimuli import StimulusSet
    from .geometry import box_mask, to_map_grid

    check_option("region", region, ("mask", "box"))
    if not isinstance(stimuli, StimulusSet):
        raise TypeError(f"Invalid value for 'stimuli': expected a StimulusSet; got {type(stimuli).__name__}.")
    ids = [str(s) for s in maps["stimulus"].values]
    missing = [i for i in ids if i not in stimuli.metadata.index]
    if missing:
        raise ValueError(f"Invalid value for 'stimuli': the maps' stimuli {missing[:3]} are not in this StimulusSet; "
                       "pass the set the maps were computed on.")
    if region == "box":
        need = ["bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"]
        if any(c not in stimuli.metadata.columns for c in need):
            raise ValueError(f"Invalid value for 'region': 'box' needs the columns {need}; the stimulus table has "
                             f"{stimuli.factors}. Use region='mask' or add the boxes.")
    shape = (maps.sizes["y"], maps.sizes["x"])
    geometry = maps.attrs.get("geometry") or None
    out = np.zeros((len(ids), *shape), bool)
    for i, sid in enumerate(ids):
        if region == "mask":
            m = stimuli.load_mask(sid)
        else:
            m = box_mask(stimuli.metadata.loc[sid], stimuli.load_image(sid).size)
        out[i] = to_map_grid(m, geometry, shape)
    return out


def _dilate(mask: np.ndarray, tolerance: float) -> np.ndarray:
    if tolerance <= 0:
        return mask
    from scipy import ndimage

    return ndimage.distance_transform_edt(~mask) <= tolerance


def localization(maps, stimuli, *, metrics=LOCALIZATION_METRICS, region: str = "mask", threshold: float = 0.5,
                 tolerance: float = 0.0):
    """Score maps against each stimulus' object mask (or box).

    Parameters
    ----------
    maps : DataArray or list of DataArray
        From :func:`compute` (any ``normalize``; the scores are scale-free).
    stimuli : StimulusSet
        The set the maps were computed on (masks and ``bbox_*`` columns).
    metrics : sequence of str
        ``"pointing_game"``: 1 if the map's maximum lies inside the region
        (widened by ``tolerance`` pixels), else 0; where several pixels tie for
        the maximum, the share of them inside (so a flat map scores the chance
        level). Chance: the share of the map inside the (widened) region.
        ``"energy"``: the share of the map's total inside the region
        (Wang et al. 2020). Chance: the region's area share.
        ``"iou"``: intersection over union of the pixels with
        ``map >= threshold * max(map)`` and the region. Chance: NaN.
    region : {"mask", "box"}
    threshold : float
        For ``"iou"``: the fraction of each map's maximum that binarises it.
    tolerance : float
        For ``"pointing_game"``: pixels (on the map grid) the region is widened by
        (Zhang et al. 2018 use 15 px at 224 px).

    Returns
    -------
    pandas.DataFrame
        One row per map x stimulus x metric: ``stimulus, category, model,
        method, layer, target, region, metric, value, chance``. Maps that are
        all NaN or all zero give NaN for ``energy`` and ``iou``.
    """
    import pandas as pd

    items = as_map_list(maps)
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metrics:
        raise ValueError("Invalid value for 'metrics': expected at least one of "
                         f"{', '.join(LOCALIZATION_METRICS)}; got an empty list.")
    for m in metrics:
        check_option("metrics", m, LOCALIZATION_METRICS)
    if not 0 < float(threshold) <= 1:
        raise ValueError(f"Invalid value for 'threshold': expected a fraction in (0, 1]; got {threshold!r}.")
    if float(tolerance) < 0:
        raise ValueError(f"Invalid value for 'tolerance': expected pixels >= 0; got {tolerance!r}.")
    rows = []
    cache = {}
    for da in items:
        key = (tuple(map(str, da["stimulus"].values)), da.sizes["y"], da.sizes["x"], da.attrs.get("geometry", ""))
        if key not in cache:
            cache[key] = regions(da, stimuli, region=region)
        reg = cache[key]
        values = da.values
        cats = da["category"].values if "category" in da.coords else [""] * len(values)
        for i, sid in enumerate(da["stimulus"].values):
            m, r = values[i], reg[i]
            res = _scores(m, r, metrics, float(threshold), float(tolerance))
            for metric in metrics:
                v, ch = res[metric]
                rows.append((str(sid), str(cats[i]), da.attrs.get("model", ""), da.attrs.get("method", ""),
                             da.attrs.get("layer", ""), da.attrs.get("target", ""), region, metric, v, ch))
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def _scores(m, r, metrics, threshold, tolerance):
    out = {}
    area = float(r.mean())
    finite = np.isfinite(m).all()
    total = float(m.sum()) if finite else np.nan
    for metric in metrics:
        if metric == "pointing_game":
            wide = _dilate(r, tolerance)
            if not finite:
                out[metric] = (np.nan, float(wide.mean()))
                continue
            peak = m == m.max()
            out[metric] = (float(wide[peak].mean()), float(wide.mean()))
        elif metric == "energy":
            ok = finite and total > 0
            out[metric] = (float(m[r].sum() / total) if ok else np.nan, area)
        else:
            mx = float(m.max()) if finite else np.nan
            if not finite or mx <= 0:
                out[metric] = (np.nan, np.nan)
                continue
            b = m >= threshold * mx
            union = np.logical_or(b, r).sum()
            out[metric] = (float(np.logical_and(b, r).sum() / union) if union else np.nan, np.nan)
    return out


def summarize_scores(scores, *, by=("model", "method", "layer", "metric"), n_bootstrap: int = 2000, ci: float = 0.95,
                     random_state=0):
    """Mean per condition with a bootstrap CI over stimuli and a one-sided test against chance.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`localization` or :func:`faithfulness` (columns ``stimulus``,
        ``value``, optionally ``chance``, plus the ``by`` columns).
    by : sequence of str
        Columns that define a condition.
    n_bootstrap : int
        Bootstrap samples of stimuli (percentile interval).
    ci : float
        Confidence level.
    random_state : int or Generator

    Returns
    -------
    pandas.DataFrame
        One row per condition: the ``by`` columns, ``value`` (mean over
        stimuli), ``ci_low, ci_high``, ``chance`` (mean chance level; NaN if
        none), ``p`` (one-sided sign-flip permutation test, ``n_bootstrap``
        permutations, of mean(value - chance) > 0; NaN without a chance level)
        and ``n`` (stimuli with a finite value).
    """
    import pandas as pd

    from .._utils.checks import check_positive_int
    from .._utils.random import check_random_state

    n_bootstrap = check_positive_int("n_bootstrap", n_bootstrap)
    if not 0 < float(ci) < 1:
        raise ValueError(f"Invalid value for 'ci': expected a level in (0, 1); got {ci!r}.")
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in [*by, "value"] if c not in scores.columns]
    if missing:
        raise ValueError(f"Invalid value for 'scores': columns {missing} are missing; got {list(scores.columns)}.")
    rng = check_random_state(random_state)
    rows = []
    for key, g in scores.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        ok = np.isfinite(g["value"].to_numpy(float))
        v = g["value"].to_numpy(float)[ok]
        chance = g["chance"].to_numpy(float)[ok] if "chance" in g.columns else np.full(len(v), np.nan)
        n = len(v)
        if n == 0:
            rows.append((*key, np.nan, np.nan, np.nan, np.nan, np.nan, 0))
            continue
        lo, hi = bootstrap_mean_ci(v, n_boot=n_bootstrap, ci=ci, rng=rng)
        p = np.nan
        if np.isfinite(chance).all():
            d = v - chance
            signs = rng.choice([-1.0, 1.0], size=(n_bootstrap, n))
            null = (signs * d).mean(1)
            p = (1 + np.sum(null >= d.mean())) / (n_bootstrap + 1)
        rows.append((*key, float(v.mean()), float(lo), float(hi), float(np.mean(chance)) if n else np.nan, p, n))
    return pd.DataFrame(rows, columns=[*by, "value", "ci_low", "ci_high", "chance", "p", "n"])
