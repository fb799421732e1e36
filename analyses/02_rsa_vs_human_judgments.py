"""02 - RSA: which network layers represent the 92 objects the way people judge them?

Kriegeskorte et al. (2008) showed 92 object photographs to people and monkeys. Mur et al.
(2013) had 16 people arrange them by similarity. Here we compare the layers of two networks
with those judgments and with human IT (fMRI), the way RSA papers do:

1. fetch the 92 images, the 16 subjects' judgment RDMs and the human IT RDMs
   (``nc.datasets.fetch_kriegeskorte92``; set NEUROCOMPARE_DATA_DIR to a folder holding
   ``kriegeskorte92/`` to work offline);
2. extract every default layer of a ResNet-18 (random initialisation, seed 0, since nothing is
   downloaded here; set WEIGHTS = "DEFAULT" for the ImageNet-trained network) and of the built-in
   TwoStreamNet trained on the what/where shapes;
3. correlation-distance RDMs per layer; Pearson RDM correlation with each subject, averaged;
   95% bootstrap CIs over stimuli; stimulus-label permutation p-values; the noise ceiling;
4. pairwise layer tests (FDR), and a non-circular choice of the best layer (chosen on 15
   subjects, scored on the 16th);
5. the same scores (without bootstrap and permutations) for seeds 1 and 2 of both networks
   (ResNet-18 initialisation, TwoStreamNet training), to see which conclusions survive the seed.

Writes figures (PNG + PDF) and CSV tables to ``--out`` (default ./neurocompare-analyses/02_rsa/).
``--docs docs/images`` also refreshes the figures and the numbers of docs/analyses/02_rsa.md.
Run: NEUROCOMPARE_DATA_DIR=../shared/data python analyses/02_rsa_vs_human_judgments.py  (~2 min)
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args, publish  # noqa: E402

WEIGHTS = None  # "DEFAULT" for ImageNet weights (downloads once)
N_BOOT, N_PERM = 1000, 1000
SEEDS = (0, 1, 2)  # seed 0: the full analysis; all three: the spread over seeds
args = parse_args(__doc__, "02_rsa")
OUT = args.out

# 1. data ---------------------------------------------------------------------------------
k92 = nc.datasets.fetch_kriegeskorte92()
judgments = k92.judgments                                     # (subject, stimulus_a, stimulus_b)
human_it = k92.human_it.stack(rdm=("subject", "session"))     # 4 subjects x 2 sessions

fig, axes = plt.subplots(1, 2, figsize=(8, 3.8))
nc.plotting.plot_rdm(nc.rsa.group_rdm(judgments), by="category", percentile=True,
                     title="similarity judgments (16 subjects)", ax=axes[0])
nc.plotting.plot_mds(nc.rsa.group_rdm(judgments), by="category", ax=axes[1])
nc.plotting.add_panel_letters(axes)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "judgments_rdm_mds")

# 2. models and activations ---------------------------------------------------------------
resnet = nc.models.load("resnet18", weights=WEIGHTS)
twostream = nc.models.train("twostreamnet", nc.stimuli.make_from_spec("whatwhere-default"))
acts = nc.extract([resnet, twostream], k92.stimuli, reduce="avgpool")
rdms = nc.rsa.compute_rdm(acts, "correlation")                # (rdm, stimulus_a, stimulus_b)

# 3. evaluation -----------------------------------------------------------------------------
res_j = nc.rsa.evaluate(rdms, judgments, method="corr", n_bootstrap=N_BOOT, permutations=N_PERM,
                        target="similarity judgments")
res_it = nc.rsa.evaluate(rdms, human_it, method="corr", n_bootstrap=N_BOOT, permutations=N_PERM,
                         target="human IT (fMRI)")
res_j.to_csv(OUT / "tables" / "rsa_judgments.csv", index=False)
res_it.to_csv(OUT / "tables" / "rsa_human_it.csv", index=False)
print(res_j[["model", "layer", "stream", "value", "ci_low", "ci_high", "p"]].to_string(index=False))
print(f"noise ceiling (judgments): {res_j.noise_ceiling_lower[0]:.3f} - {res_j.noise_ceiling_upper[0]:.3f}")

fig, axes = plt.subplots(2, 2, figsize=(12, 6.6), gridspec_kw={"width_ratios": [7, 9]})
for row, res in enumerate((res_j, res_it)):
    for col, model in enumerate(("resnet18", "twostreamnet")):
        # titles come from the table ("resnet18 vs similarity judgments"); one legend per row, at the right
        nc.plotting.plot_layer_profile(res[res.model == model], ax=axes[row, col],
                                       color_by="stream" if model == "twostreamnet" else None,
                                       legend="right" if col else None)
nc.plotting.add_panel_letters(axes)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "layer_profiles")

# 4. pairwise tests and non-circular layer choice -----------------------------------------
pair = nc.rsa.pairwise_tests(rdms.where(rdms.model == "resnet18", drop=True), judgments, n_bootstrap=N_BOOT)
pair.to_csv(OUT / "tables" / "pairwise_resnet18_layers.csv", index=False)
choice = nc.rsa.assign_layers(rdms, judgments, by="subjects")
choice.to_csv(OUT / "tables" / "layer_assignment.csv", index=False)
summary = choice.groupby("model").agg(most_chosen=("best_layer", lambda s: s.mode()[0]),
                                      held_out_score=("test_score", "mean"))
print(summary)

best = pd.concat([res_j[(res_j.model == m) & (res_j.layer == summary.loc[m, "most_chosen"])]
                  for m in summary.index])
best = best.assign(label=best.model + "\n" + best.layer)
fig, ax = plt.subplots(figsize=(5.6, 3.2))
nc.plotting.plot_model_comparison(best, label="label", ax=ax, title="best layers vs similarity judgments")
ax.set_xticklabels(best.label, rotation=0, ha="center")   # two short lines each: no need to rotate
ax.set_xlabel("")
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "best_layers")


# 5. the spread over seeds (scores only) ----------------------------------------------------
def seed_scores(seed):
    """Each layer's mean RDM correlation with the judgments and with human IT, for one seed of both nets."""
    nets = [nc.models.load("resnet18", weights=WEIGHTS, random_state=seed),
            nc.models.train("twostreamnet", nc.stimuli.make_from_spec("whatwhere-default"), random_state=seed,
                            progress=False)]
    r = nc.rsa.compute_rdm(nc.extract(nets, k92.stimuli, reduce="avgpool"), "correlation")
    return pd.concat([nc.rsa.evaluate(r, ref, method="corr", bootstrap=None, permutations=0, ceiling=False)
                      .assign(seed=seed, reference=name)[["seed", "reference", "model", "layer", "value"]]
                      for name, ref in (("judgments", judgments), ("human IT", human_it))])


seeds = pd.concat([seed_scores(s) for s in SEEDS])
seeds.to_csv(OUT / "tables" / "seeds.csv", index=False)
wide = seeds.pivot_table(index=["reference", "model", "seed"], columns="layer", values="value")
best_per_seed = wide.loc["judgments"].idxmax(axis=1).unstack("seed")   # (model, seed) -> best layer
best_r_per_seed = wide.loc["judgments"].max(axis=1).unstack("seed")
it_gap = (wide.loc[("human IT", "twostreamnet"), "ventral.block4"]
          - wide.loc[("human IT", "twostreamnet"), "dorsal.fc"])           # one value per seed
print("best layer (judgments) per seed:\n", best_per_seed)
print("human IT, ventral.block4 - dorsal.fc per seed:", it_gap.round(3).to_dict())


# the numbers the docs page quotes ------------------------------------------------------------
def r_ci(row):
    return f"r = {row.value:.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]"


def layers(models):
    """'ResNet-18 `maxpool`' for each model, in the order given."""
    names = {"resnet18": "ResNet-18", "twostreamnet": "TwoStreamNet"}
    return [f"{names[m]} `{summary.loc[m, 'most_chosen']}`" for m in models]


top = res_j.loc[res_j.groupby("model").value.idxmax()].set_index("model")
it = res_it.set_index(["model", "layer"])
n_folds = choice.groupby("model").size()
n_most = choice.groupby("model").best_layer.agg(lambda s: (s == s.mode()[0]).sum())
chosen = [f"{name} {'every time' if n_most[m] == n_folds[m] else f'in {n_most[m]} of {n_folds[m]} folds'}"
          for m, name in zip(("resnet18", "twostreamnet"), layers(("resnet18", "twostreamnet")))]
numbers = {
    "ceiling_judgments": f"{res_j.noise_ceiling_lower[0]:.2f}-{res_j.noise_ceiling_upper[0]:.2f}",
    "ceiling_it": f"{res_it.noise_ceiling_lower[0]:.2f}-{res_it.noise_ceiling_upper[0]:.2f}",
    "ceiling_judgments_lower": f"{res_j.noise_ceiling_lower[0]:.2f}",
    "best_resnet": f"r = {top.loc['resnet18', 'value']:.2f} (ResNet-18 `{top.loc['resnet18', 'layer']}`)",
    "best_twostream": f"{top.loc['twostreamnet', 'value']:.2f} (TwoStreamNet `{top.loc['twostreamnet', 'layer']}`)",
    "above_chance": f"{(res_j.p < 0.01).sum()} of the {len(res_j)} layers",
    "it_ventral_block4": r_ci(it.loc[("twostreamnet", "ventral.block4")]),
    "it_ventral_fc": r_ci(it.loc[("twostreamnet", "ventral.fc")]),
    "it_dorsal_fc1": r_ci(it.loc[("twostreamnet", "dorsal.fc1")]),
    "it_dorsal_fc": r_ci(it.loc[("twostreamnet", "dorsal.fc")]),
    "pairs_differ": f"{int(pair.significant.sum())} of {len(pair)} pairs",
    "layer_choice": " and ".join(chosen),
    "seeds": len(SEEDS),
    "it_gap_seeds": ", ".join(f"{v:+.3f}" for v in it_gap),
    "best_resnet_seeds": ", ".join(f"`{best_per_seed.loc['resnet18', s]}`" for s in SEEDS),
    "best_twostream_seeds": ", ".join(f"`{best_per_seed.loc['twostreamnet', s]}`" for s in SEEDS),
    "best_r_range_resnet": f"{best_r_per_seed.loc['resnet18'].min():.2f}-{best_r_per_seed.loc['resnet18'].max():.2f}",
    "best_r_range_twostream": (f"{best_r_per_seed.loc['twostreamnet'].min():.2f}-"
                               f"{best_r_per_seed.loc['twostreamnet'].max():.2f}"),
    "torch": __import__("torch").__version__,
}
publish(args, "02", figures=("judgments_rdm_mds", "layer_profiles", "best_layers"), numbers=numbers)
print(f"Wrote figures and tables to {OUT}")
