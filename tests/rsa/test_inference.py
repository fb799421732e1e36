import warnings

import numpy as np
import pytest
import rsatoolbox as rt

from neurocompare.rsa import _bootstrap as boot
from neurocompare.rsa._ceiling import pool
from neurocompare.rsa._compare import compare_vectors
from neurocompare.rsa import assign_layers, evaluate, fdr_bh, make_rdm, noise_ceiling, pairwise_tests


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(6)
    n = 14
    p = n * (n - 1) // 2
    base = rng.random(p)
    subjects = base + 0.6 * rng.random((6, p))
    subjects[2] = np.round(subjects[2] * 4) / 4  # ties
    models = np.stack([base + 0.3 * rng.random(p), base + 2 * rng.random(p), rng.random(p)])
    models[1] = np.round(models[1] * 3)
    return n, models, subjects


def _rsatoolbox_sample(models, subjects, stim, subj, method):
    n = len(stim)
    idx = np.repeat(np.arange(n), stim)
    data = rt.rdm.RDMs(np.repeat(subjects, subj, axis=0),
                       rdm_descriptors={"index": np.repeat(np.arange(len(subjects)), subj)})
    sample = data.subsample_pattern("index", idx)
    ev = [np.mean(rt.rdm.compare(rt.rdm.RDMs(m[None]).subsample_pattern("index", idx), sample, method))
          for m in models]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lo, up = rt.inference.boot_noise_ceiling(sample, method=method, rdm_descriptor="index")
    return np.array(ev), lo, up


@pytest.mark.parametrize("method", ["corr", "cosine", "spearman", "rho-a", "tau-a", "cosine_cov", "corr_cov"])
@pytest.mark.parametrize("scheme", ["stimuli", "subjects", "both"])
def test_every_bootstrap_sample_equals_rsatoolbox(sets, method, scheme):
    """Our vectorised statistics on each resample equal rsatoolbox's on the same resample."""
    _, models, subjects = sets
    res = boot.bootstrap(models, subjects, method, scheme=scheme, n_boot=5, rng=np.random.default_rng(7))
    checked = 0
    for b in range(5):
        if np.isnan(res["evaluations"][b, 0]):
            continue
        ev, lo, up = _rsatoolbox_sample(models, subjects, res["stimulus_counts"][b], res["subject_counts"][b], method)
        np.testing.assert_allclose(res["evaluations"][b], ev, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose([res["lower"][b], res["upper"][b]], [lo, up], rtol=1e-10, atol=1e-12)
        checked += 1
    assert checked >= 3


def _rsatoolbox_sample_sigma(models, subjects, stim, subj, method, sigma_k):
    """rsatoolbox on one resample with the resampled pattern variances; the ceiling as boot_noise_ceiling's,
    with sigma_k passed to compare (rsatoolbox's boot_noise_ceiling has no sigma_k)."""
    from rsatoolbox.inference.crossvalsets import sets_leave_one_out_rdm
    from rsatoolbox.util.inference_util import pool_rdm

    idx = np.repeat(np.arange(len(stim)), stim)
    sk = sigma_k[idx]
    data = rt.rdm.RDMs(np.repeat(subjects, subj, axis=0),
                       rdm_descriptors={"index": np.repeat(np.arange(len(subjects)), subj)})
    sample = data.subsample_pattern("index", idx)
    ev = [np.mean(rt.rdm.compare(rt.rdm.RDMs(m[None]).subsample_pattern("index", idx), sample, method, sigma_k=sk))
          for m in models]
    _, test_set, ceil_set = sets_leave_one_out_rdm(sample, "index")
    pooled = pool_rdm(sample, method=method)
    lo = np.mean([np.mean(rt.rdm.compare(pool_rdm(tr[0], method=method), te[0], method, sigma_k=sk))
                  for tr, te in zip(ceil_set, test_set)])
    up = np.mean([np.mean(rt.rdm.compare(pooled, te[0], method, sigma_k=sk)) for te in test_set])
    return np.array(ev), lo, up


@pytest.mark.parametrize("method", ["cosine_cov", "corr_cov"])
@pytest.mark.parametrize("scheme", ["stimuli", "subjects", "both"])
def test_whitened_bootstrap_with_pattern_variances_equals_rsatoolbox(sets, method, scheme):
    """A vector sigma_k is resampled with the stimuli; every sample equals rsatoolbox's compare(sigma_k=...)."""
    n, models, subjects = sets
    sigma_k = np.random.default_rng(10).uniform(0.3, 3.0, n)
    res = boot.bootstrap(models, subjects, method, scheme=scheme, n_boot=5, rng=np.random.default_rng(7),
                         sigma_k=sigma_k)
    checked = 0
    for b in range(5):
        if np.isnan(res["evaluations"][b, 0]):
            continue
        ev, lo, up = _rsatoolbox_sample_sigma(models, subjects, res["stimulus_counts"][b], res["subject_counts"][b],
                                              method, sigma_k)
        np.testing.assert_allclose(res["evaluations"][b], ev, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose([res["lower"][b], res["upper"][b]], [lo, up], rtol=1e-10, atol=1e-12)
        checked += 1
    assert checked >= 3
    # the variances change the numbers: they are not ignored
    plain = boot.bootstrap(models, subjects, method, scheme=scheme, n_boot=5, rng=np.random.default_rng(7))
    assert np.abs(plain["evaluations"] - res["evaluations"]).max() > 1e-3


@pytest.mark.parametrize("method", ["cosine_cov", "corr_cov"])
def test_whitened_bootstrap_with_undefined_entries_equals_rsatoolbox(sets, method):
    """RDM entries that are NaN in the data stay out of every resample, as in rsatoolbox."""
    _, models, subjects = sets
    models, subjects = models.copy(), subjects.copy()
    gaps = np.random.default_rng(11).choice(models.shape[1], 9, replace=False)
    models[:, gaps] = np.nan
    subjects[:, gaps] = np.nan
    res = boot.bootstrap(models, subjects, method, scheme="both", n_boot=4, rng=np.random.default_rng(12))
    for b in range(4):
        ev, lo, up = _rsatoolbox_sample(models, subjects, res["stimulus_counts"][b], res["subject_counts"][b], method)
        np.testing.assert_allclose(res["evaluations"][b], ev, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose([res["lower"][b], res["upper"][b]], [lo, up], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", ["cosine_cov", "corr_cov"])
def test_whitened_subject_bootstrap_with_full_pattern_covariance(sets, method):
    """A full sigma_k under scheme='subjects': each sample is compare(sigma_k=S) on the resampled subjects
    (the exact metric; rsatoolbox's conjugate gradients agree to about 1e-5)."""
    n, models, subjects = sets
    a = np.random.default_rng(13).normal(size=(n, n))
    sigma_k = a @ a.T / n + np.eye(n)
    res = boot.bootstrap(models, subjects, method, scheme="subjects", n_boot=4, rng=np.random.default_rng(14),
                         sigma_k=sigma_k)
    for b in range(4):
        subj = res["subject_counts"][b]
        data = np.repeat(subjects, subj, axis=0)
        ev = compare_vectors(models, data, method, sigma_k=sigma_k).mean(1)
        np.testing.assert_allclose(res["evaluations"][b], ev, rtol=1e-10, atol=1e-12)
        groups = np.repeat(np.arange(len(subjects)), subj)
        lo, up = [], []
        for g in np.unique(groups):
            test = data[groups == g]
            up.append(compare_vectors(pool(data, method)[None], test, method, sigma_k=sigma_k).mean())
            lo.append(compare_vectors(pool(data[groups != g], method)[None], test, method, sigma_k=sigma_k).mean())
        np.testing.assert_allclose([res["lower"][b], res["upper"][b]], [np.mean(lo), np.mean(up)], rtol=1e-10)
        rt_ev = [np.mean(rt.rdm.compare(rt.rdm.RDMs(m[None]), rt.rdm.RDMs(data), method, sigma_k=sigma_k))
                 for m in models]
        np.testing.assert_allclose(res["evaluations"][b], rt_ev, atol=1e-4)


def test_bootstrap_sigma_k_errors(sets):
    n, models, subjects = sets
    kw = {"n_boot": 2, "rng": np.random.default_rng(0)}
    with pytest.raises(ValueError, match="'sigma_k'.*singular"):
        boot.bootstrap(models, subjects, "cosine_cov", scheme="stimuli", sigma_k=np.eye(n), **kw)
    with pytest.raises(ValueError, match="'sigma_k'.*only 'corr_cov'"):
        boot.bootstrap(models, subjects, "corr", scheme="stimuli", sigma_k=np.ones(n), **kw)
    with pytest.raises(ValueError, match="'sigma_k'.*shape \\(5,\\)"):
        boot.bootstrap(models, subjects, "corr_cov", scheme="stimuli", sigma_k=np.ones(5), **kw)
    with pytest.raises(ValueError, match="'sigma_k'.*positive"):
        boot.bootstrap(models, subjects, "corr_cov", scheme="both", sigma_k=np.r_[0.0, np.ones(n - 1)], **kw)
    with pytest.raises(ValueError, match="'sigma_k'.*symmetric positive definite"):
        boot.bootstrap(models, subjects, "corr_cov", scheme="subjects", sigma_k=np.eye(n) - 2 * np.eye(n)[::-1], **kw)


def test_a_stimulus_drawn_twice_is_undefined_against_its_copy(sets):
    n, models, _ = sets
    counts = np.zeros(n, dtype=int)
    counts[[0, 3, 5]] = [2, 1, 1]
    vec = boot.resampled_vectors(models[:1], counts)[0]
    # resample [0, 0, 3, 5]: the pair (0, 0') is NaN, (0, 3) appears twice
    assert np.isnan(vec[0]) and vec[1] == vec[3] and np.isfinite(vec[1:]).all()
    w = boot.pair_weights(counts[None], np.ones(n * (n - 1) // 2, bool))[0]
    assert w.sum() == 5 and w[2] == 2  # pair (0, 3) counted twice; 5 defined pairs of 6


@pytest.mark.parametrize("method", ["corr", "cosine_cov", "corr_cov"])
def test_samples_with_fewer_than_three_stimuli_are_nan(method):
    rng = np.random.default_rng(8)
    x = rng.random((2, 3))
    y = rng.random((3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about: those samples are set aside
        res = boot.bootstrap(x, y, method, scheme="stimuli", n_boot=200, rng=np.random.default_rng(0))
    few = (res["stimulus_counts"] > 0).sum(1) < 3
    assert few.any() and np.isnan(res["evaluations"][few]).all() and np.isfinite(res["evaluations"][~few]).all()
    assert np.isnan(res["lower"][few]).all() and np.isfinite(res["upper"][~few]).all()


def test_whitened_closed_form_solve_equals_the_dense_one():
    """Without undefined entries the per-sample system is diagonal plus rank one, solved in closed form; a
    stimulus drawn more than half the time (diagonal not positive) takes the dense solve. Both equal numpy's."""
    rng = np.random.default_rng(15)
    n = 8
    x, v = rng.random((2, 28)), rng.random((3, 28))
    eng = boot._WhitenedEngine(x, v, "cosine_cov", np.ones(28, bool), n)
    c = np.array([[1, 2, 0, 1, 3, 0, 1, 0], [6, 1, 1, 0, 0, 0, 0, 0], [1] * 8], dtype=float)
    y = rng.normal(size=(3, n, eng.N))
    k = eng._solve(c, np.sqrt(c), y)
    for b in range(3):
        m = np.eye(n) + np.diag(c[b] @ eng.adj) / 2 + np.sqrt(np.outer(c[b], c[b])) * eng.adj / 2
        np.testing.assert_allclose(k[b], np.linalg.solve(m, y[b]), rtol=1e-12, atol=1e-14)
    assert (1 + c.sum(1)[:, None] / 2 - c <= 0).any(1).tolist() == [False, True, False]


def test_weighted_ranks_match_repeated_ranking():
    from scipy.stats import rankdata

    rng = np.random.default_rng(9)
    x = np.round(rng.random((4, 30)) * 5)
    w = rng.integers(0, 3, size=(4, 30))
    keep = np.tile(np.arange(30), (4, 1))
    got = np.stack([boot._FixedRanks(x[i:i + 1]).doubled_at(w[i:i + 1], keep[i:i + 1])[0, 0] / 2 for i in range(4)])
    for i in range(4):
        expanded = np.repeat(x[i], w[i])
        ranks = rankdata(expanded)
        first = np.cumsum(w[i]) - w[i]
        for p in np.flatnonzero(w[i]):
            assert got[i, p] == ranks[first[p]]


def test_bootstrap_ci_agrees_with_rsatoolbox_within_monte_carlo_error(sets):
    _, models, subjects = sets
    ours = evaluate(make_rdm(models, leading={"model": ["a", "b", "c"]}),
                    make_rdm(subjects, leading={"subject": range(6)}), method="corr", n_bootstrap=600,
                    permutations=0, random_state=1)
    rt_models = [rt.model.ModelFixed(name, rt.rdm.RDMs(m[None])) for name, m in zip("abc", models)]
    np.random.seed(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = rt.inference.eval_bootstrap_pattern(rt_models, rt.rdm.RDMs(subjects), method="corr", N=600)
    ev = res.evaluations
    ev = ev[~np.isnan(ev).any(1)]
    lo, hi = np.quantile(ev, 0.025, axis=0), np.quantile(ev, 0.975, axis=0)
    sd = ev.std(0)
    # percentile-quantile Monte Carlo error with 600 samples is a fraction of the bootstrap SD
    assert np.all(np.abs(ours.ci_low.to_numpy() - lo) < 0.35 * sd)
    assert np.all(np.abs(ours.ci_high.to_numpy() - hi) < 0.35 * sd)
    np.testing.assert_allclose(ours.se.to_numpy(), sd, rtol=0.2)


def test_evaluate_table(sets):
    _, models, subjects = sets
    rdms = make_rdm(models, leading={"rdm": {"rdm": [0, 1, 2], "model": ["net"] * 3, "layer": ["l1", "l2", "l3"],
                                             "stream": ["shared", "what", "where"]}})
    ref = make_rdm(subjects, leading={"subject": range(6)})
    df = evaluate(rdms, ref, method="rho-a", n_bootstrap=300, permutations=300, target="judgments")
    assert list(df.layer) == ["l1", "l2", "l3"] and (df.analysis == "rsa").all() and (df.target == "judgments").all()
    for col in ("model", "stream", "metric", "value", "ci_low", "ci_high", "se", "p", "n", "n_stimuli",
                "noise_ceiling_lower", "noise_ceiling_upper"):
        assert col in df.columns
    assert (df.ci_low <= df.value).all() and (df.value <= df.ci_high).all()
    assert df.p.iloc[0] < 0.01 and df.p.iloc[2] > 0.05  # model 0 shares the subjects' structure, model 2 does not
    assert df.noise_ceiling_lower.iloc[0] < df.noise_ceiling_upper.iloc[0]
    with pytest.raises(ValueError, match="single RDM"):
        evaluate(rdms, ref.isel(subject=0), bootstrap="subjects")
    with pytest.raises(ValueError, match="'bootstrap'"):
        evaluate(rdms, ref, bootstrap="patterns")


def test_evaluate_with_pattern_variances(sets):
    """sigma_k reaches the score, the bootstrap, the permutations and the noise ceiling."""
    n, models, subjects = sets
    sigma_k = np.random.default_rng(16).uniform(0.3, 3.0, n)
    rdms = make_rdm(models, leading={"model": ["a", "b", "c"]})
    ref = make_rdm(subjects, leading={"subject": range(6)})
    df = evaluate(rdms, ref, method="corr_cov", sigma_k=sigma_k, n_bootstrap=50, permutations=50, random_state=3)
    np.testing.assert_allclose(df.value, compare_vectors(models, subjects, "corr_cov", sigma_k=sigma_k).mean(1),
                               rtol=1e-12)
    ev = boot.bootstrap(models, subjects, "corr_cov", scheme="stimuli", n_boot=50, rng=np.random.default_rng(3),
                        ceiling=False, sigma_k=sigma_k)["evaluations"]
    np.testing.assert_allclose(df.se, np.nanstd(ev, axis=0, ddof=1), rtol=1e-10)
    lo, up = noise_ceiling(ref, "corr_cov", sigma_k=sigma_k)
    assert df.noise_ceiling_lower.iloc[0] == lo and df.noise_ceiling_upper.iloc[0] == up
    assert lo != noise_ceiling(ref, "corr_cov")[0]
    plain = evaluate(rdms, ref, method="corr_cov", n_bootstrap=50, permutations=50, random_state=3)
    assert np.abs(plain.value - df.value).max() > 1e-3
    pair = pairwise_tests(rdms, ref, method="corr_cov", sigma_k=sigma_k, n_bootstrap=50)
    np.testing.assert_allclose(pair.value_a, df.value.iloc[[0, 0, 1]], rtol=1e-12)
    with pytest.raises(ValueError, match="'sigma_k'"):
        evaluate(rdms, ref, method="corr_cov", sigma_k=np.eye(n), n_bootstrap=5, permutations=0)
    with pytest.raises(ValueError, match="'sigma_k'"):
        evaluate(rdms, ref, method="corr", sigma_k=sigma_k, n_bootstrap=5, permutations=0)


def test_pairwise_tests_and_fdr(sets):
    _, models, subjects = sets
    out = pairwise_tests(make_rdm(models, leading={"model": ["a", "b", "c"]}),
                         make_rdm(subjects, leading={"subject": range(6)}), n_bootstrap=400)
    assert len(out) == 3 and {"model_a", "model_b", "p", "p_fdr", "significant"} <= set(out.columns)
    ac = out[(out.model_a == "a") & (out.model_b == "c")].iloc[0]
    assert ac.difference > 0 and ac.significant
    np.testing.assert_allclose(fdr_bh([0.01, 0.04, 0.03, 0.5]), [0.04, 0.16 / 3, 0.16 / 3, 0.5])  # by hand


def test_assign_layers_is_not_circular(sets):
    _, models, subjects = sets
    rdms = make_rdm(models, leading={"rdm": {"rdm": [0, 1, 2], "model": ["net"] * 3, "layer": ["l1", "l2", "l3"]}})
    ref = make_rdm(subjects, leading={"subject": range(6)})
    by_subject = assign_layers(rdms, ref)
    assert len(by_subject) == 6 and set(by_subject.best_layer) == {"l1"}
    assert (by_subject.n_test == 1).all()
    by_stimulus = assign_layers(rdms, ref, by="stimuli", n_splits=3)
    assert len(by_stimulus) == 3 and (by_stimulus.n_test + by_stimulus.n_train == 14).all()
    with pytest.raises(ValueError, match="n_splits"):
        assign_layers(rdms, ref, by="stimuli", n_splits=7)
