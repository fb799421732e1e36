"""`neurocompare gan train | axes | traverse | quality`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ._app import _split, _table, gan_app


def _load_checkpoint(path: Path, what: str):
    """A built-in net saved by `gan train`, `models train` or nc.models.save (its name is read from the file)."""
    from .. import models
    from ..models.checkpoints import read_state_file

    path = Path(path)
    if path.is_dir():
        path = path / "generator.pt"
    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for {what!r}: {str(path)!r} does not exist; pass a checkpoint (.pt) "
                                "from `neurocompare gan train` / `models train`, or the `gan train` output folder.")
    meta = read_state_file(path).get("neurocompare", {})
    name = meta.get("name") if isinstance(meta, dict) else None
    if not name:
        raise ValueError(f"Invalid value for {what!r}: {str(path)!r} is not a neurocompare checkpoint (no model name "
                         "inside); save it with neurocompare.models.save.")
    return models.load(name, weights=str(path))


@gan_app.command("train")
def gan_train(stimuli_path: Path = typer.Argument(..., metavar="STIMULI", help="A stimulus folder."),
              out: Path = typer.Option(..., help="Output folder (rerun the same command to resume)."),
              image_size: Optional[int] = typer.Option(None, help="16, 32, 64 or 128 (default: the images' size)."),
              latent_dim: int = typer.Option(32, help="Latent vector length."),
              width: int = typer.Option(32, help="Channels of the outer layers."),
              epochs: int = typer.Option(30, help="Training epochs."),
              batch_size: int = typer.Option(16, help="Mini-batch size."),
              lr: float = typer.Option(2e-4, help="Adam learning rate."),
              seed: int = typer.Option(0, help="random_state."),
              device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
              overwrite: bool = typer.Option(False, help="Start afresh over a checkpoint of other settings.")):
    """Train the built-in DCGAN on a stimulus folder: checkpoint, history, loss and sample-grid figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plotting, stimuli
    from ..generation import train_gan

    st = stimuli.load(stimuli_path)
    gan = train_gan(st, image_size=image_size, latent_dim=latent_dim, width=width, epochs=epochs,
                    batch_size=batch_size, lr=lr, device=device, random_state=seed, out=out, overwrite=overwrite)
    plotting.save_figure(plotting.plot_gan_history(gan.history), out / "figures" / "history")
    plotting.save_figure(plotting.plot_sample_grid(gan).figure, out / "figures" / "samples")
    plt.close("all")
    h = gan.history[gan.history.epoch == gan.history.epoch.max()]
    typer.echo(f"Wrote {out}/generator.pt, history.csv, samples/ and figures/; last epoch: "
               + ", ".join(f"{r.metric}={r.value:.3f}" for r in h.itertuples()))


@gan_app.command("axes")
def gan_axes(gan_path: Path = typer.Argument(..., metavar="GAN", help="`gan train` folder or generator checkpoint."),
             labeler: Optional[Path] = typer.Option(None, help="Checkpoint of a trained classifier that decodes the "
                                                               "factors (e.g. `models train twostreamnet`)."),
             factors: Optional[str] = typer.Option(None, help="Comma-separated target factors (default: all "
                                                              "numeric ones)."),
             lock: Optional[str] = typer.Option(None, help="Comma-separated factors to hold fixed."),
             method: str = typer.Option("tlgan", help="tlgan, interfacegan or ganspace."),
             n_samples: int = typer.Option(2000, help="Latent samples."),
             layer: Optional[str] = typer.Option(None, help="GANSpace: generator layer to decompose."),
             components: int = typer.Option(5, help="GANSpace: principal components."),
             seed: int = typer.Option(0, help="random_state."),
             device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
             out: Path = typer.Option(Path("gan-axes"), help="Folder for axes.csv, cosines.csv, fit.csv, figures.")):
    """Find latent feature axes (TL-GAN, InterFaceGAN, GANSpace) and their cosines before/after disentangling."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plotting
    from ..generation import feature_axes

    gan = _load_checkpoint(gan_path, "GAN")
    lab = _load_checkpoint(labeler, "--labeler") if labeler is not None else None
    fa = feature_axes(gan, lab, factors=_split(factors) or None, lock=_split(lock) or [], method=method,
                      n_samples=n_samples, layer=layer, n_components=components, device=device,
                      random_state=seed)
    fa.save(out)
    plotting.save_figure(plotting.plot_axis_cosines(fa), out / "figures" / "axis_cosines")
    plt.close("all")
    typer.echo(f"Wrote {out}/axes.csv ({', '.join(fa.targets)}), cosines.csv, fit.csv and figures/.")
    typer.echo(_table(fa.fit))


@gan_app.command("traverse")
def gan_traverse(gan_path: Path = typer.Argument(..., metavar="GAN", help="`gan train` folder or generator "
                                                                          "checkpoint."),
                 axes: Path = typer.Option(..., help="`gan axes` output folder (or its axes.csv)."),
                 factor: str = typer.Option(..., help="Which axis to walk along."),
                 labeler: Optional[Path] = typer.Option(None, help="Checkpoint that decodes the factors of each "
                                                                   "image."),
                 steps: int = typer.Option(9, help="Steps from -span to +span."),
                 span: float = typer.Option(2.0, help="Largest offset."),
                 n: int = typer.Option(8, help="Chains (start latents)."),
                 step_units: str = typer.Option("sd", help="sd or latent."),
                 seed: int = typer.Option(0, help="random_state."),
                 device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
                 overwrite: bool = typer.Option(False, help="Replace an existing output folder."),
                 out: Path = typer.Option(..., help="New stimulus folder to write.")):
    """Walk along one axis and write the images as a stimulus folder with decoded factors and effects.csv."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plotting
    from ..generation import load_axes, traversal_summary, traverse

    gan = _load_checkpoint(gan_path, "GAN")
    lab = _load_checkpoint(labeler, "--labeler") if labeler is not None else None
    table = load_axes(axes)
    names = [str(a) for a in table.axis.values]
    if factor not in names:
        from .._utils.checks import unknown_name_error

        raise unknown_name_error("axis in '--factor'", factor, names)
    trav = traverse(gan, table.sel(axis=factor), factor=factor, steps=steps, span=span, n=n,
                    step_units=step_units, labeler=lab, out=out, overwrite=overwrite, device=device,
                    random_state=seed)
    typer.echo(f"Wrote {len(trav)} stimuli to {out}.")
    if lab is not None:
        plotting.save_figure(plotting.plot_traversal(trav), out / "figures" / "traversal")
        plt.close("all")
        summ = traversal_summary(trav)
        summ = summ[~summ.factor.str.startswith("p_")]
        typer.echo(_table(summ))


def _image_set(path: Path, what: str):
    """A `gan train` folder / generator checkpoint (a GAN to sample) or a stimulus folder (images)."""
    from .. import stimuli

    path = Path(path)
    if path.suffix == ".pt" or (path.is_dir() and (path / "generator.pt").is_file()):
        return _load_checkpoint(path, what)
    if not path.is_dir():
        raise FileNotFoundError(f"Invalid value for {what!r}: {str(path)!r} does not exist; pass a stimulus folder, "
                                "a `gan train` output folder or a generator checkpoint (.pt).")
    return stimuli.load(path)


@gan_app.command("quality")
def gan_quality(fake_path: Path = typer.Argument(..., metavar="FAKE", help="`gan train` folder, generator "
                                                 "checkpoint (.pt), or a stimulus folder of generated images."),
                real_path: Path = typer.Argument(..., metavar="REAL", help="Stimulus folder of real images."),
                model: str = typer.Option("resnet18", help="Feature network: a zoo name, a checkpoint (.pt) from "
                                          "`models train`, or 'inception' (the standard FID network: needs "
                                          "--weights and torch-fidelity)."),
                weights: Optional[str] = typer.Option(None, help="Weights of a zoo --model ('DEFAULT', a file) or "
                                                      "the Inception weights file."),
                layer: Optional[str] = typer.Option(None, help="Layer whose averaged activations are the features "
                                                    "(default: the model's second-to-last default layer)."),
                n_fake: int = typer.Option(500, help="Images sampled from a GAN."),
                kid_subsets: int = typer.Option(100, help="KID: random subsets."),
                kid_subset_size: int = typer.Option(1000, help="KID: images per subset (capped at the set sizes)."),
                batch_size: int = typer.Option(64, help="Images per forward pass."),
                seed: int = typer.Option(0, help="random_state (GAN latents, KID subsets)."),
                device: str = typer.Option("auto", help="auto, cpu, cuda, mps."),
                out: Path = typer.Option(Path("gan-quality.csv"), help="CSV file for the FID/KID table.")):
    """FID and KID between generated and real images in a network's feature space."""
    from ..generation import image_quality

    fake = _image_set(fake_path, "FAKE")
    real = _image_set(real_path, "REAL")
    feat = model
    if model.endswith(".pt") or Path(model).is_file():
        feat = _load_checkpoint(Path(model), "--model")
    table = image_quality(real, fake, model=feat, layer=layer, weights=weights, n_fake=n_fake,
                          n_subsets=kid_subsets, subset_size=kid_subset_size, batch_size=batch_size,
                          device=device, random_state=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    typer.echo(f"Wrote {out}.")
