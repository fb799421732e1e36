"""04 - Where does the evidence for a category lie? CAM localisation and faithfulness on what/where stimuli.

1. train the built-in SmallCNN and TwoStreamNet on the default what/where set (320 stimuli, 64 px) and
   make 80 held-out stimuli (10 per category) with object masks and boxes;
2. compute class-activation maps for the true category with every method (CAM, Grad-CAM, Grad-CAM++,
   HiResCAM, XGrad-CAM, LayerCAM, Score-CAM, Ablation-CAM, Eigen-CAM) at two layers of each net
   (CAM only where a global-average-pool + linear head follows the layer);
3. localisation against the object masks: the pointing game against its chance level (the mask's
   area share), the share of map energy inside the mask, IoU of the map thresholded at half its
   maximum; means with bootstrap 95% CIs and a sign-flip test against chance;
4. a sanity check (Adebayo et al. 2018): the same maps from an untrained SmallCNN;
5. faithfulness: deletion and insertion AUCs (Petsiuk et al. 2018) of every method at the last layer;
6. figures: overlay grids, pointing-game / energy bars by method and layer, deletion/insertion bars.

Writes figures (PNG + PDF) and CSV tables to --out (default ./neurocompare-analyses/04_cam_localisation/).
``--docs docs/images`` also refreshes the figures and the numbers of docs/analyses/04_cam.md.
Run: python analyses/04_cam_localisation.py   (about 10 minutes on 2 CPU cores the first time)
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args, publish  # noqa: E402

args = parse_args(__doc__, "04_cam_localisation")
OUT = args.out
METHODS = ["cam", "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "scorecam", "ablationcam", "eigencam"]
LAYERS = {"smallcnn": ["block3", "block4"], "twostreamnet": ["ventral.block3", "ventral.block4"]}

# 1. nets and held-out stimuli -----------------------------------------------------------------
train_set = nc.stimuli.make_from_spec("whatwhere-default")
test_set = nc.stimuli.make_whatwhere(OUT / "stimuli-test", n_per_category=10, random_state=7, overwrite=True)
nets = {name: nc.models.train(name, train_set) for name in LAYERS}
untrained = nc.models.load("smallcnn", weights=None, random_state=0)
untrained.classes = nets["smallcnn"].classes
untrained.name = "smallcnn (untrained)"

# 2.-3. maps and localisation ------------------------------------------------------------------
maps, skipped = {}, []
for name, net in nets.items():
    for layer in LAYERS[name]:
        for method in METHODS:
            try:
                maps[name, layer, method] = nc.cam.compute(net, test_set, method=method, layer=layer, target="true")
            except ValueError as err:  # CAM needs a GAP + linear head right after the layer
                skipped.append({"model": name, "layer": layer, "method": method, "reason": str(err)})
for layer in LAYERS["smallcnn"]:
    for method in ("gradcam", "scorecam", "eigencam"):
        maps["untrained", layer, method] = nc.cam.compute(untrained, test_set, method=method, layer=layer,
                                                          target="true")
pd.DataFrame(skipped).to_csv(OUT / "tables" / "skipped.csv", index=False)
scores = nc.cam.localization(list(maps.values()), test_set, threshold=0.5)
scores.to_csv(OUT / "tables" / "localization.csv", index=False)
summary = nc.cam.summarize_scores(scores, random_state=0)
summary.to_csv(OUT / "tables" / "localization_summary.csv", index=False)
print(summary.pivot_table(index=["model", "layer", "method"], columns="metric", values="value", sort=False).round(2))

# 5. faithfulness at the last layer ------------------------------------------------------------
faith = []
for (name, layer, method), m in maps.items():
    if name in nets and layer == LAYERS[name][-1]:
        faith.append(nc.cam.faithfulness(nets[name], test_set, m))
faith = pd.concat(faith, ignore_index=True)
faith.to_csv(OUT / "tables" / "faithfulness.csv", index=False)
faith_summary = nc.cam.summarize_scores(faith, random_state=0)
faith_summary.to_csv(OUT / "tables" / "faithfulness_summary.csv", index=False)
print(faith_summary.pivot_table(index=["model", "method"], columns="metric", values="value", sort=False).round(3))

# 6. figures ------------------------------------------------------------------------------------
for name, layer, method in [("smallcnn", "block4", "gradcam"), ("smallcnn", "block4", "scorecam"),
                            ("twostreamnet", "ventral.block4", "gradcam"), ("untrained", "block4", "gradcam")]:
    fig = nc.plotting.plot_cam_overlay(maps[name, layer, method], test_set, n=8)
    fig.suptitle(f"{name}, {method} at {layer}", fontsize=9, y=1.02)
    nc.plotting.save_figure(fig, OUT / "figures" / f"overlay_{name}_{method}_{layer}".replace("+", "p"))
    plt.close(fig)

fig, axes = plt.subplots(2, 2, figsize=(11, 5.6))
for i, name in enumerate(["smallcnn", "twostreamnet"]):
    part = summary[summary["model"] == name]
    nc.plotting.plot_cam_scores(part, metric="pointing_game", ax=axes[i, 0])
    nc.plotting.plot_cam_scores(part, metric="energy", ax=axes[i, 1])
    axes[i, 0].set_title(f"{name}: pointing game (dashed: chance)")
    axes[i, 1].set_title(f"{name}: energy inside the mask (dashed: area share)")
for ax in axes.ravel():
    if ax is not axes[1, 1]:
        ax.get_legend().remove()
nc.plotting.add_panel_letters(axes)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "localization_bars")
plt.close(fig)

fig, axes = plt.subplots(1, 2, figsize=(9, 2.8))
fs = faith_summary.assign(layer=faith_summary["model"])
nc.plotting.plot_cam_scores(fs, metric="deletion", ax=axes[0])
nc.plotting.plot_cam_scores(fs, metric="insertion", ax=axes[1])
axes[0].set_title("deletion AUC (lower = more faithful)")
axes[1].set_title("insertion AUC (higher = more faithful)")
for ax in axes:
    ax.set_xlabel("model (last layer)")
axes[0].get_legend().remove()
nc.plotting.add_panel_letters(axes)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "faithfulness_bars")
plt.close(fig)

# the numbers the docs page quotes -------------------------------------------------------------
NAMES = {"cam": "CAM", "gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "hirescam": "HiResCAM",
         "xgradcam": "XGrad-CAM", "layercam": "LayerCAM", "scorecam": "Score-CAM", "ablationcam": "Ablation-CAM",
         "eigencam": "Eigen-CAM"}
UNTRAINED = untrained.name


def cell(model, metric, layer, method):
    return summary.set_index(["model", "metric", "layer", "method"]).loc[(model, metric, layer, method)]


def with_ci(row, digits=2):
    return f"{row.value:.{digits}f} [{row.ci_low:.{digits}f}, {row.ci_high:.{digits}f}]"


def extremes(part, digits=2, layer=True):
    """'0.60 (Eigen-CAM, `block3`) to 0.83 (Ablation-CAM, `block3`)' over the rows of ``part``."""
    def one(r):
        return f"{r.value:.{digits}f} ({NAMES[r.method]}" + (f", `{r.layer}`)" if layer else ")")
    return f"{one(part.loc[part.value.idxmin()])} to {one(part.loc[part.value.idxmax()])}"


def span(values, digits=2):
    lo, hi = float(min(values)), float(max(values))
    return f"{lo:.{digits}f}" if f"{lo:.{digits}f}" == f"{hi:.{digits}f}" else f"{lo:.{digits}f}-{hi:.{digits}f}"


trained = summary[summary.model.isin(list(nets))]
point = trained[trained.metric == "pointing_game"]
last = {name: LAYERS[name][-1] for name in nets}
same = ["cam", "gradcam", "hirescam", "xgradcam"]
ts_last = trained[(trained.model == "twostreamnet") & (trained.layer == last["twostreamnet"])
                  & trained.method.isin(same)].pivot_table(index="method", columns="metric", values="value")
energy, iou = trained[trained.metric == "energy"], trained[trained.metric == "iou"]
faith_s = faith_summary.set_index(["model", "metric", "method"]).value
del_small, ins_small = faith_s.loc[("smallcnn", "deletion")], faith_s.loc[("smallcnn", "insertion")]
del_ts, ins_ts = faith_s.loc[("twostreamnet", "deletion")], faith_s.loc[("twostreamnet", "insertion")]
untrained_point = summary[(summary.model == UNTRAINED) & (summary.metric == "pointing_game")]
numbers = {
    "torch": __import__("torch").__version__,
    "chance": f"{point.chance.mean():.3f}",
    "all_above_chance": ("all p < 0.001" if (point.p < 0.001).all() else f"largest p = {point.p.max():.3f}"),
    "verdict_chance": ("Every method beats chance in the pointing game, at every layer of both nets"
                       if (point.p < 0.05).all() else "Not every method beats chance in the pointing game"),
    "point_small": extremes(point[point.model == "smallcnn"]),
    "gradcam_small_b3": with_ci(cell("smallcnn", "pointing_game", "block3", "gradcam")),
    "gradcam_small_b4": with_ci(cell("smallcnn", "pointing_game", "block4", "gradcam")),
    "point_ts": extremes(point[point.model == "twostreamnet"]),
    "gradcam_ts_b4": with_ci(cell("twostreamnet", "pointing_game", "ventral.block4", "gradcam")),
    "energy_ratio": span(energy.value / energy.chance, 1),
    "energy": extremes(energy),
    "iou": extremes(iou),
    "identical_verdict": ("identical scores" if ((ts_last.max() - ts_last.min()) < 1e-6).all()
                          else "different scores"),
    "identical_ts": " / ".join(f"{ts_last.loc['gradcam', m]:.2f}" for m in ("pointing_game", "energy", "iou")),
    "untrained_scorecam": span(untrained_point[untrained_point.method == "scorecam"].value),
    "untrained_eigencam_b4": f"{untrained_point.set_index(['layer', 'method']).value[('block4', 'eigencam')]:.2f}",
    "trained_eigencam_b4": f"{cell('smallcnn', 'pointing_game', 'block4', 'eigencam').value:.2f}",
    "trained_scorecam": span(point[(point.model == 'smallcnn') & (point.method == 'scorecam')].value),
    "trained_gradcam": span(point[(point.model == 'smallcnn') & (point.method == 'gradcam')].value),
    "untrained_gradcam": span(untrained_point[untrained_point.method == "gradcam"].value),
    "del_small": (f"{del_small.min():.3f} ({NAMES[del_small.idxmin()]}) to {del_small.max():.3f} "
                  f"({NAMES[del_small.idxmax()]})"),
    "del_small_gradcam": f"{del_small['gradcam']:.3f}",
    "ins_small": span(ins_small),
    "del_ts_best": f"{NAMES[del_ts.idxmin()]} deletes best ({del_ts.min():.3f}",
    "del_ts_gradcam": f"{del_ts['gradcam']:.3f}",
    "ins_ts": span(ins_ts),
    "eigencam_rank": (f"{int(del_small.rank(method='min')['eigencam'])} of {len(del_small)} on deletion and "
                      f"{int(ins_small.rank(ascending=False, method='min')['eigencam'])} of {len(ins_small)} on insertion"),
}
publish(args, "04", figures=("overlay_smallcnn_gradcam_block4", "overlay_untrained_gradcam_block4", "localization_bars",
                             "faithfulness_bars"), numbers=numbers)
print("Wrote", OUT)
