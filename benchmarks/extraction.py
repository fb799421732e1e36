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
3. Other sources (when timm is installed): timm's ``vit_tiny_patch16_224`` and ``convnext_atto``
   (random init, seed 0, their default layers, 64 stimuli at 224 px), timed like 1. against their own bare
   forward; for the ViT also ``reduce="cls"`` and ``reduce=("grid", 2)`` on the patch tokens.
   ``--sources`` runs only this part and replaces its subsection of RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
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


def _floor(module, layers, x, batches, batch_size):
    """The least any tool can do to keep every unit: copy each output once into a preallocated result."""
    import torch

    mods = dict(module.named_modules())

    def floor():
        arrays, pos = {}, [0]

        def hook(name):
            def fn(mod, inp, out):
                if name not in arrays:
                    arrays[name] = torch.empty((len(x), out[0].numel()))
                arrays[name][pos[0]:pos[0] + len(out)].copy_(out.reshape(len(out), -1))
            return fn

        handles = [mods[n].register_forward_hook(hook(n)) for n in layers]
        with torch.inference_mode():
            for i, b in enumerate(batches):
                pos[0] = i * batch_size
                module(b)
        for h in handles:
            h.remove()

    return floor


def _measure(runs: dict, repeats: int) -> tuple[dict, dict, dict]:
    """Interleaved rounds of every run; medians, and each run over the bare forward of the same round."""
    for fn in runs.values():  # warm-up: lazy imports, allocator, oneDNN primitives of each run
        fn()
    times = {k: [] for k in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    # each run against the bare forward of the same round, then the median: robust to drift on a noisy machine
    paired = {k: statistics.median(t / b for t, b in zip(v, times["bare forward"])) for k, v in times.items()}
    return med, paired, times


def _extract_runs(m, x, layers, batch_size, reduces) -> dict:
    """``nc.extract`` for each reduce; ``"cls"`` skips the patch embedding (it has no class token)."""
    import neurocompare as nc

    def run(reduce, chosen):
        return lambda: nc.extract(m, x, layers=chosen, batch_size=batch_size, reduce=reduce, progress=False)

    runs = {}
    for r in reduces:
        chosen = [n for n in layers if n != "patch_embed"] if r == "cls" else layers
        note = ", without patch_embed" if len(chosen) < len(layers) else ""
        runs[f"neurocompare.extract (reduce={r!r}{note})"] = run(r, chosen)
    return runs


def time_overhead(n: int, batch_size: int, repeats: int, tmp: Path) -> dict:
    import torch
    from torchvision.models.feature_extraction import create_feature_extractor

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

    runs = {"bare forward": bare, FLOOR: _floor(module, LAYERS, x, batches, batch_size),
            **_extract_runs(m, x, LAYERS, batch_size, (None, "avgpool")),
            "torchvision create_feature_extractor": peer}
    med, paired, times = _measure(runs, repeats)
    with torch.inference_mode():
        n_units = sum(v[0].numel() for v in fe(x[:1]).values())
    return {"n_stimuli": len(x), "batch_size": batch_size, "repeats": repeats, "layers": LAYERS,
            "units_per_stimulus": n_units,
            "seconds": med, "ratio_to_bare": paired,
            "all_seconds": times}


#: the models of other sources timed against their bare forward (random init, default layers)
SOURCE_MODELS = {"timm:vit_tiny_patch16_224": (None, "avgpool", "cls", ("grid", 2)),
                 "timm:convnext_atto": (None, "avgpool")}


def time_sources(n: int, batch_size: int, repeats: int, tmp: Path, models=SOURCE_MODELS) -> list[dict]:
    """The extraction overhead of each model in ``models`` (name -> reduce options), each in its own rounds."""
    import torch

    import neurocompare as nc

    st = nc.stimuli.make_whatwhere(tmp / f"stim{n}", n_per_category=max(1, n // 8), image_size=64, random_state=0,
                                   overwrite=True)
    out = []
    for name, reduces in models.items():
        m = nc.models.load(name, random_state=0)
        x = torch.stack([m.transform(st.load_image(i)) for i in range(len(st))])
        module = m.module.eval()
        layers = m.resolve_layers()
        batches = [x[i:i + batch_size] for i in range(0, len(x), batch_size)]

        def bare(module=module, batches=batches):
            with torch.inference_mode():
                for b in batches:
                    module(b)

        units = {}
        handles = [mod.register_forward_hook(lambda mod, i, o, k=k: units.__setitem__(k, o[0].numel()))
                   for k, mod in module.named_modules() if k in layers]
        with torch.inference_mode():
            module(x[:1])
        for h in handles:
            h.remove()
        runs = {"bare forward": bare, FLOOR: _floor(module, layers, x, batches, batch_size),
                **_extract_runs(m, x, layers, batch_size, reduces)}
        med, paired, times = _measure(runs, repeats)
        out.append({"model": name, "n_stimuli": len(x), "input": list(x.shape[1:]), "batch_size": batch_size,
                    "load_average": os.getloadavg()[0],
                    "repeats": repeats, "layers": layers, "units_per_stimulus": sum(units.values()),
                    "seconds": med, "ratio_to_bare": paired, "all_seconds": times})
        print(name, json.dumps(paired, indent=1), flush=True)
    return out


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


SOURCES_HEADING = "### Time: timm models"


def sources_section(rows: list[dict]) -> str:
    """The subsection of the extraction section on the models of other sources (from :func:`time_sources`)."""
    r0 = rows[0]
    load = rows[-1].get("load_average", os.getloadavg()[0])
    lines = [f"{SOURCES_HEADING} (random init), {r0['n_stimuli']} stimuli at {r0['input'][-1]} px, batch "
             f"{r0['batch_size']}, each model's default layers; median of {r0['repeats']} interleaved rounds per "
             "model; ratio as above", "",
             f"Measured {time.strftime('%Y-%m-%d')} (`python benchmarks/extraction.py --sources`), 1-minute load "
             f"average {load:.1f} at the end of the run.", "",
             "| model | layers (values per stimulus) | run | seconds | ratio to bare forward |",
             "|---|---|---|---:|---:|"]
    for r in rows:
        shown = f"{', '.join(_compact(r['layers']))} ({r['units_per_stimulus']:,})"
        for i, (k, v) in enumerate(r["seconds"].items()):
            lines.append(f"| {r['model'] if i == 0 else ''} | {shown if i == 0 else ''} | {k} | {v:.2f} | "
                         f"{r['ratio_to_bare'][k]:.3f} |")
    lines += ["", "Goal: at most 1.05x the bare forward pass, as for torchvision.", ""]
    for r in rows:
        ratio = r["ratio_to_bare"]
        ours = {k.replace("neurocompare.extract ", ""): v for k, v in ratio.items() if k.startswith("neurocompare")}
        met = [k for k, v in ours.items() if v <= 1.05]
        lines.append(f"- {r['model']}: {len(met)} of {len(ours)} extractions within the goal; with `reduce=None` "
                     f"({r['units_per_stimulus']:,} values per stimulus) extract runs at "
                     f"{ratio['neurocompare.extract (reduce=None)'] / ratio[FLOOR]:.2f}x the floor row (copying every "
                     f"unit once), which itself costs {ratio[FLOOR]:.2f}x the forward.")
    lines += ["", "A ViT's token outputs are labelled (`token_kind`, `unit_y`, `unit_x`) and, with `reduce`, pooled "
              "inside the hooks (`cls`; `avgpool` over the patch tokens only; `(\"grid\", 2)` over the patch "
              "grid). On a shared 2-core machine single ratios move by several percent between runs; "
              "the pooling itself (a mean over every map) is the remaining cost of the pooled runs.", ""]
    return "\n".join(lines)


def _compact(layers: list[str]) -> list[str]:
    """``blocks.0 ... blocks.11`` shown as ``blocks.0-11``."""
    out, i = [], 0
    while i < len(layers):
        stem, _, idx = layers[i].rpartition(".")
        j = i
        while stem and idx.isdigit() and j + 1 < len(layers) and layers[j + 1] == f"{stem}.{int(idx) + j + 1 - i}":
            j += 1
        out.append(f"{layers[i]}-{layers[j].rpartition('.')[2]}" if j > i else layers[i])
        i = j + 1
    return out


def write_results(timing: dict, mem: list[dict], sources: list[dict] | None = None) -> str:
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
              f"{ratio['neurocompare.extract (reduce=None)'] / ratio[FLOOR]:.2f}x that floor.", ""]
    if sources:
        lines += [sources_section(sources), ""]
    lines += ["### Peak memory: resnet18 layers layer4, avgpool, fc (26,600 values per stimulus), batch 50", "",
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
    parser.add_argument("--sources", action="store_true",
                        help="Time only the timm models (a ViT and a ConvNeXt) and replace their subsection of "
                             "RESULTS.md (2 to 5 minutes on 2 busy cores).")
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.child[2])
        return
    sys.path.insert(0, str(HERE))
    from _results import write_section, write_subsection

    (HERE / "output").mkdir(exist_ok=True)
    try:
        import timm  # noqa: F401
        has_timm = True
    except ImportError:
        has_timm = False
    if args.sources:
        if not has_timm:
            raise SystemExit('--sources needs timm: pip install "neurocompare[timm]"')
        with tempfile.TemporaryDirectory() as tmp:
            sources = time_sources(64, 32, args.repeats, Path(tmp))
        (HERE / "output" / "extraction_sources.json").write_text(json.dumps(sources, indent=1, default=str))
        text = sources_section(sources)
        write_subsection("Extraction (`benchmarks/extraction.py`)", SOURCES_HEADING, text, before="### Peak memory")
        print(text)
        return
    with tempfile.TemporaryDirectory() as tmp:
        timing = time_overhead(args.n, 32, args.repeats, Path(tmp))
        print(json.dumps(timing["ratio_to_bare"], indent=1), flush=True)
        sources = time_sources(64, 32, args.repeats, Path(tmp)) if has_timm else None
    mem = memory()
    section = write_results(timing, mem, sources)
    (HERE / "output" / "extraction.json").write_text(json.dumps({"timing": timing, "memory": mem,
                                                                 "sources": sources}, indent=1, default=str))
    write_section("Extraction (`benchmarks/extraction.py`)", section.split("\n", 1)[1])
    print(section)


if __name__ == "__main__":
    main()
