"""Missing entries (missed trials, pairs a subject never rated): pairwise deletion in every statistic.

rsatoolbox refuses RDMs whose missing entries differ, so the oracle is rsatoolbox applied to each
model-subject pair masked to the entries both define.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
import rsatoolbox as rt

from neurocompare.rsa import _bootstrap as boot
from neurocompare.rsa import evaluate, from_ratings, make_rdm, noise_ceiling, pair_counts, pairwise_tests
from neurocompare._utils.logging import NeurocompareWarning


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(21)
    n = 12
    p = n * (n - 1) // 2
    base = rng.random(p)
    subjects = base + 0.6 * rng.random((5, p))
    subjects[rng.random(subjects.shape) < 0.1] = np.nan       # ~10% missed, different for every subject
    models = np.stack([base + 0.3 * rng.random(p), base + 2 * rng.random(p), rng.random(p)])
    return n, models, subjects


def _both(a, b):
    keep = ~(np.isnan(a) | np.isnan(b))
    return np.where(keep, a, np.nan), np.where(keep, b, np.nan)


def _oracle_sample(models, subjects, stim, subj, method):
    """rsatoolbox on the resampled stimuli, each model-subject pair masked to its shared entries."""
    idx = np.repeat(np.arange(len(stim)), stim)
    out = []
    for m in models:
        sims = []
        for s, count in enumerate(subj):
            a, b = _both(m, subjects[s])
            ra = rt.rdm.RDMs(a[None]).subsample_pattern("index", idx)
            rb = rt.rdm.RDMs(b[None]).subsample_pattern("index", idx)
            sims += [rt.rdm.compare(ra, rb, method)[0, 0]] * int(count)
        out.append(np.mean(sims))
    return np.array(out)


@pytest.mark.parametrize("method", ["corr", "cosine", "spearman", "rho-a", "tau-a", "corr_cov", "cosine_cov"])
@pytest.mark.parametrize("scheme", ["stimuli", "subjects", "both"])
def test_bootstrap_samples_equal_rsatoolbox_pair_by_pair(sets, method, scheme):
    _, models, subjects = sets
    res = boot.bootstrap(models, subjects, method, scheme=scheme, n_boot=4, rng=np.random.default_rng(3),
                         ceiling=False)
    checked = 0
    for b in range(4):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = _oracle_sample(models, subjects, res["stimulus_counts"][b], res["subject_counts"][b], method)
        if np.isnan(ref).any():
            continue
        np.testing.assert_allclose(res["evaluations"][b], ref, rtol=1e-8, atol=1e-10)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("method", ["corr", "spearman"])
def test_bootstrap_ceiling_with_missing_entries_matches_the_explicit_resampling(sets, method):
    """The noise ceiling in every sample: the explicit resampling with nan-aware pooling."""
    _, models, subjects = sets
    res = boot.bootstrap(models, subjects, method, scheme="both", n_boot=3, rng=np.random.default_rng(5))
    for b in range(3):
        stim, subj = res["stimulus_counts"][b], res["subject_counts"][b]
        dv = np.repeat(boot.resampled_vectors(subjects, stim), subj, axis=0)
        groups = np.repeat(np.arange(len(subj)), subj)
        lo, up = boot._ceiling_with_groups(dv, groups, method)
        assert res["lower"][b] == pytest.approx(lo) and res["upper"][b] == pytest.approx(up)
        assert np.isfinite(lo) and lo <= up


def test_noise_ceiling_pools_each_pair_over_the_subjects_who_rated_it(sets):
    """Lower bound by hand: each subject against the nan-mean of the other subjects' z-scored RDMs,
    correlated on the pairs both define."""
    _, _, subjects = sets
    z = (subjects - np.nanmean(subjects, 1, keepdims=True)) / np.nanstd(subjects, 1, keepdims=True)

    def corr(a, b):
        keep = ~(np.isnan(a) | np.isnan(b))
        return np.corrcoef(a[keep], b[keep])[0, 1]

    lower = np.mean([corr(np.nanmean(np.delete(z, i, 0), 0), subjects[i]) for i in range(len(z))])
    upper = np.mean([corr(np.nanmean(z, 0), subjects[i]) for i in range(len(z))])
    lo, up = noise_ceiling(make_rdm(subjects, leading={"subject": range(5)}), "corr")
    assert lo == pytest.approx(lower, rel=1e-12) and up == pytest.approx(upper, rel=1e-12)


def test_permutation_null_uses_each_subjects_pairs(sets):
    _, models, subjects = sets
    null = boot.permutation_null(models, subjects, "corr", n_perm=3, rng=np.random.default_rng(8))
    perms = np.argsort(np.random.default_rng(8).random((3, 12)), axis=1)
    iu = np.triu_indices(12, 1)
    for p, perm in enumerate(perms):
        for k, m in enumerate(models):
            sq = np.zeros((12, 12))
            sq[iu] = m
            sq = sq + sq.T
            mp = sq[perm][:, perm][iu]
            sims = []
            for s in subjects:
                a, b = _both(mp, s)
                keep = ~np.isnan(a)
                sims.append(np.corrcoef(a[keep], b[keep])[0, 1])
            assert null[p, k] == pytest.approx(np.mean(sims), rel=1e-12)


def test_evaluate_a_rating_study_with_missed_trials(sets):
    """The whole table runs: value by hand, CIs from both bootstraps, a p-value, the ceiling and the pairs used."""
    n, models, subjects = sets
    rdms = make_rdm(models, leading={"layer": ["a", "b", "c"]})
    ref = make_rdm(subjects, leading={"subject": [f"s{i}" for i in range(5)]})
    for scheme in ("stimuli", "subjects", "both"):
        t = evaluate(rdms, ref, bootstrap=scheme, n_bootstrap=50, permutations=50, random_state=0)
        assert t[["value", "ci_low", "ci_high", "p", "noise_ceiling_lower"]].notna().all().all()
    shared = [[int((~(np.isnan(m) | np.isnan(s))).sum()) for s in subjects] for m in models]
    by_hand = [np.mean([np.corrcoef(*(x[~np.isnan(x)] for x in _both(m, s)))[0, 1] for s in subjects])
               for m in models]
    np.testing.assert_allclose(t["value"], by_hand, rtol=1e-12)
    assert t["n_pairs_min"].tolist() == [min(c) for c in shared]
    assert t["n_pairs_max"].tolist() == [max(c) for c in shared]
    assert (t["n_pairs_max"] < n * (n - 1) // 2).all()
    tests = pairwise_tests(rdms, ref, n_bootstrap=50)
    assert len(tests) == 3 and tests["p"].notna().all()
    counts = pair_counts(rdms, ref)
    assert counts.groupby("layer")["n_pairs"].min().tolist() == t["n_pairs_min"].tolist()


def test_ratings_with_missed_and_dropped_trials_evaluate_identically():
    """Empty rating cells and rows removed from the CSV give the same RDMs and the same table."""
    rng = np.random.default_rng(2)
    ids = [f"img{i:02d}.png" for i in range(8)]
    pairs = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
    rows = [{"stim_a": a, "stim_b": b, "rating": float(rng.integers(1, 8)), "subject": s}
            for s in ("p1", "p2", "p3") for a, b in pairs]
    df = pd.DataFrame(rows)
    df.loc[rng.random(len(df)) < 0.05, "rating"] = np.nan
    cols = dict(stimulus_a="stim_a", stimulus_b="stim_b", subject="subject", kind="similarity", scale=(1, 7))
    with_empty = from_ratings(df, **cols)
    dropped = from_ratings(df.dropna(subset=["rating"]), **cols)
    np.testing.assert_array_equal(with_empty.values, dropped.values)
    model = make_rdm(rng.random(len(pairs)), ids)
    a = evaluate(model, with_empty, n_bootstrap=30, permutations=30)
    b = evaluate(model, dropped, n_bootstrap=30, permutations=30)
    pd.testing.assert_frame_equal(a, b)
    assert a["n_pairs_min"].iloc[0] < len(pairs)


def test_negative_correlations_with_every_model_suggest_similarities(sets):
    _, models, subjects = sets
    rdms = make_rdm(models[:2], leading={"layer": ["a", "b"]})
    sim = make_rdm(-subjects, leading={"subject": range(5)})
    with pytest.warns(NeurocompareWarning, match="correlates negatively.*kind='similarity'.*--kind similarity"):
        evaluate(rdms, sim, bootstrap=None, permutations=0)
    sim.attrs["kind"] = "similarity"      # said so: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", NeurocompareWarning)
        evaluate(rdms, sim, bootstrap=None, permutations=0)
        evaluate(rdms, make_rdm(subjects, leading={"subject": range(5)}), bootstrap=None, permutations=0)


@pytest.mark.parametrize("missing", [False, True])
def test_degenerate_small_samples_are_undefined_not_infinite(missing):
    """With 6 stimuli many resamples leave an RDM constant on its pairs: those are NaN (set aside), never a
    huge or infinite correlation from rounding noise."""
    rng = np.random.default_rng(0)
    subjects = rng.integers(1, 8, (3, 15)).astype(float)
    if missing:
        subjects[[0, 1, 2], [3, 5, 11]] = np.nan
    models = rng.random((2, 15))
    res = boot.bootstrap(models, subjects, "corr", scheme="stimuli", n_boot=300, rng=np.random.default_rng(1),
                         ceiling=False)
    ev = res["evaluations"]
    assert not np.isinf(ev).any()
    assert (np.abs(ev[np.isfinite(ev)]) <= 1 + 1e-9).all()
    assert np.isnan(ev).any() and np.isfinite(ev).mean() > 0.5
