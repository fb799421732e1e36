"""CAM benchmarks against pytorch-grad-cam, measured in one run on the same machine.

1. Grad-CAM: resnet18 (random init, seed 0), 256 images at 224 px (seeded noise), layer4, class 3, batches
   of 32: ``neurocompare.cam.compute`` against ``pytorch_grad_cam.GradCAM`` called batch by batch.
   Goal: at most 1.0x pytorch-grad-cam's time.
2. Score-CAM: the same net, 4 images at 64 px (layer4: 512 channels, 2 x 2), i.e. 2,048 masked forward
   passes per run: ``compute(method="scorecam")`` (chunks of 128 masked copies across images, channels-last
   copy of the net, inference mode, constant channels scored once) against ``pytorch_grad_cam.ScoreCAM``
   (its default 16 masked copies per pass). Goal: at least 3x faster.

Rounds are interleaved (ours, theirs, ours, theirs, ...); the ratio is the median over rounds of
ours / theirs in the same round. Both outputs are compared (max absolute difference).

Run: ``python benchmarks/cam.py [--rounds 3]`` (about 5 minutes on 2 busy cores). Writes the CAM section of
RESULTS.md and ``benchmarks/output/cam.json``.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench(method: str, n: int, size: int, rounds: int, batch_size: int = 32) -> dict:
    import torch
    from pytorch_grad_cam import GradCAM, ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    import neurocompare as nc

    model = nc.models.load("resnet18", weights=None, random_state=0)
    x = torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(0))
    theirs_module = copy.deepcopy(model.module).eval()
    cls = GradCAM if method == "gradcam" else ScoreCAM
    cam = cls(theirs_module, [theirs_module.layer4])

    def ours():
        return nc.cam.compute(model, x, method=method, layer="layer4", target=3, batch_size=batch_size,
                              device="cpu").values

    def theirs():
        out = []
        for i in range(0, n, batch_size):
            xb = x[i:i + batch_size]
            out.append(cam(xb, targets=[ClassifierOutputTarget(3)] * len(xb)))
        return np.concatenate(out)

    import contextlib
    import io

    ours()  # warm-up (also builds lazy imports)
    t_ours, t_theirs, ratios, diff = [], [], [], 0.0
    for _ in range(rounds):
        a, ma = _timed(ours)
        with contextlib.redirect_stderr(io.StringIO()):  # pytorch-grad-cam's tqdm bars
            b, mb = _timed(theirs)
        t_ours.append(a)
        t_theirs.append(b)
        ratios.append(a / b)
        diff = max(diff, float(np.abs(ma - mb).max()))
    return {"method": method, "n": n, "size": size, "rounds": rounds, "ours_s": t_ours, "theirs_s": t_theirs,
            "median_ours_s": float(np.median(t_ours)), "median_theirs_s": float(np.median(t_theirs)),
            "median_ratio": float(np.median(ratios)), "max_abs_diff": diff}


def main() -> None:
    import torch

    import neurocompare as nc

    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="Do not touch RESULTS.md.")
    args = ap.parse_args()
    grad = bench("gradcam", 256, 224, args.rounds)
    score = bench("scorecam", 4, 64, args.rounds)
    out = HERE / "output"
    out.mkdir(exist_ok=True)
    (out / "cam.json").write_text(json.dumps({"gradcam": grad, "scorecam": score}, indent=2))
    from importlib.metadata import version

    lines = [f"Machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, "
             f"grad-cam {version('grad-cam')}, neurocompare {nc.__version__}; CPU, "
             f"load average {os.getloadavg()[0]:.1f} at the end of the run. Date: {time.strftime('%Y-%m-%d')}.", "",
             f"resnet18 (random init, seed 0), layer4, class 3, seeded noise images; {args.rounds} interleaved rounds; "
             "ratio = median over rounds of neurocompare's time / pytorch-grad-cam's time in the same round.", "",
             "| method | images | size (px) | neurocompare (s, median) | pytorch-grad-cam (s, median) | ratio | goal | "
             "max abs difference of the maps |", "|---|---:|---:|---:|---:|---:|---|---:|"]
    for r, goal in ((grad, "<= 1.0x"), (score, "<= 0.33x (3x faster)")):
        lines.append(f"| {r['method']} | {r['n']} | {r['size']} | {r['median_ours_s']:.2f} | "
                     f"{r['median_theirs_s']:.2f} | {r['median_ratio']:.3f} | {goal} | {r['max_abs_diff']:.1e} |")
    lines += ["", "Grad-CAM runs the layers before the target layer without autograd and asks autograd for the "
              "gradient of the layer's output only (no parameter gradients), then computes the maps in torch. "
              "Score-CAM scores the masked copies of all images in chunks of 128 on a channels-last copy of the "
              "net under `torch.inference_mode`, and scores a channel whose upsampled map is constant (its mask is "
              "all zero) once, as the zero image. Score-CAM is measured on 4 images at 64 px (2,048 masked forward "
              "passes per run) to keep the run short."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        sys.path.insert(0, str(HERE))
        from _results import write_section

        write_section("CAM (`benchmarks/cam.py`)", text)


if __name__ == "__main__":
    main()
