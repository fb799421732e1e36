"""10 - Do the maps explain the model? Model-parameter randomisation tests (Adebayo et al. 2018).

1. train the built-in SmallCNN on the default what/where set (320 stimuli, 64 px) and make 80
   held-out stimuli (10 per category);
2. maps of the predicted class at ``block4`` with Grad-CAM, Grad-CAM++, LayerCAM, Score-CAM and
   Eigen-CAM;
3. cascading randomisation: re-initialise the net block by block from the output (fc, fc1, block4,
   ..., block1), recompute the maps for the same classes, and compare each with the original map of
   the same stimulus (Spearman rank correlation, SSIM); the same with one block at a time;
4. figures: similarity curves (cascade: rank correlation and SSIM; independent: rank correlation) and
   a grid of one stimulus' maps along the cascade.

Writes figures (PNG + PDF) and CSV tables to --out (default ./neurocompare-analyses/10_cam_sanity_checks/).
``--docs docs/images`` also refreshes the figures, the table and the numbers of docs/analyses/10_cam_sanity.md.
Run: python analyses/10_cam_sanity_checks.py   (about 6 minutes of CPU time; a few more the first time)
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args, publish  # noqa: E402

args = parse_args(__doc__, "10_cam_sanity_checks")
OUT = args.out
METHODS = ["gradcam", "gradcam++", "layercam", "scorecam", "eigencam"]
LAYER = "block4"

# 1. net and held-out stimuli -------------------------------------------------------------------
train_set = nc.stimuli.make_from_spec("whatwhere-default")
test_set = nc.stimuli.make_whatwhere(OUT / "stimuli-test", n_per_category=10, random_state=7, overwrite=True)
net = nc.models.train("smallcnn", train_set)

# 2.-3. randomisation tests ---------------------------------------------------------------------
results = {}
for order in ("cascade", "independent"):
    results[order] = nc.cam.randomization_test(net, test_set, method=METHODS, layer=LAYER, order=order,
                                               random_state=0)
    results[order].to_csv(OUT / "tables" / f"randomization_{order}.csv", index=False)
    for metric in ("spearman", "ssim"):
        part = results[order][results[order].metric == metric]
        means = part.pivot_table(index="method", columns=["step", "randomized"], values="value", sort=False)
        means.columns = [r for _, r in means.columns]
        means.round(3).to_csv(OUT / "tables" / f"randomization_{order}_{metric}_means.csv")
        print(f"{order}, {metric}:\n{means.round(2)}\n")

# 4. figures --------------------------------------------------------------------------------------
fig, axes = plt.subplots(1, 3, figsize=(13, 3.0))
nc.plotting.plot_randomization_test(results["cascade"], metric="spearman", ax=axes[0])
nc.plotting.plot_randomization_test(results["cascade"], metric="ssim", ax=axes[1])
nc.plotting.plot_randomization_test(results["independent"], metric="spearman", ax=axes[2])
axes[0].set_title("cascade: rank correlation")
axes[1].set_title("cascade: SSIM")
axes[2].set_title("one block at a time: rank correlation")
for ax in axes[:2]:
    ax.get_legend().remove()
nc.plotting.add_panel_letters(axes)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "randomization_curves")
plt.close(fig)

# maps of one stimulus along the cascade: rows = methods, columns = original + each step
copies = nc.cam.randomized_copies(net, order="cascade", random_state=0)
stim = test_set.subset([3])
image = np.asarray(stim.load_image(0).convert("RGB"))
cols = [("original", net)] + copies
fig, axes = plt.subplots(len(METHODS), len(cols) + 1, figsize=(1.25 * (len(cols) + 1), 1.3 * len(METHODS)))
classes = nc.cam.compute(net, stim, method="gradcam", layer=LAYER)["target_class"].values
for i, method in enumerate(METHODS):
    axes[i, 0].imshow(image)
    axes[i, 0].set_ylabel(method, fontsize=8)
    for j, (label, model) in enumerate(cols, start=1):
        m = nc.cam.compute(model, stim, method=method, layer=LAYER, target=classes)
        axes[i, j].imshow(m.values[0], cmap="inferno", vmin=0, vmax=1)
        if i == 0:
            axes[i, j].set_title(label if label == "original" else f"+ {label}", fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_title("stimulus", fontsize=8)
fig.suptitle("Maps of the predicted class as the SmallCNN is re-initialised from the output (cascade)",
             fontsize=9, y=1.0)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "randomization_maps")
plt.close(fig)


# the docs' table and the numbers their sentences quote -----------------------------------------
NAMES = {"gradcam": "Grad-CAM", "gradcam++": "Grad-CAM++", "layercam": "LayerCAM", "scorecam": "Score-CAM",
         "eigencam": "Eigen-CAM"}


def means(order, metric):
    """Mean similarity to the original map: methods (in METHODS order) x re-initialised block, step order."""
    part = results[order][(results[order].metric == metric) & (results[order].step > 0)]
    return part.pivot_table(index="method", columns="randomized", values="value", sort=False).loc[
        METHODS, list(dict.fromkeys(part.sort_values("step").randomized))]


def span(values):
    """'0.75-0.82' (or '-0.29 to 0.55', or one value when they all round alike)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    return f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}{' to ' if lo < 0 else '-'}{hi:.2f}"


def undefined(order, method="gradcam"):
    """Stimuli whose rank correlation is undefined (an all-zero map), per re-initialised block."""
    part = results[order][(results[order].metric == "spearman") & (results[order].method == method)
                          & (results[order].step > 0)]
    return part.groupby("randomized", sort=False).value.apply(lambda v: int(v.isna().sum()))


cas, cas_ssim, ind = means("cascade", "spearman"), means("cascade", "ssim"), means("independent", "spearman")
steps = list(cas.columns)
table = pd.DataFrame({"cascade, rank correlation": [NAMES[m] for m in METHODS]})
for i, step in enumerate(steps):
    table[f"{step} (all random)" if i == len(steps) - 1 else step] = [f"{v:.2f}" for v in cas[step]]
head = [b for b in steps if b.startswith("fc")]         # the blocks above LAYER (the head)
below = steps[steps.index(LAYER) + 1:]                  # the blocks below LAYER
followers = ["gradcam++", "layercam", "scorecam"]
low = ind.drop(index="gradcam").idxmin(axis=1)          # where each other method changes most, alone
zero_cas, zero_ind = undefined("cascade"), undefined("independent")
numbers = {
    "torch": __import__("torch").__version__,
    "n_stimuli": len(test_set),
    "gradcam_fc": f"{cas.loc['gradcam', steps[0]]:.2f}",
    "gradcam_fc_ssim": f"{cas_ssim.loc['gradcam', steps[0]]:.2f}",
    "gradcam_random": f"{cas.loc['gradcam', steps[-1]]:.2f}",
    "followers_random": span(cas.loc[followers, steps[-1]]),
    "followers_random_ssim": span(cas_ssim.loc[followers, steps[-1]]),
    "eigencam_head": span(cas.loc["eigencam", head]),
    "eigencam_layer": f"{cas.loc['eigencam', LAYER]:.2f}",
    "eigencam_below": span(cas.loc["eigencam", below]),
    "gradcam_alone": span(ind.loc["gradcam"]),
    "others_alone": "; ".join(f"{NAMES[m]} after `{low[m]}` ({ind.loc[m, low[m]]:.2f})" for m in low.index),
    "zero_fc": f"{zero_cas.iloc[0]} of {len(test_set)}",
    "zero_random": f"{zero_cas.iloc[-1]}",
    "zero_alone": f"{zero_ind.max()} after `{zero_ind.idxmax()}`",
}
publish(args, "10", figures=("randomization_curves", "randomization_maps"),
        tables={"cascade_spearman": table}, numbers=numbers)
print("Wrote", OUT)
