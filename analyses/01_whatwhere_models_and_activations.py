"""01 - What/where stimuli, built-in two-pathway nets, and their activations.

The foundation of every later analysis, run end to end on the embedded default data:

1. generate the default what/where stimulus set (8 shapes; position, size, rotation and
   luminance vary independently of shape) and a held-out set;
2. train the built-in TwoStreamNet (ventral branch -> category, dorsal branch -> x, y, size)
   and UNet (segmentation + category head) on it, on the CPU;
3. check what the models say on held-out stimuli: category accuracy, segmentation IoU
   against the exact masks, and location read-out error;
4. extract every default layer of the TwoStreamNet into a zarr store and show each
   stream's geometry (first two principal components, coloured by category and by x).

Writes figures (PNG + PDF) and CSV tables to ``--out`` (default ./neurocompare-analyses/01_whatwhere/).
Run:  python analyses/01_whatwhere_models_and_activations.py   (about a minute the first time)
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args  # noqa: E402

args = parse_args(__doc__, "01_whatwhere")
OUT = args.out

# 1. stimuli ---------------------------------------------------------------------------
train_set = nc.stimuli.make_from_spec("whatwhere-default")  # generated once, then cached
test_set = nc.stimuli.make_whatwhere(OUT / "stimuli-test", n_per_category=10, random_state=1000, overwrite=True)
fig, ax = plt.subplots(figsize=(6, 6))
nc.plotting.plot_stimuli(train_set, n=16, show_boxes=True, ax=ax)
nc.plotting.save_figure(fig, OUT / "figures" / "stimuli")

# 2. models ----------------------------------------------------------------------------
twostream = nc.models.train("twostreamnet", train_set)  # cached after the first run
unet = nc.models.train("unet", train_set)
pd.concat([twostream.history, unet.history]).to_csv(OUT / "tables" / "training_history.csv", index=False)

# 3. held-out predictions --------------------------------------------------------------
p_ts = nc.models.predict(twostream, test_set)
p_un = nc.models.predict(unet, test_set)
truth = test_set.metadata
rows = []
for sid in test_set.ids:
    mask = test_set.load_mask(sid)
    seg = p_un.masks[sid].any(0) if len(p_un.masks[sid]) else np.zeros_like(mask)
    where = p_ts.where.set_index("stimulus_id").loc[sid]
    rows.append({
        "stimulus_id": sid, "category": truth.loc[sid, "category"],
        "twostream_category": p_ts.what.query("stimulus_id == @sid and rank == 1").label.iloc[0],
        "unet_category": p_un.what.query("stimulus_id == @sid and rank == 1").label.iloc[0],
        "unet_mask_iou": (seg & mask).sum() / (seg | mask).sum(),
        "twostream_x_error": where.x - truth.loc[sid, "x"], "twostream_y_error": where.y - truth.loc[sid, "y"],
        "twostream_size_error": where["size"] - truth.loc[sid, "size"],
    })
held_out = pd.DataFrame(rows)
held_out.to_csv(OUT / "tables" / "heldout_predictions.csv", index=False)
summary = pd.DataFrame([
    {"model": "twostreamnet", "metric": "category accuracy",
     "value": (held_out.twostream_category == held_out.category).mean()},
    {"model": "unet", "metric": "category accuracy", "value": (held_out.unet_category == held_out.category).mean()},
    {"model": "unet", "metric": "mean mask IoU", "value": held_out.unet_mask_iou.mean()},
    {"model": "twostreamnet", "metric": "x error (RMS, image widths)",
     "value": np.sqrt((held_out.twostream_x_error ** 2).mean())},
    {"model": "twostreamnet", "metric": "y error (RMS, image heights)",
     "value": np.sqrt((held_out.twostream_y_error ** 2).mean())},
    {"model": "twostreamnet", "metric": "size error (RMS, image sides)",
     "value": np.sqrt((held_out.twostream_size_error ** 2).mean())},
])
summary.assign(n=len(held_out)).to_csv(OUT / "tables" / "heldout_summary.csv", index=False)
print(summary.to_string(index=False))

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
print(f"Wrote figures and tables to {OUT}")
