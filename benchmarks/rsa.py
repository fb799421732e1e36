"""RSA benchmarks against rsatoolbox, measured in one run on the same machine.

1. Bootstrap evaluation: 10 model RDMs x 20 subject RDMs x 92 stimuli x 1,000 bootstrap samples of the
   stimuli, with the per-sample noise ceiling (rsatoolbox's default ``boot_noise_ceil=True``), for the
   ``corr`` and ``rho-a`` comparisons: ``neurocompare`` (vectorised over samples) against
   ``rsatoolbox.inference.eval_bootstrap_pattern``; and the two sets of 95% percentile intervals, whose
   difference should be within Monte Carlo error.
2. The same design for the whitened comparisons ``cosine_cov`` and ``corr_cov`` (rsatoolbox timed on 10
   samples and scaled to 1,000; neurocompare on 1,000 samples of each scheme), and the largest per-sample
   difference on resamples recomputed by rsatoolbox.
3. A correlation RDM of 1,000 stimuli x 50,000 units (float64): ``neurocompare.rsa.compute_rdm``, one bare
   ``X @ X.T`` on the same data, and ``rsatoolbox.rdm.calc_rdm``.
4. Missing pairs (pairwise deletion): 8 model RDMs x 16 subjects x 92 stimuli with 3% of each subject's pairs
   missing (different pairs per subject), 1,000 bootstrap samples (scheme "both") and 1,000 permutations, as
   ``evaluate`` runs them, against the same data complete in the same run (``--missing`` for item 4 alone).

Run: ``python benchmarks/rsa.py`` (about 15 minutes on 2 cores), or ``python benchmarks/rsa.py --whitened``
(``--missing``) for item 2 (item 4) alone (the rest of the RSA section of RESULTS.md is kept). Writes the RSA section of RESULTS.md and
``benchmarks/output/rsa.json``.
"""
from __future__ import annotations

import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _rdms(rng, n=92, n_subjects=20, n_models=10):
    """Subject and model RDMs sharing a latent category structure (correlation distances of patterns)."""
    from neurocompare.rsa import compute_rdm, vectors

    cats = rng.integers(0, 6, size=n)
    proto = rng.normal(size=(6, 60))
    truth = proto[cats] + 0.8 * rng.normal(size=(n, 60))
    subj = [vectors(compute_rdm(truth + 1.2 * rng.normal(size=truth.shape), "correlation"))[0]
            for _ in range(n_subjects)]
    models = [vectors(compute_rdm(truth @ rng.normal(size=(60, 80)) * (k / n_models)
                                  + rng.normal(size=(n, 80)), "correlation"))[0] for k in range(n_models)]
    return np.array(models), np.array(subj)


def bench_bootstrap(method: str, n_boot: int = 1000) -> dict:
    import rsatoolbox as rt

    from neurocompare.rsa._bootstrap import bootstrap

    models, subjects = _rdms(np.random.default_rng(0))
    t = time.perf_counter()
    ours = bootstrap(models, subjects, method, scheme="stimuli", n_boot=n_boot, rng=np.random.default_rng(1),
                     ceiling=True)
    t_ours = time.perf_counter() - t
    rt_models = [rt.model.ModelFixed(f"m{k}", rt.rdm.RDMs(m[None])) for k, m in enumerate(models)]
    np.random.seed(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        res = rt.inference.eval_bootstrap_pattern(rt_models, rt.rdm.RDMs(subjects), method=method, N=n_boot)
        t_rt = time.perf_counter() - t
    ev_rt = res.evaluations[~np.isnan(res.evaluations).any(1)]
    ev_ours = ours["evaluations"][~np.isnan(ours["evaluations"]).any(1)]
    q = [0.025, 0.975]
    ci_ours, ci_rt = np.quantile(ev_ours, q, axis=0), np.quantile(ev_rt, q, axis=0)
    sd = ev_rt.std(0)
    # Monte Carlo SE of a 2.5% quantile of 1000 draws is about 1.9 SD/sqrt(1000) * ... ~ 0.1 SD; report in SD units
    diff_sd = np.abs(ci_ours - ci_rt) / sd
    nc_ours = np.nanmean(ours["lower"]), np.nanmean(ours["upper"])
    nc_rt = np.nanmean(res.noise_ceiling[0]), np.nanmean(res.noise_ceiling[1])
    return {"method": method, "n_boot": n_boot, "seconds_neurocompare": t_ours, "seconds_rsatoolbox": t_rt,
            "speedup": t_rt / t_ours, "max_ci_difference_in_sd": float(diff_sd.max()),
            "median_ci_difference_in_sd": float(np.median(diff_sd)), "noise_ceiling_neurocompare": nc_ours,
            "noise_ceiling_rsatoolbox": nc_rt}


def bench_whitened(method: str, n_boot: int = 1000, n_rsatoolbox: int = 10, n_checked: int = 2) -> dict:
    """``cosine_cov``/``corr_cov``: neurocompare on 1,000 samples per scheme; rsatoolbox's
    ``eval_bootstrap_pattern`` on ``n_rsatoolbox`` samples (it takes seconds per sample), scaled linearly to
    ``n_boot`` (every sample costs the same: same sizes, same work); and the largest difference between the two
    on ``n_checked`` of neurocompare's own resamples, recomputed by rsatoolbox."""
    import rsatoolbox as rt

    from neurocompare.rsa._bootstrap import bootstrap

    models, subjects = _rdms(np.random.default_rng(0))
    seconds = {}
    for scheme in ("stimuli", "subjects", "both"):
        t = time.perf_counter()
        res = bootstrap(models, subjects, method, scheme=scheme, n_boot=n_boot, rng=np.random.default_rng(1),
                        ceiling=True)
        seconds[scheme] = time.perf_counter() - t
        if scheme == "stimuli":
            ours = res
    rt_models = [rt.model.ModelFixed(f"m{k}", rt.rdm.RDMs(m[None])) for k, m in enumerate(models)]
    np.random.seed(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        rt.inference.eval_bootstrap_pattern(rt_models, rt.rdm.RDMs(subjects), method=method, N=n_rsatoolbox)
        t_rt = time.perf_counter() - t
        diff = 0.0
        for b in np.flatnonzero(~np.isnan(ours["evaluations"][:, 0]))[:n_checked]:
            counts = ours["stimulus_counts"][b]
            idx = np.repeat(np.arange(len(counts)), counts)
            sample = rt.rdm.RDMs(subjects).subsample_pattern("index", idx)
            ev = [np.mean(rt.rdm.compare(rt.rdm.RDMs(m[None]).subsample_pattern("index", idx), sample, method))
                  for m in models]
            lo, up = rt.inference.boot_noise_ceiling(sample, method=method, rdm_descriptor="index")
            diff = max(diff, float(np.abs(ours["evaluations"][b] - ev).max()), abs(ours["lower"][b] - lo),
                       abs(ours["upper"][b] - up))
    scaled = t_rt * n_boot / n_rsatoolbox
    return {"method": method, "n_boot": n_boot, "seconds_neurocompare": seconds["stimuli"],
            "seconds_neurocompare_by_scheme": seconds, "n_rsatoolbox": n_rsatoolbox,
            "seconds_rsatoolbox_measured": t_rt, "seconds_rsatoolbox": scaled, "speedup": scaled / seconds["stimuli"],
            "n_checked": int(n_checked), "max_difference_to_rsatoolbox": diff}


def _load():
    import os

    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def write_whitened(rows: list[dict], load: tuple[float, float]) -> str:
    lines = ["### Bootstrap evaluation, whitened comparisons: 10 models x 20 subjects x 92 stimuli x 1,000 samples",
             "", f"Measured {time.strftime('%Y-%m-%d')} (`python benchmarks/rsa.py --whitened`), neurocompare and "
             "rsatoolbox in the same run, on a shared machine (1-minute load average "
             f"{load[0]:.1f} before, {load[1]:.1f} after, on 2 cores): absolute seconds depend on the load, "
             "the ratio is what the run measures. rsatoolbox's `eval_bootstrap_pattern` (noise ceiling in every "
             f"sample) was timed on {rows[0]['n_rsatoolbox']} samples and scaled linearly to 1,000 (each sample "
             "does the same work). `cosine_cov`/`corr_cov` use rsatoolbox's RDM-entry covariance with "
             "`sigma_k=None`; neurocompare's per-sample values equal rsatoolbox's on the same resample "
             "(largest difference below, on resamples recomputed by rsatoolbox; tests/rsa/test_inference.py "
             "checks every scheme, and a vector `sigma_k`, to 1e-10).", "",
             "| comparison | neurocompare, stimuli (s) | rsatoolbox, stimuli (s, scaled) | speed-up | goal | "
             "neurocompare, subjects / both (s) | largest per-sample difference |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        by = r["seconds_neurocompare_by_scheme"]
        lines.append(f"| {r['method']} | {r['seconds_neurocompare']:.2f} | {r['seconds_rsatoolbox']:.0f} "
                     f"({r['seconds_rsatoolbox_measured']:.0f} s for {r['n_rsatoolbox']}) | {r['speedup']:.0f}x | "
                     f"50x | {by['subjects']:.2f} / {by['both']:.2f} | {r['max_difference_to_rsatoolbox']:.1e} "
                     f"({r['n_checked']} samples) |")
    return "\n".join(lines) + "\n"


def bench_correlation_rdm(n: int = 1000, d: int = 50_000) -> dict:
    import rsatoolbox as rt

    from neurocompare.rsa import compute_rdm, vectors

    x = np.random.default_rng(3).normal(size=(n, d)) + 0.5
    x @ x[:10].T  # warm up BLAS
    times = {"bare X @ X.T": [], "neurocompare compute_rdm": []}
    for _ in range(3):
        t = time.perf_counter()
        x @ x.T
        times["bare X @ X.T"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ours = compute_rdm(x, "correlation", device="cpu")
        times["neurocompare compute_rdm"].append(time.perf_counter() - t)
    t = time.perf_counter()
    ref = rt.rdm.calc_rdm(rt.data.Dataset(x), method="correlation")
    t_rt = time.perf_counter() - t
    err = float(np.max(np.abs(vectors(ours)[0] - ref.get_vectors()[0]) / np.abs(ref.get_vectors()[0])))
    med = {k: float(np.median(v)) for k, v in times.items()}
    return {"n": n, "d": d, "seconds": {**med, "rsatoolbox calc_rdm": t_rt},
            "ratio_to_bare": {**{k: v / med["bare X @ X.T"] for k, v in med.items()},
                              "rsatoolbox calc_rdm": t_rt / med["bare X @ X.T"]},
            "max_relative_difference_to_rsatoolbox": err}


def bench_missing(method: str, *, fraction: float = 0.03, n_boot: int = 1000, n_perm: int = 1000) -> dict:
    """Pairwise deletion against complete data: the same RDMs, then with ``fraction`` of each subject's pairs
    set to NaN (different pairs per subject)."""
    from neurocompare.rsa._bootstrap import bootstrap, permutation_null

    rng = np.random.default_rng(0)
    models, subjects = _rdms(rng, n_subjects=16, n_models=8)
    missing = subjects.copy()
    for row in missing:
        row[rng.choice(row.size, int(round(fraction * row.size)), replace=False)] = np.nan
    seconds = {}
    for label, data in (("complete", subjects), ("missing", missing)):
        t = time.perf_counter()
        bootstrap(models, data, method, scheme="both", n_boot=n_boot, rng=np.random.default_rng(1), ceiling=False)
        t_boot = time.perf_counter() - t
        t = time.perf_counter()
        permutation_null(models, data, method, n_perm=n_perm, rng=np.random.default_rng(2))
        seconds[label] = {"bootstrap": t_boot, "permutations": time.perf_counter() - t}
    return {"method": method, "fraction_missing": fraction, "n_boot": n_boot, "n_perm": n_perm, "seconds": seconds,
            "ratio": {k: seconds["missing"][k] / seconds["complete"][k] for k in ("bootstrap", "permutations")}}


MISSING_HEAD = "### Missing pairs (pairwise deletion)"


def write_missing(rows: list[dict], load: tuple[float, float]) -> str:
    lines = [f"{MISSING_HEAD}: 8 models x 16 subjects x 92 stimuli, 3% of each subject's pairs missing", "",
             f"Measured {time.strftime('%Y-%m-%d')} (`python benchmarks/rsa.py --missing`): 1,000 bootstrap samples "
             "(scheme \"both\") and 1,000 permutations, as `evaluate` runs them, on the RDMs with missing "
             "pairs and on the same RDMs complete, in the same run (1-minute load average "
             f"{load[0]:.1f} before, {load[1]:.1f} after, on 2 cores). The ratio is the cost of pairwise deletion: "
             "with complete data every subject shares one set of pairs and the model side is ranked or whitened "
             "once per sample; with missing pairs it is done once per subject, on that subject's pairs.", "",
             "| comparison | bootstrap, complete (s) | bootstrap, missing (s) | ratio | permutations, complete (s) | "
             "permutations, missing (s) | ratio |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c, m = r["seconds"]["complete"], r["seconds"]["missing"]
        lines.append(f"| {r['method']} | {c['bootstrap']:.2f} | {m['bootstrap']:.2f} | {r['ratio']['bootstrap']:.1f}x "
                     f"| {c['permutations']:.2f} | {m['permutations']:.2f} | {r['ratio']['permutations']:.1f}x |")
    return "\n".join(lines) + "\n"


def run_missing() -> str:
    before = _load()
    rows = []
    for method in ("corr", "spearman", "corr_cov"):
        rows.append(bench_missing(method))
        print(rows[-1], flush=True)
    return write_missing(rows, (before, _load()))


def write(boot: list[dict], corr: dict) -> str:
    from importlib.metadata import version

    import neurocompare as nc

    lines = [f"Machine: {platform.machine()}, {nc.rsa._bootstrap.n_jobs()} CPU threads; numpy {np.__version__}, "
             f"rsatoolbox {version('rsatoolbox')}, neurocompare {nc.__version__}. Date: {time.strftime('%Y-%m-%d')}.",
             "",
             "### Bootstrap evaluation: 10 models x 20 subjects x 92 stimuli x 1,000 stimulus-bootstrap samples",
             "",
             "Both compute, in every sample, each model's mean similarity to the subjects and the noise ceiling "
             "(rsatoolbox's `eval_bootstrap_pattern` defaults). Every per-sample value of neurocompare equals "
             "rsatoolbox's on the same resample to 1e-10 (tests/rsa/test_inference.py); the two runs below use "
             "different random samples, so their intervals differ by Monte Carlo error only.", "",
             "| comparison | neurocompare (s) | rsatoolbox (s) | speed-up | goal | 95% CI bounds: max / median difference (in bootstrap SDs) |",
             "|---|---:|---:|---:|---:|---:|"]
    goals = {"corr": "50x", "rho-a": "100x"}
    for r in boot:
        lines.append(f"| {r['method']} | {r['seconds_neurocompare']:.2f} | {r['seconds_rsatoolbox']:.1f} | "
                     f"{r['speedup']:.0f}x | {goals.get(r['method'], '')} | {r['max_ci_difference_in_sd']:.2f} / "
                     f"{r['median_ci_difference_in_sd']:.2f} |")
    lines += ["", "The RDMs are synthetic and seeded (correlation RDMs of noisy patterns with a shared category "
              "structure). The 2.5% and 97.5% quantiles of 1,000 bootstrap samples each have a Monte Carlo SE of "
              "about 0.085 bootstrap SDs, so the difference between two independent runs has an SE of about 0.12 SD; "
              "differences up to ~0.3 SD are within Monte Carlo error.", "",
              f"### Correlation RDM: {corr['n']:,} stimuli x {corr['d']:,} units, float64 (median of 3)", "",
              "| run | seconds | ratio to one bare `X @ X.T` |", "|---|---:|---:|"]
    for k, v in corr["seconds"].items():
        lines.append(f"| {k} | {v:.2f} | {corr['ratio_to_bare'][k]:.2f} |")
    lines += ["", f"Goal: at most 1.2x the bare product (rsatoolbox: more than 10x). Largest relative difference "
              f"from rsatoolbox's RDM: {corr['max_relative_difference_to_rsatoolbox']:.1e}.", ""]
    return "\n".join(lines)


def run_whitened() -> str:
    before = _load()
    rows = []
    for method in ("cosine_cov", "corr_cov"):
        rows.append(bench_whitened(method))
        print(rows[-1], flush=True)
    return write_whitened(rows, (before, _load()))


WHITENED_HEAD = "### Bootstrap evaluation, whitened comparisons"


USAGE = "usage: python benchmarks/rsa.py [--whitened | --missing | --render]"


def main():
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1] not in ("--render", "--whitened", "--missing")):
        sys.exit(f"{USAGE}\n\n{__doc__}" if sys.argv[1] in ("-h", "--help") else
                 f"{USAGE}\nrsa.py: unknown arguments {sys.argv[1:]}")
    if len(sys.argv) > 1 and sys.argv[1] == "--render":  # re-render RESULTS.md from a saved output/rsa.json
        saved = json.loads((HERE / "output" / "rsa.json").read_text())
        return _finish(saved["bootstrap"], saved["correlation_rdm"], saved.get("whitened", ""),
                       saved.get("missing", ""))
    if len(sys.argv) > 1 and sys.argv[1] in ("--whitened", "--missing"):  # one subsection; the rest is kept
        return _replace_subsection(sys.argv[1])
    boot = []
    for method in ("corr", "rho-a"):
        boot.append(bench_bootstrap(method))
        print(boot[-1], flush=True)
    whitened = run_whitened()
    corr = bench_correlation_rdm()
    print(corr, flush=True)
    _finish(boot, corr, whitened, run_missing())


def _replace_subsection(flag: str):
    sys.path.insert(0, str(HERE))
    from _results import RESULTS, write_section

    text = RESULTS.read_text()
    head = "## RSA (`benchmarks/rsa.py`)"
    start = text.index(head) + len(head)
    end = text.find("\n## ", start)
    body = text[start:end if end >= 0 else None]
    sub_head, run, before = ((WHITENED_HEAD, run_whitened, "### Correlation RDM") if flag == "--whitened" else
                             (MISSING_HEAD, run_missing, None))
    if sub_head in body:
        a = body.index(sub_head)
        b = body.find("\n### ", a + 1)
        body = body[:a] + (body[b + 1:] if b >= 0 else "")
    new = run()
    a = body.find(before) if before else -1
    body = body[:a] + new + "\n" + body[a:] if a >= 0 else body.rstrip() + "\n\n" + new
    write_section(head[3:], body)
    print(new)


def _finish(boot, corr, whitened="", missing=""):
    body = write(boot, corr)
    if whitened:
        a = body.index("### Correlation RDM")
        body = body[:a] + whitened + "\n" + body[a:]
    if missing:
        body = body.rstrip() + "\n\n" + missing
    (HERE / "output").mkdir(exist_ok=True)
    (HERE / "output" / "rsa.json").write_text(json.dumps({"bootstrap": boot, "correlation_rdm": corr,
                                                          "whitened": whitened, "missing": missing},
                                                         indent=1, default=float))
    sys.path.insert(0, str(HERE))
    from _results import write_section

    write_section("RSA (`benchmarks/rsa.py`)", body)
    print(body)


if __name__ == "__main__":
    main()
