"""``neurocompare demo``: the main job on the embedded default data."""
from __future__ import annotations

import json
from pathlib import Path

from ._utils.logging import logger
from ._utils.paths import atomic_dir


def run_demo(out="neurocompare-demo", *, quick: bool = False, overwrite: bool = False, progress: bool = False) -> str:
    """Generate the default what/where stimuli, train the built-in nets, extract and plot.

    Writes into ``out``:

    - ``stimuli/`` the default stimulus set (``whatwhere-default``) and
      ``stimuli-test/`` 64 held-out stimuli;
    - ``activations.zarr`` every default layer of the trained TwoStreamNet;
    - ``figures/`` (PNG + PDF): ``stimuli``, ``training``, ``predictions``, ``layers_pca``;
    - ``tables/`` (CSV): ``layers``, ``training_history``, ``predictions_what``, ``predictions_where``;
    - ``provenance.json``.

    Parameters
    ----------
    out : path-like
        Results folder. It is built under a temporary name and moved into place when complete.
    quick : bool
        Smaller stimulus set and fewer epochs (for checks; the numbers are then rough).
    overwrite : bool
        Replace ``out`` if it exists.

    Returns
    -------
    str
        A short summary of what was written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import models, plotting, stimuli
    from ._utils.provenance import provenance
    from .extraction import extract, get_layer, to_frame

    out = Path(out)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        (tmp / "figures").mkdir()
        (tmp / "tables").mkdir()
        if quick:
            train_set = stimuli.make_whatwhere(tmp / "stimuli", n_per_category=16, random_state=0)
            epochs = {"twostreamnet": 6, "unet": 4}
        else:
            train_set = stimuli.make_from_spec("whatwhere-default", tmp / "stimuli")
            epochs = {"twostreamnet": None, "unet": None}
        test_set = stimuli.make_whatwhere(tmp / "stimuli-test", n_per_category=8, random_state=1000)
        logger.info("Training the built-in TwoStreamNet and UNet (cached after the first run)")
        nets = {name: models.train(name, train_set, epochs=epochs[name], progress=progress)
                for name in ("twostreamnet", "unet")}

        fig, ax = plt.subplots(figsize=(6, 6))
        plotting.plot_stimuli(train_set, n=16, show_boxes=True, ax=ax)
        plotting.save_figure(fig, tmp / "figures" / "stimuli")
        plt.close(fig)

        fig, axes = plt.subplots(1, 3, figsize=(9, 2.6))
        history = _history(nets)
        plotting.plot_training_history(nets["twostreamnet"].history, metric="accuracy", ax=axes[0])
        plotting.plot_training_history(nets["twostreamnet"].history, metric="where_mse", ax=axes[1])
        plotting.plot_training_history(nets["unet"].history, metric="mask_iou", ax=axes[2])
        fig.tight_layout()
        plotting.save_figure(fig, tmp / "figures" / "training")
        plt.close(fig)
        history.to_csv(tmp / "tables" / "training_history.csv", index=False)

        preds = {name: models.predict(net, test_set, progress=progress) for name, net in nets.items()}
        picks = [0, 17, 34, 51]
        fig, axes = plt.subplots(2, 4, figsize=(8, 4.6))
        for row, name in enumerate(("twostreamnet", "unet")):
            for col, p in enumerate(picks):
                plotting.plot_predictions(preds[name], test_set, p, ax=axes[row, col])
        fig.tight_layout()
        plotting.save_figure(fig, tmp / "figures" / "predictions")
        plt.close(fig)
        for part in ("what", "where"):
            import pandas as pd

            pd.concat([getattr(p, part).assign(model=name) for name, p in preds.items()]).to_csv(
                tmp / "tables" / f"predictions_{part}.csv", index=False)

        tree = extract(nets["twostreamnet"], train_set, out=tmp / "activations.zarr", progress=progress)
        table = to_frame(tree)
        table.to_csv(tmp / "tables" / "layers.csv", index=False)
        shown = ["block2", "ventral.block4", "ventral.fc", "dorsal.block4", "dorsal.fc"]
        fig, axes = plt.subplots(2, len(shown), figsize=(2.3 * len(shown), 4.4))
        for col, layer in enumerate(shown):
            acts = get_layer(tree, layer).load()
            plotting.plot_layer_pca(acts, color_by="category", ax=axes[0, col], legend=col == len(shown) - 1)
            plotting.plot_layer_pca(acts, color_by="x", ax=axes[1, col])
            axes[1, col].set_title("")
        axes[0, 0].annotate("colour: category", (0, 1.25), xycoords="axes fraction", fontsize=8)
        axes[1, 0].annotate("colour: x position", (0, 1.05), xycoords="axes fraction", fontsize=8)
        fig.tight_layout()
        plotting.save_figure(fig, tmp / "figures" / "layers_pca")
        plt.close(fig)

        acc = {name: float(((p.what["rank"] == 1) & (p.what.label.to_numpy() ==
                            test_set.metadata.loc[p.what.stimulus_id, "category"].to_numpy())).sum() / len(test_set))
               for name, p in preds.items()}
        record = provenance(command="neurocompare demo", quick=quick, stimuli=train_set.name,
                            models={n: m.weights for n, m in nets.items()}, held_out_accuracy=acc)
        (tmp / "provenance.json").write_text(json.dumps(record, indent=2))
    lines = [f"Wrote {out}/",
             f"  stimuli/          {len(train_set)} training stimuli; stimuli-test/ {len(test_set)} held out",
             "  activations.zarr  " + ", ".join(f"{r.layer} ({r.n_units})" for r in table.itertuples()),
             "  figures/          stimuli, training, predictions, layers_pca (.png, .pdf)",
             "  tables/           layers, training_history, predictions_what, predictions_where (.csv)",
             "Held-out category accuracy: " + ", ".join(f"{k} {v:.2f}" for k, v in acc.items())]
    return "\n".join(lines)


def _history(nets):
    import pandas as pd

    return pd.concat([m.history for m in nets.values()], ignore_index=True)
