"""Extraction benchmark: overhead against a bare forward pass, and peak memory against the number of stimuli.

Run with ``make benchmark`` (or ``python benchmarks/extraction.py``). It writes
``benchmarks/RESULTS.md`` (the extraction section) and ``benchmarks/output/extraction.json``.

1. Time. The same resnet18 (random init, seed 0) runs over the same pre-transformed
   224 px batches three ways: a bare ``model(x)`` loop under ``torch.inference_mode``
   (the floor), ``neurocompare.extract`` on that tensor, and torchvision's
   ``create_feature_extractor`` (the usual peer). Runs are interleaved and repeated;
   medians are reported, with the ratio to the bare loop measured in the same run.
2. Memory. ``extract(..., out="*.zarr")`` runs in a fresh process for 200 and 2,000
   stimuli; the peak resident memory (``ru_maxrss``) of each process is compared. The
   in-memory mode (``out=None``) is measured beside it for contrast.
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLOOR = "bare forward + one copy of every unit into a result array (floor for reduce=None)"
LAYERS = ["maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]


def _inputs(n: int, tmp: Path):
    import torch

    import neurocompare as nc

    st = nc.stimuli.make_whatwhere(tmp / f"stim{n}", n_per_category=max(1, n // 8), image_size=64, random_state=0,
                                   overwrite=True)
    m = nc.models.load("resnet18", random_state=0)
    x = torch.stack([m.transform(st.load_image(i)) for i in range(len(st))])
    return m, st, x


def time_overhead(n: int, batch_size: int, repeats: int, tmp: Path) -> dict:
    import torch
    from torchvision.models.feature_extraction import create_feature_extractor

    import neurocompare as nc

    m, st, x = _inputs(n, tmp)
    module = m.module.eval()
    batches = [x[i:i + batch_size] for i in range(0, len(x), batch_size)]
    fe = create_feature_extractor(module, return_nodes=LAYERS)

    def bare():
        with torch.inference_mode():
            for b in batches:
                module(b)

    def peer():
        with torch.inference_mode():
            for b in batches:
                {k: v.clone() for k, v in fe(b).items()}

    mods = dict(module.named_modules())

    def floor():
        # the least any tool can do to keep every unit: copy each output once into a preallocated result
        arrays, pos, handles = {}, [0], []

        def hook(name):
            def fn(mod, inp, out):
                if name not in arrays:
                    arrays[name] = torch.empty((len(x), out[0].numel()))
                arrays[name][pos[0]:pos[0] + len(out)].copy_(out.reshape(len(out), -1))
            return fn

        handles = [mods[n].register_forward_hook(hook(n)) for n in LAYERS]
        with torch.inference_mode():
            for i, b in enumerate(batches):
                pos[0] = i * batch_size
                module(b)
        for h in handles:
            h.remove()

    runs = {
        "bare forward": bare,
        FLOOR: floor,
        "neurocompare.extract (reduce=None)": lambda: nc.extract(m, x, layers=LAYERS, batch_size=batch_size,
                                                                 progress=False),
        "neurocompare.extract (reduce='avgpool')": lambda: nc.extract(m, x, layers=LAYERS, batch_size=batch_size,
                                                                      reduce="avgpool", progress=False),
        "torchvision create_feature_extractor": peer,
    }
    bare()  # warm-up
    times = {k: [] for k in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    # each run against the bare forward of the same round, then the median: robust to drift on a noisy machine
    paired = {k: statistics.median(t / b for t, b in zip(v, times["bare forward"])) for k, v in times.items()}
    with torch.inference_mode():
        n_units = sum(v[0].numel() for v in fe(x[:1]).values())
    return {"n_stimuli": len(x), "batch_size": batch_size, "repeats": repeats, "layers": LAYERS,
            "units_per_stimulus": n_units,
            "seconds": med, "ratio_to_bare": paired,
            "all_seconds": times}


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def _child(mode: str, n: int, tmp: str) -> None:
    """Run one extraction and print the peak resident memory during it (MiB) as JSON.

    A thread samples the resident set every 5 ms (``ru_maxrss`` cannot be used: importing
    the CUDA build of torch sets a high-water mark above everything that follows).
    """
    import threading

    import torch

    import neurocompare as nc

    torch.set_num_threads(2)
    st = nc.stimuli.load(Path(tmp) / f"mem{n}")
    m = nc.models.load("resnet18", random_state=0)
    nc.extract(m, st.subset(range(2)), layers=["fc"], progress=False)  # warm-up: allocator, lazy imports
    base = _rss_mib()
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib())
            time.sleep(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t = time.perf_counter()
    out = Path(tmp) / f"{mode}{n}.zarr" if mode == "zarr" else None
    tree = nc.extract(m, st, layers=["layer4", "avgpool", "fc"], batch_size=50, out=out, overwrite=True,
                      progress=False)
    if out is None:
        tree["resnet18/fc"]["activations"].values.sum()  # the result is held in memory
    secs = time.perf_counter() - t
    done.set()
    thread.join()
    peak = max(peak[0], _rss_mib())
    n_units = sum(tree["resnet18"][k]["activations"].shape[1] for k in tree["resnet18"].children)
    print(json.dumps({"mode": mode, "n": n, "peak_mib": peak, "after_load_mib": base, "growth_mib": peak - base,
                      "seconds": secs, "units_per_stimulus": n_units}))


def memory(sizes=(200, 2000)) -> list[dict]:
    import neurocompare as nc

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            nc.stimuli.make_whatwhere(Path(tmp) / f"mem{n}", n_per_category=n // 8, image_size=64, random_state=0)
        for mode in ("zarr", "memory"):
            for n in sizes:
                res = subprocess.run([sys.executable, __file__, "--child", mode, str(n), tmp], capture_output=True,
                                     text=True, check=True)
                rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
                print(rows[-1], flush=True)
    return rows


def write_results(timing: dict, mem: list[dict]) -> str:
    import torch

    import neurocompare as nc

    lines = ["## Extraction (`benchmarks/extraction.py`)", "",
             f"Machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
             f"torch {torch.__version__}, neurocompare {nc.__version__}; CPU only. "
             f"Date: {time.strftime('%Y-%m-%d')}.", "",
             f"### Time: resnet18 (random init), {timing['n_stimuli']} stimuli at 224 px, batch "
             f"{timing['batch_size']}, layers {', '.join(timing['layers'])}; median of {timing['repeats']} "
             "interleaved rounds; ratio = median over rounds of the run's time over the bare forward of the same "
             "round", "",
             "| run | seconds | ratio to bare forward |", "|---|---:|---:|"]
    for k, v in timing["seconds"].items():
        lines.append(f"| {k} | {v:.2f} | {timing['ratio_to_bare'][k]:.3f} |")
    ratio = timing["ratio_to_bare"]
    lines += ["", "Goal: at most 1.05x the bare forward pass. With `reduce=None` these seven layers hold "
              f"{timing['units_per_stimulus']:,} values per stimulus ({timing['units_per_stimulus'] * 4 * timing['n_stimuli'] / 2**20:.0f} MiB "
              "for the run); writing them once into fresh memory is itself the floor row, and extract runs at "
              f"{ratio['neurocompare.extract (reduce=None)'] / ratio[FLOOR]:.2f}x that floor.", "",
              "### Peak memory: resnet18 layers layer4, avgpool, fc (26,600 values per stimulus), batch 50", "",
              "Resident memory sampled every 5 ms in a fresh process per run; \"before\" is after loading torch, the "
              "model and the stimulus table.", "",
              "| output | stimuli | RSS before (MiB) | peak RSS (MiB) | growth (MiB) | seconds |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in mem:
        label = "zarr (out=...)" if r["mode"] == "zarr" else "in memory (out=None)"
        lines.append(f"| {label} | {r['n']} | {r['after_load_mib']:.0f} | {r['peak_mib']:.0f} | "
                     f"{r['growth_mib']:.0f} | {r['seconds']:.1f} |")
    z = {r["n"]: r["peak_mib"] for r in mem if r["mode"] == "zarr"}
    mm = {r["n"]: r["peak_mib"] for r in mem if r["mode"] == "memory"}
    lo, hi = min(z), max(z)
    lines += ["", f"Peak memory ratio {hi} vs {lo} stimuli: zarr {z[hi] / z[lo]:.2f}x (goal: at most 1.2x); "
              f"in memory {mm[hi] / mm[lo]:.2f}x (the result itself is {hi * 26600 * 4 / 2**20:.0f} MiB at {hi}).",
              ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("MODE", "N", "TMP"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.child[2])
        return
    with tempfile.TemporaryDirectory() as tmp:
        timing = time_overhead(args.n, 32, args.repeats, Path(tmp))
    print(json.dumps(timing["ratio_to_bare"], indent=1), flush=True)
    mem = memory()
    section = write_results(timing, mem)
    (HERE / "output").mkdir(exist_ok=True)
    (HERE / "output" / "extraction.json").write_text(json.dumps({"timing": timing, "memory": mem}, indent=1))
    sys.path.insert(0, str(HERE))
    from _results import write_section

    write_section("Extraction (`benchmarks/extraction.py`)", section.split("\n", 1)[1])
    print(section)


if __name__ == "__main__":
    main()
