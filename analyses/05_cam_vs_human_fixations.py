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
With the random weights, Grad-CAM on SALICON is also scored for ResNet-18 seeds 0-2 (the spread over seeds).
``--docs docs/images`` (random weights only: the page describes that control) also refreshes the figures,
tables and numbers of docs/analyses/05_saliency.md.
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
from _analysis_cli import parse_args, parser_for, publish  # noqa: E402

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


# the spread over random initialisations (cheap: ten Grad-CAM maps per seed) -------------------------
SEEDS = (0, 1, 2)
seed_rows = []
if weights is None:
    for seed in SEEDS:
        maps_s = gradcam_maps(nc.models.load("resnet18", weights=None, random_state=seed), sal.images)
        sc = nc.saliency.compare_to_fixations(maps_s.drop_attrs(), sal.fixations, resize=True, random_state=0)
        seed_rows.append({"seed": seed, **sc[metric_cols].mean().to_dict()})
    seeds = pd.DataFrame(seed_rows)
    seeds.to_csv(OUT / "tables" / "gradcam_random_seeds_salicon.csv", index=False)
    print(seeds.round(3).to_string(index=False))


# the docs' tables and the numbers their sentences quote ----------------------------------------------
HEAD = {"nss": "NSS", "auc_judd": "AUC-Judd", "auc_borji": "AUC-Borji", "sauc": "sAUC", "cc": "CC", "sim": "SIM",
        "kl": "KL", "ig": "IG (bits)"}
LOWER_BETTER = {"kl"}


def fmt(v, digits):
    """Exact round values (the uniform map's 0 and 0.5) without trailing zeros."""
    return f"{v:g}" if abs(v - round(v, 1)) < 1e-9 else f"{v:.{digits}f}"


def display_table(frame, cols, *, digits, spread):
    """One row per map; the best value of each column in bold; 'mean ± sd' when ``spread``."""
    mean = frame.groupby("map", sort=False)[cols].mean()
    sd = frame.groupby("map", sort=False)[cols].std()
    best = {c: (mean[c].idxmin() if c in LOWER_BETTER else mean[c].idxmax()) for c in cols}
    rows = []
    for name in mean.index:
        row = {"map": name}
        for c in cols:
            text = fmt(mean.loc[name, c], digits)
            if spread and sd.loc[name, c] > 1e-9:
                text += f" ± {sd.loc[name, c]:.{digits}f}"
            row[HEAD[c]] = f"**{text}**" if best[c] == name and not spread else text
        rows.append(row)
    return pd.DataFrame(rows)


i210_cols = ["nss", "auc_judd", "auc_borji", "cc", "sim", "kl", "ig"]
i210_order = ["Judd et al. 2009", "Itti & Koch 1998", "centre bias", cam_label, "uniform"]
i210_tab = display_table(i210.set_index("map").loc[i210_order].reset_index(), i210_cols, digits=3, spread=False)
sal_tab = display_table(salicon, metric_cols, digits=2, spread=True)

m = i210.set_index("map")[i210_cols]
judd, centre = m.loc["Judd et al. 2009"], m.loc["centre bias"]


def beats(a, b):
    """Metrics on which map a scores better than map b."""
    return [c for c in i210_cols if (a[c] < b[c] if c in LOWER_BETTER else a[c] > b[c])]


judd_vs_centre = beats(judd, centre)
others = [c for c in i210_cols if c not in judd_vs_centre]
every = all(len(beats(judd, m.loc[o])) == len(i210_cols) for o in ("uniform", "Itti & Koch 1998"))
fix = nc.saliency.fixation_map(mit.fixations, "i210")
itti = i210_maps["Itti & Koch 1998"]
sal_mean = salicon.groupby("map", sort=False)[metric_cols].mean()
sal_sd = salicon.groupby("map", sort=False)[metric_cols].std()
numbers = {
    "torch": __import__("torch").__version__,
    "judd_vs_others": ("beats the uniform map and Itti-Koch on i210 on every metric" if every else
                       "does not beat the uniform map and Itti-Koch on every metric of i210"),
    "judd_vs_centre": ", ".join(HEAD[c].replace(" (bits)", "") for c in judd_vs_centre),
    "judd_centre_rest": (f"on {' and '.join(HEAD[c] for c in others)} the centre bias is as good or better, "
                         f"by at most {max(abs(judd[c] - centre[c]) for c in others):.3f}"
                         if others else "and on every other metric too"),
    "itti_auc": f"{m.loc['Itti & Koch 1998', 'auc_judd']:.2f}",
    "itti_nss": f"{m.loc['Itti & Koch 1998', 'nss']:.2f}",
    "itti_zero": f"{int((itti[fix] == 0).sum())} of the {int(fix.sum())}",
    "centre_auc_i210": f"{centre['auc_judd']:.2f}",
    "centre_auc_salicon": f"{sal_mean.loc['centre bias', 'auc_judd']:.2f}",
    "centre_sauc": f"{sal_mean.loc['centre bias', 'sauc']:.2f} ± {sal_sd.loc['centre bias', 'sauc']:.2f}",
    "cam_auc_i210": f"{m.loc[cam_label, 'auc_judd']:.2f}",
    "cam_auc_salicon": f"{sal_mean.loc[cam_label, 'auc_judd']:.2f}",
    "cam_sauc": f"{sal_mean.loc[cam_label, 'sauc']:.2f}",
    "cam_ig": (f"negative IG over the centre bias ({m.loc[cam_label, 'ig']:.2f} bits on i210, "
               f"{sal_mean.loc[cam_label, 'ig']:.2f} on SALICON)" if max(m.loc[cam_label, 'ig'],
                                                                         sal_mean.loc[cam_label, 'ig']) < 0
               else f"IG over the centre bias {m.loc[cam_label, 'ig']:.2f} bits on i210, "
                    f"{sal_mean.loc[cam_label, 'ig']:.2f} on SALICON"),
}
if seed_rows:
    numbers.update({"seeds": len(SEEDS),
                    "seed_auc": f"{seeds.auc_judd.min():.2f}-{seeds.auc_judd.max():.2f}",
                    "seed_sauc": f"{seeds.sauc.min():.2f}-{seeds.sauc.max():.2f}",
                    "seed_ig": f"{seeds.ig.min():.2f} to {seeds.ig.max():.2f}"})
if weights is None:
    publish(args, "05", figures=("fixations", "maps_i210", "scores_salicon", "scores_i210"),
            tables={"i210": i210_tab, "salicon": sal_tab}, numbers=numbers)
elif args.docs is not None:
    print("--docs ignored: docs/analyses/05_saliency.md describes the random-weight control (no --weights)")
print(f"Wrote {OUT}")
