"""Vectorised resampling statistics for RSA.

A bootstrap sample of stimuli is a vector of multiplicities ``c`` (how often each stimulus
was drawn). Resampled RDMs contain the pair (i, j) ``c_i * c_j`` times, and the pairs of a
stimulus with its own copies are undefined (NaN), exactly as in rsatoolbox's
``subsample_pattern``. Every comparison on a resampled RDM is therefore a *weighted*
statistic over the original pairs, with weights ``c_i * c_j``. Computing those weighted
statistics for all samples at once, with matrix products and cumulative sums instead of a
Python loop over samples, is what makes the bootstrap fast. Subject resampling works the
same way with subject multiplicities. The whitened comparisons (``cosine_cov``,
``corr_cov``) add one ``n x n`` solve per distinct stimulus sample (:class:`_WhitenedEngine`).
"""
from __future__ import annotations

import numpy as np

from ._ceiling import pool
from ._compare import compare_vectors
from ._format import n_from_length, triu_indices

FAST_METHODS = ("cosine", "corr", "spearman", "rho-a", "cosine_cov", "corr_cov")
WHITENED_METHODS = ("cosine_cov", "corr_cov")
SCHEMES = ("stimuli", "subjects", "both")


def n_jobs() -> int:
    """Worker threads: ``$NEUROCOMPARE_N_JOBS`` or the number of CPUs available to this process."""
    import os

    env = os.environ.get("NEUROCOMPARE_N_JOBS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def draw_samples(n_stimuli: int, n_subjects: int, n_boot: int, scheme: str, rng: np.random.Generator):
    """Stimulus and subject multiplicities, (B, n_stimuli) and (B, n_subjects), as integer counts."""
    stim = np.ones((n_boot, n_stimuli), dtype=np.int64)
    subj = np.ones((n_boot, n_subjects), dtype=np.int64)
    if scheme in ("stimuli", "both"):
        draws = rng.integers(0, n_stimuli, size=(n_boot, n_stimuli))
        stim = _counts(draws, n_stimuli)
    if scheme in ("subjects", "both"):
        draws = rng.integers(0, n_subjects, size=(n_boot, n_subjects))
        subj = _counts(draws, n_subjects)
    return stim, subj


def _counts(draws, n):
    out = np.zeros((len(draws), n), dtype=np.int64)
    np.add.at(out, (np.repeat(np.arange(len(draws)), draws.shape[1]), draws.ravel()), 1)
    return out


def pair_weights(stim_counts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(B, n) stimulus multiplicities -> (B, P_valid) weights of the defined pairs."""
    n = stim_counts.shape[1]
    iu = triu_indices(n)
    w = stim_counts[:, iu[0]] * stim_counts[:, iu[1]]
    return w[:, mask].astype(np.float64)


class _FixedRanks:
    """Doubled weighted ranks of fixed vectors (R, P) for many weightings at once.

    Sorting happens once; each weighting then costs a gather, a cumulative sum and a
    gather at the pairs that are kept. Twice the average rank of an entry is ``2 * before + group + 1``, an integer,
    where ``before`` is the weight of all smaller entries and ``group`` that of its ties.
    """

    def __init__(self, x: np.ndarray):
        self.order = np.argsort(x, axis=-1, kind="stable")
        xs = np.take_along_axis(x, self.order, -1)
        self.new_group = np.ones(xs.shape, dtype=bool)
        self.new_group[:, 1:] = xs[:, 1:] != xs[:, :-1]
        self.has_ties = not self.new_group.all()
        self.inverse = np.argsort(self.order, axis=-1)  # sorted position of every entry

    def doubled_at(self, w: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Doubled ranks (B, R, Q) at the pair indices ``keep`` (B, Q) only."""
        ws = w[:, self.order]
        sorted2 = _doubled_sorted(ws, np.broadcast_to(self.new_group, ws.shape) if self.has_ties else None)
        idx = self.inverse[:, keep].transpose(1, 0, 2)                # (B, R, Q): sorted position of each kept pair
        return np.take_along_axis(sorted2, idx, -1)


def _doubled_sorted(ws, new_group):
    """Doubled average ranks along the last axis for weights already in sorted order."""
    cs = np.cumsum(ws, axis=-1, dtype=ws.dtype)
    if new_group is None:  # no ties: before = cs - ws, group = ws
        return 2 * cs - ws + 1
    before = np.maximum.accumulate(np.where(new_group, cs - ws, 0), axis=-1)
    last = np.ones(ws.shape, dtype=bool)
    last[..., :-1] = new_group[..., 1:]
    big = np.iinfo(cs.dtype).max if np.issubdtype(cs.dtype, np.integer) else np.inf
    end = np.flip(np.minimum.accumulate(np.flip(np.where(last, cs, big), -1), axis=-1), -1)
    return before + end + 1


class _MomentEngine:
    """cosine and Pearson correlation under sample weights, from weighted moment matrices.

    Every statistic, the noise ceiling included, is a function of the weighted sums of
    x_k, v_s, x_k v_s and v_t v_s over the pairs, which are matrix products of the weights
    with precomputed element-wise products.
    """

    def __init__(self, x, v, method):
        self.method = method
        if method == "corr":  # a constant shift changes nothing and keeps the sums well conditioned
            x = x - x.mean(1, keepdims=True)
            v = v - v.mean(1, keepdims=True)
        self.x, self.v = x, v
        self.x2 = x * x
        self.xv = (x[:, None, :] * v[None]).reshape(-1, x.shape[1])
        self.vv = (v[:, None, :] * v[None]).reshape(-1, x.shape[1])

    def __call__(self, w, m, ceiling):
        K, S = len(self.x), len(self.v)
        b = len(w)
        n = w.sum(1)
        qx = w @ self.x2.T
        cxv = (w @ self.xv.T).reshape(b, K, S)
        cvv = (w @ self.vv.T).reshape(b, S, S)
        with np.errstate(invalid="ignore", divide="ignore"):  # samples without pairs give NaN, set aside later
            if self.method == "corr":
                sx, sv = w @ self.x.T, w @ self.v.T
                raw_x, raw_v = qx, np.diagonal(cvv, axis1=1, axis2=2).copy()
                qx = qx - sx * sx / n[:, None]
                cxv = cxv - sx[:, :, None] * sv[:, None, :] / n[:, None, None]
                cvv = cvv - sv[:, :, None] * sv[:, None, :] / n[:, None, None]
                # a sample in which an RDM is constant (e.g. one distinct pair) has zero variance: the
                # subtraction leaves rounding noise, which must read as zero (undefined), not as a tiny variance
                qx = np.where(qx <= 1e-10 * raw_x, 0.0, qx)
                idx = np.arange(cvv.shape[1])
                cvv[:, idx, idx] = np.where(cvv[:, idx, idx] <= 1e-10 * raw_v, 0.0, cvv[:, idx, idx])
            vv = np.diagonal(cvv, axis1=1, axis2=2)
            sim = cxv / np.sqrt(qx)[:, :, None] / np.sqrt(vv)[:, None, :]
            sim[~((qx > 0)[:, :, None] & (vv > 0)[:, None, :])] = 0.0 if self.method == "cosine" else np.nan
            evals = np.einsum("bks,bs->bk", sim, m) / m.sum(1)[:, None]
            if not ceiling:
                return evals, None, None
            # pooled RDM = sum_t m_t z_t with z_t the normalised subject RDM: its similarity to subject s
            # is (R a)_s / sqrt(a' R a), R the subjects' similarity matrix under the weights
            r = cvv / np.sqrt(vv)[:, :, None] / np.sqrt(vv)[:, None, :]
            rm = np.einsum("bts,bt->bs", r, m)
            mrm = np.einsum("bs,bs->b", rm, m)
            upper = rm / np.sqrt(mrm)[:, None]
            lower = (rm - m) / np.sqrt(mrm[:, None] - 2 * m * rm + m * m)
        return evals, *_ceiling_average(lower, upper, m)


class _RankEngine:
    """Spearman and rho-a under sample weights, on exact doubled integer ranks."""

    def __init__(self, x, v, method):
        self.method = method
        self.fx, self.fv = _FixedRanks(x), _FixedRanks(v)
        self.p = x.shape[1]
        self.kbits = max(1, int(self.p - 1).bit_length())

    def __call__(self, w, m, ceiling):
        # doubled ranks never exceed n_stimuli ** 2: small integer types halve the memory traffic
        n_stim = int(round((1 + np.sqrt(1 + 8 * self.p)) / 2))
        wi = np.rint(w).astype(np.int16 if n_stim ** 2 < 2**15 else np.int32)
        # only pairs present in a sample matter: compress every sample to its weighted pairs
        nz = wi > 0
        width = int(nz.sum(1).max())
        keep = np.argsort(~nz, axis=1, kind="stable")[:, :width]        # (b, Q), weighted pairs first
        wq = np.take_along_axis(wi, keep, 1)                           # 0 on the padding
        rx, rv = self.fx.doubled_at(wi, keep), self.fv.doubled_at(wi, keep)    # (b, K, Q), (b, S, Q)
        n = wi.sum(1, dtype=np.int64).astype(np.float64)
        wf = wq.astype(np.float64)
        rvf = rv.astype(np.float64)
        cross = np.einsum("bkq,bsq->bks", rx * wf[:, None, :], rvf, optimize=True) / 4    # (b, K, S)
        qv = np.einsum("bq,bsq,bsq->bs", wf, rvf, rvf) / 4
        qx = np.einsum("bq,bkq,bkq->bk", wf, rx, rx, dtype=np.float64) / 4
        evals = np.einsum("bks,bs->bk", self._stat(cross, n, qx[:, :, None], qv[:, None, :]), m) / m.sum(1)[:, None]
        if not ceiling:
            return evals, None, None
        mi = np.rint(m).astype(np.int64)
        total = np.einsum("bs,bsq->bq", mi, rv.astype(np.int64))      # 2 * sum_t m_t rank_t
        pooled = np.concatenate([total[:, None, :], total[:, None, :] - mi[:, :, None] * rv], axis=1)
        kb = max(1, int(width - 1).bit_length())
        dtype = np.int32 if int(pooled.max()).bit_length() + kb <= 31 else np.int64
        keys = (pooled.astype(dtype) << kb) | np.arange(width, dtype=dtype)
        keys.sort(axis=-1)
        order = (keys & ((1 << kb) - 1)).astype(np.intp)
        svals = keys >> kb
        new_group = np.ones(svals.shape, dtype=bool)
        new_group[..., 1:] = svals[..., 1:] != svals[..., :-1]
        ws = np.take_along_axis(np.broadcast_to(wq[:, None, :], order.shape), order, -1)
        rp_sorted = _doubled_sorted(ws.astype(np.int32), new_group)
        rp = np.empty(rp_sorted.shape, dtype=np.float64)                # pooled ranks back in pair order
        np.put_along_axis(rp, order, rp_sorted, -1)
        wrp = rp * wf[:, None, :]
        S = rv.shape[1]
        up_cross = np.einsum("bq,bsq->bs", wrp[:, 0], rvf) / 4
        lo_cross = np.einsum("bsq,bsq->bs", wrp[:, 1:], rvf) / 4
        q_up = np.einsum("bq,bq->b", wrp[:, 0], rp[:, 0])[:, None] / 4
        q_lo = np.einsum("bsq,bsq->bs", wrp[:, 1:], rp[:, 1:]) / 4
        upper = self._stat(up_cross, n, np.broadcast_to(q_up, (len(n), S)), qv)
        lower = self._stat(lo_cross, n, q_lo, qv)
        return evals, *_ceiling_average(lower, upper, m)

    def _stat(self, cross, n, qa, qb):
        shape = (-1,) + (1,) * (cross.ndim - 1)
        n = n.reshape(shape)
        mu2 = n * ((n + 1) / 2) ** 2
        if self.method == "rho-a":
            return 12 * (cross - mu2) / (n ** 3 - n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (cross - mu2) / np.sqrt((qa - mu2) * (qb - mu2))


class _WhitenedEngine:
    """``cosine_cov`` and ``corr_cov`` under stimulus multiplicities, without building resampled RDMs.

    rsatoolbox whitens a resampled RDM by double-centring its second-moment vector
    ``g = [-d/2, 0]`` (pairs, then the diagonal) with the weighted projection of the RDMs
    that have missing entries: ``Q = I - D Z (Z' D Z)^-1 Z'`` (``Z`` the row + column
    indicators, ``D`` 1/2 for pairs and 1 for the diagonal), then weighs the pairs by
    ``sqrt(2 / (s_i s_j))`` and the diagonal by ``1 / s_i`` (``s = sigma_k``, or ones). The
    inner product of two whitened RDMs is then, exactly,

        a'Tb / 2 - (Z'Tg_a)' h_b - h_a' (Z'Tg_b) + h_a' Z'TDZ h_b,   h = (Z'DZ)^-1 Z'g,

    with ``T`` = ``1 / (s_i s_j)`` for pairs, ``1 / s_i^2`` for the diagonal (without
    ``sigma_k``: ``a'b / 2 - (Z'g_a)' h_b``). Every copy of a stimulus has the same row of
    ``Z'g`` and of ``h``, so all of it reduces to the original pairs weighted by ``c_i * c_j``
    and one symmetric positive-definite ``n x n`` solve per sample with
    ``I + diag(Adj c) / 2 + sqrt(c) Adj sqrt(c) / 2`` (``Adj``: the defined pairs; a diagonal
    plus a rank-one matrix when every pair is defined). Statistics are assembled from the
    whitened Gram matrix of the basis (models, subjects, ones), so mean-centring and the
    noise ceiling's pooling are linear combinations of it.
    """

    def __init__(self, x, v, method, mask, n, sigma_k=None):
        self.method = method
        self.K, self.S = len(x), len(v)
        self.shift = np.concatenate([x.mean(1), v.mean(1)])       # centred basis: better-conditioned sums
        basis = np.concatenate([x - x.mean(1, keepdims=True), v - v.mean(1, keepdims=True), np.ones((1, x.shape[1]))])
        self.N = N = len(basis)
        self.basis = basis
        a, b = np.triu_indices(N)
        keep = ~((a < b) & (b < self.K))                            # model-model products are never needed
        self.pairs = a[keep], b[keep]
        self.prod = basis[self.pairs[0]] * basis[self.pairs[1]]
        iu = triu_indices(n)
        self.i, self.j = iu[0][mask], iu[1][mask]
        sq = np.zeros((n, n, N))
        sq[self.i, self.j] = basis.T
        sq[self.j, self.i] = basis.T
        self.sq = sq.reshape(n, n * N)
        self.adj = np.zeros((n, n))
        self.adj[self.i, self.j] = self.adj[self.j, self.i] = 1
        self.n = n
        self.complete = bool(mask.all())
        self.full = None
        self.prec = None
        if sigma_k is not None and sigma_k.ndim == 2:   # stimuli never resampled: one exact metric for all samples
            from scipy.linalg import cho_factor, cho_solve

            from ._compare import _distance_covariance

            self.full = basis @ cho_solve(cho_factor(_distance_covariance(sigma_k, mask)), basis.T)
        elif sigma_k is not None:
            self.prec = 1 / sigma_k

    def gram(self, c):
        """(b, n) multiplicities -> whitened Gram matrices (b, N, N) of the basis."""
        b, n, N = len(c), self.n, self.N
        if self.full is not None:
            return np.broadcast_to(self.full, (b, N, N))
        i, j = self.i, self.j
        w = c[:, i] * c[:, j]
        if self.prec is not None:
            w *= self.prec[i] * self.prec[j]
        g = np.zeros((b, N, N))
        g[:, self.pairs[0], self.pairs[1]] = (w @ self.prod.T) / 2
        g[:, self.pairs[1], self.pairs[0]] = g[:, self.pairs[0], self.pairs[1]]
        rc = np.sqrt(c)
        y = (c @ self.sq).reshape(b, n, N)
        y *= -0.5 * rc[:, :, None]                                  # sqrt(c_i) Z'g: each copy's row sums
        k = self._solve(c, rc, y)
        if self.prec is None:
            return g - y.transpose(0, 2, 1) @ k
        s = self.prec
        t = ((c * s) @ self.sq).reshape(b, n, N)
        t *= -0.5 * (rc * s)[:, :, None]                            # sqrt(c_i) Z'Tg
        tk = t.transpose(0, 2, 1) @ k
        u = rc * s                                                  # Z'TDZ (scaled) = diag + u Adj u / 2
        if self.complete:
            diag = 0.5 * s * (c @ s)[:, None] - c * s * s + s * s
            uk = np.einsum("bi,bia->ba", u, k) / np.sqrt(2)
            kfk = (k * diag[:, :, None]).transpose(0, 2, 1) @ k + uk[:, :, None] * uk[:, None, :]
        else:
            f = 0.5 * u[:, :, None] * self.adj * u[:, None, :]
            idx = np.arange(n)
            f[:, idx, idx] = 0.5 * s * ((c * s) @ self.adj) + s * s
            kfk = k.transpose(0, 2, 1) @ (f @ k)
        return g - tk - tk.transpose(0, 2, 1) + kfk

    def _solve(self, c, rc, y):
        """(I + diag(Adj c) / 2 + sqrt(c) Adj sqrt(c) / 2)^-1 y for every sample."""
        n = self.n
        k = np.empty_like(y)
        easy = np.zeros(len(c), dtype=bool)
        if self.complete:  # Adj = 11' - I: a positive diagonal plus a rank-one term, solved in closed form
            d = 1 + 0.5 * c.sum(1, keepdims=True) - c
            easy = (d > 0).all(1)
            de, u = d[easy], rc[easy] / np.sqrt(2)
            z = y[easy] / de[:, :, None]
            ud = u / de
            coef = np.einsum("bi,bia->ba", u, z) / (1 + np.einsum("bi,bi->b", u, ud))[:, None]
            k[easy] = z - ud[:, :, None] * coef[:, None, :]
        hard = ~easy
        if hard.any():  # a stimulus drawn more than half the time, or undefined entries: a dense solve
            ch, rh = c[hard], rc[hard]
            m = 0.5 * rh[:, :, None] * self.adj * rh[:, None, :]
            idx = np.arange(n)
            m[:, idx, idx] = 1 + 0.5 * (ch @ self.adj)
            k[hard] = np.linalg.solve(m, y[hard])
        return k

    def moments(self, c):
        """Weighted means (b, K + S) of the centred basis and mean squares (b, S) of the subjects' part."""
        K, S = self.K, self.S
        w = c[:, self.i] * c[:, self.j]                            # rsatoolbox's means are over the resampled entries
        sw = w.sum(1)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):     # no pairs: NaN, set aside later
            return (w @ self.basis[:K + S].T) / sw, (w @ (self.basis[K:K + S] ** 2).T) / sw

    def statistics(self, gram, mean, v2, m, ceiling):
        """Evaluations and ceiling bounds from a sample's Gram matrix, :meth:`moments` and subject counts m."""
        K, S, N = self.K, self.S, self.N
        off = -mean if self.method == "corr_cov" else np.broadcast_to(self.shift, mean.shape)
        # Gram of z_a = basis_a + off_a * ones
        last = gram[:, :K + S, N - 1]
        zz = (gram[:, :K + S, :K + S] + off[:, :, None] * last[:, None, :] + last[:, :, None] * off[:, None, :]
              + off[:, :, None] * off[:, None, :] * gram[:, N - 1, N - 1][:, None, None])
        q = np.diagonal(zz, axis1=1, axis2=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            norm = np.sqrt(q)
            sim = zz[:, :K, K:] / norm[:, :K, None] / norm[:, None, K:]
            sim[~((norm[:, :K] > 0)[:, :, None] & (norm[:, K:] > 0)[:, None, :])] = 0.0
            evals = np.einsum("bks,bs->bk", sim, m) / m.sum(1)[:, None]
            if not ceiling:
                return evals, None, None
            # pool_rdm: subjects scaled by their RMS (cosine_cov) or SD (corr_cov) over the resampled entries
            sv = mean[:, K:]
            scale = v2 + (2 * self.shift[K:] * sv + self.shift[K:] ** 2 if self.method == "cosine_cov" else -sv * sv)
            a = m / np.sqrt(scale)
            r = zz[:, K:, K:]
            nv = norm[:, K:]
            ra = np.einsum("bts,bt->bs", r, a)
            ara = np.einsum("bs,bs->b", ra, a)
            upper = ra / np.sqrt(ara)[:, None] / nv
            # leave subject s (all its copies) out of the pool
            lower = (ra - a * np.diagonal(r, axis1=1, axis2=2)) / np.sqrt(
                ara[:, None] - 2 * a * ra + a * a * np.diagonal(r, axis1=1, axis2=2)) / nv
        return evals, *_ceiling_average(lower, upper, m)


def _ceiling_average(lower, upper, m):
    """Average the per-subject bounds over the subjects present; one subject: lower = upper."""
    present = m > 0
    k = present.sum(1)
    up = np.where(present, upper, 0).sum(1) / k
    lo = np.where(present, lower, 0).sum(1) / k
    lo = np.where(k == 1, up, lo)
    return lo, up


def bootstrap(model_vecs: np.ndarray, data_vecs: np.ndarray, method: str, *, scheme: str, n_boot: int,
              rng: np.random.Generator, ceiling: bool = True, sigma_k=None, chunk_bytes: int = 96 * 2**20):
    """Bootstrap distributions of model evaluations and of the noise ceiling.

    Parameters
    ----------
    model_vecs : (K, P) array
        Candidate RDMs (e.g. layers).
    data_vecs : (S, P) array
        Reference RDMs (e.g. subjects).
    method : str
        A comparison method; cosine, corr, spearman, rho-a, cosine_cov and corr_cov are
        vectorised over samples, the Kendall methods fall back to one sample at a time.
    scheme : {"stimuli", "subjects", "both"}
    n_boot : int
    rng : numpy.random.Generator
    ceiling : bool
        Also compute the noise ceiling in every sample (rsatoolbox's ``boot_noise_ceil``).
    sigma_k : array, optional
        Pattern covariance for ``cosine_cov``/``corr_cov`` (see :func:`compare`): a vector of
        positive pattern variances, resampled with the stimuli (a stimulus drawn twice keeps
        its variance), or, for ``scheme="subjects"`` only, a full ``(n, n)`` matrix. The
        noise ceiling pools the subjects without it and compares with it.

    Returns
    -------
    dict
        ``evaluations`` (B, K): mean over the (resampled) subjects of each model's similarity;
        ``lower``/``upper`` (B,): noise-ceiling bounds (NaN without ``ceiling`` or with a
        single subject); ``stimulus_counts`` (B, n) and ``subject_counts`` (B, S). Samples with
        fewer than 3 distinct stimuli are NaN, as in rsatoolbox.
    """
    from ._compare import common_mask

    n = n_from_length(model_vecs.shape[1])
    sigma_k = _check_sigma_k(sigma_k, method, scheme, n)
    stim, subj = draw_samples(n, len(data_vecs), n_boot, scheme, rng)
    ok = (stim > 0).sum(1) >= 3
    do_ceiling = ceiling and len(data_vecs) > 1
    mask = common_mask(model_vecs, data_vecs)
    if mask is not None:
        evals, lower, upper = _samples(model_vecs, data_vecs, mask, method, sigma_k, stim, subj, do_ceiling,
                                       chunk_bytes)
    elif do_ceiling or common_mask(model_vecs, model_vecs[:1]) is None:
        evals, lower, upper = _bootstrap_loop(model_vecs, data_vecs, method, stim, subj, ok, do_ceiling, sigma_k)
    else:
        evals = _samples_by_mask(model_vecs, data_vecs, method, sigma_k, stim, subj, chunk_bytes)
        lower = upper = np.full(n_boot, np.nan)
    evals[~ok] = np.nan
    lower[~ok] = np.nan
    upper[~ok] = np.nan
    return {"evaluations": evals, "lower": lower, "upper": upper, "stimulus_counts": stim, "subject_counts": subj}


def _samples(model_vecs, data_vecs, mask, method, sigma_k, stim, subj, do_ceiling, chunk_bytes):
    """Evaluations and ceiling bounds of every sample when all RDMs define the entries ``mask``."""
    x, v = model_vecs[:, mask], data_vecs[:, mask]
    n_boot, K = len(stim), len(x)
    if method not in FAST_METHODS:
        return _bootstrap_loop(model_vecs, data_vecs, method, stim, subj, (stim > 0).sum(1) >= 3, do_ceiling,
                               sigma_k)
    if method in WHITENED_METHODS:
        return _bootstrap_whitened(x, v, method, mask, stim.shape[1], sigma_k, stim, subj, do_ceiling, chunk_bytes)
    evals = np.full((n_boot, K), np.nan)
    lower = np.full(n_boot, np.nan)
    upper = np.full(n_boot, np.nan)
    engine = (_MomentEngine if method in ("cosine", "corr") else _RankEngine)(x, v, method)
    width = K + 4 * len(v) + 4 if method in ("cosine", "corr") else 2 * K + 8 * (len(v) + 1)
    per = max(1, int(chunk_bytes // (8 * max(1, x.shape[1]) * width)))

    def run(a):
        b = slice(a, min(n_boot, a + per))
        ev, lo, up = engine(pair_weights(stim[b], mask), subj[b].astype(np.float64), do_ceiling)
        evals[b] = ev
        if do_ceiling:
            lower[b], upper[b] = lo, up

    # numpy releases the GIL in its loops, so chunks run in parallel threads (results do not depend on it)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(n_jobs(), max(1, n_boot // per))) as pool_:
        list(pool_.map(run, range(0, n_boot, per)))
    return evals, lower, upper


def _samples_by_mask(model_vecs, data_vecs, method, sigma_k, stim, subj, chunk_bytes):
    """Evaluations under pairwise deletion: the subjects that define the same entries are evaluated
    together, by the engine of the common case on the entries they share with the models, and the
    per-group means are combined with the groups' subject counts."""
    from ._compare import mask_groups

    n_boot, K = len(stim), len(model_vecs)
    model_mask = ~np.isnan(model_vecs[0])
    total = np.zeros((n_boot, K))
    drawn = subj.sum(1).astype(np.float64)
    for rows, m in mask_groups(data_vecs):
        m = m & model_mask
        x = np.where(m, model_vecs, np.nan)
        v = np.where(m, data_vecs[rows], np.nan)
        weight = subj[:, rows].sum(1).astype(np.float64)
        counts = np.where(weight[:, None] > 0, subj[:, rows], 1)   # an undrawn group still needs a valid weighting
        if m.sum() < (1 if method in ("cosine", "cosine_cov") else 2):
            part = np.full((n_boot, K), np.nan)
        else:
            part = _samples(x, v, m, method, sigma_k, stim, counts, False, chunk_bytes)[0]
        total += np.where(weight[:, None] > 0, part * weight[:, None], 0.0)
    return total / drawn[:, None]


def _check_sigma_k(sigma_k, method, scheme, n):
    if sigma_k is None:
        return None
    if method not in WHITENED_METHODS:
        raise ValueError(f"Invalid value for 'sigma_k': only 'corr_cov' and 'cosine_cov' use it; method is {method!r}.")
    sigma_k = np.asarray(sigma_k, dtype=float)
    if sigma_k.shape == (n, n):
        if scheme != "subjects":
            raise ValueError("Invalid value for 'sigma_k': a full pattern covariance cannot follow a stimulus "
                             "bootstrap (a stimulus drawn twice makes the RDM entries' covariance singular); "
                             "pass its diagonal or use scheme='subjects'.")
        try:
            np.linalg.cholesky(sigma_k)
        except np.linalg.LinAlgError:
            ok = False
        else:
            ok = np.allclose(sigma_k, sigma_k.T)
        if not ok:
            raise ValueError("Invalid value for 'sigma_k': the covariance matrix is not symmetric positive definite.")
        return sigma_k
    if sigma_k.shape != (n,):
        raise ValueError(f"Invalid value for 'sigma_k': expected a vector of {n} pattern variances or an "
                         f"({n}, {n}) covariance matrix; got shape {sigma_k.shape}.")
    if not (np.isfinite(sigma_k).all() and (sigma_k > 0).all()):
        raise ValueError("Invalid value for 'sigma_k': pattern variances must be finite and positive.")
    return sigma_k


def _bootstrap_whitened(x, v, method, mask, n, sigma_k, stim, subj, do_ceiling, chunk_bytes):
    """The whitened comparisons: one whitened Gram matrix per distinct stimulus multiplicity pattern."""
    from concurrent.futures import ThreadPoolExecutor

    n_boot, K = len(stim), len(x)
    evals = np.full((n_boot, K), np.nan)
    lower = np.full(n_boot, np.nan)
    upper = np.full(n_boot, np.nan)
    engine = _WhitenedEngine(x, v, method, mask, n, sigma_k)
    # samples sharing their stimuli (all of them under scheme="subjects") share one Gram matrix
    patterns, inverse = np.unique(stim, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    N, KS = engine.N, K + len(v)
    grams = np.empty((len(patterns), N, N))
    means = np.empty((len(patterns), KS))
    squares = np.empty((len(patterns), len(v)))
    per = max(1, int(chunk_bytes // (8 * (2 * x.shape[1] + n * n + 4 * n * N + 3 * N * N))))
    cf = patterns.astype(np.float64)

    def run(a):
        b = slice(a, min(len(patterns), a + per))
        grams[b] = engine.gram(cf[b])
        means[b], squares[b] = engine.moments(cf[b])

    with ThreadPoolExecutor(max_workers=min(n_jobs(), max(1, len(patterns) // per))) as pool_:
        list(pool_.map(run, range(0, len(patterns), per)))
    step = max(1, int(chunk_bytes // (8 * 4 * KS * KS)))
    for a in range(0, n_boot, step):
        b = slice(a, min(n_boot, a + step))
        p = inverse[b]
        ev, lo, up = engine.statistics(grams[p], means[p], squares[p], subj[b].astype(np.float64), do_ceiling)
        evals[b] = ev
        if do_ceiling:
            lower[b], upper[b] = lo, up
    return evals, lower, upper


def resampled_vectors(vecs: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """rsatoolbox's ``subsample_pattern`` with repeats: the RDMs of the (sorted) resampled stimuli."""
    n = counts.shape[0]
    idx = np.repeat(np.arange(n), counts)
    sq = np.zeros((len(vecs), n, n))
    iu = triu_indices(n)
    sq[:, iu[0], iu[1]] = vecs
    sq[:, iu[1], iu[0]] = vecs
    for s in sq:
        np.fill_diagonal(s, np.nan)
    sub = sq[:, idx][:, :, idx]
    ju = triu_indices(len(idx))
    return sub[:, ju[0], ju[1]]


def _bootstrap_loop(model_vecs, data_vecs, method, stim, subj, ok, do_ceiling, sigma_k=None):
    """Resample explicitly, one sample at a time: the Kendall methods, and noise ceilings or
    masked model RDMs under pairwise deletion."""
    n_boot = len(stim)
    evals = np.full((n_boot, len(model_vecs)), np.nan)
    lower = np.full(n_boot, np.nan)
    upper = np.full(n_boot, np.nan)
    for i in np.flatnonzero(ok):
        mv = resampled_vectors(model_vecs, stim[i])
        dv = resampled_vectors(data_vecs, stim[i])
        dv = np.repeat(dv, subj[i], axis=0)
        sk = sigma_k
        if sigma_k is not None and sigma_k.ndim == 1:  # a drawn stimulus keeps its variance
            sk = sigma_k[np.repeat(np.arange(len(stim[i])), stim[i])]
        evals[i] = compare_vectors(mv, dv, method, sigma_k=sk).mean(1)
        if do_ceiling:
            uniq = np.repeat(np.arange(len(subj[i])), subj[i])
            lower[i], upper[i] = _ceiling_with_groups(dv, uniq, method, sigma_k=sk)
    return evals, lower, upper


def _ceiling_with_groups(v, groups, method, *, sigma_k=None):
    """Leave-one-subject-out ceiling where a resampled subject may appear several times.

    With a single distinct subject the lower bound equals the upper one, as in rsatoolbox.
    """
    pooled_all = pool(v, method)[None]
    lo, up = [], []
    single = len(np.unique(groups)) == 1
    for g in np.unique(groups):
        test = v[groups == g]
        up.append(compare_vectors(pooled_all, test, method, sigma_k=sigma_k).mean())
        lo.append(up[-1] if single else compare_vectors(pool(v[groups != g], method)[None], test, method,
                                                                 sigma_k=sigma_k).mean())
    return float(np.mean(lo)), float(np.mean(up))


def permutation_null(model_vecs: np.ndarray, data_vecs: np.ndarray, method: str, *, n_perm: int,
                     rng: np.random.Generator, sigma_k=None) -> np.ndarray:
    """Mean-over-subjects similarity after randomly relabelling the stimuli of the model RDMs: (n_perm, K).

    Each permutation relabels the rows and columns of every model RDM with the same random
    order of stimuli (Mantel-style), keeping the data RDMs (and ``sigma_k``, which belongs to
    the data's stimuli) fixed.
    """
    n = n_from_length(model_vecs.shape[1])
    iu = triu_indices(n)
    pair_id = np.zeros((n, n), dtype=np.int64)
    pair_id[iu] = np.arange(len(iu[0]))
    pair_id[iu[1], iu[0]] = np.arange(len(iu[0]))
    perms = np.argsort(rng.random((n_perm, n)), axis=1)
    out = np.empty((n_perm, len(model_vecs)))
    for p in range(0, n_perm, 256):
        pr = perms[p:p + 256]
        idx = pair_id[pr[:, iu[0]], pr[:, iu[1]]]                     # (p, P)
        for k, vec in enumerate(model_vecs):
            xp = vec[idx]                                             # (p, P): permuted model RDMs
            out[p:p + len(pr), k] = compare_vectors(xp, data_vecs, method, sigma_k=sigma_k).mean(1)
    return out
