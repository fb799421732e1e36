"""The one-stream-against-two experiment (Han & Sereno 2022, 2023).

Does splitting a network into a ventral ("what") and a dorsal ("where")
pathway help it learn identity and location? A :class:`TwoStreamNet` and a
parameter-matched :class:`OneStreamNet` (one shared trunk, two heads) are
trained with the same losses, data, epochs and seeds, then compared on held-out
stimuli: their own outputs (identity accuracy, location R²), how fast they
learn (epochs to a validation-accuracy criterion) and how much of the other
stream's information their stream-specific layers still carry (cross-readout).
"""
from __future__ import annotations

import numbers

import numpy as np

from .._utils.checks import check_positive_int
from .._utils.logging import logger
from .._utils.progress import progress_bar

ARCHITECTURES = {"one-stream": "onestreamnet", "two-stream": "twostreamnet"}
WHERE_TARGETS = ("x", "y", "size")
HOLDOUT_FRACTION = 0.25
DIFFERENCE = "two-stream - one-stream"
RESULT_COLUMNS = ["analysis", "architecture", "model", "seed", "metric", "value", "n_parameters", "n", "test_set"]
SUMMARY_COLUMNS = ["analysis", "metric", "architecture", "mean", "sd", "n", "t", "p"]


def stream_experiment(stimuli, *, test_stimuli=None, n_seeds: int = 3, epochs: int = 20, criterion: float = 0.8,
                      image_size: int = 64, width: int = 16, reduce=("grid", 2), probe_cv=5, random_state=None,
                      progress: bool = True):
    """Train one-stream and two-stream nets on the same stimuli and compare them (Han & Sereno 2022, 2023).

    For each seed, a ``"twostreamnet"`` (shared stem, then a ventral and a dorsal
    branch) and an ``"onestreamnet"`` (one shared trunk with a category head and a
    location head, with the same number of parameters within 1%) are trained with
    :func:`neurocompare.models.train` (cross-entropy on ``category`` plus mean
    squared error on the standardised ``x, y, size``; cached on disk) and scored
    on held-out test stimuli. No outcome is assumed: the table reports whatever
    the nets do.

    Parameters
    ----------
    stimuli : StimulusSet
        Training stimuli with ``category``, ``x``, ``y`` and ``size`` factors
        (e.g. from :func:`neurocompare.stimuli.make_whatwhere`).
    test_stimuli : StimulusSet, optional
        Held-out stimuli with the same factors and no category the training set
        lacks. If omitted:

        - when ``stimuli`` were made by ``make_whatwhere`` (their folder's
          ``stimuli.toml`` has a ``[generator]`` table), a fresh set is generated
          with the same generator parameters (restricted to the training
          categories) and ``random_state`` = the generator's seed + 1, into the
          neurocompare cache (reused afterwards); the nets train on all of
          ``stimuli``;
        - otherwise 25% of ``stimuli`` is held out (split stratified by
          ``category``, seeded by ``random_state``) and the nets train on the
          other 75% only.

        The ``test_set`` column of the result says which was used.
    n_seeds : int
        One pair of nets per seed ``0, 1, ..., n_seeds - 1`` (initialisation,
        validation split and batch order); at least 1. The ``seed`` column of
        the result holds the seed.
    epochs : int
        Training epochs for every net.
    criterion : float
        Validation accuracy in (0, 1] that defines ``epochs_to_criterion``.
    image_size : int
        Input side of the nets in pixels (a multiple of 8); images are resized to it.
    width : int
        The TwoStreamNet's ``width``; the OneStreamNet is matched to it.
    reduce : None, "avgpool", ("grid", k), ("project", k) or ("pca", k)
        Reduction of the activations for the cross-readout probes (see
        :func:`neurocompare.extract`).
    probe_cv : int
        Cross-validation folds of the probes (at least 2).
    random_state : int, optional
        Seeds the 25% hold-out split (when used) and the probes' folds. ``None``
        uses 0, so the same call gives the same table.
    progress : bool
        Show a progress bar (one step per trained and evaluated net).

    Returns
    -------
    pandas.DataFrame
        One row per architecture, seed and metric, with columns ``analysis``
        (``"stream_experiment"``), ``architecture`` (``"one-stream"`` or
        ``"two-stream"``), ``model`` (the built-in net's name), ``seed``,
        ``metric``, ``value``, ``n_parameters``, ``n`` (test stimuli) and
        ``test_set`` (``"given"``, ``"generated (random_state=...)"`` or
        ``"held out (25%)"``). The metrics:

        - ``what_accuracy``: share of test stimuli whose category the net's
          ``"what"`` output gets right;
        - ``where_r2``: R² of the ``"where"`` output (un-standardised with the
          training mean and SD) on the test stimuli, averaged over ``x``, ``y``
          and ``size``; ``where_r2_x``, ``where_r2_y``, ``where_r2_size`` per
          target;
        - ``epochs_to_criterion``: the first epoch whose validation accuracy
          (training history) is at least ``criterion``; NaN if none is, and
          ``reached_criterion`` (1 or 0) says whether one is;
        - ``cross_what_from_where``: category (balanced accuracy, chance
          1 / number of categories) read out of the net's ``"where"`` layers,
          and ``cross_where_from_what``: location (R², mean over ``x, y, size``)
          read out of its ``"what"`` layers; the best layer of the stream in each
          case (:func:`cross_readout` of :func:`what_where` on the test
          stimuli's activations). ``probe_what_from_what`` and
          ``probe_where_from_where`` are the same read-outs from the stream's
          own layers, for reference.

    Notes
    -----
    The streams are those of each net's stream map: in the TwoStreamNet the
    ventral branch is ``"what"`` and the dorsal one ``"where"``; in the
    OneStreamNet every trunk block is ``"shared"``, so its ``"what"`` layers are
    the category head only (after global pooling) and its ``"where"`` layers the
    location head. The default layers of each net are probed.

    Summarise with :func:`summarize_stream_experiment`.

    References
    ----------
    Han, Z., & Sereno, A. (2022). Modeling the ventral and dorsal cortical visual
    pathways using artificial neural networks. Neural Computation, 34(1), 138-171.

    Han, Z., & Sereno, A. (2023). Identifying and localizing multiple objects
    using artificial ventral and dorsal cortical visual pathways. Neural
    Computation, 35(2), 249-275.
    """
    import pandas as pd

    from ..extraction import parse_reduce

    stimuli = _check_stimuli("stimuli", stimuli)
    seeds = list(range(check_positive_int("n_seeds", n_seeds)))
    epochs = check_positive_int("epochs", epochs)
    criterion = _check_criterion(criterion)
    image_size = check_positive_int("image_size", image_size, minimum=8)
    if image_size % 8:
        raise ValueError(f"Invalid value for 'image_size': expected a multiple of 8; got {image_size}.")
    width = check_positive_int("width", width)
    parse_reduce(reduce)
    probe_cv = check_positive_int("probe_cv", probe_cv, minimum=2)
    if random_state is None:
        random_state = 0
    elif isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral) or random_state < 0:
        raise ValueError(f"Invalid value for 'random_state': expected None or a non-negative int; "
                         f"got {random_state!r}.")
    random_state = int(random_state)

    train_set, test_set, test_label = _train_test(stimuli, test_stimuli, random_state)
    classes = sorted(train_set.metadata["category"].astype(str).unique())
    if len(classes) < 2:
        raise ValueError(f"Invalid value for 'stimuli': 'category' has a single value {classes}; the experiment "
                         "needs at least two categories.")
    unknown = sorted(set(test_set.metadata["category"].astype(str)) - set(classes))
    if unknown:
        raise ValueError(f"Invalid value for 'test_stimuli': categories {unknown} do not occur in the training "
                         f"stimuli (whose categories are {classes}); the nets cannot name them.")
    n_min = int(test_set.metadata["category"].astype(str).value_counts().min())
    if n_min < probe_cv:
        raise ValueError(f"Invalid value for 'probe_cv': {probe_cv} folds need at least {probe_cv} test stimuli "
                         f"per category; the test set has {n_min} for its rarest category. Lower 'probe_cv' or "
                         "pass more test stimuli.")
    logger.info("Stream experiment: %d seeds x 2 nets, trained on %d stimuli, tested on %d (%s)", len(seeds),
                len(train_set), len(test_set), test_label)

    options = {"image_size": image_size, "width": width}
    rows = []
    with progress_bar(2 * len(seeds), "stream experiment", enable=progress) as advance:
        for seed in seeds:
            for arch, name in ARCHITECTURES.items():
                net = _train(name, train_set, epochs=epochs, seed=seed, options=options)
                n_par = int(sum(p.numel() for p in net.module.parameters()))
                metrics = {**_own_outputs(net, test_set), **_speed(net.history, criterion)}
                metrics.update(_cross(net, test_set, reduce=reduce, cv=probe_cv, random_state=random_state))
                for metric, value in metrics.items():
                    rows.append({"analysis": "stream_experiment", "architecture": arch, "model": name,
                                 "seed": seed, "metric": metric, "value": float(value), "n_parameters": n_par,
                                 "n": len(test_set), "test_set": test_label})
                logger.info("%s seed %d: what accuracy %.3f, where R2 %.3f", arch, seed, metrics["what_accuracy"],
                            metrics["where_r2"])
                advance()
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def summarize_stream_experiment(df):
    """Mean and SD over seeds per architecture and metric, and the paired two-stream - one-stream difference.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`stream_experiment` (at least ``architecture, seed, metric,
        value``).

    Returns
    -------
    pandas.DataFrame
        Per metric, three rows: ``"one-stream"``, ``"two-stream"`` and
        ``"two-stream - one-stream"`` (``architecture``), with ``analysis``
        (``"stream_experiment_summary"``), ``metric``, ``mean``, ``sd`` (over
        seeds, ddof = 1), ``n`` (seeds with a value; NaN values, such as an
        ``epochs_to_criterion`` never reached, are left out), and for the
        difference the paired t statistic ``t`` and two-sided p-value ``p``
        (:func:`scipy.stats.ttest_rel` over the seeds where both nets have a
        value; NaN with fewer than 2 such seeds or no variation).
    """
    import warnings

    import pandas as pd
    from scipy import stats

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Invalid value for 'df': expected the DataFrame returned by stream_experiment; got "
                        f"{type(df).__name__}.")
    missing = [c for c in ("architecture", "seed", "metric", "value") if c not in df.columns]
    if missing:
        raise ValueError(f"Invalid value for 'df': expected the columns of stream_experiment's result; missing "
                         f"{missing} (got {list(df.columns)}).")
    if df.empty:
        raise ValueError("Invalid value for 'df': expected at least one row; got an empty DataFrame.")
    odd = sorted(set(df["architecture"]) - set(ARCHITECTURES))
    if odd:
        raise ValueError(f"Invalid value for 'df': expected architectures {list(ARCHITECTURES)}; got {odd}.")
    rows = []
    for metric in pd.unique(df["metric"]):
        d = df[df["metric"] == metric]
        wide = d.pivot_table(index="seed", columns="architecture", values="value", aggfunc="mean", dropna=False)
        for arch in ARCHITECTURES:
            vals = wide[arch].dropna().to_numpy() if arch in wide else np.array([])
            rows.append({"analysis": "stream_experiment_summary", "metric": metric, "architecture": arch,
                         "mean": vals.mean() if len(vals) else np.nan, "sd": _sd(vals), "n": len(vals),
                         "t": np.nan, "p": np.nan})
        if all(arch in wide for arch in ARCHITECTURES):
            pairs = wide[list(ARCHITECTURES)].dropna()
            diff = (pairs["two-stream"] - pairs["one-stream"]).to_numpy()
        else:
            pairs, diff = None, np.array([])
        t = p = np.nan
        if len(diff) >= 2 and np.ptp(diff) > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = stats.ttest_rel(pairs["two-stream"], pairs["one-stream"])
            t, p = float(res.statistic), float(res.pvalue)
        rows.append({"analysis": "stream_experiment_summary", "metric": metric, "architecture": DIFFERENCE,
                     "mean": diff.mean() if len(diff) else np.nan, "sd": _sd(diff), "n": len(diff), "t": t, "p": p})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _sd(vals) -> float:
    return float(np.std(vals, ddof=1)) if len(vals) > 1 else np.nan


# -- checks -----------------------------------------------------------------------------------------------------


def _check_stimuli(name: str, stimuli):
    from ..stimuli import StimulusSet

    if not isinstance(stimuli, StimulusSet):
        raise TypeError(f"Invalid value for {name!r}: expected a StimulusSet; got {type(stimuli).__name__}.")
    missing = [c for c in ("category", *WHERE_TARGETS) if c not in stimuli.metadata.columns]
    if missing:
        raise ValueError(f"Invalid value for {name!r}: the stream experiment needs the factors "
                         f"{['category', *WHERE_TARGETS]}; missing {missing} (available: {stimuli.factors}).")
    return stimuli


def _check_criterion(criterion) -> float:
    if isinstance(criterion, bool) or not isinstance(criterion, numbers.Real) or not 0 < criterion <= 1:
        raise ValueError(f"Invalid value for 'criterion': expected a validation accuracy in (0, 1]; "
                         f"got {criterion!r}.")
    return float(criterion)


# -- test set ---------------------------------------------------------------------------------------------------


def _train_test(stimuli, test_stimuli, random_state):
    """(training set, test set, description of the test set)."""
    if test_stimuli is not None:
        return stimuli, _check_stimuli("test_stimuli", test_stimuli), "given"
    generated = _generate_test_set(stimuli)
    if generated is not None:
        return stimuli, generated[0], f"generated (random_state={generated[1]})"
    from sklearn.model_selection import train_test_split

    cats = stimuli.metadata["category"].astype(str).to_numpy()
    counts = np.unique(cats, return_counts=True)[1]
    n_test = int(np.ceil(HOLDOUT_FRACTION * len(cats)))
    if counts.min() < 2 or n_test < len(counts) or len(cats) - n_test < len(counts):
        raise ValueError(f"Invalid value for 'stimuli': holding out {HOLDOUT_FRACTION:.0%} for testing, stratified "
                         f"by category, needs at least 2 stimuli per category and at least {len(counts)} per split; "
                         f"got {len(cats)} stimuli with as few as {counts.min()} in a category. Pass more stimuli "
                         "or 'test_stimuli'.")
    idx = np.arange(len(cats))
    train_idx, test_idx = train_test_split(idx, test_size=HOLDOUT_FRACTION, stratify=cats,
                                           random_state=random_state)
    logger.info("No generator parameters with the stimuli: holding out %d of %d stimuli for testing", len(test_idx),
                len(cats))
    return (stimuli.subset(np.sort(train_idx).tolist()), stimuli.subset(np.sort(test_idx).tolist()),
            f"held out ({HOLDOUT_FRACTION:.0%})")


def _generate_test_set(stimuli):
    """A fresh set from the stimuli's make_whatwhere parameters, or None when they are not recorded."""
    import inspect

    from .._utils.hashing import config_hash
    from .._utils.paths import cache_dir
    from ..stimuli import GENERATOR_VERSION, TOML_NAME, load, make_whatwhere, read_toml

    toml = stimuli.root / TOML_NAME
    if not toml.is_file():
        return None
    gen = read_toml(toml).get("generator", {})
    if not isinstance(gen, dict) or not str(gen.get("function", "")).endswith("make_whatwhere"):
        return None
    accepted = set(inspect.signature(make_whatwhere).parameters) - {"out", "overwrite"}
    params = {k: v for k, v in gen.items() if k in accepted}
    train_cats = set(stimuli.metadata["category"].astype(str))
    cats = [c for c in params.get("categories", []) if c in train_cats]
    if set(cats) != train_cats:
        logger.info("The generator parameters in %s do not cover the training categories; holding out instead", toml)
        return None
    seed = int(params.get("random_state", 0)) + 1
    params.update(categories=cats, random_state=seed)
    key = config_hash({**params, "_version": GENERATOR_VERSION}, length=12)
    out = cache_dir("stimuli") / f"stream-experiment-test-{key}"
    if (out / "stimuli.csv").is_file():
        logger.info("Using cached test stimuli %s", out)
        return load(out, validate=False, name=f"{stimuli.name}-test"), seed
    logger.info("Generating test stimuli with the training set's generator parameters and random_state=%d", seed)
    test = make_whatwhere(out, **params)
    test.name = f"{stimuli.name}-test"
    return test, seed


# -- training and scoring ---------------------------------------------------------------------------------------


def _train(name, stimuli, *, epochs, seed, options):
    from ..models import train

    return train(name, stimuli, epochs=epochs, random_state=seed, options=options, progress=False)


def _own_outputs(net, stimuli) -> dict:
    """Identity accuracy and location R² of the net's own outputs on ``stimuli``."""
    import torch

    from .._utils.device import resolve_device
    from ..models.batches import StimulusSource, prepared

    dev = resolve_device("auto")
    what, where = [], []
    with prepared(net.module, dev):
        for _, inputs in StimulusSource(stimuli).batches(net, 64, 0, 0):
            if isinstance(inputs, list):
                inputs = torch.stack(inputs)
            with torch.inference_mode():
                out = net.run(inputs.to(dev))
            what.append(out["what"].argmax(1).cpu().numpy())
            where.append(out["where"].float().cpu().numpy())
    what, where = np.concatenate(what), np.concatenate(where)
    cfg = net.config
    where = where * np.asarray(cfg["where_std"]) + np.asarray(cfg["where_mean"])
    names = list(cfg.get("where_targets", WHERE_TARGETS))
    md = stimuli.metadata
    lookup = {c: i for i, c in enumerate(net.classes)}
    truth = np.array([lookup.get(c, -1) for c in md["category"].astype(str)])
    out = {"what_accuracy": float(np.mean(what == truth))}
    r2 = {t: _r2(md[t].to_numpy(dtype=float), where[:, names.index(t)]) for t in WHERE_TARGETS}
    out["where_r2"] = float(np.mean(list(r2.values())))
    out.update({f"where_r2_{t}": v for t, v in r2.items()})
    return out


def _r2(y, pred) -> float:
    ss_res = float(np.sum((y - pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else np.nan


def _speed(history, criterion) -> dict:
    h = history[(history["split"] == "validation") & (history["metric"] == "accuracy")].sort_values("epoch")
    hit = h.loc[h["value"] >= criterion - 1e-12, "epoch"]
    first = float(hit.iloc[0]) if len(hit) else np.nan
    if h.empty:
        logger.warning("The training history has no validation accuracy; epochs_to_criterion is NaN")
    return {"epochs_to_criterion": first, "reached_criterion": float(len(hit) > 0)}


def _cross(net, stimuli, *, reduce, cv, random_state) -> dict:
    """What from the where stream, where from the what stream (and each from its own stream)."""
    from ..extraction import extract
    from ._profile import cross_readout, what_where

    acts = extract(net, stimuli, reduce=reduce, random_state=random_state, progress=False)
    res = what_where(acts, stimuli, what=["category"], where=list(WHERE_TARGETS), cv=cv, random_state=random_state,
                     progress=False)
    table = cross_readout(res)
    out = {}
    for metric, stream, target_stream in (("cross_what_from_where", "where", "what"),
                                          ("cross_where_from_what", "what", "where"),
                                          ("probe_what_from_what", "what", "what"),
                                          ("probe_where_from_where", "where", "where")):
        row = table[(table["stream"] == stream) & (table["target_stream"] == target_stream)]
        out[metric] = float(row["value"].iloc[0]) if len(row) else np.nan
    return out
