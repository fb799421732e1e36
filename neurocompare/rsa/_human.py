"""Behavioural RDMs: human ratings, multi-arrangements, triplet odd-one-out and confusions.

Every loader takes tidy (long-format) data, as a pandas DataFrame or a path to a CSV
file, and returns one RDM per subject: a DataArray with dims ``("subject", "stimulus_a",
"stimulus_b")`` built with :func:`~neurocompare.rsa.make_rdm`. Missing pairs are NaN and
the diagonal is 0. Stimuli are in sorted order (numerically when every id is a number)
unless ``stimuli=`` gives an explicit order. :func:`group_rdm` averages the subjects.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._utils.checks import check_option, check_positive_int, close_matches
from .._utils.logging import logger, warn
from ._format import DIMS, make_rdm

KINDS = ("dissimilarity", "similarity")
CONFUSION_METHODS = ("shepard", "symmetric")
_ALL = "all"


# ---------------------------------------------------------------------------------------------
# input helpers


def _read_table(data, str_columns):
    """``data`` as a DataFrame (never the caller's object mutated) plus a description of it."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data, f"DataFrame with {len(data)} rows"
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if not path.is_file():
            raise FileNotFoundError(f"Invalid value for 'data': no CSV file at {str(path)!r}.")
        from .._utils.tables import read_csv_table

        # stimulus ids stay text, so that "001" is not read as 1
        df = read_csv_table(path, what="The table", dtype={c: str for c in str_columns if c})
        return df, f"CSV file {str(path.resolve())!r} ({len(df)} rows)"
    raise TypeError(f"Invalid value for 'data': expected a pandas DataFrame or a path to a CSV file; "
                    f"got {type(data).__name__}.")


def _check_columns(df, columns):
    """``columns`` is ``{parameter: column name or None}``; raise for names not in ``df``."""
    if len(df) == 0:
        raise ValueError("Invalid value for 'data': the table has no rows.")
    existing = [str(c) for c in df.columns]
    used = {}
    for param, col in columns.items():
        if col is None:
            continue
        if col not in df.columns:
            close = close_matches(str(col), existing)
            hint = (f" Did you mean column {close[0]!r}?" if len(close) == 1 else
                    f" Did you mean one of the columns {', '.join(map(repr, close))}?" if close else "")
            raise ValueError(f"Invalid value for {param!r}: no column {col!r} in the data; the columns are "
                             f"{', '.join(map(repr, existing))}.{hint}")
        if col in used:
            raise ValueError(f"Invalid values for {used[col]!r} and {param!r}: both name the column {col!r}; "
                             "each must name a different column.")
        used[col] = param


def _rows(index, mask, k=5):
    rows = index[np.asarray(mask)][:k].tolist()
    return ", ".join(map(repr, rows)) + (", ..." if int(np.sum(mask)) > k else "")


def _ids(df, col, param):
    """An id column as strings; missing ids are an error."""
    s = df[col]
    missing = s.isna().to_numpy()
    if missing.any():
        raise ValueError(f"Invalid values in column {col!r} (parameter {param!r}): {int(missing.sum())} missing "
                         f"value(s), in rows {_rows(df.index, missing)}. Drop or fill those rows first, e.g. "
                         f"data.dropna(subset=[{col!r}]).")
    return s.astype(str).to_numpy()


def _numeric(df, col, param):
    """A value column as floats; NaN marks a missing observation, text is an error."""
    import pandas as pd

    raw = df[col]
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna()).to_numpy()
    if bad.any():
        examples = ", ".join(repr(v) for v in raw[bad].unique().tolist()[:5])
        raise ValueError(f"Invalid values in column {col!r} (parameter {param!r}): expected numbers; got "
                         f"{examples} in rows {_rows(df.index, bad)}.")
    values = values.to_numpy(dtype=float)
    if np.isinf(values).any():
        raise ValueError(f"Invalid values in column {col!r} (parameter {param!r}): expected finite numbers; got "
                         f"infinite values in rows {_rows(df.index, np.isinf(values))}.")
    return values


def _natural_order(keys):
    """Unique keys, sorted numerically when all are numbers, as text otherwise."""
    keys = list(dict.fromkeys(keys))
    try:
        return sorted(keys, key=lambda k: (float(k), k))
    except ValueError:
        return sorted(keys)


def _subjects(df, subject):
    """(codes per row, labels, keys); ``subject=None`` puts every row in one subject ``"all"``."""
    n = len(df)
    if subject is None:
        return np.zeros(n, dtype=int), [_ALL]
    raw = df[subject]
    keys = _ids(df, subject, "subject")
    order = _natural_order(keys)
    first = dict(zip(keys[::-1], raw.tolist()[::-1]))
    codes = _codes(keys, order)
    return codes, [first[k] for k in order]


def _codes(keys, order):
    import pandas as pd

    return np.asarray(pd.Categorical(keys, categories=order).codes, dtype=int)


def _stimulus_order(observed, stimuli, params):
    """The RDM's stimulus ids: sorted ids of the data, or the explicit ``stimuli`` list (checked)."""
    found = _natural_order(np.concatenate(observed))
    if stimuli is None:
        return found
    if isinstance(stimuli, (str, bytes)) or not hasattr(stimuli, "__iter__"):
        raise TypeError(f"Invalid value for 'stimuli': expected a sequence of stimulus ids; got {stimuli!r}.")
    ids = [str(s) for s in stimuli]
    dup = sorted({s for s in ids if ids.count(s) > 1})
    if dup:
        raise ValueError(f"Invalid value for 'stimuli': the ids must be unique; got duplicates {dup[:10]}.")
    if len(ids) < 2:
        raise ValueError(f"Invalid value for 'stimuli': an RDM needs at least 2 stimuli; got {len(ids)}.")
    extra = [s for s in found if s not in set(ids)]
    if extra:
        shown = ", ".join(map(repr, extra[:10])) + (f" (and {len(extra) - 10} more)" if len(extra) > 10 else "")
        raise ValueError(f"Invalid value for 'stimuli': {len(extra)} stimulus id(s) in the data (columns "
                         f"{', '.join(map(repr, params))}) are not in 'stimuli': {shown}. Add them to "
                         "'stimuli' or drop their rows first.")
    return ids


def _check_enough(counts, labels, ids, what):
    """Raise for a subject whose data cover fewer than 2 stimuli; ``counts`` is (subject, stimulus)."""
    for s, label in enumerate(labels):
        covered = [ids[i] for i in np.flatnonzero(counts[s])]
        if len(covered) < 2:
            listed = f" ({covered[0]!r})" if covered else ""
            raise ValueError(f"Subject {label!r} has {what} for {len(covered)} "
                             f"{'stimulus' if len(covered) == 1 else 'stimuli'}{listed}; an RDM needs at least 2. "
                             "Remove this subject or check its rows.")


def _result(mats, ids, labels, n_trials, method, source, **attrs):
    mats = np.array(mats, dtype=float)
    n = len(ids)
    mats[:, np.arange(n), np.arange(n)] = 0.0
    return make_rdm(mats, ids, method=method,
                    leading={"subject": {"subject": labels, "n_trials": np.asarray(n_trials)}},
                    attrs={"source": source, **attrs})


def _symmetric_mean(sums, counts):
    """Pair means from (subject, n, n) sums and counts gathered in the upper triangle."""
    sums = sums + np.swapaxes(sums, -1, -2)
    counts = counts + np.swapaxes(counts, -1, -2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)


# ---------------------------------------------------------------------------------------------
# ratings


def from_ratings(data, *, subject="subject", stimulus_a="stimulus_a", stimulus_b="stimulus_b", rating="rating",
                 kind="dissimilarity", scale=None, stimuli=None):
    """Subject RDMs from pairwise (dis)similarity ratings.

    Parameters
    ----------
    data : pandas.DataFrame or str or path-like
        One row per rating (tidy format), or a path to such a CSV file.
    subject : str or None
        Column of subject labels. ``None`` treats all rows as one subject, labelled ``"all"``.
    stimulus_a, stimulus_b : str
        Columns with the two stimulus ids of the rated pair.
    rating : str
        Column with the numeric rating. Empty cells (NaN) count as missing and are ignored.
    kind : {"dissimilarity", "similarity"}
        What the ratings express. Similarities ``s`` become dissimilarities ``scale[1] - s``.
        With ``"dissimilarity"``, a ``rating`` column whose name sounds like similarities
        (``sim`` but not ``dissim``, ``same``, ``alike``, ``close``) issues a :class:`~neurocompare.NeurocompareWarning`.
    scale : tuple of (float, float), optional
        ``(min, max)`` of the rating scale; ratings outside it raise an error. When
        ``kind="similarity"`` and ``scale`` is None, the maximum rating observed over all
        subjects (self-pairs excluded) is used as the top of the scale, and logged.
    stimuli : sequence of str, optional
        Explicit stimulus order. Ids not in the data get NaN rows; ids in the data but not
        in ``stimuli`` raise an error. Default: the sorted ids found in the data.

    Returns
    -------
    xarray.DataArray
        Dims ``("subject", "stimulus_a", "stimulus_b")``, with a per-subject ``n_trials``
        coordinate (ratings used). Attrs: ``method="ratings"``, ``kind``, ``source``, and
        ``scale_min``/``scale_max`` where known.

    Notes
    -----
    All ratings of the same unordered pair by a subject, repeated ``(a, b)`` and mirrored
    ``(b, a)`` rows alike, are averaged with equal weight per row. Ratings of a stimulus
    with itself are ignored: the diagonal is always 0. Pairs a subject never rated are NaN.
    """
    check_option("kind", kind, KINDS)
    if kind == "dissimilarity" and _looks_like_similarity(rating):
        warn(f"from_ratings: the rating column {rating!r} sounds like similarities, but the ratings are read as "
             "dissimilarities (kind='dissimilarity', the default: a high rating means different). If a high rating "
             "means similar, say so: kind=\"similarity\" in Python, --kind similarity on the command line, "
             "kind = \"similarity\" in a study file.")
    lo_hi = None
    if scale is not None:
        try:
            lo_hi = tuple(float(v) for v in scale)
        except (TypeError, ValueError):
            lo_hi = ()
        if len(lo_hi) != 2 or not np.all(np.isfinite(lo_hi)) or not lo_hi[0] < lo_hi[1]:
            raise ValueError(f"Invalid value for 'scale': expected a pair (min, max) of numbers with min < max; "
                             f"got {scale!r}.")
    df, source = _read_table(data, (stimulus_a, stimulus_b))
    _check_columns(df, {"subject": subject, "stimulus_a": stimulus_a, "stimulus_b": stimulus_b,
                        "rating": rating})
    a, b = _ids(df, stimulus_a, "stimulus_a"), _ids(df, stimulus_b, "stimulus_b")
    values = _numeric(df, rating, "rating")
    subj, labels = _subjects(df, subject)
    ids = _stimulus_order([a, b], stimuli, (stimulus_a, stimulus_b))

    if lo_hi is not None:
        out = (values < lo_hi[0]) | (values > lo_hi[1])
        if out.any():
            raise ValueError(f"Invalid values in column {rating!r} (parameter 'rating'): expected ratings within "
                             f"'scale' {lo_hi}; got {', '.join(map(repr, np.unique(values[out]).tolist()[:5]))} in rows "
                             f"{_rows(df.index, out)}.")
    keep = ~np.isnan(values) & (a != b)
    if (a == b).any():
        logger.debug("from_ratings: ignoring %d rating(s) of a stimulus with itself.", int((a == b).sum()))
    if np.isnan(values).any():
        logger.info("from_ratings: ignoring %d missing rating(s) in column %r.", int(np.isnan(values).sum()),
                    rating)
    ia, ib, s, v = _codes(a, ids)[keep], _codes(b, ids)[keep], subj[keep], values[keep]
    n, k = len(ids), len(labels)
    covered = np.zeros((k, n), dtype=bool)
    covered[s, ia] = covered[s, ib] = True
    _check_enough(covered, labels, ids, "usable ratings")
    if kind == "similarity":
        if lo_hi is None:
            top = float(v.max())
            logger.info("from_ratings: no 'scale' given; using the observed maximum rating %g as the top of the "
                        "similarity scale.", top)
        else:
            top = lo_hi[1]
        v = top - v

    lo, hi = np.minimum(ia, ib), np.maximum(ia, ib)
    sums, counts = np.zeros((k, n, n)), np.zeros((k, n, n))
    np.add.at(sums, (s, lo, hi), v)
    np.add.at(counts, (s, lo, hi), 1)
    attrs = {"kind": kind}
    if lo_hi is not None:
        attrs.update(scale_min=lo_hi[0], scale_max=lo_hi[1])
    elif kind == "similarity":
        attrs["scale_max"] = top
    return _result(_symmetric_mean(sums, counts), ids, labels, np.bincount(s, minlength=k), "ratings", source,
                   **attrs)


def _looks_like_similarity(column) -> bool:
    """Whether a column name says similarity: 'sim' (not 'dissim'), 'same', 'alike' or 'close'."""
    name = str(column).lower()
    return "dissim" not in name and any(word in name for word in ("sim", "same", "alike", "close"))


# ---------------------------------------------------------------------------------------------
# multi-arrangement


def from_arrangements(data, *, subject="subject", trial="trial", stimulus="stimulus", x="x", y="y", stimuli=None,
                      n_iter=100, tol=1e-8):
    """Subject RDMs from multi-arrangement placements (Kriegeskorte & Mur, 2012).

    Each trial places a subset of the stimuli on a 2-D arena. Within a trial, the
    dissimilarity of two stimuli is the Euclidean distance between their placements. The
    trials of each subject are combined by iterative scaled averaging (see Notes). For
    distances that are already computed per trial, use :func:`from_arrangement_distances`.

    Parameters
    ----------
    data : pandas.DataFrame or str or path-like
        One row per placed stimulus per trial, or a path to such a CSV file.
    subject : str or None
        Column of subject labels. ``None`` treats all rows as one subject, labelled ``"all"``.
    trial : str
        Column of trial labels (nested within subject).
    stimulus : str
        Column of stimulus ids. A stimulus may appear once per trial.
    x, y : str
        Columns with the placement coordinates, in the same (screen) units on every trial.
        Rows with a missing coordinate are ignored.
    stimuli : sequence of str, optional
        Explicit stimulus order. Ids not in the data get NaN rows; ids in the data but not
        in ``stimuli`` raise an error. Default: the sorted ids found in the data.
    n_iter : int
        Maximum number of iterations of the scaled averaging.
    tol : float
        Convergence tolerance: iterations stop when the root-mean-square change of the
        (RMS-normalised) estimate is below ``tol``. A warning is logged otherwise.

    Returns
    -------
    xarray.DataArray
        Dims ``("subject", "stimulus_a", "stimulus_b")``, with a per-subject ``n_trials``
        coordinate (trials used). Each subject's RDM has root-mean-square 1 over its
        available pairs: arrangements only give dissimilarities up to scale. Pairs never
        shown together in a trial are NaN. Attrs: ``method="multi-arrangement"``,
        ``weights``, ``source``.

    Notes
    -----
    The estimate starts as the mean over trials of the trial distances, each trial
    normalised to root-mean-square 1. Then, until convergence, each trial's distances are
    rescaled by the least-squares factor that best matches the current estimate on that
    trial's pairs; the rescaled distances are averaged per pair with evidence weights, and
    the average is renormalised to root-mean-square 1. The evidence weight of a distance is
    its squared on-screen distance in the trial, as in Kriegeskorte & Mur (2012): placement
    error matters less for items placed far apart. Pairs placed on the same spot in every
    trial (zero weight) fall back to the unweighted mean. Trials with fewer than 2 placed
    stimuli, or with all stimuli on one spot, are skipped.

    References
    ----------
    Kriegeskorte, N., & Mur, M. (2012). Inverse MDS: inferring dissimilarity structure from
    multiple item arrangements. Frontiers in Psychology, 3, 245.
    """
    n_iter = check_positive_int("n_iter", n_iter)
    tol = _check_tol(tol)
    df, source = _read_table(data, (stimulus,))
    _check_columns(df, {"subject": subject, "trial": trial, "stimulus": stimulus, "x": x, "y": y})
    stim = _ids(df, stimulus, "stimulus")
    trials = _ids(df, trial, "trial")
    xs, ys = _numeric(df, x, "x"), _numeric(df, y, "y")
    subj, labels = _subjects(df, subject)
    ids = _stimulus_order([stim], stimuli, (stimulus,))
    codes = _codes(stim, ids)

    key = np.char.add(np.char.add(subj.astype(str), "\x1f"), trials.astype(str))
    dup = _duplicated(key, stim)
    if dup.any():
        raise ValueError(f"Invalid data: a stimulus appears more than once in the same trial (columns {trial!r}, "
                         f"{stimulus!r}), in rows {_rows(df.index, dup)}. Give each trial a unique label per "
                         "subject.")
    placed = ~(np.isnan(xs) | np.isnan(ys))
    if not placed.all():
        logger.info("from_arrangements: ignoring %d row(s) with a missing %r or %r.", int((~placed).sum()), x, y)
    t_all, p_all, d_all, s_all = [], [], [], []
    n = len(ids)
    trial_codes = _codes(key, list(dict.fromkeys(key)))
    order = np.flatnonzero(placed)
    order = order[np.argsort(trial_codes[order], kind="stable")]
    bounds = np.flatnonzero(np.diff(trial_codes[order])) + 1
    for rows in np.split(order, bounds):
        if len(rows) < 2:
            continue
        iu = np.triu_indices(len(rows), k=1)
        i, j = codes[rows][iu[0]], codes[rows][iu[1]]
        dist = np.hypot(xs[rows][iu[0]] - xs[rows][iu[1]], ys[rows][iu[0]] - ys[rows][iu[1]])
        t_all.append(np.full(len(i), trial_codes[rows[0]]))
        p_all.append(np.minimum(i, j) * n + np.maximum(i, j))
        d_all.append(dist)
        s_all.append(np.full(len(i), subj[rows[0]]))
    return _combine_arrangements(t_all, p_all, d_all, s_all, ids, labels, n_iter, tol, source)


def from_arrangement_distances(data, *, subject="subject", trial="trial", stimulus_a="stimulus_a",
                               stimulus_b="stimulus_b", distance="distance", stimuli=None, n_iter=100, tol=1e-8):
    """Subject RDMs from per-trial pairwise distances of multi-arrangement trials.

    The same as :func:`from_arrangements`, for data that already hold the on-screen
    distance of each pair of stimuli in each trial instead of the placements.

    Parameters
    ----------
    data : pandas.DataFrame or str or path-like
        One row per pair per trial, or a path to such a CSV file.
    subject : str or None
        Column of subject labels. ``None`` treats all rows as one subject, labelled ``"all"``.
    trial : str
        Column of trial labels (nested within subject).
    stimulus_a, stimulus_b : str
        Columns with the two stimulus ids of the pair.
    distance : str
        Column with the non-negative distance, in the same (screen) units on every trial;
        the evidence weights are the squared distances. Missing values are ignored; repeated
        or mirrored rows of a pair within one trial are averaged; self-pairs are ignored.
    stimuli : sequence of str, optional
        Explicit stimulus order (see :func:`from_arrangements`).
    n_iter : int
        Maximum number of iterations of the scaled averaging.
    tol : float
        Convergence tolerance on the root-mean-square change of the estimate.

    Returns
    -------
    xarray.DataArray
        As :func:`from_arrangements`.
    """
    n_iter = check_positive_int("n_iter", n_iter)
    tol = _check_tol(tol)
    df, source = _read_table(data, (stimulus_a, stimulus_b))
    _check_columns(df, {"subject": subject, "trial": trial, "stimulus_a": stimulus_a, "stimulus_b": stimulus_b,
                        "distance": distance})
    a, b = _ids(df, stimulus_a, "stimulus_a"), _ids(df, stimulus_b, "stimulus_b")
    trials = _ids(df, trial, "trial")
    dist = _numeric(df, distance, "distance")
    if (dist < 0).any():
        raise ValueError(f"Invalid values in column {distance!r} (parameter 'distance'): expected distances >= 0; "
                         f"got negative values in rows {_rows(df.index, dist < 0)}.")
    subj, labels = _subjects(df, subject)
    ids = _stimulus_order([a, b], stimuli, (stimulus_a, stimulus_b))
    n = len(ids)
    ia, ib = _codes(a, ids), _codes(b, ids)
    keep = ~np.isnan(dist) & (ia != ib)
    key = np.char.add(np.char.add(subj.astype(str), "\x1f"), trials.astype(str))
    trial_codes = _codes(key, list(dict.fromkeys(key)))
    pair = np.minimum(ia, ib) * n + np.maximum(ia, ib)
    # average repeated/mirrored rows of one pair within a trial
    n_tr = int(trial_codes.max()) + 1
    flat = trial_codes[keep].astype(np.int64) * (n * n) + pair[keep]
    uniq, inv = np.unique(flat, return_inverse=True)
    mean = np.bincount(inv, dist[keep], len(uniq)) / np.bincount(inv, minlength=len(uniq))
    t, p = uniq // (n * n), uniq % (n * n)
    s_of_trial = np.zeros(n_tr, dtype=int)
    s_of_trial[trial_codes] = subj
    return _combine_arrangements([t], [p], [mean], [s_of_trial[t]], ids, labels, n_iter, tol, source)


def _check_tol(tol):
    try:
        tol = float(tol)
    except (TypeError, ValueError):
        tol = np.nan
    if not tol > 0 or not np.isfinite(tol):
        raise ValueError(f"Invalid value for 'tol': expected a positive number; got {tol!r}.")
    return tol


def _duplicated(key, stim):
    import pandas as pd

    return pd.DataFrame({"k": key, "s": stim}).duplicated(keep=False).to_numpy()


def _combine_arrangements(t_all, p_all, d_all, s_all, ids, labels, n_iter, tol, source):
    n, k = len(ids), len(labels)
    cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dtype=dt))
    t, p, d, s = cat(t_all, np.int64), cat(p_all, np.int64), cat(d_all, float), cat(s_all, np.int64)
    mats = np.full((k, n, n), np.nan)
    n_trials = np.zeros(k, dtype=int)
    covered = np.zeros((k, n), dtype=bool)
    for si in range(k):
        m = s == si
        ts, ps, ds = t[m], p[m], d[m]
        if ts.size:
            uniq, ts = np.unique(ts, return_inverse=True)
            ss = np.bincount(ts, ds * ds, len(uniq))
            flat = ss[ts] == 0
            if flat.any():
                logger.warning("from_arrangements: subject %r: skipping %d trial(s) with every stimulus placed on "
                               "the same spot.", labels[si], int((ss == 0).sum()))
                ts, ps, ds = ts[~flat], ps[~flat], ds[~flat]
                uniq, ts = np.unique(ts, return_inverse=True)
        covered[si, ps // n] = covered[si, ps % n] = True
        if covered[si].sum() < 2:
            continue
        n_trials[si] = int(ts.max()) + 1
        est, _, ok = _scaled_average(ts, ps, ds, n_trials[si], n * n, n_iter, tol)
        if not ok:
            logger.warning("from_arrangements: subject %r: the scaled averaging did not converge in %d "
                           "iterations (tol=%g); increase 'n_iter'.", labels[si], n_iter, tol)
        _warn_disconnected(ts, ps, n_trials[si], labels[si])
        mat = est.reshape(n, n)
        iu = np.triu_indices(n, k=1)
        mats[si][iu] = mat[iu]
        mats[si][(iu[1], iu[0])] = mat[iu]
    _check_enough(covered, labels, ids, "arrangement trials")
    return _result(mats, ids, labels, n_trials, "multi-arrangement", source,
                   weights="squared on-screen distance (Kriegeskorte & Mur, 2012)")


def _pair_mean(p, values, weights, size):
    cnt = np.bincount(p, minlength=size).astype(float)
    plain = np.bincount(p, values, size)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(cnt > 0, plain / np.where(cnt > 0, cnt, 1), np.nan)
        if weights is not None:
            wsum = np.bincount(p, weights, size)
            weighted = np.bincount(p, weights * values, size) / np.where(wsum > 0, wsum, 1)
            out = np.where(wsum > 0, weighted, out)
    return out


def _rms_normalise(est):
    rms = np.sqrt(np.nanmean(est ** 2))
    return est / rms if rms > 0 else est


def _scaled_average(t, p, d, n_trials, size, n_iter, tol):
    """Iterative scaled averaging of sparse trial distances; returns (estimate, iterations, converged)."""
    rms_t = np.sqrt(np.bincount(t, d * d, n_trials) / np.bincount(t, minlength=n_trials))
    est = _rms_normalise(_pair_mean(p, d / rms_t[t], None, size))
    weights = d * d
    dd = np.bincount(t, d * d, n_trials)
    for it in range(1, n_iter + 1):
        scale = np.bincount(t, d * est[p], n_trials) / dd
        new = _rms_normalise(_pair_mean(p, d * scale[t], weights, size))
        change = np.sqrt(np.nanmean((new - est) ** 2))
        est = new
        if change < tol:
            return est, it, True
    return est, n_iter, False


def _warn_disconnected(t, p, n_trials, label):
    """Warn when trials fall into groups that share no pair: their relative scale is then arbitrary."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pairs, pc = np.unique(p, return_inverse=True)
    graph = coo_matrix((np.ones(len(t)), (t, n_trials + pc)), shape=(n_trials + len(pairs),) * 2)
    _, comp = connected_components(graph, directed=False)
    n_groups = len(np.unique(comp[:n_trials]))
    if n_groups > 1:
        logger.warning("from_arrangements: subject %r: the trials fall into %d groups that share no pair of "
                       "stimuli; the relative scale of dissimilarities across groups is arbitrary.", label, n_groups)


# ---------------------------------------------------------------------------------------------
# triplets


def from_triplets(data, *, subject="subject", stimulus_1="stimulus_1", stimulus_2="stimulus_2",
                  stimulus_3="stimulus_3", choice="choice", stimuli=None):
    """Subject RDMs from triplet odd-one-out choices (as in THINGS, Hebart et al., 2020).

    Parameters
    ----------
    data : pandas.DataFrame or str or path-like
        One row per triplet trial, or a path to such a CSV file.
    subject : str or None
        Column of subject labels. ``None`` treats all rows as one subject, labelled ``"all"``.
    stimulus_1, stimulus_2, stimulus_3 : str
        Columns with the three (different) stimulus ids shown.
    choice : str
        Column with the id of the stimulus chosen as the odd one out; it must be one of the
        row's three stimuli.
    stimuli : sequence of str, optional
        Explicit stimulus order. Ids not in the data get NaN rows; ids in the data but not
        in ``stimuli`` raise an error. Default: the sorted ids found in the data.

    Returns
    -------
    xarray.DataArray
        Dims ``("subject", "stimulus_a", "stimulus_b")``, with a per-subject ``n_trials``
        coordinate. Attrs: ``method="triplets"``, ``source``.

    Notes
    -----
    The similarity of stimuli ``i`` and ``j`` is the fraction of the triplets containing
    both in which the third stimulus was chosen as the odd one out (``i`` and ``j`` were
    kept together); the dissimilarity is 1 minus that fraction. Pairs never shown together
    are NaN.

    References
    ----------
    Hebart, M. N., Zheng, C. Y., Pereira, F., & Baker, C. I. (2020). Revealing the
    multidimensional mental representations of natural objects underlying human similarity
    judgements. Nature Human Behaviour, 4, 1173-1185.
    """
    cols = {"stimulus_1": stimulus_1, "stimulus_2": stimulus_2, "stimulus_3": stimulus_3}
    df, source = _read_table(data, (*cols.values(), choice))
    _check_columns(df, {"subject": subject, **cols, "choice": choice})
    trio = [_ids(df, col, param) for param, col in cols.items()]
    chosen = _ids(df, choice, "choice")
    same = (trio[0] == trio[1]) | (trio[0] == trio[2]) | (trio[1] == trio[2])
    if same.any():
        raise ValueError(f"Invalid data: a triplet must show three different stimuli (columns "
                         f"{', '.join(map(repr, cols.values()))}); rows {_rows(df.index, same)} repeat one.")
    bad = (chosen != trio[0]) & (chosen != trio[1]) & (chosen != trio[2])
    if bad.any():
        r = np.flatnonzero(bad)[0]
        raise ValueError(f"Invalid values in column {choice!r} (parameter 'choice'): the odd one out must be one of "
                         f"the row's three stimuli; row {df.index.tolist()[r]!r} shows {trio[0][r]!r}, {trio[1][r]!r}, "
                         f"{trio[2][r]!r} but has choice {chosen[r]!r} ({int(bad.sum())} such row(s): "
                         f"{_rows(df.index, bad)}).")
    subj, labels = _subjects(df, subject)
    ids = _stimulus_order(trio, stimuli, tuple(cols.values()))
    codes = [_codes(x, ids) for x in trio]
    n, k = len(ids), len(labels)
    kept, counts = np.zeros((k, n, n)), np.zeros((k, n, n))
    for u, v in ((0, 1), (0, 2), (1, 2)):
        lo, hi = np.minimum(codes[u], codes[v]), np.maximum(codes[u], codes[v])
        np.add.at(counts, (subj, lo, hi), 1)
        np.add.at(kept, (subj, lo, hi), ((chosen != trio[u]) & (chosen != trio[v])).astype(float))
    covered = np.zeros((k, n), dtype=bool)
    for c in codes:
        covered[subj, c] = True
    _check_enough(covered, labels, ids, "triplets")
    return _result(1.0 - _symmetric_mean(kept, counts), ids, labels, np.bincount(subj, minlength=k), "triplets",
                   source)


# ---------------------------------------------------------------------------------------------
# confusions


def from_confusions(data, *, subject="subject", stimulus="stimulus", response="response", count=None,
                    method="shepard", smoothing=0.5, stimuli=None):
    """Subject RDMs from identification confusions.

    Parameters
    ----------
    data : pandas.DataFrame or str or path-like
        One row per trial, or one row per (stimulus, response) cell with a ``count``
        column; or a path to such a CSV file.
    subject : str or None
        Column of subject labels. ``None`` treats all rows as one subject, labelled ``"all"``.
    stimulus : str
        Column with the presented stimulus (category) id.
    response : str
        Column with the response. Responses must be stimulus labels (the category the
        subject identified); other responses raise an error, so drop or recode them first.
    count : str, optional
        Column with the number of trials of each row (non-negative numbers; missing values
        count as 0). Default: each row is one trial.
    method : {"shepard", "symmetric"}
        ``"shepard"``: Shepard's (1957) similarity ``s_ij = sqrt(C_ij C_ji / (C_ii C_jj))``
        and dissimilarity ``-ln s_ij``. ``"symmetric"``: ``1 - (C_ij + C_ji) / 2``.
    smoothing : float
        Pseudo-count added to every cell of the stimulus x response table before the
        confusion probabilities ``C_ij = P(response j | stimulus i)`` are computed. With
        0, pairs never confused have an infinite Shepard distance.
    stimuli : sequence of str, optional
        Explicit stimulus order. Ids not in the data get NaN rows; ids in the data (stimulus
        or response) but not in ``stimuli`` raise an error. Default: the sorted stimulus ids.

    Returns
    -------
    xarray.DataArray
        Dims ``("subject", "stimulus_a", "stimulus_b")``, with a per-subject ``n_trials``
        coordinate. Stimuli a subject was never shown are NaN. Attrs:
        ``method="confusions-shepard"`` or ``"confusions-symmetric"``, ``smoothing``,
        ``source``.

    Notes
    -----
    The response alternatives are all the stimuli of the RDM, so ``smoothing`` is spread
    over ``n`` cells per row. Shepard distances are negative for pairs confused more often
    than they are identified correctly.

    References
    ----------
    Shepard, R. N. (1957). Stimulus and response generalization: a stochastic model
    relating generalization to distance in psychological space. Psychometrika, 22, 325-345.
    """
    check_option("method", method, CONFUSION_METHODS)
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float, np.integer, np.floating)) \
            or not np.isfinite(smoothing) or smoothing < 0:
        raise ValueError(f"Invalid value for 'smoothing': expected a finite number >= 0; got {smoothing!r}.")
    df, source = _read_table(data, (stimulus, response))
    _check_columns(df, {"subject": subject, "stimulus": stimulus, "response": response, "count": count})
    stim, resp = _ids(df, stimulus, "stimulus"), _ids(df, response, "response")
    if count is None:
        weights = np.ones(len(df))
    else:
        weights = _numeric(df, count, "count")
        if (weights < 0).any():
            raise ValueError(f"Invalid values in column {count!r} (parameter 'count'): expected counts >= 0; got "
                             f"negative values in rows {_rows(df.index, weights < 0)}.")
        weights = np.nan_to_num(weights, nan=0.0)
    subj, labels = _subjects(df, subject)
    if stimuli is None:
        shown = set(stim)
        foreign = _natural_order([r for r in resp if r not in shown])
        if foreign:
            raise ValueError(f"Invalid values in column {response!r} (parameter 'response'): responses must be "
                             f"stimulus labels; {len(foreign)} response(s) never appear in column {stimulus!r}: "
                             f"{', '.join(map(repr, foreign[:10]))}. Drop or recode them, or pass 'stimuli'.")
    ids = _stimulus_order([stim, resp], stimuli, (stimulus, response))
    n, k = len(ids), len(labels)
    table = np.zeros((k, n, n))
    np.add.at(table, (subj, _codes(stim, ids), _codes(resp, ids)), weights)
    presented = table.sum(axis=2) > 0
    _check_enough(presented, labels, ids, "trials")
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = (table + smoothing) / (table.sum(axis=2, keepdims=True) + n * smoothing)
        if method == "shepard":
            diag = np.diagonal(conf, axis1=1, axis2=2)
            sim = np.sqrt(conf * np.swapaxes(conf, 1, 2) / (diag[:, :, None] * diag[:, None, :]))
            mats = -np.log(sim)
        else:
            mats = 1.0 - (conf + np.swapaxes(conf, 1, 2)) / 2
    missing = ~(presented[:, :, None] & presented[:, None, :])
    mats[missing] = np.nan
    if np.isinf(mats).any():
        logger.warning("from_confusions: some Shepard distances are infinite (pairs never confused); use "
                       "smoothing > 0.")
    n_trials = table.sum(axis=(1, 2))
    if count is None:
        n_trials = n_trials.astype(int)
    return _result(mats, ids, labels, n_trials, f"confusions-{method}", source,
                   smoothing=float(smoothing))


# ---------------------------------------------------------------------------------------------
# group


def group_rdm(subject_rdms):
    """The group RDM: the mean over subjects, ignoring missing (NaN) entries.

    Parameters
    ----------
    subject_rdms : xarray.DataArray
        RDMs with dims ``("subject", "stimulus_a", "stimulus_b")``, as returned by the
        ``from_*`` loaders.

    Returns
    -------
    xarray.DataArray
        A 2-D RDM ``("stimulus_a", "stimulus_b")``. An entry is NaN only where every
        subject lacks it. Attrs: ``method`` (that of the subject RDMs), ``n_subjects``,
        ``source`` (where it was known), ``aggregation``.
    """
    import xarray as xr

    expected = ("subject", *DIMS)
    if not isinstance(subject_rdms, xr.DataArray):
        raise TypeError(f"Invalid value for 'subject_rdms': expected an xarray.DataArray with dims {expected}; "
                        f"got {type(subject_rdms).__name__}.")
    if subject_rdms.dims != expected:
        raise ValueError(f"Invalid value for 'subject_rdms': expected dims {expected}; got {subject_rdms.dims}.")
    n_subjects = subject_rdms.sizes["subject"]
    if n_subjects == 0:
        raise ValueError("Invalid value for 'subject_rdms': it holds no subjects.")
    values = np.asarray(subject_rdms.values, dtype=float)
    have = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(have, values, 0.0).sum(axis=0) / have.sum(axis=0)
    ids = list(map(str, subject_rdms["stimulus_a"].values))
    factors = {c: subject_rdms[c].values for c in subject_rdms.coords
               if subject_rdms[c].dims == ("stimulus_a",) and c != "stimulus_a"}
    attrs = {k: v for k, v in subject_rdms.attrs.items() if k != "method"}
    attrs.update(n_subjects=int(n_subjects), aggregation="mean over subjects, ignoring NaN")
    return make_rdm(mean, ids, method=subject_rdms.attrs.get("method", "unknown"), factors=factors, attrs=attrs)
