"""CUDA-vs-CPU agreement and GPU throughput of ``neurocompare.extract`` (run by ``gpu_check.sh``)."""
from __future__ import annotations

import importlib
import json
import sys
import tempfile
import time
from pathlib import Path

NEEDED = ["numpy", "pandas", "xarray", "zarr", "dask", "sklearn", "scipy", "PIL", "torch", "torchvision", "rich",
          "pooch"]


def main(out_dir: str) -> int:
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    if missing:
        print(f"MISSING packages on this machine: {missing}. Carry them as wheels in .whl/ (device README).")
        return 2
    import numpy as np
    import torch

    import neurocompare as nc

    if not torch.cuda.is_available():
        print("No CUDA device visible; nothing to check.")
        return 2
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "agreement": [], "throughput": []}
    with tempfile.TemporaryDirectory() as tmp:
        st = nc.stimuli.make_whatwhere(Path(tmp) / "s", n_per_category=8, image_size=64, random_state=0)
        checks = [("resnet18", {}, ["layer1", "layer4", "fc"]), ("twostreamnet", {}, None),
                  ("unet", {}, None), ("vit_b_16", {}, ["encoder.layers.encoder_layer_5", "heads.head"])]
        for name, opts, layers in checks:
            m = nc.models.load(name, random_state=0, **opts)
            cpu = nc.extract(m, st, layers=layers, device="cpu", progress=False)
            gpu = nc.extract(m, st, layers=layers, device="cuda", progress=False)
            assert next(m.module.parameters()).device.type == "cpu", "model must come back on the CPU"
            for _, layer, a in nc.extraction.iter_layers(cpu):
                b = nc.extraction.get_layer(gpu, layer)
                diff = float(np.nanmax(np.abs(a.values - b.values)))
                scale = float(np.nanmax(np.abs(a.values))) or 1.0
                ok = diff <= 1e-3 * max(1.0, scale)
                report["agreement"].append({"model": name, "layer": layer, "max_abs_diff": diff, "scale": scale,
                                            "ok": ok})
        big = nc.stimuli.make_whatwhere(Path(tmp) / "b", n_per_category=128, image_size=64, random_state=1)
        m = nc.models.load("resnet50", random_state=0)
        x = torch.stack([m.transform(big.load_image(i)) for i in range(len(big))])
        module = m.module.cuda().eval()
        xb = x.cuda()
        torch.backends.cudnn.benchmark = True

        def bare(amp: bool):
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16, enabled=amp):
                for i in range(0, len(xb), 128):
                    module(xb[i:i + 128])
            torch.cuda.synchronize()

        for amp in (False, True):
            bare(amp)
            t = time.perf_counter()
            bare(amp)
            t_bare = time.perf_counter() - t
            nc.extract(m, x, layers=["layer2", "layer4", "avgpool"], reduce="avgpool", batch_size=128,
                       device="cuda", amp=amp, progress=False)
            t = time.perf_counter()
            nc.extract(m, x, layers=["layer2", "layer4", "avgpool"], reduce="avgpool", batch_size=128,
                       device="cuda", amp=amp, progress=False)
            torch.cuda.synchronize()
            t_ext = time.perf_counter() - t
            report["throughput"].append({"model": "resnet50", "amp": amp, "n": len(x),
                                         "bare_images_per_s": len(x) / t_bare,
                                         "extract_images_per_s": len(x) / t_ext, "ratio": t_ext / t_bare})
    (out / "gpu_check.json").write_text(json.dumps(report, indent=1))
    print(f"device: {report['device']}, torch {report['torch']}")
    for r in report["agreement"]:
        print(f"{'OK ' if r['ok'] else 'BAD'} {r['model']:14s} {r['layer']:34s} max|cuda-cpu| = {r['max_abs_diff']:.2e}"
              f" (scale {r['scale']:.2f})")
    for r in report["throughput"]:
        print(f"resnet50 amp={r['amp']}: bare {r['bare_images_per_s']:.0f} img/s, extract "
              f"{r['extract_images_per_s']:.0f} img/s, ratio {r['ratio']:.2f}")
    return 0 if all(r["ok"] for r in report["agreement"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/output"))
