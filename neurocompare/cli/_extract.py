"""`neurocompare extract`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import _parse_options, _split, app


@app.command()
def extract(model: str = typer.Argument(..., help="Model name (see `neurocompare models list`)."),
            stimuli_path: Path = typer.Argument(..., metavar="STIMULI", help="A stimulus folder."),
            out: Path = typer.Option(..., help="Output: a .zarr folder (streamed, resumable) or a .nc file."),
            weights: Optional[str] = typer.Option(None, help="None (random), DEFAULT, whatwhere, or a .pth file."),
            layers: Optional[str] = typer.Option(None, help="Comma-separated layer names, or all/what/where/shared."),
            reduce: Optional[str] = typer.Option(None, help="avgpool, cls (transformers: class token), grid:K, project:K or pca:K."),
            batch_size: int = typer.Option(32, help="Stimuli per batch."),
            device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
            seed: int = typer.Option(0, help="random_state (initialisation and projections)."),
            option: list[str] = typer.Option([], help="Model option KEY=VALUE (repeatable), e.g. min_size=224, or "
                                                  "resize=HxW (e.g. 224x224) to resize every image to one size "
                                                  "first (images of different sizes)."),
            overwrite: bool = typer.Option(False, help="Replace OUT instead of resuming it."),
            scheduler: Optional[str] = typer.Option(None, help="Run on a dask cluster: local (one on this machine) "
                                                               "or a scheduler address, e.g. tcp://host:8786. "
                                                               "OUT must be a .zarr the workers can reach.")):
    """Extract layer activations of a model on a stimulus folder."""
    from .. import models, stimuli
    from ..extraction import extract as _extract
    from ..extraction import to_frame

    st = stimuli.load(stimuli_path)
    w = None if weights in (None, "None", "none") else weights
    m = models.load(model, weights=w, random_state=seed, train_if_missing=True, **_parse_options(option))
    names = layers if layers in ("all", "what", "where", "shared") else _split(layers)
    tree = _extract(m, st, layers=names, batch_size=batch_size, reduce=reduce, device=device, out=out,
                    overwrite=overwrite, random_state=seed, progress=True, scheduler=scheduler)
    typer.echo(to_frame(tree).to_string(index=False))
    typer.echo(f"Wrote {out}")
