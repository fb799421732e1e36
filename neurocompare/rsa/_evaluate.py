"""Model evaluation against reference RDMs: scores, bootstrap CIs, permutation p-values, noise ceilings,
pairwise model tests and non-circular layer assignment. All results are tidy DataFrames."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_option, check_positive_int
from .._utils.logging import logger, warn
from .._utils.random import check_random_state
from ._bootstrap import SCHEMES, permutation_null
from ._bootstrap import bootstrap as run_bootstrap
from ._ceiling import noise_ceiling
from ._compare import COMPARE_METHODS, check_defined, common_mask, compare_vectors, count_shared
from ._format import align, as_rdm, leading_labels, n_from_length, triu_indices, vectors


def _prepare(rdms, reference, method):
    """The aligned RDMs, their vectors and labels; refuses too few entries, warns about undefined scores."""
    a = as_rdm(rdms, name="rdms")
    b = align(a, as_rdm(reference, name="reference"))
    labels = leading_labels(a)
    if a.ndim == 2:
        labels = [{"model": a.attrs.get("model", a.name or "model"), "layer": a.attrs.get("layer", "")}]
    x, v = vectors(a), vectors(b)
    undefined = check_defined(x, v, method, labels=(labels, leading_labels(b)))
    counts = count_shared(x, v)
    if common_mask(x, v) is None:
        total = x.shape[1]
        logger.info("Pairwise deletion: the RDMs define different pairs; each comparison uses the pairs both define "
                    "(%d to %d of %d; see nc.rsa.pair_counts).", counts.min(), counts.max(), total)
    return a, b, x, v, labels, undefined.any(1), counts


def _warn_sign(values, b, method):
    """Warn when every candidate correlates clearly negatively with a reference that may hold similarities."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    # near-zero negative scores are chance (unrelated models); a sign confusion gives clearly negative ones
    if method in ("cosine", "cosine_cov") or len(values) == 0 or (values >= 0).any() or values.min() > -0.1:
        return
    if b.attrs.get("kind") == "similarity":
        return
    how = ("kind='similarity' in nc.rsa.from_ratings or nc.rsa.load_rdms, --kind similarity on the command line, "
           "kind = \"similarity\" in a study file")
    warn(f"Every candidate RDM correlates negatively with the reference ({method!r} from {values.min():.3f} to "
         f"{values.max():.3f}). Model and human dissimilarities normally correlate positively: if the reference holds "
         f"similarities (a high rating means alike), say so ({how}).", stacklevel=4)


def _target_name(b, target):
    if target is not None:
        return str(target)
    return str(b.name or b.attrs.get("name") or "reference")


def evaluate(rdms, reference, *, method: str = "corr", bootstrap: str | None = "stimuli", n_bootstrap: int = 1000,
             permutations: int = 1000, ci: float = 0.95, ceiling: bool = True, random_state=0, target=None,
             sigma_k=None):
    """Score model RDMs against reference RDMs (e.g. each layer against each subject).

    The score of a model is its similarity to each reference RDM, averaged over references
    (subjects), as in rsatoolbox's ``eval_*`` functions.

    Parameters
    ----------
    rdms : RDM DataArray
        Candidate RDMs, e.g. ``compute_rdm(tree)`` (one per model layer; the coordinates of
        the leading dim, such as ``model``, ``layer`` and ``stream``, become columns).
    reference : RDM DataArray
        Reference RDMs: several subjects (any leading dims, flattened), or one RDM.
    method : str
        A comparison method of :func:`compare`.
    bootstrap : {"stimuli", "subjects", "both"} or None
        What to resample for the confidence interval (rsatoolbox's ``eval_bootstrap_pattern``,
        ``eval_bootstrap_rdm`` and ``eval_bootstrap``). A stimulus drawn twice is undefined
        against its own copy. ``None``: no CI.
    n_bootstrap : int
    permutations : int
        Stimulus-label permutations for the p-value (one-sided: model more similar than
        chance). 0 skips the test.
    ci : float
        Confidence level of the percentile interval.
    ceiling : bool
        Add the noise ceiling (needs at least two reference RDMs).
    random_state : int or numpy Generator
    target : str, optional
        Name of the reference in the table (default: the DataArray's name).
    sigma_k : array, optional
        Pattern covariance for ``corr_cov``/``cosine_cov`` (see :func:`compare`), used by the
        score, the bootstrap, the permutations and the noise ceiling: a vector of pattern
        variances (the bootstrap resamples it with the stimuli) or a full matrix (not with
        a stimulus bootstrap, which would make the entries' covariance singular).

    Returns
    -------
    pandas.DataFrame
        One row per candidate RDM: its labels (``model``, ``layer``, ``stream``, ...),
        ``analysis, target, metric, value, ci_low, ci_high, se, p, n, n_stimuli,
        n_pairs_min, n_pairs_max, noise_ceiling_lower, noise_ceiling_upper, bootstrap,
        n_bootstrap, ci_level, n_permutations``: ``ci_low``/``ci_high`` are the percentile
        interval at ``ci_level`` of the ``bootstrap`` resamples, ``p`` the one-sided
        permutation p-value from ``n_permutations`` stimulus-label permutations (NaN when
        either was skipped). ``n`` is the number of reference RDMs; ``n_pairs_min``/``n_pairs_max``
        the fewest and most stimulus pairs one comparison used (fewer than
        ``n_stimuli * (n_stimuli - 1) / 2`` when references have missing entries; see Notes). With a
        bootstrap, ``table.attrs["bootstrap"]`` is a :class:`BootstrapSamples`: what was
        resampled, to see and replay it.

    Notes
    -----
    Missing entries (pairs a subject never rated, missed trials) are handled by pairwise
    deletion, as for :func:`compare`: each model-subject similarity uses the pairs both
    RDMs define, and the bootstrap, the permutation test and the noise ceiling do the same
    (the pooled RDM of the ceiling averages each pair over the subjects who rated it).
    :func:`pair_counts` lists the pairs of every comparison. A reference whose entries are
    all present (or missing in the same places for every RDM) gives rsatoolbox's numbers.

    When every candidate correlates negatively with the reference, a warning asks whether
    the reference holds similarities rather than dissimilarities.
    """
    import pandas as pd

    check_option("method", method, COMPARE_METHODS)
    if bootstrap is not None:
        check_option("bootstrap", bootstrap, SCHEMES)
        n_bootstrap = check_positive_int("n_bootstrap", n_bootstrap)
    permutations = check_positive_int("permutations", permutations, minimum=0)
    if not 0 < ci < 1:
        raise ValueError(f"Invalid value for 'ci': expected a level between 0 and 1 (e.g. 0.95); got {ci!r}.")
    rng = check_random_state(random_state)
    a, b, x, v, labels, undefined, counts = _prepare(rdms, reference, method)
    if bootstrap in ("subjects", "both") and len(v) < 2:
        raise ValueError(f"Invalid value for 'bootstrap': {bootstrap!r} resamples reference RDMs (subjects), but "
                         "'reference' holds a single RDM. Use bootstrap='stimuli' or pass the subjects' RDMs.")
    value = compare_vectors(x, v, method, sigma_k=sigma_k).mean(1)
    _warn_sign(np.where(undefined, np.nan, value), b, method)
    lo_ci = hi_ci = se = np.full(len(x), np.nan)
    if bootstrap is not None:
        res = run_bootstrap(x, v, method, scheme=bootstrap, n_boot=n_bootstrap, rng=rng, ceiling=False,
                            sigma_k=sigma_k)
        ev = np.where(np.isfinite(res["evaluations"]), res["evaluations"], np.nan)
        alpha = (1 - ci) / 2
        lo_ci = np.nanquantile(ev, alpha, axis=0)
        hi_ci = np.nanquantile(ev, 1 - alpha, axis=0)
        se = np.nanstd(ev, axis=0, ddof=1)
    p = np.full(len(x), np.nan)
    if permutations:
        null = permutation_null(x, v, method, n_perm=permutations, rng=rng, sigma_k=sigma_k)
        p = (1 + (null >= value[None, :] - 1e-12).sum(0)) / (1 + permutations)
    # a score that is undefined (constant or all-zero RDMs) has no interval and no p-value
    value, lo_ci, hi_ci, se, p = (np.where(undefined, np.nan, arr) for arr in (value, lo_ci, hi_ci, se, p))
    nc_lo = nc_hi = np.nan
    if ceiling and len(v) >= 2:
        nc_lo, nc_hi = noise_ceiling(v, method, sigma_k=sigma_k)
    rows = []
    for i, lab in enumerate(labels):
        rows.append({**lab, "analysis": "rsa", "target": _target_name(b, target), "metric": method,
                     "value": value[i], "ci_low": lo_ci[i], "ci_high": hi_ci[i], "se": se[i], "p": p[i],
                     "n": len(v), "n_stimuli": a.sizes["stimulus_a"], "n_pairs_min": int(counts[i].min()),
                     "n_pairs_max": int(counts[i].max()), "noise_ceiling_lower": nc_lo,
                     "noise_ceiling_upper": nc_hi, "bootstrap": bootstrap or "none",
                     "n_bootstrap": n_bootstrap if bootstrap else 0, "ci_level": ci if bootstrap else np.nan,
                     "n_permutations": permutations})
    table = pd.DataFrame(rows)
    if bootstrap is not None:  # the resamples, to see and replay (one row of evaluations per sample)
        table.attrs["bootstrap"] = BootstrapSamples(ev, res["stimulus_counts"], res["subject_counts"],
                                                    [str(s) for s in a["stimulus_a"].values])
    return table


class BootstrapSamples:
    """What a bootstrap resampled, kept with its result (``evaluate(...).attrs["bootstrap"]``).

    Parameters
    ----------
    evaluations : numpy.ndarray
        (n_bootstrap, rows): the value of each row of the result table in each sample.
    stimulus_counts : numpy.ndarray
        (n_bootstrap, n_stimuli): how often each stimulus was drawn in each sample.
    subject_counts : numpy.ndarray
        (n_bootstrap, n_references): how often each reference RDM (subject) was drawn.
    stimuli : list of str
        The stimulus ids, in the order of ``stimulus_counts``' columns.
    """

    def __init__(self, evaluations, stimulus_counts, subject_counts, stimuli):
        self.evaluations, self.stimulus_counts = evaluations, stimulus_counts
        self.subject_counts, self.stimuli = subject_counts, stimuli

    def __eq__(self, other):  # identity: pandas compares attrs when it concatenates tables
        return self is other

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return (f"BootstrapSamples({self.evaluations.shape[0]} samples of {len(self.stimuli)} stimuli and "
                f"{self.subject_counts.shape[1]} reference RDMs)")


def pairwise_tests(rdms, reference, *, method: str = "corr", bootstrap: str = "stimuli", n_bootstrap: int = 1000,
                   level: float = 0.05, random_state=0, target=None, sigma_k=None):
    """Bootstrap tests of every pair of candidate RDMs, with Benjamini-Hochberg FDR correction.

    Both members of a pair are evaluated on the same bootstrap samples, so the test is on
    the paired difference of their scores. ``sigma_k`` is as in :func:`evaluate`.

    Parameters
    ----------
    rdms : RDM DataArray
        Candidate RDMs, as for :func:`evaluate`.
    reference : RDM DataArray
        Reference RDMs (several subjects, or one RDM).
    method : str
        A comparison method of :func:`compare`.
    bootstrap : {"stimuli", "subjects", "both"}
        What to resample.
    n_bootstrap : int
        Bootstrap resamples.
    level : float
        Significance level of the FDR-corrected test (and the CI is the ``1 - level``
        percentile interval of the difference).
    sigma_k : array, optional
        Pattern covariance for ``cosine_cov``/``corr_cov`` (see :func:`compare`).
    random_state : int or numpy Generator
    target : str, optional
        Name of the reference in the table (default: the DataArray's name).

    Returns
    -------
    pandas.DataFrame
        One row per pair: the labels of ``a`` and ``b`` (suffixed ``_a``/``_b``),
        ``target, metric, value_a, value_b, difference, ci_low, ci_high, p, p_fdr, significant``
        (two-sided, at ``level`` after FDR correction).
    """
    import pandas as pd

    check_option("method", method, COMPARE_METHODS)
    check_option("bootstrap", bootstrap, SCHEMES)
    n_bootstrap = check_positive_int("n_bootstrap", n_bootstrap)
    rng = check_random_state(random_state)
    a, b, x, v, labels, undefined, counts = _prepare(rdms, reference, method)
    if len(x) < 2:
        raise ValueError("Invalid value for 'rdms': pairwise tests need at least two candidate RDMs.")
    if bootstrap in ("subjects", "both") and len(v) < 2:
        raise ValueError(f"Invalid value for 'bootstrap': {bootstrap!r} needs several reference RDMs.")
    value = compare_vectors(x, v, method, sigma_k=sigma_k).mean(1)
    ev = run_bootstrap(x, v, method, scheme=bootstrap, n_boot=n_bootstrap, rng=rng, ceiling=False,
                       sigma_k=sigma_k)["evaluations"]
    ev = ev[~np.isnan(ev).any(1)]
    rows = []
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            d = ev[:, i] - ev[:, j]
            p = min(1.0, 2 * min((d <= 0).sum() + 1, (d >= 0).sum() + 1) / (len(d) + 1))
            row = {f"{k}_a": val for k, val in labels[i].items()}
            row.update({f"{k}_b": val for k, val in labels[j].items()})
            row.update({"target": _target_name(b, target), "metric": method, "value_a": value[i], "value_b": value[j],
                        "difference": value[i] - value[j], "ci_low": np.quantile(d, level / 2),
                        "ci_high": np.quantile(d, 1 - level / 2), "p": p})
            rows.append(row)
    out = pd.DataFrame(rows)
    out["p_fdr"] = fdr_bh(out["p"].to_numpy())
    out["significant"] = out["p_fdr"] < level
    return out


def fdr_bh(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (monotone, capped at 1).

    Parameters
    ----------
    p : array-like
        Raw p-values, in [0, 1]. NaN (an undefined test) stays NaN and is not counted
        among the tests, as in R's ``p.adjust``.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, in the order of ``p``.
    """
    try:
        p = np.asarray(p, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"Invalid value for 'p': expected p-values (numbers in [0, 1]); got {p!r}.") from None
    if p.ndim != 1:
        raise ValueError(f"Invalid value for 'p': expected a 1-D sequence of p-values; got shape {p.shape}.")
    known = ~np.isnan(p)
    bad = known & ((p < 0) | (p > 1))
    if bad.any():
        raise ValueError(f"Invalid value for 'p': p-values lie in [0, 1]; got {p[bad][:5].tolist()} at positions "
                         f"{np.flatnonzero(bad)[:5].tolist()}.")
    out = np.full_like(p, np.nan)
    q = p[known]  # NaN (an undefined test) stays NaN and is not counted, as in R's p.adjust
    if len(q):
        order = np.argsort(q)
        ranked = q[order] * len(q) / np.arange(1, len(q) + 1)
        adj = np.empty_like(q)
        adj[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
        out[known] = adj
    return out


def assign_layers(rdms, reference, *, method: str = "corr", by: str = "subjects", n_splits: int | None = None,
                  group: str | None = "model", layer: str = "layer", random_state=0):
    """Which layer matches the reference best, chosen and scored on different data (not circular).

    In each fold the best layer of each model is chosen on the training part (subjects or
    stimuli) and scored on the held-out part.

    Parameters
    ----------
    rdms : RDM DataArray
        Candidate RDMs, one per layer (the leading dim carries ``group`` and ``layer``).
    reference : RDM DataArray
        Reference RDMs; several subjects for ``by="subjects"``.
    method : str
        A comparison method of :func:`compare`.
    by : {"subjects", "stimuli"}
        Hold out subjects (leave-one-out by default) or stimuli (5 folds by default; pairs
        are only used within a fold's stimuli).
    n_splits : int, optional
    group : str or None
        Coordinate grouping the candidates (the best layer is chosen within each model).
    layer : str
        Coordinate naming the candidates in the output.
    random_state : int or numpy Generator
        Seeds the stimulus folds.

    Returns
    -------
    pandas.DataFrame
        One row per model and fold: ``model, fold, best_layer, train_score, test_score,
        n_train, n_test``. The held-out scores (``test_score``) are the unbiased estimate.
    """
    import pandas as pd

    check_option("by", by, ("subjects", "stimuli"))
    check_option("method", method, COMPARE_METHODS)
    a, b, x, v, labels, undefined, counts = _prepare(rdms, reference, method)
    groups = [lab.get(group, "all") if group else "all" for lab in labels]
    names = [str(lab.get(layer, i)) for i, lab in enumerate(labels)]
    rng = check_random_state(random_state)
    n = n_from_length(x.shape[1])
    if by == "subjects":
        if len(v) < 2:
            raise ValueError("Invalid value for 'by': 'subjects' needs at least two reference RDMs; got one.")
        k = len(v) if n_splits is None else check_positive_int("n_splits", n_splits, minimum=2)
        folds = np.array_split(rng.permutation(len(v)), min(k, len(v)))
    else:
        k = 5 if n_splits is None else check_positive_int("n_splits", n_splits, minimum=2)
        folds = np.array_split(rng.permutation(n), k)
        if min(len(f) for f in folds) < 3 or n - max(len(f) for f in folds) < 3:
            raise ValueError(f"Invalid value for 'n_splits': {k} folds of {n} stimuli leave fewer than 3 stimuli on "
                             "one side; use fewer folds.")
    rows = []
    for f, held in enumerate(folds):
        if by == "subjects":
            train = compare_vectors(x, np.delete(v, held, axis=0), method).mean(1)
            test = compare_vectors(x, v[held], method).mean(1)
            n_train, n_test = len(v) - len(held), len(held)
        else:
            rest = np.setdiff1d(np.arange(n), held)
            train = compare_vectors(_restrict(x, rest, n), _restrict(v, rest, n), method).mean(1)
            test = compare_vectors(_restrict(x, held, n), _restrict(v, held, n), method).mean(1)
            n_train, n_test = len(rest), len(held)
        for g in dict.fromkeys(groups):
            idx = [i for i, gg in enumerate(groups) if gg == g]
            best = idx[int(np.nanargmax(train[idx]))]
            rows.append({"model": g, "fold": f, "best_layer": names[best], "train_score": train[best],
                         "test_score": test[best], "n_train": n_train, "n_test": n_test, "by": by, "metric": method})
    return pd.DataFrame(rows)


def _restrict(vecs, idx, n):
    """RDM vectors restricted to the stimuli ``idx`` (sorted), in upper-triangle order."""
    iu = triu_indices(n)
    pos = np.full((n, n), -1)
    pos[iu] = np.arange(len(iu[0]))
    idx = np.sort(idx)
    ju = triu_indices(len(idx))
    take = pos[idx[ju[0]], idx[ju[1]]]
    return vecs[:, take]
