"""`neurocompare transfer`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import _split, _table, app


def _ints(arg: Optional[str], name: str):
    if arg is None:
        return None
    try:
        return [int(a) for a in _split(arg)]
    except ValueError:
        raise ValueError(f"Invalid value for '--{name}': expected comma-separated integers; got {arg!r}.") from None


@app.command()
def transfer(source: str = typer.Argument(..., metavar="SOURCE",
                                          help="Source net: a model name (built-in nets are trained on the default "
                                               "what/where stimuli; torchvision models use pretrained weights) or a "
                                               "checkpoint from `models train`."),
             stimuli_path: str = typer.Argument(..., metavar="STIMULI",
                                                help="Target stimulus folder, or 'digits' for scikit-learn's "
                                                     "handwritten digits."),
             target: str = typer.Option("category", help="The factor to learn (a float factor is regressed)."),
             modes: str = typer.Option("frozen,finetune,scratch", help="Comma-separated modes."),
             train_sizes: Optional[str] = typer.Option(None, help="Comma-separated training-set sizes "
                                                                  "(default: all training stimuli)."),
             seeds: str = typer.Option("0", help="Comma-separated seeds."),
             epochs: int = typer.Option(10, help="Training epochs."),
             lr: float = typer.Option(1e-3, help="Adam learning rate."),
             batch_size: int = typer.Option(32, help="Mini-batch size."),
             freeze_until: Optional[str] = typer.Option(None, help="Frozen mode: freeze up to this layer "
                                                                   "(comma-separated for several)."),
             sweep: bool = typer.Option(False, help="The freezing sweep (Yosinski et al. 2014) instead of --modes."),
             head: Optional[str] = typer.Option(None, help="The output layer to replace, if not found "
                                                           "automatically."),
             task: str = typer.Option("auto", help="auto, classification or regression."),
             patience: Optional[int] = typer.Option(None, help="Early stopping patience (epochs)."),
             image_size: int = typer.Option(32, help="Image size of the digits set (STIMULI = digits)."),
             device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
             amp: bool = typer.Option(False, help="Mixed precision on CUDA."),
             out: Path = typer.Option(Path("transfer-results"), help="Folder for tables, figures and checkpoints "
                                                                     "(rerun the same command to resume).")):
    """Transfer a trained net to a new task: frozen backbone vs fine-tuning vs scratch, and what changes inside."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plotting, stimuli, transfer as tr
    from .._utils.paths import cache_dir

    if stimuli_path == "digits" and not Path("digits").exists():
        folder = cache_dir("stimuli") / f"digits-{image_size}"
        st = stimuli.load(folder) if folder.is_dir() else stimuli.make_digits(folder, image_size=image_size)
    else:
        st = stimuli.load(stimuli_path)
    kwargs = dict(target=target, train_sizes=_ints(train_sizes, "train-sizes"), random_state=_ints(seeds, "seeds"),
                  epochs=epochs, lr=lr, batch_size=batch_size, head=head, task=task, patience=patience,
                  amp=amp, device=device, out=out, progress=True)
    if sweep:
        res = tr.sweep_freezing(source, st, layers=_split(freeze_until), **kwargs)
    else:
        fu = _split(freeze_until)
        res = tr.run(source, st, modes=_split(modes), freeze_until=fu if fu is None or len(fu) > 1 else fu[0],
                     **kwargs)
    figs = out / "figures"
    ax = plotting.plot_learning_curves(res.history)
    plotting.save_figure(ax.figure, figs / "learning_curves")
    chance = 1 / len(res.config["classes"]) if res.config["classes"] else None
    ax = plotting.plot_score_vs_n(res.scores, chance=chance)
    plotting.save_figure(ax.figure, figs / "score_vs_n")
    ax = plotting.plot_representational_change(res.change)
    plotting.save_figure(ax.figure, figs / "cka_change")
    if res.scores["frozen_depth"].nunique() > 2:
        ax = plotting.plot_freezing_sweep(res.scores)
        plotting.save_figure(ax.figure, figs / "freezing_sweep")
    plt.close("all")
    summary = res.summary()
    main = summary[summary.metric != "loss"]
    typer.echo(_table(main[["mode", "freeze_until", "n_train", "metric", "value", "ci_low", "ci_high", "n_seeds"]]))
    typer.echo(f"Wrote the tables (*.csv) and checkpoints (runs/) to {out}, the figures to {figs}")
