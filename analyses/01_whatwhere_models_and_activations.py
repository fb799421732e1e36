"""01 - What/where stimuli, built-in two-pathway nets, and their activations.

The foundation of every later analysis, run end to end on the embedded default data:

1. generate the default what/where stimulus set (8 shapes; position, size, rotation and
   luminance vary independently of shape) and a held-out set;
2. train the built-in TwoStreamNet (ventral branch -> category, dorsal branch -> x, y, size)
   and UNet (segmentation + category head) on it, on the CPU, with 3 seeds;
3. check what the models say on held-out stimuli: category accuracy, segmentation IoU
   against the exact masks, and location read-out error (seed 0, and the spread over seeds);
4. extract every default layer of the TwoStreamNet into a zarr store and show each
   stream's geometry (first two principal components, coloured by category and by x).

Writes figures (PNG + PDF) and CSV tables to ``--out`` (default ./neurocompare-analyses/01_whatwhere/).
Run:  python analyses/01_whatwhere_models_and_activations.py   (about 3 minutes the first time)
``--docs docs/images`` also refreshes the figures and the table of docs/analyses/01_whatwhere.md.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args, publish  # noqa: E402

args = parse_args(__doc__, "01_whatwhere")
OUT = args.out

# 1. stimuli ---------------------------------------------------------------------------
train_set = nc.stimuli.make_from_spec("whatwhere-default")  # generated once, then cached
test_set = nc.stimuli.make_whatwhere(OUT / "stimuli-test", n_per_category=10, random_state=1000, overwrite=True)
fig, ax = plt.subplots(figsize=(6, 6))
nc.plotting.plot_stimuli(train_set, n=16, show_boxes=True, ax=ax)
nc.plotting.save_figure(fig, OUT / "figures" / "stimuli")

# 2. models ----------------------------------------------------------------------------
SEEDS = (0, 1, 2)  # the docs quote seed 0 and the spread over these seeds
nets = {seed: (nc.models.train("twostreamnet", train_set, random_state=seed),  # cached after the first run
               nc.models.train("unet", train_set, random_state=seed)) for seed in SEEDS}
twostream, unet = nets[0]
pd.concat([net.history.assign(seed=seed) for seed, pair in nets.items() for net in pair]).to_csv(
    OUT / "tables" / "training_history.csv", index=False)


# 3. held-out predictions --------------------------------------------------------------
def held_out_table(twostream, unet, seed):
    p_ts = nc.models.predict(twostream, test_set)
    p_un = nc.models.predict(unet, test_set)
    truth = test_set.metadata
    rows = []
    for sid in test_set.ids:
        mask = test_set.load_mask(sid)
        seg = p_un.masks[sid].any(0) if len(p_un.masks[sid]) else np.zeros_like(mask)
        where = p_ts.where.set_index("stimulus_id").loc[sid]
        rows.append({
            "seed": seed, "stimulus_id": sid, "category": truth.loc[sid, "category"],
            "twostream_category": p_ts.what.query("stimulus_id == @sid and rank == 1").label.iloc[0],
            "unet_category": p_un.what.query("stimulus_id == @sid and rank == 1").label.iloc[0],
            "unet_mask_iou": (seg & mask).sum() / (seg | mask).sum(),
            "twostream_x_error": where.x - truth.loc[sid, "x"], "twostream_y_error": where.y - truth.loc[sid, "y"],
            "twostream_size_error": where["size"] - truth.loc[sid, "size"],
        })
    return pd.DataFrame(rows), p_ts, p_un


def summarise(h):
    return pd.DataFrame([
        {"model": "twostreamnet", "metric": "category accuracy", "value": (h.twostream_category == h.category).mean()},
        {"model": "unet", "metric": "category accuracy", "value": (h.unet_category == h.category).mean()},
        {"model": "unet", "metric": "mean mask IoU", "value": h.unet_mask_iou.mean()},
        {"model": "twostreamnet", "metric": "x error (RMS, image widths)",
         "value": np.sqrt((h.twostream_x_error ** 2).mean())},
        {"model": "twostreamnet", "metric": "y error (RMS, image heights)",
         "value": np.sqrt((h.twostream_y_error ** 2).mean())},
        {"model": "twostreamnet", "metric": "size error (RMS, image sides)",
         "value": np.sqrt((h.twostream_size_error ** 2).mean())},
    ]).assign(seed=int(h.seed.iloc[0]), n=len(h))


tables = [held_out_table(*nets[seed], seed) for seed in SEEDS]
held_out = pd.concat([t[0] for t in tables])
held_out.to_csv(OUT / "tables" / "heldout_predictions.csv", index=False)
p_ts, p_un = tables[0][1], tables[0][2]
summary = pd.concat([summarise(t[0]) for t in tables])
summary.to_csv(OUT / "tables" / "heldout_summary.csv", index=False)
print(summary.pivot_table(index=["model", "metric"], columns="seed", values="value", sort=False).round(3))
spread = summary.groupby(["model", "metric"], sort=False).value.agg(["mean", "std", "min", "max"]).reset_index()
digits = {"category accuracy": 2, "mean mask IoU": 2}
docs_table = pd.DataFrame({
    "model": spread.model, "metric": spread.metric,
    "seed 0": [f"{v:.{digits.get(m, 3)}f}" for m, v in zip(spread.metric, summary[summary.seed == 0].value)],
    f"mean \u00b1 SD over {len(SEEDS)} seeds": [f"{a:.{digits.get(m, 3)}f} \u00b1 {b:.{digits.get(m, 3)}f}"
                                           for m, a, b in zip(spread.metric, spread["mean"], spread["std"])],
    "range": [f"{a:.{digits.get(m, 3)}f}\u2013{b:.{digits.get(m, 3)}f}"
              for m, a, b in zip(spread.metric, spread["min"], spread["max"])],
})
numbers = {"torch": torch.__version__, "n_test": len(test_set), "seeds": len(SEEDS)}

fig, axes = plt.subplots(2, 4, figsize=(8, 4.6))
for col, pos in enumerate([0, 21, 42, 63]):
    # the legend (solid: predicted region, dashed: true box) once per row
    nc.plotting.plot_predictions(p_ts, test_set, pos, ax=axes[0, col], legend=col == 3)
    nc.plotting.plot_predictions(p_un, test_set, pos, ax=axes[1, col], legend=col == 3)
nc.plotting.add_panel_letters(axes[:, 0])
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "predictions")

# 4. activations by stream -------------------------------------------------------------
acts = nc.extract(twostream, train_set, out=OUT / "twostreamnet.zarr", overwrite=True)
nc.extraction.to_frame(acts).to_csv(OUT / "tables" / "layers.csv", index=False)
shown = ["block2", "ventral.block4", "ventral.fc", "dorsal.block4", "dorsal.fc"]
fig, axes = plt.subplots(2, len(shown), figsize=(2.3 * len(shown), 4.4))
for col, layer in enumerate(shown):
    da = nc.extraction.get_layer(acts, layer).load()
    nc.plotting.plot_layer_pca(da, color_by="category", ax=axes[0, col], legend=col == len(shown) - 1)
    nc.plotting.plot_layer_pca(da, color_by="x", ax=axes[1, col])
    axes[1, col].set_title("")
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "layers_pca")
publish(args, "01", figures=("stimuli", "predictions", "layers_pca"),
        tables={"heldout_summary": docs_table}, numbers=numbers)
print(f"Wrote figures and tables to {OUT}")
