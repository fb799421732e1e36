"""03 - What and where across depth: probes, generalisation, units, and one stream against two.

The two-pathway questions on the embedded what/where stimuli:

1. train the built-in TwoStreamNet on the default set (category -> ventral branch; x, y, size ->
   dorsal branch) and extract every layer for 320 held-out stimuli;
2. read identity (category, exemplar) and location (x, y, size) out of every layer with
   cross-validated linear decoders (Hong et al. 2016): the what/where profile across depth, with
   95% CIs (bootstrap over test items) and chance, and the raw pixels as a baseline;
3. cross-readout: what decoded from the where stream and where from the what stream;
4. generalisation: category decoders trained at left positions and tested at right positions
   (and vice versa), likewise for small and large sizes, and decoders trained on one exemplar of
   every shape and tested on the other;
5. read-out against the number of units sampled;
6. one stream against two (Han & Sereno 2022, 2023): parameter-matched one- and two-pathway nets,
   5 seeds, identity accuracy, location R², epochs to criterion and cross-readout.

Writes figures (PNG + PDF) and CSV tables to --out (default ./neurocompare-analyses/03_probes/).
Run: python analyses/03_what_where_probes.py   (about 3 minutes on 2 CPU cores the first time)
``--docs docs/images`` also refreshes the figures, the table and the numbers of docs/analyses/03_probes.md.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

import neurocompare as nc  # noqa: E402
from _analysis_cli import parse_args, publish  # noqa: E402

N_SEEDS = 5
args = parse_args(__doc__, "03_probes")
OUT = args.out

train_set = nc.stimuli.make_from_spec("whatwhere-default")
test_set = nc.stimuli.make_whatwhere(OUT / "stimuli-test", n_per_category=40, random_state=1, overwrite=True)
net = nc.models.train("twostreamnet", train_set)

# 2. profile across depth (held-out stimuli; decoders cross-validated within them) -------------
acts = nc.extract(net, test_set, reduce=("grid", 2))
profile = nc.probes.what_where(acts, test_set, what=["category", "identity"], where=["x", "y", "size"])
pixels = nc.probes.what_where(nc.extraction.pixels(test_set), test_set, what=["category", "identity"],
                              where=["x", "y", "size"])
pd.concat([pixels, profile]).to_csv(OUT / "tables" / "probes.csv", index=False)
print(profile[profile.metric.isin(["balanced_accuracy", "r2"])]
      .pivot_table(index="layer", columns="target", values="value", sort=False).round(2))

# 3. cross-readout ------------------------------------------------------------------------------
cross = nc.probes.cross_readout(profile)
cross.to_csv(OUT / "tables" / "cross_readout.csv", index=False)

# 4. generalisation -------------------------------------------------------------------------------
gen = pd.concat([nc.probes.what_where(acts, test_set, what=["category"], where=[], split=f)
                 for f in ("x", "size", "exemplar")])
gen.to_csv(OUT / "tables" / "generalisation.csv", index=False)

# 5. units curve --------------------------------------------------------------------------------
three = nc.extract(net, test_set, layers=["block2", "ventral.block4", "dorsal.block4"], reduce=("grid", 2))
curve = nc.probes.units_curve(three, test_set, target="category", n_repeats=10)
curve.to_csv(OUT / "tables" / "units_curve.csv", index=False)

fig = plt.figure(figsize=(13.5, 4.6))
grid = fig.add_gridspec(2, 3, width_ratios=[4.6, 2.6, 3.4])
profile_axes = [fig.add_subplot(grid[0, 0])]
profile_axes.append(fig.add_subplot(grid[1, 0], sharex=profile_axes[0]))
nc.plotting.plot_probe_profile(profile, ax=profile_axes)   # balanced accuracy above, R² below
cross_ax, units_ax = fig.add_subplot(grid[:, 1]), fig.add_subplot(grid[:, 2])
nc.plotting.plot_cross_readout(cross, ax=cross_ax)
nc.plotting.plot_units_curve(curve, ax=units_ax)
nc.plotting.add_panel_letters([profile_axes[0], cross_ax, units_ax])
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "profile_cross_units")

fig, ax = plt.subplots(figsize=(4.4, 2.9))
labels = {"x": "train left half, test right half (and back)", "size": "train small, test large (and back)",
          "exemplar": "train one exemplar per shape, test the other"}
for i, (split, d) in enumerate(gen.groupby("split", sort=False)):
    ax.plot(range(len(d)), d.value, "-o", ms=3, color=nc.plotting.PALETTE[i], label=labels[split])
ax.axhline(gen.chance.iloc[0], color="grey", ls="--", lw=0.8)
ax.set_xticks(range(len(d)))
ax.set_xticklabels(d.layer, rotation=45, ha="right")
ax.set_ylabel("category balanced accuracy")
ax.legend(frameon=False, fontsize=6)
fig.tight_layout()
nc.plotting.save_figure(fig, OUT / "figures" / "generalisation")

# 6. one stream against two ---------------------------------------------------------------------
exp = nc.probes.stream_experiment(train_set, test_stimuli=test_set, n_seeds=N_SEEDS)
summary = nc.probes.summarize_stream_experiment(exp)
exp.to_csv(OUT / "tables" / "stream_experiment.csv", index=False)
summary.to_csv(OUT / "tables" / "stream_experiment_summary.csv", index=False)
print(summary.round(3).to_string(index=False))
ax = nc.plotting.plot_stream_experiment(exp)
nc.plotting.save_figure(ax.figure, OUT / "figures" / "stream_experiment")


# the docs' table and the numbers their sentences quote -----------------------------------------
def p_text(p):
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


cell = summary.set_index(["metric", "architecture"])
rows = []
for metric, label in (("what_accuracy", "identity accuracy"), ("where_r2", "location R\u00b2 (x, y, size)"),
                      ("cross_what_from_where", "what read out of the where layers"),
                      ("cross_where_from_what", "where read out of the what layers")):
    one, two, diff = (cell.loc[(metric, a)] for a in ("one-stream", "two-stream", "two-stream - one-stream"))
    rows.append({"metric": label, "one-stream": f"{one['mean']:.3f} \u00b1 {one.sd:.3f}",
                 "two-stream": f"{two['mean']:.3f} \u00b1 {two.sd:.3f}",
                 "difference (paired t-test over seeds)": f"{diff['mean']:+.3f} ({p_text(diff.p)})"})
reached = cell.xs("reached_criterion", level="metric")
n_seeds = N_SEEDS
rows.insert(2, {"metric": "reached 80% validation accuracy in 20 epochs",
                "one-stream": f"{round(reached.loc['one-stream', 'mean'] * n_seeds)} of {n_seeds} seeds",
                "two-stream": f"{round(reached.loc['two-stream', 'mean'] * n_seeds)} of {n_seeds} seeds",
                "difference (paired t-test over seeds)": ""})
identity_p = cell.loc[("what_accuracy", "two-stream - one-stream"), "p"]
numbers = {"seeds": n_seeds, "identity_difference": f"{cell.loc[('what_accuracy', 'two-stream - one-stream'), 'mean']:+.3f}",
           "identity_p": p_text(identity_p),
           "identity_verdict": "significant at the 5% level" if identity_p < 0.05 else "not significant at the 5% level",
           "torch": torch.__version__}
both = pd.concat([pixels, profile])
both = both[both.metric.isin(["balanced_accuracy", "r2"])]
wide = both.pivot_table(index="layer", columns="target", values="value", sort=False)
profile_table = pd.DataFrame({"layer": wide.index, **{
    f"{t} ({'balanced accuracy' if t in ('category', 'identity') else 'R²'})": wide[t].map("{:.2f}".format)
    for t in ("category", "identity", "x", "y", "size")}})
gw = gen.pivot_table(index="layer", columns="split", values="value", sort=False)
gen_table = pd.DataFrame({"layer": gw.index, **{labels[c]: gw[c].map("{:.2f}".format) for c in ("x", "size",
                                                                                               "exemplar")}})
uw = curve.groupby(["layer", "n_units"]).value.mean().unstack()
units_table = pd.DataFrame({"layer": uw.index, **{f"{n} units": uw[n].map("{:.2f}".format) for n in uw.columns}})
cr = cross.set_index(["stream", "target_stream"])
numbers.update({f"cross_{a}_{b}": f"{cr.loc[(a, b), 'value']:.2f} ({cr.loc[(a, b), 'best_layer']})"
                for a, b in (("where", "what"), ("what", "what"), ("what", "where"), ("where", "where"))})
publish(args, "03", figures=("profile_cross_units", "generalisation", "stream_experiment"),
        tables={"stream_experiment": pd.DataFrame(rows), "profile": profile_table, "generalisation": gen_table,
                "units": units_table}, numbers=numbers)
print(f"Wrote figures and tables to {OUT}")
