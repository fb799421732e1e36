"""06 - Models against people, trial by trial: accuracy, error consistency, confusions, shape bias, psychometrics.

The real data of Geirhos et al. (2019): 10 people and 5 CNNs classified 160 edge drawings and 160
filled silhouettes (16-alternative forced choice), and 1280 shape-texture cue-conflict images.

1. the paper's CNNs against the 10 humans: accuracy per experiment with a band for the humans;
   error consistency (Cohen's kappa over trials, Geirhos et al. 2020) of every CNN with every
   human, beside the human-to-human baseline (every pair of people); the full matrix; the
   correlation of confusion matrices;
2. shape bias on the cue-conflict trials (the paper's exclusions): people against ImageNet CNNs
   and a ResNet-50 trained on Stylized-ImageNet;
3. end to end with a built-in net (no ImageNet weights offline): a SmallCNN trained on the 160
   filled silhouettes plus their outlines (16 category labels; "a shape-only diet"), run on the
   160 edge images with an identity mapping -> a model trial table -> the same metrics against
   the 10 humans, and people's reaction times against the net's confidence;
4. a psychometric function: the same net on the 160 silhouettes at 9 widths of uniform pixel
   noise (Geirhos et al. 2018's manipulation, without their contrast reduction, which this net
   never saw); cumulative-normal fit with guess rate 1/16 and a fitted lapse rate, threshold and
   slope with bootstrap CIs. The silhouettes are the net's training images (noise-free), and the
   dataset has no human noise trials, so this part shows the model side of the method only.

Writes figures (PNG + PDF) and CSV tables to --out (default ./neurocompare-analyses/06_behavior_vs_humans/).
Run: python analyses/06_behavior_vs_humans.py   (about 5 minutes on 2 CPU cores the first time)
Needs the data: NEUROCOMPARE_DATA_DIR=/path/with/geirhos2019 or an internet connection once.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args  # noqa: E402

B, P = nc.behavior, nc.plotting
args = parse_args(__doc__, "06_behavior_vs_humans")
OUT = args.out
N_BOOT = 1000

g = nc.datasets.fetch_geirhos2019()
humans, cnns = g.humans, g.models

# 1. the paper's CNNs against the 10 humans --------------------------------------------------------
acc = pd.concat([B.accuracy(humans, n_bootstrap=N_BOOT).assign(group="human"),
                 B.accuracy(cnns, n_bootstrap=N_BOOT).assign(group="model")], ignore_index=True)
acc.to_csv(OUT / "tables" / "accuracy.csv", index=False)
print(acc.pivot_table(index="subject", columns="condition", values="value", sort=False).round(3))

table = B.consistency_table(cnns, humans, n_bootstrap=N_BOOT)
table.to_csv(OUT / "tables" / "error_consistency.csv", index=False)
summary = B.summarize_consistency(table)
summary.to_csv(OUT / "tables" / "consistency_summary.csv", index=False)
print(summary.round(3).to_string(index=False))
confusions = pd.concat([B.confusion_correlation(cnns, humans, n_bootstrap=N_BOOT).assign(pair="model-human"),
                        B.confusion_correlation(humans, n_bootstrap=N_BOOT).assign(pair="human-human")])
confusions.to_csv(OUT / "tables" / "confusion_correlation.csv", index=False)
print(confusions.groupby(["pair", "condition", "subject_a"], sort=False)["value"].mean().round(3)
      .unstack("condition"))

with P.paper_style():
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 2.9), gridspec_kw={"width_ratios": [1, 1.35]})
    P.plot_accuracy_by_condition(acc[acc.group == "model"], acc[acc.group == "human"], ax=axes[0])
    axes[0].legend_.remove()
    P.plot_consistency(summary, ax=axes[1])
    P.add_panel_letters(axes)
    fig.tight_layout()
P.save_figure(fig, OUT / "figures" / "accuracy_and_consistency")
with P.paper_style():
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, cond in zip(axes, ["edge", "silhouette"]):
        P.plot_error_consistency_matrix(table, condition=cond, vmax=0.7, ax=ax)
    P.add_panel_letters(axes)
    fig.tight_layout()
P.save_figure(fig, OUT / "figures" / "error_consistency_matrix")

# 2. shape bias ------------------------------------------------------------------------------------
cue = g.cue_conflict
keep = ["alexnet", "googlenet", "vgg", "resnet50", "resnet50-train-60-epochs"]
cue = cue[(cue.observer == "human") | cue.subject.isin(keep)]
sb = B.shape_bias(cue, by_category=True, n_bootstrap=N_BOOT)
sb.to_csv(OUT / "tables" / "shape_bias.csv", index=False)
overall = sb[(sb.metric == "shape_bias") & (sb.category == "all")].set_index("subject")
print(overall[["value", "ci_low", "ci_high", "n"]].round(3))
with P.paper_style():
    fig, axes = plt.subplots(1, 2, figsize=(8.6, 4.2))
    P.plot_shape_bias(sb, ax=axes[0])
    P.plot_shape_bias(sb, kind="categories", ax=axes[1])
    P.add_panel_letters(axes)
    fig.tight_layout()
P.save_figure(fig, OUT / "figures" / "shape_bias")

# 3. end to end: a SmallCNN on a shape-only diet, tested on the edge images --------------------
sil = g.stimuli["silhouette"]
diet = OUT / "stimuli-silhouettes-and-outlines"
diet.mkdir(exist_ok=True)
rows = []
for sid, r in sil.metadata.iterrows():
    img = sil.load_image(sid).convert("L")
    mask = np.asarray(img) < 128
    inner = np.asarray(Image.fromarray((mask * 255).astype("uint8")).filter(ImageFilter.MinFilter(5))) > 0
    Image.fromarray(np.where(mask, 0, 255).astype("uint8")).convert("RGB").save(diet / f"{sid}.png")
    Image.fromarray(np.where(mask & ~inner, 0, 255).astype("uint8")).convert("RGB").save(diet / f"{sid}_outline.png")
    rows += [{"stimulus_id": sid, "file": f"{sid}.png", "category": r["category"], "kind": "filled"},
             {"stimulus_id": f"{sid}_outline", "file": f"{sid}_outline.png", "category": r["category"],
              "kind": "outline"}]
diet_set = nc.stimuli.StimulusSet(diet, pd.DataFrame(rows), what=["category"], where=[], name="silhouettes+outlines")
net = nc.models.train("smallcnn", diet_set, epochs=20, val_fraction=0, options={"image_size": 64}, random_state=0)
mine = B.model_trials(net, g.stimuli["edge"], condition="edge", subject="smallcnn (shape diet)")
mine.to_csv(OUT / "tables" / "smallcnn_edge_trials.csv", index=False)
edge_h, edge_m = humans[humans.condition == "edge"], cnns[cnns.condition == "edge"]
models_edge = pd.concat([edge_m, mine[edge_m.columns.intersection(mine.columns)]], ignore_index=True)
mine_acc = B.accuracy(mine, n_bootstrap=N_BOOT)
mine_table = B.consistency_table(models_edge, edge_h, n_bootstrap=N_BOOT)
mine_table.to_csv(OUT / "tables" / "edge_consistency_with_smallcnn.csv", index=False)
mine_summary = B.summarize_consistency(mine_table)
rt = B.rt_confidence(mine, edge_h, n_bootstrap=N_BOOT)
rt.to_csv(OUT / "tables" / "rt_confidence.csv", index=False)
print(mine_acc.round(3).to_string(index=False))
print(mine_summary.round(3).to_string(index=False))
print(rt.groupby("pair")["value"].agg(["mean", "min", "max"]).round(3))
with P.paper_style():
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.4), gridspec_kw={"width_ratios": [1.5, 1]})
    P.plot_error_consistency_matrix(mine_table, vmax=0.7, ax=axes[0])
    P.plot_consistency(mine_summary, ax=axes[1], title="Edge images: consistency with humans")
    P.add_panel_letters(axes)
    fig.tight_layout()
P.save_figure(fig, OUT / "figures" / "smallcnn_edges")

# 4. psychometric function: uniform noise on the silhouettes -------------------------------------
WIDTHS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0]
rng = np.random.default_rng(0)
noisy = OUT / "stimuli-noise"
noisy.mkdir(exist_ok=True)
rows = []
for sid, r in sil.metadata.iterrows():
    grey = np.asarray(sil.load_image(sid).convert("L"), dtype=float) / 255
    for w in WIDTHS:  # uniform noise in [-w, w] added to every pixel (Geirhos et al. 2018), then clipped
        x = np.clip(grey + rng.uniform(-w, w, size=grey.shape), 0, 1)
        name = f"{sid}_w{int(w * 100):02d}"
        Image.fromarray((x * 255).round().astype("uint8")).convert("RGB").save(noisy / f"{name}.png")
        rows.append({"stimulus_id": name, "file": f"{name}.png", "category": r["category"], "noise": w})
noise_set = nc.stimuli.StimulusSet(noisy, pd.DataFrame(rows), what=["category"], where=[], name="silhouettes+noise")
noise_trials = B.model_trials(net, noise_set, condition="noise", subject="smallcnn (shape diet)")
fits = B.fit_psychometric(noise_trials, level="condition", function="cumulative_normal", guess=1 / 16,
                          n_bootstrap=200)
fits.to_csv(OUT / "tables" / "psychometric_noise.csv", index=False)
print(noise_trials.groupby("condition")["correct"].mean().round(3))
print(fits.round(3).to_string(index=False))
ax = P.plot_psychometric(noise_trials, fits, title="SmallCNN: silhouettes in uniform noise")
ax.set_xlabel("uniform noise width")
P.save_figure(ax.figure, OUT / "figures" / "psychometric_noise")
plt.close("all")
print(f"Wrote figures and tables to {OUT}")
