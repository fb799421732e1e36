"""12 - Where does a ViT keep position? What/where probes on patch tokens across depth.

A vision transformer has no convolutions: position enters once, as a position embedding added to
the patch tokens, and the class (CLS) token sees the patches only through attention. This script
asks where position (x, y) and category can be read out of a timm ViT, block by block, in three
read-outs of the same block:

- the CLS token (``reduce="cls"``),
- the patch grid pooled to 2 x 2 (``reduce=("grid", 2)``, exactly as for a convolutional map),
- the average of the patch tokens (``reduce="avgpool"``, patches only: the spatial layout is gone),

and compares them with a convolutional net (the built-in SmallCNN, random and trained on the shapes;
grid 2 x 2 against the global average of its maps):

1. make 320 held-out what/where stimuli (64 px) and build the ViT (default: vit_tiny_patch16_224 at
   64 px with 8 px patches, an 8 x 8 grid; random init, seed 0);
2. extract every block with each read-out, and the SmallCNN's blocks (random init, and trained on the
   default set for category only);
3. cross-validated linear read-out of category (balanced accuracy) and x, y (R²) from every layer
   (``nc.probes.what_where``), with the raw pixels as a baseline;
4. the position embeddings' own topology: cosine similarity of each patch's embedding with every
   other patch's (Dosovitskiy et al. 2021, Fig. 7).

Random init cannot show what a ViT learns about position (a ViT trained from scratch on 320 shapes
learns little in the minutes a CPU allows, so the trained reference is the conv net).
``--weights DEFAULT`` runs the same analysis on timm's pretrained weights (downloaded through the
Hugging Face cache; the model is then built at its own input size, 224 px); ``--model`` picks another
timm ViT.

Writes figures (PNG + PDF) and CSV tables to --out (default ./neurocompare-analyses/12_vit_position/).
Run: python analyses/12_vit_position.py   (about 3 minutes on 2 CPU cores)
``--docs docs/images`` also refreshes the figures, tables and numbers of docs/analyses/12_vit_position.md.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args, parser_for, publish  # noqa: E402

parser = parser_for(__doc__)
parser.add_argument("--model", default="timm:vit_tiny_patch16_224", metavar="NAME",
                    help="A timm vision transformer (default: timm:vit_tiny_patch16_224).")
parser.add_argument("--weights", default=None, metavar="TAG",
                    help="None (default): random init at 64 px with 8 px patches. 'DEFAULT' or a timm weight "
                         "tag: the pretrained model at its own input size (needs the download or a cached copy).")
args = parse_args(__doc__, "12_vit_position", parser=parser)
OUT = args.out
if not args.model.startswith("timm:"):
    parser.error(f"--model: expected a timm vision transformer such as 'timm:vit_tiny_patch16_224'; got "
                 f"{args.model!r}.")

WHAT, WHERE = ["category"], ["x", "y"]
READOUT = {("grid", 2): "grid 2 x 2", "avgpool": "average", "cls": "CLS token"}

# 1. stimuli and models ----------------------------------------------------------------------------
train_set = nc.stimuli.make_from_spec("whatwhere-default")
test_set = nc.stimuli.make_whatwhere(OUT / "stimuli-test", n_per_category=40, random_state=1, overwrite=True)
if args.weights is None:
    vit = nc.models.load(args.model, img_size=64, patch_size=8, random_state=0)
else:
    vit = nc.models.load(args.model, weights=args.weights)
if vit.tokens is None or not vit.tokens.has_cls:
    parser.error(f"--model: {args.model!r} has no class token; pick a ViT/DeiT with one.")
vit_label = f"{vit.name.split(':', 1)[1]} ({'random init' if args.weights is None else args.weights})"
blocks = [n for n in vit.resolve_layers() if n.startswith("blocks.")] + ["norm"]
cnn_random = nc.models.load("smallcnn", random_state=0)
cnn_trained = nc.models.train("smallcnn", train_set)
CNN_MAPS, CNN_VECTORS = ["block1", "block2", "block3", "block4"], ["fc1", "fc"]


# 2.-3. extraction and probes ----------------------------------------------------------------------
def probe(model, layers, reduce, label):
    acts = nc.extract(model, test_set, layers=layers, reduce=reduce)
    res = nc.probes.what_where(acts, test_set, what=WHAT, where=WHERE)
    return res.assign(model=label, readout=READOUT.get(reduce, "average"))


runs = [probe(vit, ["patch_embed"] + blocks, ("grid", 2), vit_label),
        probe(vit, ["patch_embed"] + blocks, "avgpool", vit_label),
        probe(vit, blocks, "cls", vit_label)]
for net, label in ((cnn_random, "SmallCNN (random init)"), (cnn_trained, "SmallCNN (trained on the shapes)")):
    runs += [probe(net, CNN_MAPS, ("grid", 2), label), probe(net, CNN_MAPS + CNN_VECTORS, "avgpool", label)]
pixels = nc.probes.what_where(nc.extraction.pixels(test_set), test_set, what=WHAT, where=WHERE)
results = pd.concat(runs, ignore_index=True)
pd.concat([pixels.assign(readout="pixels"), results]).to_csv(OUT / "tables" / "probes.csv", index=False)

primary = results[((results.target_stream == "what") & (results.metric == "balanced_accuracy"))
                  | ((results.target_stream == "where") & (results.metric == "r2"))]
# position: the mean of the x and y read-outs (and of their CI bounds), as plot_probe_profile draws "where"
summary = (primary.groupby(["model", "readout", "layer", "target_stream"], sort=False)
           .agg(value=("value", "mean"), ci_low=("ci_low", "mean"), ci_high=("ci_high", "mean"),
                chance=("chance", "mean"), ci_method=("ci_method", "first"))
           .reset_index())
summary.to_csv(OUT / "tables" / "summary.csv", index=False)
pix = pixels[pixels.metric.isin(["balanced_accuracy", "r2"])].groupby("target_stream").value.mean()
print(summary.pivot_table(index=["model", "layer"], columns=["target_stream", "readout"], values="value",
                          sort=False).round(2).to_string())

# 4. position embeddings ---------------------------------------------------------------------------
pos = vit.module.pos_embed.detach()[0, vit.tokens.n_prefix:] if not getattr(vit.module, "no_embed_class", False) \
    else vit.module.pos_embed.detach()[0]
gh, gw = vit.tokens.grid
pos = torch.nn.functional.normalize(pos[:gh * gw], dim=1)
cos = (pos @ pos.T).numpy()
rows_, cols_ = np.divmod(np.arange(gh * gw), gw)
dist = np.abs(rows_[:, None] - rows_[None]) + np.abs(cols_[:, None] - cols_[None])
adjacent, far = cos[dist == 1].mean(), cos[dist >= max(gh, gw) // 2].mean()

# figures ------------------------------------------------------------------------------------------
panels = [vit_label, "SmallCNN (random init)", "SmallCNN (trained on the shapes)"]
short = {b: b.split(".")[1] for b in blocks if b.startswith("blocks.")} | {"patch_embed": "embed"}
fig, axes = plt.subplots(2, 3, figsize=(12.5, 5.6), gridspec_kw={"width_ratios": [2.2, 1, 1]})
for j, name in enumerate(panels):
    for i, stream in enumerate(("what", "where")):
        d = summary[(summary.model == name) & (summary.target_stream == stream)]
        ax = nc.plotting.plot_layer_profile(d, hue="readout", ax=axes[i, j], ceiling=False, layer_names=short if j == 0 else None,
                                            title=name if i == 0 else "", legend=None)
        ax.axhline(pix[stream], color="grey", ls=":", lw=1.0, label="pixels")
        if stream == "what":
            ax.axhline(d.chance.iloc[0], color="grey", ls="--", lw=0.8)
            ax.set_ylim(0, 1.02)
            ax.set_ylabel("category: balanced accuracy" if j == 0 else "")
        else:
            ax.set_ylim(min(-0.1, float(d.ci_low.min()) - 0.05), 1.02)
            ax.set_ylabel("position (x, y): R²" if j == 0 else "")
        if i == 0:
            ax.set_xlabel("")
        elif j == 0:
            ax.set_xlabel("ViT block (embed: patch embedding, before the position embedding)")
# one legend for the three read-outs (plot_layer_profile colours its lines in the order of the rows)
handles = [Line2D([], [], color=nc.plotting.PALETTE[k], marker="o", ms=3) for k in range(len(READOUT))]
handles += [Line2D([], [], color="grey", marker="|", ls="", ms=8), Line2D([], [], color="grey", ls=":"),
            Line2D([], [], color="grey", ls="--")]
labels = list(READOUT.values()) + ["95% CI (bootstrap over test items)", "raw pixels", "chance (category)"]
axes[0, 2].legend(handles, labels, frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.03, 1.0),
                  title="read-out of each layer", title_fontsize=7)
nc.plotting.add_panel_letters(list(axes.ravel()))
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "position_across_depth")

fig, (ax_tiles, ax_dist) = plt.subplots(1, 2, figsize=(7.6, 3.3), gridspec_kw={"width_ratios": [1, 1.1]})
tiles = cos.reshape(gh, gw, gh, gw).transpose(0, 2, 1, 3).reshape(gh * gh, gw * gw)
with nc.plotting.paper_style():
    im = ax_tiles.imshow(tiles, cmap="viridis", vmin=-1, vmax=1)
    for k in range(1, gh):
        ax_tiles.axhline(k * gh - 0.5, color="white", lw=0.5)
    for k in range(1, gw):
        ax_tiles.axvline(k * gw - 0.5, color="white", lw=0.5)
    ax_tiles.set_xticks([])
    ax_tiles.set_yticks([])
    ax_tiles.set_title("tile (r, c): cosine of patch (r, c)'s\nposition embedding with every patch", fontsize=8)
    fig.colorbar(im, ax=ax_tiles, fraction=0.046, pad=0.04).set_label("cosine similarity", fontsize=7)
    by = pd.DataFrame({"d": dist[np.triu_indices(gh * gw, 1)], "cos": cos[np.triu_indices(gh * gw, 1)]})
    m = by.groupby("d").cos.agg(["mean", "std"])
    ax_dist.errorbar(m.index, m["mean"], yerr=m["std"], fmt="-o", ms=3, color=nc.plotting.PALETTE[0], lw=1)
    ax_dist.axhline(0, color="black", lw=0.6)
    ax_dist.set_xlabel("distance between patches (rows + columns)")
    ax_dist.set_ylabel("cosine similarity (mean ± SD)")
    ax_dist.set_title(vit_label, fontsize=8)
nc.plotting.add_panel_letters([ax_tiles, ax_dist])
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "position_embeddings")


# the docs' tables and numbers ---------------------------------------------------------------------
def cell(model, layer, stream, readout):
    v = summary[(summary.model == model) & (summary.layer == layer) & (summary.target_stream == stream)
                & (summary.readout == readout)].value
    return float(v.iloc[0]) if len(v) else np.nan


def fmt(v):
    return "" if not np.isfinite(v) else f"{v:.2f}"


order = ["grid 2 x 2", "average", "CLS token"]
vit_rows = []
for layer in ["patch_embed"] + blocks:
    row = {"layer": layer}
    row.update({f"position R², {r}": fmt(cell(vit_label, layer, "where", r)) for r in order})
    row.update({f"category, {r}": fmt(cell(vit_label, layer, "what", r)) for r in order})
    vit_rows.append(row)
cnn_rows = []
for name in panels[1:]:
    for layer in CNN_MAPS + CNN_VECTORS:
        cnn_rows.append({"net": name, "layer": layer,
                         **{f"position R², {r}": fmt(cell(name, layer, "where", r)) for r in order[:2]},
                         **{f"category, {r}": fmt(cell(name, layer, "what", r)) for r in order[:2]}})
vit_table, cnn_table = pd.DataFrame(vit_rows), pd.DataFrame(cnn_rows)
vit_table.to_csv(OUT / "tables" / "vit_profile.csv", index=False)
cnn_table.to_csv(OUT / "tables" / "cnn_profile.csv", index=False)

v = summary[summary.model == vit_label].set_index(["readout", "layer", "target_stream"]).value
last = blocks[-2]
numbers = {
    "vit": vit_label, "grid": f"{gh} x {gw}", "torch": torch.__version__,
    "pixels_where": f"{pix['where']:.2f}", "pixels_what": f"{pix['what']:.2f}",
    "grid_where_min": f"{v.xs(('grid 2 x 2', 'where'), level=('readout', 'target_stream')).min():.2f}",
    "avg_where_embed": f"{v[('average', 'patch_embed', 'where')]:.2f}",
    "avg_where_last": f"{v[('average', last, 'where')]:.2f}",
    "cls_where_first": f"{v[('CLS token', 'blocks.0', 'where')]:.2f}",
    "cls_where_last": f"{v[('CLS token', last, 'where')]:.2f}",
    "cnn_trained_grid_where_block4": f"{cell(panels[2], 'block4', 'where', 'grid 2 x 2'):.2f}",
    "cnn_trained_avg_where_block4": f"{cell(panels[2], 'block4', 'where', 'average'):.2f}",
    "cnn_trained_avg_where_fc": f"{cell(panels[2], 'fc', 'where', 'average'):.2f}",
    "cnn_trained_what_fc": f"{cell(panels[2], 'fc', 'what', 'average'):.2f}",
    "cnn_random_avg_where_block4": f"{cell(panels[1], 'block4', 'where', 'average'):.2f}",
    "pos_cos_adjacent": f"{adjacent:+.2f}", "pos_cos_far": f"{far:+.2f}",
}
publish(args, "12", figures=("position_across_depth", "position_embeddings"),
        tables={"vit_profile": vit_table, "cnn_profile": cnn_table}, numbers=numbers)
print(f"Wrote figures and tables to {OUT}")
