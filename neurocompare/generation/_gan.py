"""``train_gan``: the built-in DCGAN on any StimulusSet, with history, sample grids and resumable checkpoints."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._utils.checks import check_positive_int
from .._utils.logging import logger
from .images import to_uint8
from .._utils.progress import progress_bar

CHECKPOINT = "checkpoint.pt"
_VERSION = 1  # bump when the checkpoint layout changes


def train_gan(stimuli, *, image_size: int | None = None, latent_dim: int = 32, width: int = 32, epochs: int = 30,
              batch_size: int = 16, lr: float = 2e-4, n_samples: int = 64, sample_every: int | None = None,
              device="auto", random_state: int = 0, out=None, overwrite: bool = False, progress: bool = True):
    """Train the built-in DCGAN (Radford et al. 2016) on the images of a StimulusSet.

    The adversarial game of Radford et al. (2016), unconditional: binary
    cross-entropy, Adam with beta1 = 0.5, one discriminator step then one
    generator step per batch; every stimulus is used for training. It also
    keeps sample grids drawn from a fixed set of latent vectors and, with
    ``out``, writes a checkpoint after every epoch so an interrupted run resumes
    where it stopped: calling it again with the same arguments (or a larger
    ``epochs``) continues, and gives exactly the weights an uninterrupted run gives.

    Parameters
    ----------
    stimuli : StimulusSet
        The images to imitate (every stimulus is used).
    image_size : int, optional
        16, 32, 64 or 128 (a 4x4 seed doubled by each generator layer). Default:
        the stimuli's own size when it is one of those.
    latent_dim, width : int
        Size of the latent vector; channels of the last generator / first discriminator layer.
    epochs, batch_size : int
    lr : float
        Adam learning rate of both players.
    n_samples : int
        Size of the fixed latent batch behind the sample grids.
    sample_every : int, optional
        Draw the sample grid every this many epochs (default: about ten grids per run);
        the initial generator (epoch 0) and the last epoch are always drawn.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ...
    random_state : int
        Seeds the initialisation, the batch order, the training latents and the fixed latents.
    out : path-like, optional
        Folder for ``checkpoint.pt`` (resumable state), ``generator.pt`` (load it with
        ``neurocompare.models.load("dcgan", weights=...)``), ``history.csv`` and one PNG
        grid per sampled epoch in ``samples/``.
    overwrite : bool
        Start afresh even if ``out`` holds a checkpoint of other settings.
    progress : bool

    Returns
    -------
    ModelWrapper
        The trained DCGAN (family ``"gan"``; extract its generator's layers with
        ``neurocompare.extract(gan, z)`` and its discriminator's with a StimulusSet).
        Extra attributes: ``history`` (long DataFrame ``model, epoch, split, metric,
        value`` with ``loss_d, loss_g, d_real, d_fake``: the epoch means of the losses and of
        D(x) and D(G(z)) as probabilities), ``samples`` (uint8 DataArray ``epoch, sample,
        y, x, channel`` of the fixed-latent grids) and ``fixed_z`` (the fixed latents).
    """
    import torch

    from .._utils.device import resolve_device
    from .._utils.hashing import config_hash
    from .._utils.random import reproducible_training, seed_int, torch_seed, train_threads
    from ..models.building import build_module, make_wrapper
    from ..models.specs import check_options
    from ..stimuli import StimulusSet

    if not isinstance(stimuli, StimulusSet):
        raise TypeError(f"Invalid value for 'stimuli': expected a StimulusSet; got {type(stimuli).__name__}. "
                        "Load a folder with neurocompare.stimuli.load(path).")
    if len(stimuli) < 2:
        raise ValueError(f"Invalid value for 'stimuli': GAN training needs at least 2 images; got {len(stimuli)}.")
    if image_size is None:
        image_size = _native_size(stimuli)
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size, minimum=2)
    n_samples = check_positive_int("n_samples", n_samples)
    sample_every = check_positive_int("sample_every", max(1, epochs // 10) if sample_every is None else sample_every)
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"Invalid value for 'lr': expected a positive number; got {lr!r}.")
    cfg = check_options("dcgan", {"latent_dim": latent_dim, "image_size": image_size, "width": width})
    seed = seed_int(random_state)
    settings = dict(config=cfg, stimuli=stimuli.fingerprint(), batch_size=batch_size, lr=float(lr),
                    n_samples=n_samples, random_state=seed, version=_VERSION, threads=train_threads())
    key = config_hash(settings)
    dev = resolve_device(device)

    with torch_seed(seed):
        module = build_module("dcgan", cfg)
    fixed_z = torch.from_numpy(np.random.default_rng([seed, 1]).standard_normal((n_samples, latent_dim))
                               .astype(np.float32))
    snapshots: dict[int, np.ndarray] = {0: _draw(module.generator, fixed_z, dev)}
    resume = None
    ckpt_path = Path(out) / CHECKPOINT if out is not None else None
    if ckpt_path is not None and ckpt_path.is_file():
        from ..models.checkpoints import read_state_file

        state = read_state_file(ckpt_path, what="GAN checkpoint", param="out",
                                expected="the checkpoint.pt that neurocompare.generation.train_gan writes")
        if state.get("key") != key and not overwrite:
            raise FileExistsError(f"Invalid value for 'out': {str(out)!r} holds a checkpoint of other settings "
                                  "(stimuli, architecture, batch size, lr or seed differ). Choose another folder or "
                                  "pass overwrite=True to start afresh.")
        if state.get("key") == key:
            module.load_state_dict(state["model"])
            snapshots = {int(e): img.numpy() for e, img in zip(state["sample_epochs"], state["samples"])}
            resume = {k: state[k] for k in ("opt_g", "opt_d", "rng", "rows", "epoch")}
            resume["rows"] = [(int(e), s, m, float(v)) for e, s, m, v in zip(*state["rows"])]
            logger.info("Resuming GAN training from epoch %d in %s", state["epoch"], out)
            if int(state["epoch"]) > epochs:
                raise ValueError(f"Invalid value for 'epochs': the checkpoint in {str(out)!r} is already at epoch "
                                 f"{int(state['epoch'])}; ask for at least that many or use another folder.")

    def on_epoch(epoch, st):
        if epoch % sample_every == 0 or epoch == epochs:
            snapshots[epoch] = _draw(module.generator, fixed_z, dev)
        if ckpt_path is not None:
            _write_checkpoint(ckpt_path, module, st, snapshots, key)

    transform = _transform(cfg)
    x = torch.stack([transform(stimuli.load_image(i)) for i in range(len(stimuli))])
    with reproducible_training():
        history = _fit_gan(module, x, epochs=epochs, lr=float(lr), batch_size=batch_size, device=dev,
                           progress=progress, random_state=seed, resume=resume, on_epoch=on_epoch)
    module.to("cpu").eval()
    gan = make_wrapper("dcgan", module, cfg, extra={"trained_on": stimuli.name, "random_state": seed},
                       weights=f"trained on {stimuli.name} ({epochs} epochs, seed {seed})")
    gan.history = history
    gan.samples = _samples_array(snapshots)
    gan.fixed_z = fixed_z.numpy()
    if out is not None:
        _write_outputs(Path(out), gan)
    return gan


def _fit_gan(module, x, *, epochs, lr, batch_size, device, progress, random_state, resume=None,
             on_epoch=None):
    """The adversarial loop of :func:`train_gan`.

    ``resume``: a state from ``on_epoch`` (optimisers, batch-order RNG, history rows, epoch) to continue from;
    ``on_epoch(epoch, state)`` is called after every epoch (sample grids, checkpoints).
    """
    import pandas as pd
    import torch
    import torch.nn.functional as F

    module.to(device).train()
    g, d = module.generator, module.discriminator
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(int(random_state))
    rows, first = [], 1
    if resume is not None:
        opt_g.load_state_dict(resume["opt_g"])
        opt_d.load_state_dict(resume["opt_d"])
        gen.set_state(resume["rng"])
        rows, first = [tuple(r) for r in resume["rows"]], int(resume["epoch"]) + 1
    with progress_bar(max(0, epochs - first + 1), "training dcgan", enable=progress) as advance:
        for epoch in range(first, epochs + 1):
            perm = torch.randperm(len(x), generator=gen)
            sums = {"loss_d": 0.0, "loss_g": 0.0, "d_real": 0.0, "d_fake": 0.0}
            count = 0
            for b in range(0, len(x) - 1, batch_size):
                idx = perm[b:b + batch_size]
                if len(idx) < 2:
                    continue
                real = x[idx].to(device)
                z = torch.randn(len(idx), g.latent_dim, generator=gen).to(device)
                fake = g(z)
                out_real, out_fake = d(real), d(fake.detach())
                loss_d = (F.binary_cross_entropy_with_logits(out_real, torch.ones_like(out_real))
                          + F.binary_cross_entropy_with_logits(out_fake, torch.zeros_like(out_fake)))
                opt_d.zero_grad()
                loss_d.backward()
                opt_d.step()
                out_gen = d(fake)
                loss_g = F.binary_cross_entropy_with_logits(out_gen, torch.ones_like(out_gen))
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
                n = len(idx)
                sums["loss_d"] += loss_d.item() * n
                sums["loss_g"] += loss_g.item() * n
                sums["d_real"] += torch.sigmoid(out_real).mean().item() * n
                sums["d_fake"] += torch.sigmoid(out_fake).mean().item() * n
                count += n
            rows += [(epoch, "train", k, v / count) for k, v in sums.items()]
            if on_epoch is not None:
                on_epoch(epoch, {"opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "rng": gen.get_state(),
                                 "rows": list(rows), "epoch": epoch})
                module.train()
            advance()
    module.eval()
    hist = pd.DataFrame(rows, columns=["epoch", "split", "metric", "value"])
    hist.insert(0, "model", "dcgan")
    return hist


def _native_size(stimuli) -> int:
    from ..models.specs import DCGAN_SIZES

    w, h = stimuli.load_image(0).size
    if w == h and w in DCGAN_SIZES:
        return w
    raise ValueError(f"Invalid value for 'image_size': the stimuli are {w}x{h} pixels, which the DCGAN cannot make; "
                     f"pass image_size= one of {list(DCGAN_SIZES)} (the images are resized to it).")


def _transform(cfg):
    from ..models.specs import builtin_transform

    return builtin_transform(cfg["image_size"])


def _draw(generator, z, device) -> np.ndarray:
    import torch

    from ..models.batches import prepared

    with prepared(generator, device), torch.no_grad():
        return to_uint8(generator(z.to(device)))


def _write_checkpoint(path: Path, module, st, snapshots, key) -> None:
    import io

    import torch

    from .._utils.paths import atomic_write_bytes

    epochs = sorted(snapshots)
    rows = list(zip(*st["rows"])) if st["rows"] else [[], [], [], []]
    weights = {k: v.detach().cpu() for k, v in module.state_dict().items()}
    state = {"key": key, "epoch": int(st["epoch"]), "model": weights,
             "opt_g": st["opt_g"], "opt_d": st["opt_d"], "rng": st["rng"],
             "rows": [list(map(int, rows[0])), list(rows[1]), list(rows[2]), list(map(float, rows[3]))],
             "sample_epochs": epochs, "samples": torch.from_numpy(np.stack([snapshots[e] for e in epochs]))}
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def _samples_array(snapshots):
    import xarray as xr

    epochs = sorted(snapshots)
    arr = np.stack([snapshots[e] for e in epochs])
    return xr.DataArray(arr, dims=("epoch", "sample", "y", "x", "channel"),
                        coords={"epoch": epochs, "sample": np.arange(arr.shape[1])},
                        attrs={"description": "generator samples from fixed latents (uint8 RGB)"})


def image_grid(images, *, ncol: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile uint8 images (N, H, W, C) into one (rows * H, cols * W, C) grid with ``pad`` white pixels between.

    Parameters
    ----------
    images : array-like
        uint8 images (N, H, W, C), filled into the grid row by row.
    ncol : int, optional
        Columns of the grid (default: ``ceil(sqrt(N))``); the last row may be incomplete (white).
    pad : int
        White pixels between the cells and around the grid.

    Returns
    -------
    numpy.ndarray
        uint8, ``(rows * (H + pad) + pad, ncol * (W + pad) + pad, C)``.
    """
    images = np.asarray(images)
    n, h, w, c = images.shape
    ncol = int(ncol or int(np.ceil(np.sqrt(n))))
    nrow = int(np.ceil(n / ncol))
    grid = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):
        r, q = divmod(i, ncol)
        grid[pad + r * (h + pad):pad + r * (h + pad) + h, pad + q * (w + pad):pad + q * (w + pad) + w] = images[i]
    return grid


def _write_outputs(out: Path, gan) -> None:
    import io

    from PIL import Image

    from .._utils.paths import atomic_write_bytes
    from ..models import save

    save(gan, out / "generator.pt")
    atomic_write_bytes(out / "history.csv", gan.history.to_csv(index=False, lineterminator="\n").encode())
    for epoch in gan.samples.epoch.values:
        buf = io.BytesIO()
        Image.fromarray(image_grid(gan.samples.sel(epoch=epoch).values)).save(buf, format="PNG")
        atomic_write_bytes(out / "samples" / f"epoch_{int(epoch):04d}.png", buf.getvalue())
