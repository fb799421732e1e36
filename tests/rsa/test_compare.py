import numpy as np
import pytest
import rsatoolbox as rt

from neurocompare.rsa import COMPARE_METHODS, cka, compare, make_rdm, noise_ceiling, pair_counts


@pytest.fixture(scope="module")
def rdm_sets():
    rng = np.random.default_rng(4)
    n = 13
    p = n * (n - 1) // 2
    base = rng.random(p)
    a = base + rng.random((3, p))
    b = base + 0.5 * rng.random((5, p))
    a[1] = np.round(a[1] * 3)  # ties, as from categorical models
    b[2] = np.round(b[2] * 4)
    return a, b


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_compare_equals_rsatoolbox(rdm_sets, method):
    a, b = rdm_sets
    ref = rt.rdm.compare(rt.rdm.RDMs(a), rt.rdm.RDMs(b), method=method)
    got = compare(make_rdm(a, leading={"model": ["m1", "m2", "m3"]}), make_rdm(b, leading={"subject": range(5)}),
                  method)
    assert got.dims == ("model", "subject")
    np.testing.assert_allclose(got.values, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", ["cosine", "corr", "spearman", "rho-a", "corr_cov", "cosine_cov"])
def test_nan_entries_are_handled_like_rsatoolbox(rdm_sets, method):
    a, b = (x.copy() for x in rdm_sets)
    a[:, [2, 30]] = np.nan
    b[:, [2, 30]] = np.nan
    ref = rt.rdm.compare(rt.rdm.RDMs(a), rt.rdm.RDMs(b), method=method)
    np.testing.assert_allclose(compare(make_rdm(a, leading={"m": range(3)}), make_rdm(b, leading={"s": range(5)}),
                                       method).values, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_different_missing_entries_use_pairwise_deletion(rdm_sets, method):
    """Each similarity uses the entries both RDMs define: rsatoolbox's value on that pair's shared entries
    (rsatoolbox itself refuses RDMs whose missing entries differ)."""
    a, b = (x.copy() for x in rdm_sets)
    rng = np.random.default_rng(11)
    b[rng.random(b.shape) < 0.08] = np.nan        # about 8% missed trials, different for every subject
    a[2, [4, 9]] = np.nan
    got = compare(make_rdm(a, leading={"m": range(3)}), make_rdm(b, leading={"s": range(5)}), method).values
    for i in range(3):
        for j in range(5):
            both = ~(np.isnan(a[i]) | np.isnan(b[j]))
            ref = rt.rdm.compare(rt.rdm.RDMs(np.where(both, a[i], np.nan)[None]),
                                 rt.rdm.RDMs(np.where(both, b[j], np.nan)[None]), method=method)[0, 0]
            np.testing.assert_allclose(got[i, j], ref, rtol=1e-10, atol=1e-12, err_msg=f"{i}, {j}")
    counts = pair_counts(make_rdm(a, leading={"m": range(3)}), make_rdm(b, leading={"s": range(5)}))
    assert len(counts) == 15 and counts["n_possible"].eq(78).all()
    row = counts[(counts.m == 2) & (counts.s == 0)].iloc[0]
    assert row.n_pairs == int((~(np.isnan(a[2]) | np.isnan(b[0]))).sum())


def test_too_few_shared_entries_names_the_rdm():
    a = np.arange(1.0, 7.0)
    b = np.array([[1.0, np.nan, np.nan, np.nan, np.nan, np.nan], [2, 1, 3, 4, 6, 5]])
    with pytest.raises(ValueError, match="too few entries defined in both.*reference 'b'.*: 1.*a subject"):
        compare(make_rdm(a), make_rdm(b, leading={"subject": ["b", "c"]}), "corr")


def test_sigma_k_vector(rdm_sets):
    a, b = rdm_sets
    s = np.linspace(0.5, 2, 13)
    for method in ("corr_cov", "cosine_cov"):
        ref = rt.rdm.compare(rt.rdm.RDMs(a), rt.rdm.RDMs(b), method=method, sigma_k=s)
        got = compare(make_rdm(a, leading={"m": range(3)}), make_rdm(b, leading={"s": range(5)}), method, sigma_k=s)
        np.testing.assert_allclose(got.values, ref, rtol=1e-10)
    with pytest.raises(ValueError, match="'sigma_k'.*13 pattern variances.*shape \\(12,\\)"):
        compare(make_rdm(a[0]), make_rdm(b[0]), "corr_cov", sigma_k=np.ones(12))


def test_sigma_k_full_matrix(rdm_sets):
    """A full pattern covariance: the cosine in the metric of the RDM entries' covariance, solved exactly
    (rsatoolbox solves it by conjugate gradients, hence the 1e-5 tolerance against it)."""
    a, b = rdm_sets
    g = np.random.default_rng(5).standard_normal((13, 20))
    sk = g @ g.T / 20 + 0.1 * np.eye(13)
    for method in ("corr_cov", "cosine_cov"):
        ref = rt.rdm.compare(rt.rdm.RDMs(a), rt.rdm.RDMs(b), method=method, sigma_k=sk)
        got = compare(make_rdm(a, leading={"m": range(3)}), make_rdm(b, leading={"s": range(5)}), method, sigma_k=sk)
        np.testing.assert_allclose(got.values, ref, rtol=1e-5)
        # exact: the metric written out with an explicit inverse
        va, vb = a - a.mean(1, keepdims=True) if method == "corr_cov" else a, \
            b - b.mean(1, keepdims=True) if method == "corr_cov" else b
        iu = np.triu_indices(13, 1)
        c = np.zeros((len(iu[0]), 13))
        c[np.arange(len(iu[0])), iu[0]], c[np.arange(len(iu[0])), iu[1]] = 1, -1
        vi = np.linalg.inv((c @ sk @ c.T) ** 2)
        exact = (va @ vi @ vb.T) / np.sqrt(np.diag(va @ vi @ va.T))[:, None] / np.sqrt(np.diag(vb @ vi @ vb.T))
        np.testing.assert_allclose(got.values, exact, rtol=1e-9)
        # the identity matrix gives the same as no sigma_k (the two formulations agree there)
        ra = make_rdm(a, leading={"m": range(3)})
        np.testing.assert_allclose(compare(ra, make_rdm(b[0]), method, sigma_k=np.eye(13)).values,
                                   compare(ra, make_rdm(b[0]), method).values, rtol=1e-10)
        # with NaN entries (same places in both): the metric restricted to the defined entries
        an, bn = a.copy(), b.copy()
        an[:, [0, 5]] = np.nan
        bn[:, [0, 5]] = np.nan
        ref = rt.rdm.compare(rt.rdm.RDMs(an), rt.rdm.RDMs(bn), method=method, sigma_k=sk)
        got = compare(make_rdm(an, leading={"m": range(3)}), make_rdm(bn, leading={"s": range(5)}), method,
                      sigma_k=sk)
        np.testing.assert_allclose(got.values, ref, rtol=1e-5)
    with pytest.raises(ValueError, match="not positive definite"):
        compare(make_rdm(a[0]), make_rdm(b[0]), "corr_cov", sigma_k=np.ones((13, 13)))
    with pytest.raises(ValueError, match="not symmetric"):
        compare(make_rdm(a[0]), make_rdm(b[0]), "corr_cov", sigma_k=np.triu(sk))


def test_sigma_k_vector_and_its_diagonal_matrix_differ_as_in_rsatoolbox(rdm_sets):
    """rsatoolbox whitens the second-moment matrix for a vector but uses the entries' covariance metric for a
    matrix, so np.diag(v) and v give different numbers there; neurocompare reproduces both."""
    a, b = rdm_sets
    d = np.linspace(0.5, 2, 13)
    for method in ("corr_cov", "cosine_cov"):
        vec = compare(make_rdm(a, leading={"m": range(3)}), make_rdm(b[0]), method, sigma_k=d).values
        mat = compare(make_rdm(a, leading={"m": range(3)}), make_rdm(b[0]), method, sigma_k=np.diag(d)).values
        np.testing.assert_allclose(mat, rt.rdm.compare(rt.rdm.RDMs(a), rt.rdm.RDMs(b[:1]), method=method,
                                                       sigma_k=np.diag(d))[:, 0], rtol=1e-5)
        assert np.abs(vec - mat).max() > 1e-3


def test_single_rdms_give_a_float_and_are_aligned_by_id(rdm_sets):
    a, b = rdm_sets
    ids = [f"s{i}" for i in range(13)]
    x = make_rdm(a[0], ids)
    y = make_rdm(b[0], ids)
    value = compare(x, y, "corr")
    assert isinstance(value, float)
    shuffled = y.isel(stimulus_a=list(range(12, -1, -1)), stimulus_b=list(range(12, -1, -1)))
    assert compare(x, shuffled, "corr") == pytest.approx(value, abs=1e-14)
    other = make_rdm(b[0], [f"t{i}" for i in range(13)])
    with pytest.raises(ValueError, match="different stimuli.*'s0'"):
        compare(x, other)
    with pytest.raises(ValueError, match="'method'.*'pearson'"):
        compare(x, y, "pearson")


@pytest.mark.parametrize("method", COMPARE_METHODS)
def test_noise_ceiling_equals_rsatoolbox(rdm_sets, method):
    import warnings

    _, b = rdm_sets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = rt.inference.boot_noise_ceiling(rt.rdm.RDMs(b), method=method)
    got = noise_ceiling(make_rdm(b, leading={"subject": range(5)}), method)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
    assert got[0] <= got[1]


def test_noise_ceiling_needs_several_subjects(rdm_sets):
    with pytest.raises(ValueError, match="at least 2 subjects"):
        noise_ceiling(make_rdm(rdm_sets[1][0]), "corr")


def test_cka_properties():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 30))
    q, _ = np.linalg.qr(rng.normal(size=(30, 30)))
    assert cka(x, x) == pytest.approx(1.0)
    assert cka(x, 2.5 * x @ q) == pytest.approx(1.0)  # invariant to rotation and isotropic scaling
    y = rng.normal(size=(40, 12))
    xc, yc = x - x.mean(0), y - y.mean(0)
    feature_space = np.linalg.norm(yc.T @ xc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc))
    assert cka(x, y) == pytest.approx(feature_space, rel=1e-10)
    assert cka(x, x, unbiased=True) == pytest.approx(1.0)
    # unbiased CKA of independent data is near 0; biased CKA is inflated by dimensionality
    assert abs(cka(x, y, unbiased=True)) < cka(x, y)


def test_cka_trees(resnet18, small_set):
    import neurocompare as nc

    tree = nc.extract(resnet18, small_set, layers=["layer3", "layer4", "fc"], reduce="avgpool", progress=False)
    mat = cka(tree, tree)
    assert mat.dims == ("layer_x", "layer_y") and mat.shape == (3, 3)
    np.testing.assert_allclose(np.diag(mat.values), 1.0)
    np.testing.assert_allclose(mat.values, mat.values.T)
