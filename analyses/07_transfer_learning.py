"""07 - Transfer learning: frozen backbone vs fine-tuning vs training from scratch, and what changes inside.

A SmallCNN is trained to name the shape (category) of the what/where stimuli. It is then re-used
for two new tasks:

1. shapes -> digits: scikit-learn's handwritten digits (1797 images, 10 classes), a new image
   domain with new categories;
2. what -> where: the horizontal position ``x`` of new what/where stimuli, a regression target the
   category-trained net was never asked about.

For each task: the three modes (frozen backbone + new head, fine-tuning, same net from scratch)
at five training-set sizes and three seeds; the freezing sweep of Yosinski et al. (2014) (freeze
up to layer k, train the rest); and the representational change of every layer between the
start and the end of training (linear CKA and RDM correlation on the held-out test stimuli).

Writes figures (PNG + PDF) and CSV tables to --out (default ./neurocompare-analyses/07_transfer/).
Run: python analyses/07_transfer_learning.py   (a few minutes on 2 CPU cores; interrupted runs resume)
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args  # noqa: E402

# Small nets on a shared 2-core machine: one thread is several times faster than two competing ones.
torch.set_num_threads(1)

SEEDS = (0, 1, 2)
EPOCHS, PATIENCE = 15, 4
args = parse_args(__doc__, "07_transfer")
OUT = args.out

# source: a SmallCNN that names the shape (8 categories, 32 px) -------------------------------------------------
shapes = nc.stimuli.make_whatwhere(OUT / "stimuli-shapes", n_per_category=40, image_size=32, random_state=0,
                                   overwrite=True)
source = nc.models.train("smallcnn", shapes, epochs=20, options={"image_size": 32})
val = source.history[(source.history.split == "validation") & (source.history.epoch == 20)]
print("source: validation accuracy on shapes", round(float(val[val.metric == "accuracy"].value.iloc[0]), 3))

digits = nc.stimuli.make_digits(OUT / "stimuli-digits", image_size=32, overwrite=True)
where = nc.stimuli.make_whatwhere(OUT / "stimuli-where", n_per_category=60, image_size=32, random_state=7,
                                  overwrite=True)
tasks = {
    "digits": dict(stimuli=digits, target="category", sizes=[20, 50, 100, 300, 1000], sweep_n=100),
    "where": dict(stimuli=where, target="x", sizes=[12, 25, 50, 100, 288], sweep_n=50),
}
common = dict(random_state=SEEDS, epochs=EPOCHS, patience=PATIENCE, lr=1e-3)
results, sweeps = {}, {}
for name, t in tasks.items():
    results[name] = nc.transfer.run(source, t["stimuli"], target=t["target"], train_sizes=t["sizes"],
                                    out=OUT / "runs" / name, **common)
    sweeps[name] = nc.transfer.sweep_freezing(source, t["stimuli"], target=t["target"], train_sizes=[t["sweep_n"]],
                                              out=OUT / "runs" / f"{name}-sweep", **common)
    for table in ("history", "scores", "change"):
        getattr(results[name], table).to_csv(OUT / "tables" / f"{name}_{table}.csv", index=False)
    results[name].summary().to_csv(OUT / "tables" / f"{name}_summary.csv", index=False)
    sweeps[name].scores.to_csv(OUT / "tables" / f"{name}_sweep_scores.csv", index=False)
    sweeps[name].summary().to_csv(OUT / "tables" / f"{name}_sweep_summary.csv", index=False)
    sweeps[name].change.to_csv(OUT / "tables" / f"{name}_sweep_change.csv", index=False)

# reference: the frozen features read out by a linear model fitted to convergence ---------------------------------
# (5-fold cross-validated logistic regression / ridge on the head's input, relu(fc1), of the source; each fold
# trains on 80% of the set, more than the largest training size above)
probe = []
for name, t in tasks.items():
    feats = nc.extraction.get_layer(nc.extract(source, t["stimuli"], layers=["relu"], progress=False), "relu")
    est = "logistic" if name == "digits" else None
    res = nc.decoding.decode(feats, t["target"], estimator=est, cv=5, random_state=0)
    probe.append(res.assign(task=name))
probe = pd.concat(probe)
probe.to_csv(OUT / "tables" / "frozen_linear_probe.csv", index=False)

# figures ------------------------------------------------------------------------------------------------------
titles = {"digits": "shapes -> digits (10 classes)", "where": "what -> where (x position)"}
for name, res in results.items():
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.3))
    mid = tasks[name]["sizes"][2]
    nc.plotting.plot_learning_curves(res.history, n_train=mid, ax=axes[0])
    nc.plotting.plot_score_vs_n(res.scores, chance=0.1 if name == "digits" else 0.0, ax=axes[1])
    nc.plotting.plot_representational_change(res.change, ax=axes[2])
    axes[0].set_title(f"learning curves, n = {mid}", fontsize=9)
    axes[2].set_title(f"change across depth, n = {max(tasks[name]['sizes'])}", fontsize=9)
    fig.suptitle(titles[name], fontsize=10)
    nc.plotting.add_panel_letters(axes)
    fig.tight_layout()
    nc.plotting.save_figure(fig, OUT / "figures" / f"{name}_modes")
    plt.close(fig)

fig, axes = plt.subplots(1, 4, figsize=(13.5, 3.3))
for i, (name, sw) in enumerate(sweeps.items()):
    nc.plotting.plot_freezing_sweep(sw.scores, ax=axes[2 * i])
    axes[2 * i].set_title(f"{titles[name]}: freezing sweep", fontsize=9)
    ch = sw.change[sw.change.metric == "cka"]
    for k, (fu, d) in enumerate(ch.groupby("frozen_depth")):
        m = d.groupby("depth").value.mean()
        label = "fine-tune all" if fu == 0 else f"frozen to {d.freeze_until.iloc[0]}"
        axes[2 * i + 1].plot(m.index, m.values, "-o", ms=3, color=nc.plotting.PALETTE[k % 8], label=label)
    layers = ch.drop_duplicates("layer").sort_values("depth").layer.tolist()
    axes[2 * i + 1].set_xticks(range(len(layers)))
    axes[2 * i + 1].set_xticklabels(layers, rotation=45, ha="right")
    axes[2 * i + 1].set_ylabel("linear CKA, after vs start")
    axes[2 * i + 1].set_title("change across depth (sweep)", fontsize=9)
    axes[2 * i + 1].legend(frameon=False, fontsize=5)
nc.plotting.add_panel_letters(axes)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "freezing_sweeps")
plt.close(fig)

# the pattern the literature reports -----------------------------------------------------------------------------
rows = []
for name, res in results.items():
    s = res.scores[res.scores.metric.isin(["accuracy", "r2"])]
    wide = s.pivot_table(index=["n_train", "seed"], columns="mode", values="value")
    for n, d in wide.groupby(level="n_train"):
        diff = d["finetune"] - d["frozen"]
        rows.append(dict(task=name, n_train=n, comparison="finetune - frozen", mean=diff.mean(), min=diff.min(),
                         max=diff.max(), n_seeds_above_0=int((diff > 0).sum())))
        diff = d["finetune"] - d["scratch"]
        rows.append(dict(task=name, n_train=n, comparison="finetune - scratch", mean=diff.mean(), min=diff.min(),
                         max=diff.max(), n_seeds_above_0=int((diff > 0).sum())))
    c = res.change[(res.change["mode"] == "finetune") & (res.change.metric == "cka")]
    for n, d in c.groupby("n_train"):
        per_seed = [np.corrcoef(g.depth, g.value)[0, 1] for _, g in d.groupby("seed")]
        m = d.groupby("layer", sort=False).value.mean()
        rows.append(dict(task=name, n_train=n, comparison="finetune CKA: corr(depth, CKA)", mean=np.mean(per_seed),
                         min=np.min(per_seed), max=np.max(per_seed),
                         n_seeds_above_0=int(np.sum(np.array(per_seed) > 0)),
                         detail=", ".join(f"{k} {v:.3f}" for k, v in m.items())))
patterns = pd.DataFrame(rows)
patterns.to_csv(OUT / "tables" / "patterns.csv", index=False)
pd.set_option("display.width", 200)
for name, res in results.items():
    summ = res.summary()
    summ = summ[summ.metric != "loss"]
    print(f"\n{titles[name]}: test score, mean over {len(SEEDS)} seeds [95% CI]")
    print(summ.pivot_table(index="n_train", columns="mode", values="value").round(3))
    print(f"\n{titles[name]}: CKA after vs start (finetune, mean over seeds)")
    ch = res.change[(res.change.metric == "cka") & (res.change["mode"] != "frozen")
                    & (res.change.compared_to == "start")]
    print(ch.pivot_table(index=["mode", "n_train"], columns="layer", values="value", sort=False).round(3))
    print(f"\n{titles[name]}: freezing sweep")
    sw = sweeps[name].summary()
    print(sw[sw.metric != "loss"][["freeze_until", "frozen_depth", "n_train", "value", "ci_low", "ci_high"]].round(3))
print("\n", patterns.round(3).to_string(index=False))
print("\nfrozen features, converged linear read-out (5-fold CV):")
print(probe[["task", "target", "metric", "value", "ci_low", "ci_high"]].round(3).to_string(index=False))
