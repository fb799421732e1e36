"""`neurocompare stimuli make | specs | info`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import stimuli_app


@stimuli_app.command("make")
def stimuli_make(out: Path = typer.Argument(..., help="Folder to create."),
                 spec: Optional[str] = typer.Option(None, help="A shipped spec name or a .toml path "
                                                              "(other options are then ignored)."),
                 n_per_category: int = typer.Option(20, help="Stimuli per category."),
                 image_size: int = typer.Option(64, help="Image side in pixels."),
                 categories: int = typer.Option(8, help="Number of shape categories (2-8)."),
                 background: str = typer.Option("blank", help="blank, noise or texture."),
                 clutter: int = typer.Option(0, help="Distractor shapes per image."),
                 color: bool = typer.Option(False, help="Random hue per target."),
                 seed: int = typer.Option(0, help="random_state."),
                 overwrite: bool = typer.Option(False, help="Replace OUT if it exists.")):
    """Generate a what/where stimulus set (images, masks, stimuli.csv)."""
    from .. import stimuli

    if spec:
        st = stimuli.make_from_spec(spec, out, overwrite=overwrite)
    else:
        st = stimuli.make_whatwhere(out, n_per_category=n_per_category, image_size=image_size,
                                    categories=categories, background=background, clutter=clutter, color=color,
                                    random_state=seed, overwrite=overwrite)
    typer.echo(f"Wrote {len(st)} stimuli to {st.root}")


@stimuli_app.command("specs")
def stimuli_specs():
    """List the shipped stimulus specs."""
    from .. import stimuli

    for name in stimuli.list_specs():
        typer.echo(f"{name}: {stimuli.read_spec(name)['description']}")


@stimuli_app.command("info")
def stimuli_info(path: Path = typer.Argument(..., help="A stimulus folder.")):
    """Check a stimulus folder and summarise it."""
    from .. import stimuli

    st = stimuli.load(path)
    typer.echo(repr(st))
    typer.echo(st.metadata.describe(include="all").T.to_string())
    info = st.image_info()
    sizes = info.groupby(["height", "width"]).size().sort_values(ascending=False, kind="stable")
    if len(sizes) == 1:
        (h, w), = sizes.index
        typer.echo(f"Image size (height x width): {h}x{w} px, all {len(info)} images.")
    else:
        typer.echo(f"Image sizes (height x width): {len(sizes)} different; height {info.height.min()}-"
                   f"{info.height.max()} px, width {info.width.min()}-{info.width.max()} px; most common " +
                   ", ".join(f"{h}x{w} ({n})" for (h, w), n in sizes[:3].items()) +
                   ". Segmenters and detectors need one size: `neurocompare extract --option resize=HxW` "
                   "(Python: nc.models.load(..., resize=(h, w))).")
    modes = info["mode"].value_counts()
    typer.echo("Colour modes: " + ", ".join(f"{m} ({n})" for m, n in modes.items()) +
               ("" if set(modes.index) <= {"RGB"} else "; every image is converted to RGB for the models."))
