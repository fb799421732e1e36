"""`neurocompare models list | layers | train`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import models_app


@models_app.command("list")
def models_list():
    """List the models that load by name."""
    from ..models import list_models

    typer.echo(list_models().to_string(index=False))
    typer.echo("\nAny other torchvision classification, segmentation or detection model also loads by its name; "
               "other libraries by 'timm:NAME', 'openclip:NAME' or 'hf:REPO' (see docs/models.md).")


@models_app.command("layers")
def models_layers(name: str = typer.Argument(..., help="Model name: torchvision, built-in, or timm:NAME / openclip:NAME / hf:REPO."),
                  all_layers: bool = typer.Option(False, "--all", help="Every layer, not just the defaults.")):
    """Show a model's layers and their streams."""
    from ..models import load

    m = load(name)
    for layer in (m.layers if all_layers else m.default_layers):
        typer.echo(f"{m.streams[layer]:7s} {layer}")


@models_app.command("train")
def models_train(name: str = typer.Argument(..., help="smallcnn, twostreamnet or unet."),
                 stimuli_path: Path = typer.Argument(..., metavar="STIMULI", help="A stimulus folder."),
                 out: Path = typer.Option(..., help="Checkpoint file to write (.pt)."),
                 epochs: Optional[int] = typer.Option(None, help="Training epochs."),
                 seed: int = typer.Option(0, help="random_state."),
                 device: str = typer.Option("auto", help="auto, cpu, cuda, mps.")):
    """Train a built-in net on a stimulus folder and save the checkpoint."""
    from .. import models, stimuli

    st = stimuli.load(stimuli_path)
    m = models.train(name, st, epochs=epochs, random_state=seed, device=device)
    models.save(m, out)
    last = m.history[(m.history.epoch == m.history.epoch.max()) & (m.history.split == "validation")]
    typer.echo(f"Saved {out}; final validation: " + ", ".join(f"{r.metric}={r.value:.3f}" for r in last.itertuples()))
