"""08 - A GAN as a stimulus factory: latent feature axes and controlled continua (TL-GAN).

On the embedded what/where stimuli (32 px, four shapes):

1. train the built-in DCGAN (resumable checkpoints in output/08_gan/gan/) and plot the adversarial
   dynamics (D and G losses, D(x) and D(G(z))) and sample grids from fixed latents;
2. score the generator with FID and KID in the feature space of a TwoStreamNet (no downloads);
3. use a TwoStreamNet trained on the same kind of stimuli as the labeler: it decodes category,
   x, y and size from every generated image;
4. find the latent axis of horizontal position with TL-GAN (regression of decoded x on z), lock
   y and size by Gram-Schmidt, and compare with InterFaceGAN and GANSpace;
5. traverse the x axis (-3 to +3 sd): a new StimulusSet of 8 chains x 9 steps with decoded factors;
   report how monotonically decoded x changes and how much y, size and the object's area change.

Writes figures (PNG + PDF) and CSV tables to --out (default ./neurocompare-analyses/08_gan/).
Run: python analyses/08_gan_feature_axes.py   (about 2 minutes on 2 CPU cores the first time; on a
busy machine OMP_NUM_THREADS=1 is much faster)
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args  # noqa: E402
from neurocompare import generation as gen  # noqa: E402

args = parse_args(__doc__, "08_gan")
OUT = args.out
FIG, TAB = OUT / "figures", OUT / "tables"
SIZE, SHAPES = 32, ["circle", "square", "triangle", "star"]

# 1. stimuli and the GAN ------------------------------------------------------------------------
stim = nc.stimuli.make_whatwhere(OUT / "stimuli-gan", n_per_category=100, image_size=SIZE, categories=SHAPES,
                                 rotation_range=(0, 0), random_state=0, overwrite=True)
gan = gen.train_gan(stim, image_size=SIZE, latent_dim=32, width=16, epochs=30, batch_size=16, random_state=0,
                    out=OUT / "gan")
gan.history.to_csv(TAB / "gan_history.csv", index=False)
nc.plotting.save_figure(nc.plotting.plot_gan_history(gan.history), FIG / "gan_history")
fig, axes = plt.subplots(1, 3, figsize=(8, 3.0))
for ax, epoch in zip(axes, [0, int(gan.samples.epoch[len(gan.samples.epoch) // 2]), int(gan.samples.epoch[-1])]):
    nc.plotting.plot_sample_grid(gan, epoch=epoch, n=36, ncol=6, ax=ax)
    ax.set_title(f"epoch {epoch}")
nc.plotting.save_figure(fig, FIG / "gan_samples")
plt.close("all")

# 2. the labeler (a TwoStreamNet on held-out stimuli of the same kind) and FID/KID ----------------
label_set = nc.stimuli.make_whatwhere(OUT / "stimuli-labeler", n_per_category=100, image_size=SIZE,
                                      categories=SHAPES, rotation_range=(0, 0), random_state=1, overwrite=True)
labeler = nc.models.train("twostreamnet", label_set, options={"image_size": SIZE}, random_state=0)
real_test = nc.stimuli.make_whatwhere(OUT / "stimuli-real", n_per_category=75, image_size=SIZE, categories=SHAPES,
                                      rotation_range=(0, 0), random_state=2, overwrite=True)
untrained = nc.models.load("dcgan", image_size=SIZE, latent_dim=32, width=16, random_state=0)
quality = pd.concat([
    gen.image_quality(real_test, g, model=labeler, layer="block2", n_fake=300, subset_size=100)
    .assign(generator=name) for name, g in [("trained", gan), ("untrained", untrained)]]
    + [gen.image_quality(real_test, stim.subset(range(300)), model=labeler, layer="block2", subset_size=100)
       .assign(generator="real (training images)")])
quality.to_csv(TAB / "quality.csv", index=False)
print(quality[["generator", "metric", "value", "std"]].round(4).to_string(index=False))

# 3-4. latent axes ------------------------------------------------------------------------------
axes_tl = gen.feature_axes(gan, labeler, factors=["x"], lock=["y", "size"], method="tlgan", n_samples=3000)
axes_all = gen.feature_axes(gan, labeler, factors=["x", "y", "size"], method="tlgan", n_samples=3000)
axes_svm = gen.feature_axes(gan, labeler, factors=["x"], lock=["y", "size"], method="interfacegan", n_samples=3000)
axes_pca = gen.feature_axes(gan, labeler, factors=["x", "y", "size"], method="ganspace", layer="generator.net.relu0",
                            n_samples=3000, n_components=5)
axes_tl.save(OUT / "axes_tlgan")
fits = pd.concat([a.fit.assign(method=a.method, lock=",".join(a.lock))
                  for a in (axes_tl, axes_all, axes_svm, axes_pca)])
fits.to_csv(TAB / "axis_fits.csv", index=False)
axes_tl.cosines.to_csv(TAB / "axis_cosines.csv", index=False)
nc.plotting.save_figure(nc.plotting.plot_axis_cosines(axes_tl), FIG / "axis_cosines")
print(fits.round(3).to_string(index=False))
x_tl, x_svm = axes_tl.axis("x").values, axes_svm.axis("x").values
print(f"cosine TL-GAN x axis vs InterFaceGAN x axis: {float(x_tl @ x_svm):.3f}")

# 5. traversals ---------------------------------------------------------------------------------
rows = []
for name, fa in [("tlgan_locked", axes_tl), ("tlgan_unlocked", axes_all), ("interfacegan_locked", axes_svm)]:
    trav = gen.traverse(gan, fa, factor="x", steps=9, span=3.0, n=8, labeler=labeler, random_state=5,
                        out=OUT / f"traversal_{name}", overwrite=True)
    # an image measure besides the labeler: the share of object pixels (brighter than the grey background)
    area = [float((np.asarray(trav.load_image(i).convert("L")) > 128).mean()) for i in range(len(trav))]
    trav = nc.stimuli.StimulusSet(trav.root, trav.metadata.assign(object_area=area), name=trav.name)
    summ = gen.traversal_summary(trav).assign(axis=name)
    rows.append(summ)
    gen.traversal_effects(trav).assign(axis=name).to_csv(TAB / f"traversal_effects_{name}.csv", index=False)
    fig = nc.plotting.plot_traversal(trav, factors=["x", "y", "size"])
    nc.plotting.save_figure(fig, FIG / f"traversal_{name}")
    plt.close("all")
summary = pd.concat(rows)
summary.to_csv(TAB / "traversal_summary.csv", index=False)
print(summary[~summary.factor.str.startswith("p_")].round(3).to_string(index=False))
