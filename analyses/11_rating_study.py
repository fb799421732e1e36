"""11 - Your rating study against three networks: photos, a rating CSV with missed trials, a paper figure.

The tutorial of docs/tutorial_rating_study.md, run end to end on data shaped like a real experiment's:

1. 18 photographs that ship with scikit-image and scikit-learn (different sizes, grey and colour, one
   with transparency), sorted into four category folders: photos, textures, scientific images, text and
   graphics;
2. a rating study as it comes out of an experiment program: a long CSV with its own column names
   (``stim_a, stim_b, rating, subject``), 1-7 *similarity* ratings, file names as ids, 12 subjects, about
   3% missed trials left empty. The ratings are SIMULATED (within-category pairs rated more similar, plus
   each subject's noise), so that the tutorial runs anywhere: replace the CSV with your own;
3. three torchvision networks (ResNet-18, AlexNet, MobileNet-V3-small; random weights, seed 0, since
   nothing is downloaded here: ``--weights DEFAULT`` for the ImageNet-trained networks);
4. correlation-distance RDMs of every default layer; each layer's Pearson correlation with each subject's
   RDM on the pairs that subject rated (pairwise deletion), averaged over subjects; 95% bootstrap CIs over
   stimuli and subjects, stimulus-label permutation p-values and the noise ceiling;
5. one figure for the paper: the human RDM and the three layer profiles, with panel letters.

Writes figures (PNG + PDF) and CSV tables to ``--out`` (default ./neurocompare-analyses/11_rating_study/).
Run: python analyses/11_rating_study.py   (about a minute on 2 CPU cores; 10 with --weights DEFAULT the
first time, for the downloads)
``--docs docs/images`` also refreshes the figure, table and numbers of docs/tutorial_rating_study.md.
"""
import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args, parser_for, publish  # noqa: E402

NETWORKS = ("resnet18", "alexnet", "mobilenet_v3_small")
N_BOOT, N_PERM = 1000, 1000
parser = parser_for(__doc__)
parser.add_argument("--weights", default=None, metavar="W",
                    help="Weights of the three networks: none (random, the default) or DEFAULT (ImageNet).")
args = parse_args(__doc__, "11_rating_study", parser=parser)
OUT = args.out
WEIGHTS = None if args.weights in (None, "none", "None") else args.weights

# 1. photographs into category folders -----------------------------------------------------------------------
PHOTOS = {
    "photos": ["astronaut", "coffee", "rocket", "chelsea", "china", "flower"],
    "textures": ["grass", "gravel", "brick"],
    "science": ["immunohistochemistry", "retina", "cell", "hubble_deep_field", "moon"],
    "text_and_graphics": ["page", "text", "logo", "colorwheel"],
}


def photo(name):
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    import skimage.data

    return getattr(skimage.data, name)()


folder = OUT / "photos"
for category, names in PHOTOS.items():
    (folder / category).mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.fromarray(photo(name)).save(folder / category / f"{name}.png")  # native size and mode
stimuli = nc.stimuli.load(folder)
print(stimuli)

# 2. a simulated rating study, written the way experiment software writes it ---------------------------------
rng = np.random.default_rng(11)
category = {name: c for c, names in PHOTOS.items() for name in names}
files = [f"{n}.png" for n in category]
pairs = list(itertools.combinations(files, 2))
true_sim = np.array([5.3 if category[a[:-4]] == category[b[:-4]] else 2.6 for a, b in pairs])
true_sim += rng.normal(0, 0.7, len(pairs))  # pairs differ beyond their category
rows = []
for s in range(1, 13):
    rating = np.clip(np.rint(true_sim + rng.normal(0, 1.1, len(pairs))), 1, 7)
    missed = rng.random(len(pairs)) < 0.03
    for (a, b), r, m in zip(pairs, rating, missed):
        rows.append({"subject": f"S{s:02d}", "stim_a": a, "stim_b": b, "rating": "" if m else int(r)})
ratings_csv = OUT / "ratings.csv"
pd.DataFrame(rows).sample(frac=1, random_state=0).to_csv(ratings_csv, index=False)  # trials in random order

# the human RDMs: similarity 1-7 -> dissimilarity, file names matched to the stimulus ids -------------------
human = nc.rsa.from_ratings(ratings_csv, subject="subject", stimulus_a="stim_a", stimulus_b="stim_b",
                            rating="rating", kind="similarity", scale=(1, 7))
human = nc.rsa.match_stimuli(human, stimuli.ids, name="ratings.csv")  # coffee.png -> photos/coffee

# 3-4. three networks, every default layer -------------------------------------------------------------------
models = [nc.models.load(name, weights=WEIGHTS) for name in NETWORKS]
acts = nc.extract(models, stimuli, reduce="avgpool", progress=False)
rdms = nc.rsa.compute_rdm(acts, "correlation")
res = nc.rsa.evaluate(rdms, human, method="corr", bootstrap="both", n_bootstrap=N_BOOT, permutations=N_PERM,
                      target="similarity ratings", random_state=0)
res.to_csv(OUT / "tables" / "rsa.csv", index=False)
print(res[["model", "layer", "value", "ci_low", "ci_high", "p"]].round(3).to_string(index=False))

# 5. the paper figure -------------------------------------------------------------------------------------------
group = nc.rsa.group_rdm(human)
group = group.assign_coords(category=("stimulus_a", stimuli.metadata.loc[group.stimulus_a.values, "category"]))
fig, axes = plt.subplots(1, 4, figsize=(16, 4.2), gridspec_kw={"width_ratios": [3.4, 3.4, 4, 6.4]})
nc.plotting.plot_rdm(group, title="similarity ratings (12 subjects)", ax=axes[0])
for i, (ax, name) in enumerate(zip(axes[1:], NETWORKS)):
    nc.plotting.plot_layer_profile(res[res.model == name], ax=ax, title=name,
                                   legend="right" if i == len(NETWORKS) - 1 else None)
low = min(ax.get_ylim()[0] for ax in axes[1:])
high = max(ax.get_ylim()[1] for ax in axes[1:])
for ax in axes[1:]:
    ax.set_ylim(low, high)  # one scale, so the networks can be compared by eye
for ax in axes[2:]:
    ax.set_ylabel("")
nc.plotting.add_panel_letters(axes)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "rating_study")

# the docs' table and numbers -----------------------------------------------------------------------------------
best = res.loc[res.groupby("model", sort=False).value.idxmax()]


def p_text(p):
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


table = pd.DataFrame({"network": best.model, "best layer": best.layer, "r": best.value.map("{:.3f}".format),
                      "95% CI (stimuli and subjects)": [f"[{a:.3f}, {b:.3f}]" for a, b in zip(best.ci_low,
                                                                                            best.ci_high)],
                      "p (permutation)": best.p.map(p_text)})
missing = sum(r["rating"] == "" for r in rows)
numbers = {"n_trials": f"{len(rows):,}", "n_missed": f"{missing}", "missed_percent": f"{100 * missing / len(rows):.1f}",
           "ceiling_lower": f"{res.noise_ceiling_lower.iloc[0]:.3f}",
           "ceiling_upper": f"{res.noise_ceiling_upper.iloc[0]:.3f}"}
publish(args, "11", figures=("rating_study",), tables={"best_layers": table}, numbers=numbers)
print(f"Wrote figures and tables to {OUT}")
