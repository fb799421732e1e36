"""Probe benchmark: 10 layers x 4 targets x 5 folds on 1,000 stimuli x 4,096 units.

Times :func:`neurocompare.probes.what_where` with the default read-outs (RidgeClassifierCV /
RidgeCV, penalty chosen inside each fold), with a fixed-penalty ridge on scikit-learn, and
with the same ridge on the torch backend (CPU here; the GPU when a machine is lent). The
targets are one category (8 classes) and x, y, size. Writes the "Probes" section of
RESULTS.md and benchmarks/output/probes.json.

Run: python benchmarks/probes.py [--device cuda]
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def make_tree(n=1000, units=4096, n_layers=10, seed=0):
    """Activations with category and position signal that changes across layers."""
    import xarray as xr

    rng = np.random.default_rng(seed)
    cat = rng.integers(0, 8, n)
    pos = rng.uniform(0, 1, (n, 3))
    nodes = {"/": xr.Dataset(), "/net": xr.Dataset()}
    coords = {"stimulus": np.array([f"s{i:04d}" for i in range(n)]), "category": ("stimulus", cat.astype(str)),
              "x": ("stimulus", pos[:, 0]), "y": ("stimulus", pos[:, 1]), "size": ("stimulus", pos[:, 2])}
    for k in range(n_layers):
        depth = k / (n_layers - 1)
        w_cat = rng.normal(size=(8, units)) * depth
        w_pos = rng.normal(size=(3, units)) * (1 - 0.5 * depth)
        x = (w_cat[cat] + pos @ w_pos + 3 * rng.normal(size=(n, units))).astype(np.float32)
        nodes[f"/net/layer{k}"] = xr.Dataset({"activations": (("stimulus", "unit"), x)}, coords=coords,
                                             attrs={"stream": "shared", "layer": f"layer{k}"})
    return xr.DataTree.from_dict(nodes)


def run(device: str) -> dict:
    import neurocompare as nc

    tree = make_tree()
    kw = dict(what=["category"], where=["x", "y", "size"], cv=5, progress=False)
    out = {}
    t = time.perf_counter()
    default = nc.probes.what_where(tree, **kw)
    out["default read-outs (RidgeClassifierCV / RidgeCV), scikit-learn"] = time.perf_counter() - t
    t = time.perf_counter()
    ridge = nc.probes.what_where(tree, estimator="ridge", ridge_alpha=100.0, **kw)
    out["fixed ridge (alpha=100), scikit-learn"] = time.perf_counter() - t
    t = time.perf_counter()
    torch_cpu = nc.probes.what_where(tree, estimator="ridge", ridge_alpha=100.0, backend="torch", device="cpu", **kw)
    out["fixed ridge (alpha=100), torch cpu"] = time.perf_counter() - t
    agree = float(np.max(np.abs(ridge.value.to_numpy() - torch_cpu.value.to_numpy())))
    res = {"seconds": out, "max_score_difference_torch_vs_sklearn": agree, "n_fits": 10 * 4 * 5,
           "mean_category_accuracy_last_layer": float(default[(default.layer == "layer9") &
                                                              (default.target == "category")].value.iloc[0])}
    if device != "cpu":
        t = time.perf_counter()
        gpu = nc.probes.what_where(tree, estimator="ridge", ridge_alpha=100.0, backend="torch", device=device, **kw)
        res["seconds"][f"fixed ridge (alpha=100), torch {device}"] = time.perf_counter() - t
        res["max_score_difference_gpu_vs_sklearn"] = float(np.max(np.abs(ridge.value.to_numpy() -
                                                                           gpu.value.to_numpy())))
    return res


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    res = run(args.device)
    print(json.dumps(res, indent=1))
    import neurocompare as nc

    lines = [f"Machine: {platform.machine()}, {nc.rsa._bootstrap.n_jobs()} CPU threads, numpy {np.__version__}. "
             f"Date: {time.strftime('%Y-%m-%d')}.", "",
             "10 layers x 4 targets (category with 8 classes; x, y, size) x 5 folds = 200 cross-validated fits on "
             "1,000 stimuli x 4,096 units (synthetic activations).", "",
             "| read-out | seconds |", "|---|---:|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in res["seconds"].items()]
    lines += ["", f"The torch and scikit-learn ridge paths give the same scores (largest difference "
              f"{res['max_score_difference_torch_vs_sklearn']:.1e}). No GPU was lent for this run."
              if args.device == "cpu" else "", ""]
    (HERE / "output").mkdir(exist_ok=True)
    (HERE / "output" / "probes.json").write_text(json.dumps(res, indent=1))
    sys.path.insert(0, str(HERE))
    from _results import write_section

    write_section("Probes (`benchmarks/probes.py`)", "\n".join(lines))


if __name__ == "__main__":
    main()
