"""``decode``: cross-validated linear read-out of a target from activations."""
from __future__ import annotations

import numbers

import numpy as np

from .._utils.checks import (check_complete, check_finite_activations, check_option, check_positive_int, check_real,
                             numeric_values)
from .._utils.device import resolve_device
from .._utils.progress import progress_bar
from .._utils.scheduler import check_scheduler
from .._utils.random import seed_int
from ._intervals import fold_cis
from .._utils.fold_warnings import recorded, summarised_fold_warnings

TASKS = ("auto", "classification", "regression")
BACKENDS = ("sklearn", "torch")
ESTIMATORS = ("ridge", "logistic")


def pearson_r(y_true, y_pred) -> float:
    """Pearson correlation of predictions with the truth.

    NaN when it is undefined by the design (fewer than 2 values, or a constant truth); 0
    when only the predictions are constant (the decoder predicts no linear relation).

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted values.

    Returns
    -------
    float
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    a, b = y_true - y_true.mean(), y_pred - y_pred.mean()
    if len(a) < 2 or not (a != 0).any():
        return float("nan")
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0


def default_estimator(task: str, *, pca: int | None = None, estimator=None, ridge_alpha: float = 1.0):
    """The default read-out: standardise (and optionally PCA) inside the fold, then a linear model.

    - classification: a ridge classifier (one vs rest, least squares on +-1 targets) with
      the penalty chosen among 10^-3 ... 10^5 by efficient leave-one-out inside the training
      fold (``RidgeClassifierCV``); ``estimator="logistic"`` for L2 logistic regression (C=1);
    - regression: ridge regression with the penalty chosen the same way (``RidgeCV``);
    - ``estimator="ridge"``: either with a fixed ``ridge_alpha`` (what the torch backend runs).

    Parameters
    ----------
    task : {"classification", "regression"}
    pca : int, optional
        Principal components to keep (fitted inside the training fold).
    estimator : None, "ridge" or "logistic"
        ``None``: the cross-validated ridge models above.
    ridge_alpha : float
        Ridge penalty for ``estimator="ridge"``.

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier, RidgeClassifierCV, RidgeCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if estimator is not None:
        check_option("estimator", estimator, ESTIMATORS)
    ridge_alpha = check_real("ridge_alpha", ridge_alpha, low=0)
    if estimator == "ridge":
        est = RidgeClassifier(alpha=ridge_alpha) if task == "classification" else Ridge(alpha=ridge_alpha)
    elif estimator == "logistic":
        est = LogisticRegression(C=1.0, max_iter=2000)
    elif task == "classification":
        est = RidgeClassifierCV(alphas=np.logspace(-3, 5, 9))
    else:
        est = RidgeCV(alphas=np.logspace(-3, 5, 9))
    steps = [("scale", StandardScaler())]
    if pca:
        steps.append(("pca", PCA(n_components=pca, svd_solver="full")))
    steps.append(("model", est))
    return Pipeline(steps)


def _infer_task(y) -> str:
    y = np.asarray(y)
    if y.dtype.kind in "OUSb":
        return "classification"
    if y.dtype.kind in "iu" and len(np.unique(y)) <= max(20, int(0.05 * len(y))):
        return "classification"
    return "regression"


def _target_values(acts, target, ids, param: str = "target"):
    if isinstance(target, str):
        if not hasattr(acts, "coords") or target not in acts.coords:
            have = sorted(c for c in getattr(acts, "coords", {}) if acts[c].dims == (acts.dims[0],)
                          and c != acts.dims[0]) if hasattr(acts, "coords") else []
            raise ValueError(f"Invalid value for {param!r}: {target!r} is not a stimulus factor of the activations; "
                             f"available: {have}.")
        return target, np.asarray(acts[target].values)
    y = np.asarray(target)
    if y.ndim != 1 or len(y) != len(ids):
        raise ValueError(f"Invalid value for {param!r}: expected one value per stimulus ({len(ids)}); got shape "
                         f"{y.shape}.")
    return param, y


def _cv_scheme(cv, task, group_name, acts) -> str:
    """How the folds were made, in words (the ``cv_scheme`` column)."""
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if group_name is not None:
            kind = "StratifiedGroupKFold" if task == "classification" else "GroupKFold"
            return f"{kind}({int(cv)}) by {group_name}"
        kind = "StratifiedKFold" if task == "classification" else "KFold"
        text = f"{kind}({int(cv)}) over stimuli"
        if hasattr(acts, "coords") and "identity" in acts.coords:
            text += " (identity not grouped)"
        return text
    if hasattr(cv, "split"):
        return type(cv).__name__ + (f" by {group_name}" if group_name is not None else "")
    return "given folds"


def make_cv(cv, task, y, random_state, groups=None):
    """An explicit list of (train, test) index pairs, so every path uses the same folds.

    Parameters
    ----------
    cv : int, scikit-learn splitter, or list of (train, test) index pairs
        An int gives shuffled K folds (stratified for classification); with ``groups``,
        group K folds (``StratifiedGroupKFold`` / ``GroupKFold``): no group on both sides.
    task : {"classification", "regression"}
    y : array-like
        The target, one value per stimulus.
    random_state : int or None
        Seeds the shuffling of the folds.
    groups : array-like, optional
        One group label per stimulus (e.g. its identity), passed to group splitters.

    Returns
    -------
    list of tuple of numpy.ndarray
    """
    from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

    n = len(y)
    if groups is not None and isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        k = check_positive_int("cv", cv, minimum=2)
        n_groups = len(np.unique(groups))
        if n_groups < k:
            raise ValueError(f"Invalid value for 'cv': {k} group folds need at least {k} groups; 'groups' has "
                             f"{n_groups}. Use cv={n_groups} or fewer, or LeaveOneGroupOut().")
        splitter = (StratifiedGroupKFold(k, shuffle=True, random_state=seed_int(random_state))
                    if task == "classification" else GroupKFold(k, shuffle=True, random_state=seed_int(random_state)))
        return list(splitter.split(np.zeros(n), y, groups))
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        k = check_positive_int("cv", cv, minimum=2)
        if n < k:
            raise ValueError(f"Invalid value for 'cv': {k} folds need at least {k} stimuli; got {n}.")
        if task == "classification":
            classes, counts = np.unique(y, return_counts=True)
            smallest = classes[counts.argmin()]
            if counts.min() < 2:
                raise ValueError(f"Invalid value for 'target': class {_plain(smallest)!r} has a single stimulus, so no "
                                 "split can both train and test on it. Drop that class or add stimuli.")
            if counts.min() < k:
                raise ValueError(
                    f"Invalid value for 'cv': {k} folds cannot each hold every class: the smallest class, "
                    f"{_plain(smallest)!r}, has {counts.min()} stimuli, so some training folds would lack classes "
                    f"that their test folds hold (scores biased towards 0). What works: cv={counts.min()} (at most "
                    "the smallest class count), leave-one-out (cv=sklearn.model_selection.LeaveOneOut(), valid "
                    "because every class has 2 or more stimuli), or more stimuli per class.")
            splitter = StratifiedKFold(k, shuffle=True, random_state=seed_int(random_state))
        else:
            splitter = KFold(k, shuffle=True, random_state=seed_int(random_state))
        return list(splitter.split(np.zeros(n), y))
    if isinstance(cv, (str, bytes, bool)) or cv is None:
        raise TypeError(f"Invalid value for 'cv': expected a number of folds (int >= 2), a scikit-learn splitter "
                        f"(e.g. LeaveOneOut()) or a list of (train, test) index pairs; got {cv!r}.")
    if hasattr(cv, "split"):
        return list(cv.split(np.zeros((n, 1)), y, groups))
    folds = list(cv)
    if not folds or not all(len(f) == 2 for f in folds):
        raise ValueError("Invalid value for 'cv': expected a number of folds, a scikit-learn splitter, or a list of "
                         "(train, test) index pairs.")
    return folds


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def check_folds(folds, y, task) -> None:
    """Refuse folds on which the metrics are undefined or biased, saying what would work (before any fit)."""
    for i, (train, test) in enumerate(folds):
        train, test = np.asarray(train), np.asarray(test)
        if len(train) == 0 or len(test) == 0:
            raise ValueError(f"Invalid value for 'cv': fold {i} has an empty training or test set.")
        if task == "classification":
            missing = sorted(set(np.unique(y[test]).tolist()) - set(np.unique(y[train]).tolist()))
            if missing:
                raise ValueError(f"Invalid value for 'cv': fold {i} tests classes {missing[:5]} that its training "
                                 "stimuli lack, so they can never be predicted (the score would be biased towards "
                                 "0). Use folds whose training sets hold every class (e.g. cv=K stratified folds).")
            if len(np.unique(y[train])) < 2:
                raise ValueError(f"Invalid value for 'cv': the training set of fold {i} holds a single class.")
        elif len(test) < 2 or np.ptp(y[test]) == 0:
            why = f"{len(test)} stimulus" if len(test) < 2 else f"{len(test)} stimuli with a constant target"
            raise ValueError(f"Invalid value for 'cv': fold {i} tests on {why}; r2 and pearson_r are undefined there "
                             "(they need the target to vary within the test fold), so the mean over folds would be "
                             "NaN or an invented number. Use K-fold cross-validation (e.g. cv=5) instead of "
                             "leave-one-out, or test folds in which the target varies.")


def decode(acts, target, *, task: str = "auto", estimator=None, cv=5, groups=None, pca: int | None = None,
           permutations: int = 0, n_bootstrap: int = 1000, ridge_alpha: float = 1.0, backend: str = "sklearn",
           device: str = "auto", random_state=0, n_jobs=None, progress: bool = True, scheduler=None):
    """Cross-validated linear decoding of one target from activations.

    Parameters
    ----------
    acts : xarray.DataArray or array
        ``(stimulus, unit)`` activations (one layer), e.g. ``nc.extraction.get_layer(tree, "layer4")``.
    target : str or array-like
        A stimulus factor (a coordinate of ``acts``) or one value per stimulus.
    task : {"auto", "classification", "regression"}
        ``auto``: classification for text/boolean targets and integers with few levels.
    estimator : None, "ridge", "logistic", or a scikit-learn estimator / Pipeline
        ``None`` uses :func:`default_estimator` (standardisation and any PCA happen inside
        each training fold, so nothing leaks from the test fold). Your own estimator is
        used as given.
    cv : int, scikit-learn splitter, or list of (train, test) index pairs
        An int gives shuffled (stratified for classification) K folds seeded by
        ``random_state``. See :class:`TransferSplit` and :class:`LeaveOneLevelOut` for
        generalisation tests.
    groups : str or array-like, optional
        Keep groups apart across folds: a stimulus factor (e.g. ``"identity"``) or one label
        per stimulus. With an int ``cv`` the folds are ``StratifiedGroupKFold``
        (classification) or ``GroupKFold`` (regression); a scikit-learn group splitter
        (``GroupKFold``, ``StratifiedGroupKFold``, ``LeaveOneGroupOut``) gets them as its
        ``groups``. Without it, exemplars of one identity can sit on both sides of a fold,
        so "category" decoding can be exemplar recognition; the ``cv_scheme`` column says
        which split was used.
    pca : int, optional
        Keep this many principal components (fitted on the training fold).
    permutations : int
        Label permutations for a p-value (one-sided, score at least as high as observed),
        each re-running the whole cross-validation on the same folds.
    n_bootstrap : int
        Bootstrap resamples of the test items for the 95% CI (0: no CI, NaN). See Notes.
    ridge_alpha : float
        Ridge penalty for ``estimator="ridge"`` (>= 0).
    backend : {"sklearn", "torch"}
        ``"torch"`` runs ridge (``estimator="ridge"``) in closed form on ``device`` (e.g. a
        GPU) and gives the same scores as scikit-learn on the same folds; permutations are
        solved together.
    device : str
        Where the torch backend runs: ``"auto"`` (cuda, then mps, then cpu), ``"cpu"``,
        ``"cuda"``, ``"cuda:N"`` or ``"mps"``. Unused by the scikit-learn backend.
    random_state : int
        Seeds the folds (``cv`` an int), the permutations and the bootstrap.
    n_jobs : int, optional
        Folds fitted in parallel by the scikit-learn backend (joblib's meaning).
    progress : bool
        Show a progress bar over the permutations (scikit-learn backend).
    scheduler : None, "local", str or distributed.Client
        ``None``: here. Otherwise a dask cluster (``"local"``, an address such as
        ``"tcp://host:8786"``, or a ``distributed.Client``) runs the permutations of the
        scikit-learn backend as tasks (the same permuted labels, so the same p-value); the
        observed folds run here. Needs ``pip install "neurocompare[dask]"``.

    Returns
    -------
    pandas.DataFrame
        One row per metric: ``target, task, metric, value, ci_low, ci_high, sd, p, n,
        n_folds, chance, cv_scheme`` (how the folds were made), ``ci_method`` (how the CI
        was made). Classification: ``balanced_accuracy`` (chance = 1 / number of classes).
        Regression: ``r2`` and ``pearson_r`` (chance 0). ``value`` is the mean over folds and
        ``sd`` the SD of the fold scores.

    Notes
    -----
    The 95% CI is a percentile bootstrap over test items: every test item keeps its
    out-of-fold prediction; each resample draws items with replacement within each fold
    (within each class of the fold for classification, so every fold keeps its class
    counts), recomputes each fold's metric and averages over folds like ``value``. It stays
    in the metric's range (balanced accuracy in [0, 1], r in [-1, 1], R² <= 1). The fold
    scores are not independent, so a t interval over folds has no sound variance estimate
    (Bengio & Grandvalet, 2004) and the spread of cross-validated scores is dominated by the
    finite test sample (Varoquaux, 2018). The trained decoders are held fixed, so the
    interval leaves out the variability due to the training sets. When every class of
    every test fold is all right or all wrong (e.g. a perfect decoder) the bootstrap has
    zero width; the CI is then the Wilson score interval at the observed balanced accuracy
    with the effective number of test items ``K² / sum_c(1 / N_c)`` (the pooled test count
    N when the classes are balanced): ``[N / (N + 1.96²), 1]`` for a perfect decoder.
    ``ci_method`` says which was used.

    Warnings that scikit-learn raises in single folds (e.g. a predicted class absent from a
    test fold, common with permuted labels) are reported once per call, with counts, as a
    :class:`~neurocompare.NeurocompareWarning`.

    References
    ----------
    Bengio, Y., & Grandvalet, Y. (2004). No unbiased estimator of the variance of K-fold
    cross-validation. *Journal of Machine Learning Research, 5*, 1089-1105.

    Varoquaux, G. (2018). Cross-validation failure: small sample sizes lead to large error
    bars. *NeuroImage, 180*, 68-77.

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *Journal of the American Statistical Association, 22*, 209-212.
    """
    with summarised_fold_warnings() as sink:
        sink.decodes += 1
        return _decode(acts, target, task=task, estimator=estimator, cv=cv, groups=groups, pca=pca,
                       permutations=permutations, n_bootstrap=n_bootstrap, ridge_alpha=ridge_alpha, backend=backend,
                       device=device, random_state=random_state, n_jobs=n_jobs, progress=progress, sink=sink,
                       scheduler=check_scheduler(scheduler))


def _decode(acts, target, *, task, estimator, cv, groups, pca, permutations, n_bootstrap, ridge_alpha, backend, device,
            random_state, n_jobs, progress, sink, scheduler=None):
    import pandas as pd

    check_option("task", task, TASKS)
    check_option("backend", backend, BACKENDS)
    if isinstance(estimator, str):
        check_option("estimator", estimator, ESTIMATORS)
    elif estimator is not None and not hasattr(estimator, "fit"):
        raise TypeError(f"Invalid type for 'estimator': expected None, one of {ESTIMATORS} or a scikit-learn "
                        f"estimator; got {type(estimator).__name__}.")
    ridge_alpha = check_real("ridge_alpha", ridge_alpha, low=0)
    if pca is not None:
        pca = check_positive_int("pca", pca)
    permutations = check_positive_int("permutations", permutations, minimum=0)
    n_bootstrap = check_positive_int("n_bootstrap", n_bootstrap, minimum=0)
    x, ids = _matrix(acts)
    name, y = _target_values(acts, target, ids)
    check_complete(y, ids, factor=name, param="target")
    if task == "auto":
        task = _infer_task(y)
    if task == "classification":
        classes = np.unique(y.astype(str)) if y.dtype.kind in "OUS" else np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"Invalid value for 'target': {name!r} has a single class {list(classes)}; decoding needs "
                             "at least two.")
    else:
        y = numeric_values(y, ids, factor=name, param="target")
        if np.ptp(y) == 0:
            raise ValueError(f"Invalid value for 'target': {name!r} is constant; there is nothing to decode.")
    group_name, group_values = (None, None) if groups is None else _target_values(acts, groups, ids, param="groups")
    if group_values is not None:
        check_complete(group_values, ids, factor=group_name, param="groups")
    folds = make_cv(cv, task, y, random_state, groups=group_values)
    check_folds(folds, y, task)
    if pca is not None:
        most = min(x.shape[1], min(len(train) for train, _ in folds))
        if pca > most:
            raise ValueError(f"Invalid value for 'pca': {pca} components, but at most {most} can be fitted (the layer "
                             f"has {x.shape[1]} units and the smallest training fold {min(len(t) for t, _ in folds)} "
                             f"stimuli). Use pca={most} or fewer, or pca=None.")
    scheme = _cv_scheme(cv, task, group_name if groups is not None else None, acts)
    if backend == "torch":
        if estimator != "ridge":
            raise ValueError("Invalid value for 'estimator': the torch backend implements ridge models; pass "
                             "estimator='ridge' (and ridge_alpha=).")
        fold_scores, preds, null = _torch_scores(x, y, folds, task, ridge_alpha, permutations, device, random_state,
                                                 sink)
    else:
        est = default_estimator(task, pca=pca, estimator=estimator, ridge_alpha=ridge_alpha) \
            if estimator is None or isinstance(estimator, str) else estimator
        fold_scores, preds = _sklearn_scores(est, x, y, folds, task, n_jobs, sink, observed=True)
        null = None
        if permutations and scheduler is not None:
            rng = np.random.default_rng(seed_int(random_state) + 1)
            orders = [rng.permutation(len(y)) for _ in range(permutations)]   # the draws of the local loop
            null = _permutations_on_cluster(scheduler, est, x, y, orders, folds, task, sink, progress=progress)
        elif permutations:
            rng = np.random.default_rng(seed_int(random_state) + 1)
            null = {m: [] for m in fold_scores}
            with progress_bar(permutations, "permutations", enable=progress) as advance:
                for _ in range(permutations):
                    s, _ = _sklearn_scores(est, x, y[rng.permutation(len(y))], folds, task, n_jobs, sink,
                                           observed=False)
                    for m in s:
                        null[m].append(np.mean(s[m]))
                    advance()
    cis = fold_cis(y, folds, preds, task, list(fold_scores), n_bootstrap=n_bootstrap,
                   rng=np.random.default_rng([seed_int(random_state), 2]))
    rows = []
    chance = 1.0 / len(np.unique(y)) if task == "classification" else 0.0
    for metric, scores in fold_scores.items():
        scores = np.asarray(scores, dtype=float)
        mean, sd, k = scores.mean(), scores.std(ddof=1) if len(scores) > 1 else np.nan, len(scores)
        p = np.nan
        if null is not None:
            nd = np.asarray(null[metric])
            p = (1 + (nd >= mean - 1e-12).sum()) / (1 + len(nd))
        low, high, how = cis[metric]
        rows.append({"target": name, "task": task, "metric": metric, "value": mean, "ci_low": low,
                     "ci_high": high, "sd": sd, "p": p, "n": len(y), "n_folds": k,
                     "chance": chance if metric != "pearson_r" else 0.0, "cv_scheme": scheme, "ci_method": how})
    return pd.DataFrame(rows)


def _permutation_task(est, x, y, orders, folds, task):
    """On a dask worker: the mean fold scores of a few label permutations, with their fold-warning counts."""
    from .._utils.fold_warnings import FoldWarnings

    sink = FoldWarnings()
    means = []
    for order in orders:
        s, _ = _sklearn_scores(est, x, y[order], folds, task, None, sink, observed=False)
        means.append({m: float(np.mean(v)) for m, v in s.items()})
    return means, sink


def _permutations_on_cluster(scheduler, est, x, y, orders, folds, task, sink, *, progress):
    """The null distribution of :func:`decode` from permutations run as tasks on a dask cluster (in order)."""
    from .._utils.scheduler import using_scheduler, worker_count

    with using_scheduler(scheduler, progress=progress) as client:
        from distributed import as_completed

        per = max(1, -(-len(orders) // (4 * worker_count(client))))
        x_f = client.scatter(x, hash=False)
        futures = [client.submit(_permutation_task, est, x_f, y, orders[i:i + per], folds, task, pure=False)
                   for i in range(0, len(orders), per)]
        try:
            with progress_bar(len(orders), "permutations on dask workers", enable=progress) as advance:
                for fut in as_completed(futures):
                    advance(len(fut.result()[0]))
            out = client.gather(futures)
        finally:
            client.cancel(futures + [x_f])
    null = {}
    for means, worker_sink in out:
        sink.merge(worker_sink)
        for one in means:
            for m, v in one.items():
                null.setdefault(m, []).append(v)
    return null


def _matrix(acts):
    import xarray as xr

    if isinstance(acts, xr.DataTree):
        raise TypeError("Invalid value for 'acts': expected one layer's activations (a DataArray with dims "
                        "(stimulus, unit), or a 2-D array); got an activation tree with every layer. Pick one with "
                        "neurocompare.extraction.get_layer(acts, layer), or decode every layer with "
                        "neurocompare.probes.what_where(acts, stimuli).")
    if isinstance(acts, xr.DataArray):
        if acts.ndim != 2:
            raise ValueError(f"Invalid value for 'acts': expected one layer (stimulus, unit); got dims {acts.dims}.")
        ids = list(map(str, acts[acts.dims[0]].values)) if acts.dims[0] in acts.coords else \
            [str(i) for i in range(acts.shape[0])]
        units = np.asarray(acts[acts.dims[1]].values) if acts.dims[1] in acts.coords else None
        x = np.asarray(acts.values, dtype=np.float64)
    else:
        x = np.asarray(acts, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"Invalid value for 'acts': expected a (stimulus, unit) array; got shape {x.shape}.")
        ids, units = [str(i) for i in range(len(x))], None
    check_finite_activations(x, name="acts", stimuli=ids, units=units)
    return x, ids


def _scorers(task):
    from sklearn.metrics import balanced_accuracy_score, r2_score

    if task == "classification":
        return {"balanced_accuracy": balanced_accuracy_score}
    return {"r2": r2_score, "pearson_r": pearson_r}


def _fit_fold(est, x, y, train, test, scorers):
    """Fit a clone on the training fold, predict the test fold, score it (what ``cross_validate`` does), recording
    the warnings raised."""
    from sklearn.base import clone

    caught = []
    with recorded(caught):
        model = clone(est)
        model.fit(x[train], y[train])
        pred = model.predict(x[test])
        scores = {m: float(fn(y[test], pred)) for m, fn in scorers.items()}
    return scores, pred, caught


def _sklearn_scores(est, x, y, folds, task, n_jobs, sink, *, observed):
    """Fold scores ``{metric: [score per fold]}`` and the out-of-fold predictions of each fold."""
    from joblib import Parallel, delayed

    scorers = _scorers(task)
    fits = Parallel(n_jobs=n_jobs)(delayed(_fit_fold)(est, x, y, np.asarray(tr), np.asarray(te), scorers)
                                   for tr, te in folds)
    for _, _, caught in fits:
        sink.add(caught, observed=observed)
    return {m: [f[0][m] for f in fits] for m in scorers}, [f[1] for f in fits]


def _torch_scores(x, y, folds, task, alpha, permutations, device, random_state, sink):
    import torch

    from . import _ridge_torch as R

    dev = resolve_device(device)
    dtype = torch.float64 if dev.type == "cpu" else torch.float32
    rng = np.random.default_rng(seed_int(random_state) + 1)
    perms = [np.arange(len(y))] + [rng.permutation(len(y)) for _ in range(permutations)]
    ys = [y[p] for p in perms]
    scorers = _scorers(task)
    per_perm = {m: np.zeros((len(perms), len(folds))) for m in scorers}
    preds = []

    def score(i, f, truth, pred):
        caught = []
        with recorded(caught):
            for m, fn in scorers.items():
                per_perm[m][i, f] = fn(truth, pred)
        sink.add(caught, observed=i == 0)
        if i == 0:
            preds.append(pred)

    for f, (tr, te) in enumerate(folds):
        if task == "classification":
            classes = np.unique(y)
            # one solve for every permutation: stack their target columns
            targets = []
            for yy in ys:
                t = yy[tr]
                targets.append(np.where(t == classes[1], 1.0, -1.0)[:, None] if len(classes) == 2 else
                               np.where(t[:, None] == classes[None, :], 1.0, -1.0))
            width = targets[0].shape[1]
            pred = R.fit_predict(x[tr], np.concatenate(targets, 1), x[te], alpha=alpha, device=dev, dtype=dtype)
            for i, yy in enumerate(ys):
                dec = pred[:, i * width:(i + 1) * width]
                lab = classes[(dec[:, 0] > 0).astype(int)] if len(classes) == 2 else classes[dec.argmax(1)]
                score(i, f, yy[te], lab)
        else:
            targets = np.stack([yy[tr] for yy in ys], 1)
            pred = R.fit_predict(x[tr], targets, x[te], alpha=alpha, device=dev, dtype=dtype)
            for i, yy in enumerate(ys):
                score(i, f, yy[te], pred[:, i])
    fold_scores = {m: list(v[0]) for m, v in per_perm.items()}
    null = {m: list(v[1:].mean(1)) for m, v in per_perm.items()} if permutations else None
    return fold_scores, preds, null
