"""09 - CycleGAN: move shapes from a blank background onto a texture and back. What is kept, what changes?

1. two unpaired domains of what/where stimuli at 32 px: shapes on a blank background (A) and
   shapes on a plaid texture (B), each with its own random shapes, positions and sizes;
2. train a small CycleGAN between them (ResNet generator, PatchGAN, LSGAN, cycle and identity
   losses; checkpointed, so a rerun resumes or loads);
3. the adversarial dynamics (losses, discriminator outputs) and example translations;
4. cycle and identity L1 on held-out images of both domains;
5. the what/where/style dissociation on held-out images: a TwoStreamNet trained on both domains
   reads position (x, y, size) and category from each source image and its translation (kept?),
   and a domain classifier on image statistics reads the background style (changed?);
6. the category read-out after the round trip A->B->A: is shape lost in the translation, or hidden?

Writes figures (PNG + PDF) and CSV tables to --out (default ./neurocompare-analyses/09_cyclegan/).
Run: python analyses/09_cyclegan_style_transfer.py   (about 10 minutes on 2 CPU cores the first time)
"""
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args, publish  # noqa: E402
from neurocompare.stimuli import StimulusSet  # noqa: E402

EPOCHS = 30
args = parse_args(__doc__, "09_cyclegan")
OUT = args.out
nc.set_log_level("INFO")


def make(name, background, seed, n):
    path = OUT / f"stimuli-{name}"
    if (path / "stimuli.csv").is_file():
        return nc.stimuli.load(path)
    return nc.stimuli.make_whatwhere(path, n_per_category=n, image_size=32, categories=6, background=background,
                                     random_state=seed)


def combine(*sets):
    """One StimulusSet over several folders under OUT (for training the labeler on both domains)."""
    parts = []
    for s in sets:
        md = s.metadata.reset_index()
        prefix = s.root.relative_to(OUT).as_posix()
        md["stimulus_id"] = prefix + "/" + md["stimulus_id"]
        md["file"] = prefix + "/" + md["file"]
        md["mask_file"] = prefix + "/" + md["mask_file"]
        parts.append(md)
    return StimulusSet(OUT, pd.concat(parts, ignore_index=True), name="blank+texture")


# 1. the two domains (training) and held-out images of each ---------------------------------------
train_a, train_b = make("blank", "blank", 0, 40), make("texture", "texture", 1, 40)
test_a, test_b = make("blank-test", "blank", 2, 10), make("texture-test", "texture", 3, 10)

# 2. the CycleGAN ------------------------------------------------------------------------------------
t0 = time.time()
gan = nc.generation.train_cyclegan(train_a, train_b, epochs=EPOCHS, width=16, n_blocks=4, batch_size=4,
                                   out=OUT / "cyclegan", random_state=0)
print(f"{gan}  ({time.time() - t0:.0f} s)")
gan.history.to_csv(OUT / "tables" / "history.csv", index=False)

# 3. dynamics and examples --------------------------------------------------------------------------
fig = nc.plotting.plot_cyclegan_history(gan)
nc.plotting.save_figure(fig, OUT / "figures" / "history")
ax = nc.plotting.plot_translation_grid(gan, test_a, test_b, n=8)
nc.plotting.save_figure(ax.figure, OUT / "figures" / "translations")

# 4. cycle and identity L1 on held-out images ------------------------------------------------------
cyc = nc.generation.cycle_metrics(gan, test_a, test_b)
cyc.to_csv(OUT / "tables" / "cycle_metrics.csv", index=False)
print(cyc.round(4).to_string(index=False))

# 5. the dissociation: a labeler trained on both domains, a style classifier on the training images --
labeler = nc.models.train("twostreamnet", combine(train_a, train_b), options={"image_size": 32}, epochs=20)
diss = pd.concat([nc.generation.translation_dissociation(gan, test_a, labeler=labeler, reference=(train_a, train_b),
                                                         direction="a2b"),
                  nc.generation.translation_dissociation(gan, test_b, labeler=labeler, reference=(train_a, train_b),
                                                         direction="b2a")])
diss.to_csv(OUT / "tables" / "dissociation.csv", index=False)
print(diss.drop(columns=["analysis"]).round(3).to_string(index=False))

# 6. is the lost shape hidden in the translation? category read-out after the round trip ----------------
rows = []
for dom, test, there, back in (("A", test_a, "a2b", "b2a"), ("B", test_b, "b2a", "a2b")):
    moved = gan.translate(test, direction=there, out=OUT / f"translated-{there}", overwrite=True)
    trip = gan.translate(moved, direction=back, out=OUT / f"translated-{there}-{back}", overwrite=True)
    other = "B" if dom == "A" else "A"
    for label, s in ((dom, test), (f"{dom}->{other}", moved), (f"{dom}->{other}->{dom}", trip)):
        what = nc.models.predict(labeler, s, progress=False).what
        top = what[what["rank"] == 1].set_index("stimulus_id").label.reindex(s.ids).to_numpy()
        rows.append({"domain": dom, "images": label, "metric": "category_accuracy",
                     "value": float((top == test.metadata["category"].to_numpy()).mean()), "n": len(s),
                     "chance": 1 / len(labeler.classes)})
roundtrip = pd.DataFrame(rows)
roundtrip.to_csv(OUT / "tables" / "roundtrip_category.csv", index=False)
print(roundtrip.round(3).to_string(index=False))

fig, axes = plt.subplots(1, 2, figsize=(9, 3), sharey=True)
for ax, d in zip(axes, ("a2b", "b2a")):
    nc.plotting.plot_dissociation(diss[diss.direction == d], ax=ax)
axes[0].set_title("blank \u2192 texture (A\u2192B)")
axes[1].set_title("texture \u2192 blank (B\u2192A)")
axes[1].set_ylabel("")
nc.plotting.add_panel_letters(axes)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "dissociation")

publish(args, "09", figures=("history", "translations", "dissociation"))
print(f"Wrote figures and tables to {OUT}")
