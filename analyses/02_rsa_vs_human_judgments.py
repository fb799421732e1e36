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
   subjects, scored on the 16th).

Writes figures (PNG + PDF) and CSV tables to ``--out`` (default ./neurocompare-analyses/02_rsa/).
Run: NEUROCOMPARE_DATA_DIR=../shared/data python analyses/02_rsa_vs_human_judgments.py  (~2 min)
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args  # noqa: E402

WEIGHTS = None  # "DEFAULT" for ImageNet weights (downloads once)
N_BOOT, N_PERM = 1000, 1000
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
fig, ax = plt.subplots(figsize=(3.2, 3))
nc.plotting.plot_model_comparison(best, label="label", ax=ax)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "best_layers")
print(f"Wrote figures and tables to {OUT}")
