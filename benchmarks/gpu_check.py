"""CUDA-vs-CPU agreement and GPU throughput (run by ``gpu_check.sh``).

Checks, each short: ``extract`` (activations equal, throughput vs a bare forward, fp32 and AMP); ``cam.compute``
(Grad-CAM and Score-CAM maps equal, Score-CAM time vs pytorch-grad-cam when it is installed); ``transfer.run``
(frozen backbone bit-identical on CUDA, AMP run finishes); ``generation.train_gan`` and ``train_cyclegan`` (a short
run on CUDA finishes with finite losses). ``--dry-run-cpu`` runs the new checks with "cuda" replaced by "cpu", to
test this script on a machine without a GPU.
"""
from __future__ import annotations

import importlib
import json
import sys
import tempfile
import time
from pathlib import Path

NEEDED = ["numpy", "pandas", "xarray", "zarr", "dask", "sklearn", "scipy", "PIL", "torch", "torchvision", "rich",
          "pooch"]


def _check_new_capabilities(tmp: Path, dev: str, report: dict, *, cam_categories: int = 8) -> None:
    """CAM, transfer and generation on ``dev`` against the CPU (agreement) and timings.

    The CAM set has one 224 px image (resnet18's input) per category: Score-CAM runs 512 masked forward passes
    per image, about 8 s per image on a 2-core CPU.
    """
    import numpy as np
    import torch

    import neurocompare as nc

    cam_set = nc.stimuli.make_whatwhere(tmp / "c", n_per_category=1, categories=cam_categories, image_size=64,
                                        random_state=0)
    st = nc.stimuli.make_whatwhere(tmp / "n", n_per_category=8, image_size=64, random_state=0)
    m = nc.models.load("resnet18", random_state=0)
    for method in ("gradcam", "scorecam"):
        kw = dict(method=method, layer="layer4", target=3, score_batch_size=256, progress=False)
        t = time.perf_counter()
        cpu = nc.cam.compute(m, cam_set, device="cpu", **kw).values
        t_cpu = time.perf_counter() - t
        if dev != "cpu":
            nc.cam.compute(m, cam_set, device=dev, **kw)      # warm-up
        t = time.perf_counter()
        gpu = nc.cam.compute(m, cam_set, device=dev, **kw).values
        t_gpu = time.perf_counter() - t
        diff = float(np.abs(cpu - gpu).max())
        report["agreement"].append({"model": "resnet18", "layer": f"cam:{method}", "max_abs_diff": diff, "scale": 1.0,
                                    "ok": diff <= 1e-3})
        row = {"what": f"cam {method}", "n": len(cam_set), "seconds": t_gpu, "cpu_seconds": t_cpu}
        print(f"  cam {method}: {t_gpu:.1f} s on {dev}, {t_cpu:.1f} s on cpu", flush=True)
        if method == "scorecam" and importlib.util.find_spec("pytorch_grad_cam") is not None:
            from pytorch_grad_cam import ScoreCAM
            from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

            module = m.module.to(dev).eval()
            x = torch.stack([m.transform(cam_set.load_image(i)) for i in range(len(cam_set))]).to(dev)
            with ScoreCAM(model=module, target_layers=[module.layer4]) as peer:
                peer.batch_size = 64
                t = time.perf_counter()
                peer(input_tensor=x, targets=[ClassifierOutputTarget(3)] * len(x))
                row["peer_seconds"] = time.perf_counter() - t
            m.module.to("cpu")
            row["ratio_vs_peer"] = row["seconds"] / row["peer_seconds"]
        report["throughput"].append(row)
    # transfer: frozen backbone bit-identical, AMP finishes
    src = nc.models.train("smallcnn", st, epochs=2, options={"image_size": 64}, progress=False)
    before = {k: v.clone() for k, v in src.module.state_dict().items()}
    for amp in (False, True):
        t = time.perf_counter()
        res = nc.transfer.run(src, st, modes=("frozen", "finetune"), train_sizes=[16], epochs=2, device=dev,
                              amp=amp and dev == "cuda", progress=False)
        report["throughput"].append({"what": f"transfer amp={amp}", "n": 16, "seconds": time.perf_counter() - t,
                                     "finite": bool(np.isfinite(res.scores["value"]).all())})
    same = all(torch.equal(before[k], v) for k, v in src.module.state_dict().items())
    report["agreement"].append({"model": "smallcnn", "layer": "transfer:source untouched", "max_abs_diff": 0.0 if same
                                else float("nan"), "scale": 1.0, "ok": same})
    # generation: short runs finish with finite losses
    small = nc.stimuli.make_whatwhere(tmp / "g", n_per_category=8, image_size=32, random_state=1)
    t = time.perf_counter()
    gan = nc.generation.train_gan(small, image_size=32, epochs=2, device=dev, progress=False)
    ok = bool(np.isfinite(gan.history["value"]).all())
    report["throughput"].append({"what": "train_gan 2 epochs", "n": len(small), "seconds": time.perf_counter() - t,
                                 "finite": ok})
    tex = nc.stimuli.make_whatwhere(tmp / "t", n_per_category=8, image_size=32, background="texture", random_state=2)
    t = time.perf_counter()
    cg = nc.generation.train_cyclegan(small, tex, epochs=1, width=8, n_blocks=2, device=dev, progress=False)
    ok_cg = bool(np.isfinite(cg.history.select_dtypes("number").to_numpy()).all())
    report["throughput"].append({"what": "train_cyclegan 1 epoch", "n": len(small), "seconds": time.perf_counter() - t,
                                 "finite": ok_cg})
    report["agreement"].append({"model": "gan/cyclegan", "layer": "finite losses", "max_abs_diff": 0.0, "scale": 1.0,
                                "ok": ok and ok_cg})


def _print_report(report: dict) -> None:
    print(f"device: {report['device']}, torch {report['torch']}")
    for r in report["agreement"]:
        print(f"{'OK ' if r['ok'] else 'BAD'} {r['model']:14s} {r['layer']:34s} max|cuda-cpu| = {r['max_abs_diff']:.2e}"
              f" (scale {r['scale']:.2f})")
    for r in report["throughput"]:
        if "model" in r:
            print(f"resnet50 amp={r['amp']}: bare {r['bare_images_per_s']:.0f} img/s, extract "
                  f"{r['extract_images_per_s']:.0f} img/s, ratio {r['ratio']:.2f}")
        else:
            extra = "".join(f", {k} {v:.3g}" if isinstance(v, float) else f", {k} {v}" for k, v in r.items()
                            if k not in ("what", "seconds"))
            print(f"{r['what']}: {r['seconds']:.2f} s{extra}")


def dry_run_cpu(out_dir: str) -> int:
    """The new checks with device "cpu": tests this script where there is no GPU."""
    import torch

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = {"device": "cpu (dry run)", "torch": torch.__version__, "agreement": [], "throughput": []}
    with tempfile.TemporaryDirectory() as tmp:
        _check_new_capabilities(Path(tmp), "cpu", report, cam_categories=2)
    (out / "gpu_check_dry_run.json").write_text(json.dumps(report, indent=1))
    _print_report(report)
    return 0 if all(r["ok"] for r in report["agreement"]) else 1


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
        m.module.cpu()
        _check_new_capabilities(Path(tmp), "cuda", report)
    (out / "gpu_check.json").write_text(json.dumps(report, indent=1))
    _print_report(report)
    return 0 if all(r["ok"] for r in report["agreement"]) else 1


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--dry-run-cpu"]
    target = args[0] if args else "benchmarks/output"
    sys.exit(dry_run_cpu(target) if "--dry-run-cpu" in sys.argv else main(target))
