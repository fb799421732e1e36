"""05 - Where networks look and where people look: CAMs and baselines against human fixations.

On the 10 SALICON example images (Jiang et al. 2015; mouse-contingent "fixations" of 55-67 observers per
image) and on MIT1003 image i210 (Judd et al. 2009; eye-tracked fixations of 15 observers):

1. human fixations and their density (Gaussian, sigma = 19 px for SALICON as in the SALICON API; the
   published FIXATIONMAPS for i210);
2. reference maps: a centre-bias Gaussian (Clarke & Tatler 2014), a uniform map (chance), and for i210 the
   saliency maps of the Judd et al. (2009) model and of Itti & Koch (1998) shipped with the MIT benchmark;
3. Grad-CAM maps of a ResNet-18 (layer4, explaining its top class), computed on the whole image resized to
   224 x 224 (no crop, so the map covers the whole image) and resized back to the image with resize=True;
4. all eight MIT-benchmark metrics per image (NSS, AUC-Judd, AUC-Borji, shuffled AUC, CC, SIM, KL, IG
   over the centre bias).

By default the ResNet-18 has random weights (weights=None, seeded): a control showing what an untrained
network's CAM scores. Pretrained weights are what a user would use: pass --weights DEFAULT (downloads the
torchvision ImageNet weights) or --weights path/to/resnet18.pth.

Writes figures (PNG + PDF) and CSV tables to --out (default ./neurocompare-analyses/05_cam_vs_human_fixations/).
Run: python analyses/05_cam_vs_human_fixations.py [--weights DEFAULT]   (about 30 s on 2 CPU cores)
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args, parser_for  # noqa: E402

parser = parser_for(__doc__)
parser.add_argument("--weights", default=None,
                    help="ResNet-18 weights: omit for random init (control), DEFAULT for ImageNet, or a .pth file")
args = parse_args(__doc__, "05_cam_vs_human_fixations", parser=parser)

OUT = args.out

sal = nc.datasets.fetch_salicon_examples()
mit = nc.datasets.fetch_mit1003_i210()
images = {**sal.images, "i210": mit.image}


# 3. Grad-CAM of a ResNet-18 on the whole image ------------------------------------------------------
def gradcam_maps(model, paths):
    """Grad-CAM (layer4, top class) of each image, resized to 224 x 224 without cropping."""
    import torch
    from PIL import Image

    mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
    batch = []
    for p in paths.values():
        with Image.open(p) as img:
            arr = np.asarray(img.convert("RGB").resize((224, 224), Image.Resampling.BILINEAR), dtype=np.float32)
        batch.append((torch.from_numpy(arr / 255.0).permute(2, 0, 1) - mean) / std)
    maps = nc.cam.compute(model, torch.stack(batch), method="gradcam", layer="layer4")
    return maps.assign_coords(stimulus=list(paths))


weights = args.weights
resnet = nc.models.load("resnet18", weights=weights)
cams = gradcam_maps(resnet, images)
cam_label = "Grad-CAM (random)" if weights is None else f"Grad-CAM ({Path(str(weights)).stem})"


def resized(arr, shape):
    """Bilinear resize of a 2-D map to (height, width), for display (compare_to_fixations does its own)."""
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(arr, dtype=np.float32))
    return np.asarray(img.resize((shape[1], shape[0]), Image.Resampling.BILINEAR), dtype=np.float64)


def constant_maps(ids, shape, value):
    return xr.DataArray(np.broadcast_to(value, (len(ids), *shape)).copy(), dims=("stimulus", "y", "x"),
                        coords={"stimulus": ids})


# 4. scores --------------------------------------------------------------------------------------------
ids = list(sal.images)
shape = (480, 640)
runs = {
    "centre bias": constant_maps(ids, shape, nc.saliency.make_center_bias(shape)),
    "uniform": constant_maps(ids, shape, 1.0),
    cam_label: cams.sel(stimulus=ids),
}
salicon = pd.concat([nc.saliency.compare_to_fixations(m.drop_attrs(), sal.fixations, resize=True, random_state=0)
                     .assign(map=name) for name, m in runs.items()], ignore_index=True)
salicon.insert(0, "dataset", "SALICON examples")

mshape = (675, 1024)
i210_maps = {
    "centre bias": nc.saliency.make_center_bias(mshape),
    "uniform": np.ones(mshape),
    "Judd et al. 2009": mit.models.sel(model="Judd").values,
    "Itti & Koch 1998": mit.models.sel(model="IttiKoch").values,
    cam_label: cams.sel(stimulus="i210").values,
}
i210 = pd.concat([nc.saliency.compare_to_fixations({"i210": m}, mit.fixations, density=mit.density, resize=True,
                                                   random_state=0).assign(map=name)
                  for name, m in i210_maps.items()], ignore_index=True)
i210.insert(0, "dataset", "MIT1003 i210")

scores = pd.concat([salicon, i210], ignore_index=True)
scores["weights"] = "none (random init, seed 0)" if weights is None else str(weights)
scores.to_csv(OUT / "tables" / "scores.csv", index=False)
metric_cols = list(nc.saliency.METRICS)
summary = scores.groupby(["dataset", "map"], sort=False)[metric_cols].agg(["mean", "std"])
summary.to_csv(OUT / "tables" / "summary.csv")
with pd.option_context("display.width", 200, "display.max_columns", 20):
    print(scores.groupby(["dataset", "map"], sort=False)[metric_cols].mean().round(3))

# figures ------------------------------------------------------------------------------------------------
fig = nc.plotting.plot_saliency_scores(salicon, by="map")
fig.suptitle("SALICON examples: 10 images (dots), mean and 95% CI", fontsize=9, y=1.02)
nc.plotting.save_figure(fig, OUT / "figures" / "scores_salicon")

fig = nc.plotting.plot_saliency_scores(i210, by="map", metrics=["nss", "auc_judd", "auc_borji", "cc", "sim", "kl",
                                                                "ig"])
fig.suptitle("MIT1003 i210 (one image; sAUC needs other images)", fontsize=9, y=1.02)
nc.plotting.save_figure(fig, OUT / "figures" / "scores_i210")

with nc.plotting.paper_style():
    fig, axes = plt.subplots(2, 3, figsize=(7.2, 3.6))
    for ax, stim in zip(axes.ravel()[:5], ids[:5]):
        nc.plotting.plot_fixations(sal.images[stim], sal.fixations, stimulus=stim, ax=ax)
        ax.set_title(stim.replace("COCO_train2014_", "COCO ") + " (sigma 19 px)", fontsize=7)
    nc.plotting.plot_fixations(mit.image, mit.fixations, points=False, ax=axes.ravel()[5])
    axes.ravel()[5].set_title("MIT1003 i210 (FIXATIONLOCS, sigma 24 px)", fontsize=7)
    fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "fixations")

with nc.plotting.paper_style():
    fig, axes = plt.subplots(2, 3, figsize=(7.2, 3.3))
    panels = [("image + fixations", None), ("human density (FIXATIONMAPS)", mit.density.values[0]),
              ("Judd et al. 2009", i210_maps["Judd et al. 2009"]), ("Itti & Koch 1998", i210_maps["Itti & Koch 1998"]),
              (cam_label, resized(i210_maps[cam_label], mshape)),
              ("centre bias", i210_maps["centre bias"])]
    row = i210.set_index("map")
    for ax, (title, m) in zip(axes.ravel(), panels):
        if m is None:
            nc.plotting.plot_fixations(mit.image, mit.fixations, density=False, points=True, ax=ax)
        else:
            ax.imshow(m, cmap="inferno")
            ax.set_axis_off()
        if title in row.index:
            title += f"\nNSS {row.loc[title, 'nss']:.2f}, AUC-J {row.loc[title, 'auc_judd']:.2f}"
        ax.set_title(title, fontsize=7)
    fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "maps_i210")
plt.close("all")
print(f"Wrote {OUT}")
