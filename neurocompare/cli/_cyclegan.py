"""`neurocompare cyclegan train | translate`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import cyclegan_app


@cyclegan_app.command("train")
def cyclegan_train(domain_a: Path = typer.Argument(..., help="Stimulus folder of domain A."),
                   domain_b: Path = typer.Argument(..., help="Stimulus folder of domain B."),
                   out: Path = typer.Option(..., help="Folder for the checkpoint, cyclegan.pt, tables and figures "
                                                      "(rerun the same command to resume)."),
                   epochs: int = typer.Option(20, help="Training epochs."),
                   decay_epochs: Optional[int] = typer.Option(None, help="Final epochs of linear LR decay "
                                                                          "(default epochs // 2)."),
                   image_size: Optional[int] = typer.Option(None, help="Resize every image to S x S (multiple of 4, "
                                                                       ">= 16); default: the images' own size."),
                   batch_size: int = typer.Option(4, help="Images per domain per step."),
                   width: int = typer.Option(32, help="Filters of the first layer (64 in the paper)."),
                   n_blocks: int = typer.Option(6, help="Residual blocks of the generators."),
                   lambda_cycle: float = typer.Option(10.0, help="Weight of the cycle loss."),
                   lambda_identity: float = typer.Option(0.5, help="Weight of the identity loss, relative to "
                                                                   "lambda-cycle."),
                   device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
                   seed: int = typer.Option(0, help="random_state."),
                   overwrite: bool = typer.Option(False, help="Start afresh if OUT holds another run's checkpoint.")):
    """Train a CycleGAN between two stimulus folders; write the model, history, cycle metrics and figures."""
    from .. import stimuli
    from ..generation import cycle_metrics, train_cyclegan
    from ..plotting import plot_cyclegan_history, plot_translation_grid, save_figure

    a, b = stimuli.load(domain_a), stimuli.load(domain_b)
    gan = train_cyclegan(a, b, image_size=image_size, epochs=epochs, decay_epochs=decay_epochs,
                         batch_size=batch_size, width=width, n_blocks=n_blocks, lambda_cycle=lambda_cycle,
                         lambda_identity=lambda_identity, device=device, random_state=seed, out=out,
                         overwrite=overwrite)
    metrics = cycle_metrics(gan, a, b, resize=image_size is not None, device=device)
    metrics.to_csv(out / "cycle_metrics.csv", index=False)
    save_figure(plot_cyclegan_history(gan), out / "figures" / "history")
    save_figure(plot_translation_grid(gan, a, b).figure, out / "figures" / "translations")
    typer.echo(repr(gan))
    typer.echo(metrics[["metric", "domain", "mapping", "value", "ci_low", "ci_high"]].round(4).to_string(index=False))
    typer.echo(f"Wrote cyclegan.pt, history.csv, cycle_metrics.csv and figures/ to {out}")


@cyclegan_app.command("translate")
def cyclegan_translate(model: Path = typer.Argument(..., help="A cyclegan.pt file or the OUT folder of "
                                                              "'neurocompare cyclegan train'."),
                       stimuli_dir: Path = typer.Argument(..., metavar="STIMULI", help="Stimulus folder to translate."),
                       out: Path = typer.Option(..., help="Folder to create for the translated stimuli."),
                       direction: str = typer.Option("a2b", help="a2b or b2a."),
                       resize: bool = typer.Option(False, help="Resize images of another size to the model's."),
                       device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
                       overwrite: bool = typer.Option(False, help="Replace OUT if it exists.")):
    """Translate a stimulus folder with a trained CycleGAN (factors of the source carried over)."""
    from .. import stimuli
    from ..generation import load_cyclegan

    gan = load_cyclegan(model)
    st = gan.translate(stimuli.load(stimuli_dir), direction=direction, out=out, resize=resize, device=device,
                       overwrite=overwrite)
    typer.echo(f"Wrote {len(st)} translated stimuli ({direction}) to {st.root}")
