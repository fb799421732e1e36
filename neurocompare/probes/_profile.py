"""What/where probes across depth (Hong et al. 2016), cross-readout between streams, and units curves."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_columns, check_complete, check_positive_int
from .._utils.progress import progress_bar
from ..decoding import decode, factor_split
from .._utils.fold_warnings import summarised_fold_warnings

DEFAULT_WHERE = ("x", "y", "size")


def _layers(acts):
    import xarray as xr

    from ..extraction import iter_layers

    if isinstance(acts, xr.DataTree):
        out = list(iter_layers(acts))
        if not out:
            raise ValueError("Invalid value for 'acts': the activation tree holds no layers.")
        return out
    if isinstance(acts, xr.DataArray):
        return [(acts.attrs.get("model", ""), acts.attrs.get("layer", acts.name or "layer"), acts)]
    raise TypeError(f"Invalid value for 'acts': expected an activation tree or one layer's DataArray; got "
                    f"{type(acts).__name__}.")


def _align(da, stimuli):
    """The layer with the StimulusSet's factors attached, in the activations' order; ids must match."""
    if stimuli is None:
        return da
    ids = list(map(str, da["stimulus"].values))
    have = set(stimuli.ids)
    missing, extra = [i for i in ids if i not in have], sorted(have - set(ids))
    if missing or extra:
        raise ValueError(f"The activations and the stimuli do not share their stimulus ids: {len(missing)} "
                         f"activation ids are not in the stimuli (e.g. {missing[:5]}), {len(extra)} stimuli have no "
                         f"activations (e.g. {extra[:5]}). Extract from this StimulusSet, or subset it first.")
    md = stimuli.metadata.loc[ids]
    coords = {c: ("stimulus", md[c].to_numpy()) for c in stimuli.factors if c not in da.coords}
    return da.assign_coords(coords) if coords else da


def _targets(da, stimuli, what, where):
    factors = [c for c in da.coords if da[c].dims == ("stimulus",) and c not in ("stimulus", "file", "mask_file")]
    if what is None:
        what = list(stimuli.what) if stimuli is not None else [c for c in ("category",) if c in factors]
        what = [w for w in what if w in factors]
    if where is None:
        where = [w for w in DEFAULT_WHERE if w in factors]
    for param, names in (("what", what), ("where", where)):
        for name in names:
            if name not in factors:
                raise ValueError(f"Invalid value for {param!r}: {name!r} is not a stimulus factor; available factors: "
                                 f"{factors}.")
    if not what and not where:
        raise ValueError(f"No targets: pass what=[...] and/or where=[...] from the stimulus factors {factors}.")
    return list(what), list(where)


def what_where(acts, stimuli=None, *, what=None, where=None, cv=5, groups=None, split: str | None = None,
               estimator=None,
               pca: int | None = None, permutations: int = 0, n_bootstrap: int = 1000, ridge_alpha: float = 1.0,
               backend: str = "sklearn", device: str = "auto", random_state=0, progress: bool = True, n_jobs=None,
               scheduler=None):
    """Read what (identity) and where (position, size) out of every layer: the two-pathway profile.

    Parameters
    ----------
    acts : xarray.DataTree or xarray.DataArray
        Activations from :func:`neurocompare.extract` (every layer) or one layer.
    stimuli : StimulusSet, optional
        Supplies the factors and the default targets; its ids must be those of ``acts``.
    what, where : list of str, optional
        Classification ("what", scored by balanced accuracy) and regression ("where", R² and
        Pearson r) targets. Defaults: the StimulusSet's what factors (``category``,
        ``identity``) and ``x, y, size``.
    cv : int or splitter
        Folds (see :func:`neurocompare.decoding.decode`).
    groups : str or array-like, optional
        Keep these groups apart across folds (e.g. ``"identity"``, so no object identity is
        both trained and tested on); see :func:`neurocompare.decoding.decode`. Ignored with
        ``split``, whose folds are fixed by the factor.
    split : str, optional
        A generalisation test instead of random folds: the name of a factor. Numeric factors
        with many values (``"x"``, ``"size"``) are split in two halves: train on one, test on
        the other (Hong et al.'s category-orthogonal invariance). Factors with few levels hold
        out one level at a time: ``"exemplar"`` trains on one exemplar of every shape and
        tests on the other (a held-out level should contain every category).
    estimator, pca, ridge_alpha, backend, device : see :func:`neurocompare.decoding.decode`
    permutations : int
        Label permutations per layer and target for a p-value.
    n_bootstrap : int
        Bootstrap resamples of the test items for each 95% CI (0: none); see
        :func:`neurocompare.decoding.decode`.
    random_state : int
    progress : bool
    n_jobs : int, optional
        Folds fitted in parallel (see :func:`neurocompare.decoding.decode`).
    scheduler : None, "local", str or distributed.Client
        ``None``: here. Otherwise a dask cluster (``"local"``, an address such as
        ``"tcp://host:8786"``, or a ``distributed.Client``) runs each layer x target
        decode as a task; the table equals the local one. Needs
        ``pip install "neurocompare[dask]"``.

    Returns
    -------
    pandas.DataFrame
        One row per layer, target and metric: ``model, layer, stream, analysis,
        target, target_stream, task, metric, value, ci_low, ci_high, sd, p, n, n_folds,
        chance, cv_scheme, ci_method, split``, layers in extraction order. The CIs are
        percentile bootstraps over test items (see :func:`neurocompare.decoding.decode`).
        Warnings that scikit-learn raises in single folds are reported once for the whole
        profile, with counts.
    """
    import pandas as pd

    layers = _layers(acts)
    first = _align(layers[0][2], stimuli)
    what, where = _targets(first, stimuli, what, where)
    jobs = []
    for model, layer, da in layers:
        da = _align(da, stimuli)
        if split is not None and split not in da.coords:
            raise ValueError(f"Invalid value for 'split': {split!r} is not a stimulus factor.")
        if split is not None:
            check_complete(da[split].values, list(map(str, da["stimulus"].values)), factor=split, param="split")
        folds = factor_split(da[split].values) if split is not None else cv
        for stream_of_target, targets, task in (("what", what, "classification"), ("where", where, "regression")):
            for t in targets:
                options = dict(task=task, estimator=estimator, cv=folds, groups=groups if split is None else None,
                               pca=pca, permutations=permutations, n_bootstrap=n_bootstrap, ridge_alpha=ridge_alpha,
                               backend=backend, device=device, random_state=random_state, n_jobs=n_jobs,
                               progress=False)
                jobs.append(((model, layer, da.attrs.get("stream", "shared"), stream_of_target), da, t, options))
    with summarised_fold_warnings() as sink:
        if scheduler is None:
            results = []
            with progress_bar(len(jobs), "probing", enable=progress) as advance:
                for _, da, t, options in jobs:
                    results.append(decode(da, t, **options))
                    advance()
        else:
            results = _probe_on_cluster(scheduler, jobs, sink, progress=progress)
    rows = []
    for ((model, layer, stream, stream_of_target), _, _, _), res in zip(jobs, results):
        res.insert(0, "model", model)
        res.insert(1, "layer", layer)
        res.insert(2, "stream", stream)
        res.insert(3, "analysis", "probe")
        res.insert(5, "target_stream", stream_of_target)
        res["split"] = split or "random"
        rows.append(res)
    return pd.concat(rows, ignore_index=True)


def _probe_task(da, target, options):
    """On a dask worker: one decode, returned with the counts of its fold warnings."""
    import dask

    from .._utils.fold_warnings import collected

    with dask.config.set(scheduler="synchronous"):   # a zarr-backed layer is read here, not by spawned tasks
        da = da.compute()
    with collected() as sink:
        return decode(da, target, **options), sink


def _probe_on_cluster(scheduler, jobs, sink, *, progress):
    """The decodes of ``jobs`` as tasks on a dask cluster (layer x target), in order; warnings merged in ``sink``."""
    from .._utils.scheduler import using_scheduler

    with using_scheduler(scheduler, progress=progress) as client:
        from distributed import as_completed

        # one copy of each layer on the cluster, shared by its targets
        layers = {}
        for _, da, _, _ in jobs:
            if id(da) not in layers:
                layers[id(da)] = client.scatter(da, hash=False)
        futures = [client.submit(_probe_task, layers[id(da)], t, options, pure=False) for _, da, t, options in jobs]
        try:
            with progress_bar(len(futures), "probing on dask workers", enable=progress) as advance:
                for _ in as_completed(futures):
                    advance()
            out = client.gather(futures)
        finally:
            client.cancel(futures + list(layers.values()))
    for _, worker_sink in out:
        sink.merge(worker_sink)
    return [res for res, _ in out]


def cross_readout(results, *, metric: dict | None = None):
    """What read out of each stream, and where read out of each stream.

    Parameters
    ----------
    results : pandas.DataFrame
        From :func:`what_where`.
    metric : dict, optional
        Metric per target stream; default ``{"what": "balanced_accuracy", "where": "r2"}``.

    Returns
    -------
    pandas.DataFrame
        One row per (layer stream, target stream): the best layer of that stream for the
        targets of that stream, its mean score over targets (``value``), and the layers
        considered. ``cross`` is True where the stream reads out the other stream's targets.
    """
    import pandas as pd

    metric = metric or {"what": "balanced_accuracy", "where": "r2"}
    rows = []
    check_columns("results", results, {"model", "stream", "target_stream", "layer", "metric", "value"},
                  expected="the output of neurocompare.probes.what_where")
    for (model, stream, tstream), d in results.groupby(["model", "stream", "target_stream"], sort=False):
        d = d[d.metric == metric[tstream]]
        if d.empty:
            continue
        per_layer = d.groupby("layer", sort=False)["value"].mean()
        best = per_layer.idxmax()
        rows.append({"model": model, "stream": stream, "target_stream": tstream, "metric": metric[tstream],
                     "value": per_layer.max(), "best_layer": best, "n_layers": len(per_layer),
                     "cross": stream in ("what", "where") and stream != tstream})
    return pd.DataFrame(rows)


def units_curve(acts, stimuli=None, *, target: str = "category", n_units=None, n_repeats: int = 10, cv=5,
                estimator=None, ridge_alpha: float = 1.0, random_state=0, progress: bool = True):
    """Read-out performance against the number of units sampled (Hong et al. 2016, Fig. 3).

    For each layer and each sample size, ``n_repeats`` random subsets of units are decoded
    with the same folds.

    Parameters
    ----------
    acts : xarray.DataTree or xarray.DataArray
        Activations from :func:`neurocompare.extract` (every layer) or one layer.
    stimuli : StimulusSet, optional
        Supplies ``target`` when it is not a coordinate of ``acts``.
    target : str
        The factor to decode.
    n_units : list of int, optional
        Default: powers of two up to the smallest layer's width.
    n_repeats : int
        Random subsets of units per sample size.
    cv, estimator, ridge_alpha : see :func:`neurocompare.decoding.decode`
    random_state : int
        Seeds the unit subsets and the folds.
    progress : bool
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per layer, sample size and metric: ``model, layer, stream, target,
        n_units, metric, value`` (mean over repeats), ``ci_low, ci_high`` (2.5 and 97.5
        percentiles over repeats), ``sd, n_repeats``.
    """
    import pandas as pd

    n_repeats = check_positive_int("n_repeats", n_repeats)
    layers = _layers(acts)
    widths = [da.sizes["unit"] for _, _, da in layers]
    if n_units is None:
        n_units = [2 ** k for k in range(int(np.log2(min(widths))) + 1)]
    else:
        n_units = [check_positive_int("n_units", k, maximum=max(widths),
                                      why=f"the widest layer has {max(widths)} units")
                   for k in np.atleast_1d(n_units).tolist()]
    rng = np.random.default_rng(random_state)
    rows = []
    with progress_bar(len(layers) * len(n_units) * n_repeats, "units curve", enable=progress) as advance, \
            summarised_fold_warnings():
        for model, layer, da in layers:
            da = _align(da, stimuli)
            for k in n_units:
                if k > da.sizes["unit"]:
                    continue
                per_metric = {}
                for _ in range(n_repeats):
                    sub = da.isel(unit=np.sort(rng.choice(da.sizes["unit"], size=k, replace=False)))
                    res = decode(sub, target, estimator=estimator, cv=cv, ridge_alpha=ridge_alpha, n_bootstrap=0,
                                 random_state=random_state, progress=False)  # only the values are used
                    for r in res.itertuples():
                        per_metric.setdefault(r.metric, []).append(r.value)
                    advance()
                for m, vals in per_metric.items():
                    vals = np.asarray(vals)
                    rows.append({"model": model, "layer": layer, "stream": da.attrs.get("stream", "shared"),
                                 "target": target, "n_units": k, "metric": m, "value": vals.mean(),
                                 "ci_low": np.percentile(vals, 2.5), "ci_high": np.percentile(vals, 97.5),
                                 "sd": vals.std(ddof=1) if len(vals) > 1 else np.nan, "n_repeats": len(vals)})
    return pd.DataFrame(rows)
