"""CycleGAN (Zhu et al. 2017): unpaired translation between two StimulusSets, with checkpoints and resume."""
from __future__ import annotations

import io
import json
import math
import numbers
from dataclasses import dataclass, field
from pathlib import Path

from .._utils.checks import check_option, check_positive_int
from .._utils.logging import logger
from .images import images_tensor, to_uint8

_FORMAT = "neurocompare-cyclegan"
_VERSION = 1
_CHECKPOINT = "checkpoint.pt"
_MODEL = "cyclegan.pt"
DIRECTIONS = ("a2b", "b2a")
#: the history's metrics (long format: epoch, domain, metric, value)
HISTORY_METRICS = ("loss_g", "loss_d", "loss_g_adv", "cycle_l1", "identity_l1", "d_real", "d_fake", "lr")


@dataclass
class CycleGAN:
    """A trained CycleGAN: the two generators, the two discriminators and the training history.

    Attributes
    ----------
    g_ab, g_ba : torch.nn.Module
        Generators A -> B and B -> A (inputs and outputs in [-1, 1]).
    d_a, d_b : torch.nn.Module or None
        PatchGAN discriminators judging domain A and domain B images.
    history : pandas.DataFrame
        Long format, one row per ``epoch, domain, metric``: see :func:`train_cyclegan`.
    config : dict
        The settings of the run (``image_size`` as ``[height, width]``, architecture, losses,
        optimiser, seed, the two domains' names and sizes).
    """

    g_ab: object
    g_ba: object
    d_a: object = None
    d_b: object = None
    history: object = None
    config: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        c = self.config
        epochs = 0 if self.history is None or len(self.history) == 0 else int(self.history["epoch"].max())
        return (f"<CycleGAN {c.get('domain_a', 'A')!r} <-> {c.get('domain_b', 'B')!r}: "
                f"{c.get('image_size')} px, width {c.get('width')}, {c.get('n_blocks')} blocks, {epochs} epochs>")

    @property
    def image_shape(self) -> tuple[int, int]:
        """``(height, width)`` of the images the generators were trained on."""
        return tuple(int(v) for v in self.config["image_size"])

    def generator(self, direction: str):
        """The generator of one direction.

        Parameters
        ----------
        direction : {"a2b", "b2a"}
            ``"a2b"``: :attr:`g_ab` (A -> B); ``"b2a"``: :attr:`g_ba`.

        Returns
        -------
        torch.nn.Module
        """
        check_option("direction", direction, DIRECTIONS)
        return self.g_ab if direction == "a2b" else self.g_ba

    def apply(self, images, direction: str = "a2b", *, batch_size: int = 32, device="auto", progress: bool = True):
        """Translate images held in memory.

        Parameters
        ----------
        images : torch.Tensor
            Float tensor (N, 3, H, W) in [-1, 1], at :attr:`image_shape`. Not modified.
        direction : {"a2b", "b2a"}
            Which generator to apply.
        batch_size : int
            Images per forward pass.
        device : str
            Where the generator runs: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
        progress : bool
            Show a progress bar over the images.

        Returns
        -------
        torch.Tensor
            The translations, on the CPU, in [-1, 1] (a copy of ``images`` when there are none).
        """
        import torch

        from .._utils.device import resolve_device
        from .._utils.progress import progress_bar
        from ..models.batches import prepared

        gen = self.generator(direction)
        batch_size = check_positive_int("batch_size", batch_size)
        dev = resolve_device(device)
        outs = []
        with prepared(gen, dev), torch.inference_mode(), \
                progress_bar(len(images), f"CycleGAN: translating ({direction})", enable=progress) as advance:
            for i in range(0, len(images), batch_size):
                outs.append(gen(images[i:i + batch_size].to(dev)).cpu())
                advance(len(outs[-1]))
        return torch.cat(outs) if outs else images.clone()

    def translate(self, stimuli, *, direction: str = "a2b", out, overwrite: bool = False, resize: bool = False,
                  batch_size: int = 32, device="auto", progress: bool = True):
        """Translate every stimulus and save the results as a new StimulusSet.

        Parameters
        ----------
        stimuli : StimulusSet
            Images of the source domain (A for ``"a2b"``, B for ``"b2a"``). Not modified.
        direction : {"a2b", "b2a"}
        out : path-like
            Folder to create (written under a temporary name, moved into place when complete).
        overwrite : bool
            Replace ``out`` if it exists.
        resize : bool
            Resize images whose size differs from the model's ``image_shape`` (logged); otherwise
            such images are an error.
        batch_size : int
            Images per forward pass.
        device : str
            Where the generator runs: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
        progress : bool
            Show a progress bar over the images translated.

        Returns
        -------
        StimulusSet
            Same ``stimulus_id`` s and factor columns as the source (the factors, and any masks, are
            the source's: what the translation is meant to keep), plus ``source_stimulus`` (the id
            of the source image) and ``translation`` (the direction). Images are 8-bit RGB PNGs.
        """
        import numpy as np
        from PIL import Image

        from .._utils.paths import atomic_dir
        from ..stimuli import load, write_table

        check_option("direction", direction, DIRECTIONS)
        batch_size = check_positive_int("batch_size", batch_size)
        if Path(out).resolve() == Path(stimuli.root).resolve():
            raise ValueError(f"Invalid value for 'out': it is the source set's own folder {str(out)!r}; choose "
                             "another (the source stimuli are never modified).")
        x = images_tensor(stimuli, self.image_shape, resize=resize, param="stimuli")
        y = self.apply(x, direction, batch_size=batch_size, device=device, progress=progress)
        arr = to_uint8(y)
        md = stimuli.metadata.copy()
        with atomic_dir(out, overwrite=overwrite) as tmp:
            (tmp / "images").mkdir()
            files = []
            for i, sid in enumerate(md.index):
                rel = f"images/{_safe_name(sid, i)}.png"
                Image.fromarray(np.ascontiguousarray(arr[i])).save(tmp / rel)
                files.append(rel)
            md["file"] = files
            if "mask_file" in md.columns:
                (tmp / "masks").mkdir()
                new = []
                for i, (sid, rel) in enumerate(zip(md.index, md["mask_file"])):
                    if not isinstance(rel, str):
                        new.append(rel)
                        continue
                    dest = f"masks/{_safe_name(sid, i)}.png"
                    (tmp / dest).write_bytes((stimuli.root / rel).read_bytes())
                    new.append(dest)
                md["mask_file"] = new
            md["source_stimulus"] = list(stimuli.ids)
            md["translation"] = direction
            write_table(tmp, md, what=stimuli.what, where=stimuli.where,
                        extra={"cyclegan": {"direction": direction, "source": str(stimuli.root),
                                            "domain_a": str(self.config.get("domain_a", "")),
                                            "domain_b": str(self.config.get("domain_b", ""))}})
        logger.info("Translated %d stimuli (%s) into %s", len(md), direction, out)
        return load(out, name=f"{stimuli.name}-{direction}")

    def save(self, path) -> Path:
        """Write the generators, discriminators, config and history to one ``.pt`` file (atomically).

        Parameters
        ----------
        path : path-like
            The file to write; read it back with :meth:`load` or
            :func:`neurocompare.generation.load_cyclegan`.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        import torch

        from .._utils.paths import atomic_write_bytes

        path = Path(path)
        payload = {"format": _FORMAT, "version": _VERSION, "config": json.dumps(self.config),
                   "history": _history_json(self.history)}
        for name in ("g_ab", "g_ba", "d_a", "d_b"):
            mod = getattr(self, name)
            if mod is not None:
                payload[name] = {k: v.detach().cpu() for k, v in mod.state_dict().items()}
        buf = io.BytesIO()
        torch.save(payload, buf)
        atomic_write_bytes(path, buf.getvalue())
        return path

    @classmethod
    def load(cls, path) -> "CycleGAN":
        """Read a file written by :meth:`save` (or the ``cyclegan.pt`` of a training folder).

        Parameters
        ----------
        path : path-like
            A ``.pt`` file, or a training folder holding ``cyclegan.pt``.

        Returns
        -------
        CycleGAN
        """
        return load_cyclegan(path)


def load_cyclegan(path) -> CycleGAN:
    """Load a CycleGAN saved with :meth:`CycleGAN.save`, or the result in a ``train_cyclegan(out=...)`` folder.

    Parameters
    ----------
    path : path-like
        A ``.pt`` file, or a training folder holding ``cyclegan.pt``.

    Returns
    -------
    CycleGAN
    """
    path = Path(path)
    if path.is_dir():
        path = path / _MODEL
    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for 'path': no CycleGAN file at {str(path)!r}. Pass the .pt file "
                                "written by CycleGAN.save or the 'out' folder of a finished train_cyclegan run.")
    try:
        from ..models.checkpoints import read_state_file

        payload = read_state_file(path, what="CycleGAN file", param="path",
                                  expected="a cyclegan.pt written by neurocompare.generation.train_cyclegan")
    except Exception as err:  # torch raises several types for non-checkpoint files
        raise ValueError(f"Invalid value for 'path': {str(path)!r} is not a readable CycleGAN file ({err}).") from None
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(f"Invalid value for 'path': {str(path)!r} is not a CycleGAN file written by neurocompare.")
    config = json.loads(payload["config"])
    nets = _build_nets(config)
    for name, mod in nets.items():
        if name in payload:
            mod.load_state_dict(payload[name])
        mod.eval()
    return CycleGAN(**nets, history=_history_from_json(payload["history"]), config=config)


# --- training ---------------------------------------------------------------------------------------------------

def train_cyclegan(domain_a, domain_b, *, image_size=None, epochs: int = 20, decay_epochs: int | None = None,
                   batch_size: int = 4, lr: float = 2e-4, lambda_cycle: float = 10.0, lambda_identity: float = 0.5,
                   width: int = 32, n_blocks: int = 6, d_layers: int | None = None, pool_size: int = 50,
                   device="auto", random_state: int = 0, out=None, overwrite: bool = False,
                   progress: bool = True) -> CycleGAN:
    """Train a CycleGAN that translates between two StimulusSets (unpaired).

    The model and losses follow Zhu et al. (2017) and the official pytorch-CycleGAN-and-pix2pix
    code: ResNet-block generators (``c7s1-w, d2w, d4w, n_blocks x R4w, u2w, uw, c7s1-3``, instance
    norm, reflection padding, tanh), PatchGAN discriminators, the least-squares (LSGAN)
    adversarial loss, the cycle loss ``lambda_cycle * |F(G(a)) - a|_1`` (both ways), the identity
    loss ``lambda_identity * lambda_cycle * |G(b) - b|_1`` (both ways), Adam (``betas=(0.5, 0.999)``),
    a pool of 50 earlier fakes for the discriminators, and a learning rate that is constant and
    then decays linearly over the last ``decay_epochs`` epochs. Weights start from N(0, 0.02).
    The discriminators' loss is halved, as in the official code.

    One epoch is ``ceil(max(n_a, n_b) / batch_size)`` steps; each step draws a batch from each
    domain (both shuffled every epoch; the smaller domain is cycled).

    Parameters
    ----------
    domain_a, domain_b : StimulusSet
        The two image domains (at least 2 images each). They are not modified.
    image_size : int, optional
        Train at ``image_size`` x ``image_size`` pixels, resizing every image of another size (each
        resize is logged). By default the images are used at their own size, which must be the
        same in both domains. The side must be a multiple of 4 and at least 16.
    epochs : int
        Total epochs.
    decay_epochs : int, optional
        The learning rate decays linearly over the last ``decay_epochs`` epochs (the paper: 100
        constant + 100 decaying). Default ``epochs // 2``; 0 keeps it constant.
    batch_size : int
        Images per domain per step (the paper uses 1; 4 trains faster on a CPU).
    lr : float
        Adam learning rate of generators and discriminators.
    lambda_cycle : float
        Weight of the cycle loss (>= 0; 10 in the paper).
    lambda_identity : float
        Weight of the identity loss relative to ``lambda_cycle`` (>= 0; 0.5 in the paper).
    width : int
        Filters of the first generator and discriminator layer (64 in the paper).
    n_blocks : int
        Residual blocks of the generators (9 in the paper at 256 px; >= 1).
    d_layers : int, optional
        Strided layers of the PatchGAN (1, 2 or 3: 16, 34 or 70 pixel patches). Default: 3
        scaled down to the image size (16 px patches at 32 px, 34 at 64 px, 70 from 128 px on).
    pool_size : int
        Earlier fakes kept for the discriminators (0: no pool).
    device : str
    random_state : int
        Seeds the initial weights, the batch order and the image pool. On the CPU the same
        inputs and seed give the same weights, interrupted and resumed or not.
    out : path-like, optional
        Folder for ``checkpoint.pt`` (written atomically after every epoch) and, when training
        ends, ``cyclegan.pt`` (see :func:`load_cyclegan`), ``history.csv`` and
        ``provenance.json``. Calling again with the same inputs and settings (an int
        ``random_state`` included) resumes from the checkpoint; a finished run is loaded, not
        retrained.
    overwrite : bool
        Start afresh even if ``out`` holds a checkpoint of a run with other settings.
    progress : bool

    Returns
    -------
    CycleGAN
        ``history`` has one row per ``epoch, domain, metric`` with the epoch means of:
        ``loss_d`` (LSGAN loss of the discriminator of that domain), ``loss_g_adv`` (LSGAN loss
        of the generator *into* that domain), ``cycle_l1`` (mean absolute difference between
        the domain's images and their round trip), ``identity_l1`` (between the domain's images
        and the generator into that domain applied to them), ``d_real`` and ``d_fake`` (mean
        patch score of that domain's discriminator on real images and on the current fakes; the
        LSGAN targets are 1 and 0), and, with domain ``"both"``, ``loss_g`` (the total generator
        objective) and ``lr``. L1 values are on the 0-1 intensity scale (half their value on the
        generators' [-1, 1] scale).
    """
    from .._utils.device import resolve_device
    from .._utils.hashing import config_hash
    from .._utils.progress import progress_bar
    from .._utils.random import reproducible_training, seed_int, torch_seed, train_threads
    from ..stimuli import StimulusSet

    for name, dom in (("domain_a", domain_a), ("domain_b", domain_b)):
        if not isinstance(dom, StimulusSet):
            raise TypeError(f"Invalid value for {name!r}: expected a StimulusSet; got {type(dom).__name__}. "
                            "Load a folder with neurocompare.stimuli.load(path).")
        if len(dom) < 2:
            raise ValueError(f"Invalid value for {name!r}: a CycleGAN domain needs at least 2 images; "
                             f"{dom.name!r} has {len(dom)}.")
    epochs = check_positive_int("epochs", epochs)
    decay_epochs = epochs // 2 if decay_epochs is None else decay_epochs
    decay_epochs = check_positive_int("decay_epochs", decay_epochs, minimum=0)
    if decay_epochs > epochs:
        raise ValueError(f"Invalid value for 'decay_epochs': expected at most epochs={epochs}; got {decay_epochs}.")
    batch_size = check_positive_int("batch_size", batch_size)
    width = check_positive_int("width", width)
    n_blocks = check_positive_int("n_blocks", n_blocks)
    pool_size = check_positive_int("pool_size", pool_size, minimum=0)
    lr = _check_weight("lr", lr, positive=True)
    lambda_cycle = _check_weight("lambda_cycle", lambda_cycle)
    lambda_identity = _check_weight("lambda_identity", lambda_identity)
    seed = seed_int(random_state)

    shape = _common_shape(domain_a, domain_b, image_size)
    d_layers = _check_d_layers(d_layers, shape)
    dev = resolve_device(device)
    xa = images_tensor(domain_a, shape, resize=image_size is not None, param="domain_a")
    xb = images_tensor(domain_b, shape, resize=image_size is not None, param="domain_b")

    config = dict(image_size=list(shape), channels=3, width=width, n_blocks=n_blocks, d_layers=d_layers,
                  epochs=epochs, decay_epochs=decay_epochs, batch_size=batch_size, lr=lr, betas=[0.5, 0.999],
                  lambda_cycle=lambda_cycle, lambda_identity=lambda_identity, pool_size=pool_size,
                  gan_loss="lsgan", init="normal(0, 0.02)", random_state=seed, domain_a=domain_a.name,
                  domain_b=domain_b.name, n_a=len(domain_a), n_b=len(domain_b), version=_VERSION)
    settings = {**config, "data_a": domain_a.fingerprint(), "data_b": domain_b.fingerprint(),
                "threads": train_threads()}
    key = config_hash(settings)

    with torch_seed(seed):
        nets = _build_nets(config)
    state = _TrainState(nets, config, dev, seed)
    ckpt = Path(out) / _CHECKPOINT if out is not None else None
    if ckpt is not None and ckpt.is_file():
        from ..models.checkpoints import read_state_file

        saved = read_state_file(ckpt, what="CycleGAN checkpoint", param="out",
                                expected="the checkpoint.pt that train_cyclegan writes")
        if saved.get("key") == key:
            state.load(saved)
            logger.info("Resuming CycleGAN training from %s (epoch %d of %d)", ckpt, state.epoch, epochs)
        elif not overwrite:
            old = json.loads(saved.get("settings", "{}"))
            names = {"data_a": "the images of domain_a", "data_b": "the images of domain_b"}
            diff = [f"{names[k]} changed" if k in names else f"{k} {old.get(k)!r} -> {v!r}"
                    for k, v in settings.items() if old and old.get(k) != v]
            raise FileExistsError(f"Invalid value for 'out': {str(out)!r} holds a checkpoint of a CycleGAN run with "
                                  f"other inputs or settings ({'; '.join(diff[:6]) or 'another version'}). Choose "
                                  "another folder or pass overwrite=True to start afresh there.")

    n_steps = math.ceil(max(len(xa), len(xb)) / batch_size)
    with reproducible_training(), \
            progress_bar((epochs - state.epoch) * n_steps, "CycleGAN: training", enable=progress) as advance:
        while state.epoch < epochs:
            rows = _run_epoch(state, xa, xb, advance)
            state.history.extend(rows)
            state.epoch += 1
            last = {(r["domain"], r["metric"]): r["value"] for r in rows}
            logger.info("CycleGAN epoch %d/%d: cycle L1 A %.4f, B %.4f; D(real) A %.2f, B %.2f; D(fake) A %.2f, "
                        "B %.2f", state.epoch, epochs, last[("a", "cycle_l1")], last[("b", "cycle_l1")],
                        last[("a", "d_real")], last[("b", "d_real")], last[("a", "d_fake")], last[("b", "d_fake")])
            if ckpt is not None:
                state.save(ckpt, key, settings)

    result = state.result()
    if out is not None:
        _write_outputs(result, Path(out))
    return result


def _check_weight(name: str, value, *, positive: bool = False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        expect = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"Invalid value for {name!r}: expected {expect}; got {value!r}.")
    return float(value)


def check_image_shape(shape, *, param: str = "image_size") -> tuple[int, int]:
    """Raise a clear error unless both sides are multiples of 4 and at least 16 pixels."""
    from ._cyclegan_nets import MIN_SIZE, N_DOWN

    step = 2 ** N_DOWN
    bad = [s for s in shape if s % step or s < MIN_SIZE]
    if bad:
        s = bad[0]
        near = max(MIN_SIZE, step * round(s / step))
        raise ValueError(f"Invalid value for {param!r}: the CycleGAN generator halves the image {N_DOWN} times and "
                         f"doubles it back, so each side must be a multiple of {step} and at least {MIN_SIZE} "
                         f"pixels; got {shape[0]}x{shape[1]}. Pass image_size={near} to resize the images.")
    return int(shape[0]), int(shape[1])


def _image_sizes(stimuli) -> dict:
    """``{(height, width): count}`` over the images of a set (reads only the headers)."""
    from PIL import Image

    sizes: dict = {}
    for i in range(len(stimuli)):
        with Image.open(stimuli.path(i)) as img:
            key = (img.size[1], img.size[0])
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


def _fmt_sizes(sizes: dict) -> str:
    return ", ".join(f"{h}x{w} ({n})" for (h, w), n in sorted(sizes.items()))


def _common_shape(domain_a, domain_b, image_size) -> tuple[int, int]:
    if image_size is not None:
        size = check_positive_int("image_size", image_size)
        return check_image_shape((size, size))
    sa, sb = _image_sizes(domain_a), _image_sizes(domain_b)
    for name, sizes in (("domain_a", sa), ("domain_b", sb)):
        if len(sizes) > 1:
            raise ValueError(f"Invalid value for {name!r}: its images have several sizes ({_fmt_sizes(sizes)}); pass "
                             "image_size=S to resize every image to S x S.")
    (shape_a,), (shape_b,) = sa, sb
    if shape_a != shape_b:
        raise ValueError(f"Invalid value for 'domain_b': its images are {shape_b[0]}x{shape_b[1]} but domain_a's are "
                         f"{shape_a[0]}x{shape_a[1]}; pass image_size=S to resize both domains to S x S.")
    return check_image_shape(shape_a, param="image_size (the images' own size)")


def _check_d_layers(d_layers, shape) -> int:
    from ._cyclegan_nets import default_d_layers, patch_output_side

    if d_layers is None:
        return default_d_layers(min(shape))
    d_layers = check_positive_int("d_layers", d_layers)
    if d_layers > 3 or patch_output_side(min(shape), d_layers) < 1:
        raise ValueError(f"Invalid value for 'd_layers': expected 1, 2 or 3 and small enough for "
                         f"{shape[0]}x{shape[1]} images to leave at least one patch; got {d_layers}.")
    return d_layers


def _safe_name(sid: str, i: int) -> str:
    import re

    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(sid)).strip("._")
    return f"{i:05d}_{name}"[:120]


def _build_nets(config: dict) -> dict:
    from ._cyclegan_nets import PatchDiscriminator, ResnetGenerator, init_weights

    c, w = config["channels"], config["width"]
    nets = {"g_ab": ResnetGenerator(c, width=w, n_blocks=config["n_blocks"]),
            "g_ba": ResnetGenerator(c, width=w, n_blocks=config["n_blocks"]),
            "d_a": PatchDiscriminator(c, width=w, n_layers=config["d_layers"]),
            "d_b": PatchDiscriminator(c, width=w, n_layers=config["d_layers"])}
    for m in nets.values():
        init_weights(m)
    return nets


class _TrainState:
    """Everything a resumed run needs: nets, optimisers, pools and their RNG, epoch, history."""

    def __init__(self, nets, config, device, seed):
        import itertools

        import numpy as np
        import torch

        from ._cyclegan_nets import ImagePool

        self.nets = nets
        self.config = config
        self.device = device
        self.seed = seed
        for m in nets.values():
            m.to(device).train()
        betas = tuple(config["betas"])
        self.opt_g = torch.optim.Adam(itertools.chain(nets["g_ab"].parameters(), nets["g_ba"].parameters()),
                                      lr=config["lr"], betas=betas)
        self.opt_d = torch.optim.Adam(itertools.chain(nets["d_a"].parameters(), nets["d_b"].parameters()),
                                      lr=config["lr"], betas=betas)
        self.pool_rng = np.random.default_rng([seed, 1])
        self.pools = {"a": ImagePool(config["pool_size"], self.pool_rng),
                      "b": ImagePool(config["pool_size"], self.pool_rng)}
        self.epoch = 0
        self.history: list[dict] = []

    def lr_factor(self, epoch: int) -> float:
        """The official ``lambda_rule``: 1, then linear decay over the last ``decay_epochs`` epochs."""
        const = self.config["epochs"] - self.config["decay_epochs"]
        return 1.0 - max(0, epoch + 1 - const) / float(self.config["decay_epochs"] + 1)

    def save(self, path: Path, key: str, settings: dict) -> None:
        import torch

        from .._utils.paths import atomic_write_bytes

        payload = {"format": _FORMAT + "-checkpoint", "key": key, "settings": json.dumps(settings), "epoch": self.epoch,
                   "nets": {k: {n: v.detach().cpu() for n, v in m.state_dict().items()} for k, m in self.nets.items()},
                   "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                   "pools": {k: p.state() for k, p in self.pools.items()},
                   "pool_rng": json.dumps(self.pool_rng.bit_generator.state), "history": json.dumps(self.history)}
        buf = io.BytesIO()
        torch.save(payload, buf)
        atomic_write_bytes(path, buf.getvalue())

    def load(self, saved: dict) -> None:
        for k, m in self.nets.items():
            m.load_state_dict(saved["nets"][k])
        self.opt_g.load_state_dict(saved["opt_g"])
        self.opt_d.load_state_dict(saved["opt_d"])
        for k, p in self.pools.items():
            p.load(saved["pools"][k], self.device)
        self.pool_rng.bit_generator.state = json.loads(saved["pool_rng"])
        self.epoch = int(saved["epoch"])
        self.history = json.loads(saved["history"])

    def result(self) -> CycleGAN:
        import pandas as pd

        for m in self.nets.values():
            m.to("cpu").eval()
        hist = pd.DataFrame(self.history, columns=["epoch", "domain", "metric", "value"])
        return CycleGAN(**self.nets, history=hist, config=dict(self.config))


def _set_requires_grad(modules, flag: bool) -> None:
    for m in modules:
        for p in m.parameters():
            p.requires_grad_(flag)


def _run_epoch(state: _TrainState, xa, xb, advance) -> list[dict]:
    """One epoch of the official ``optimize_parameters``: G step (D frozen), then D step on pooled fakes."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    cfg, dev, nets = state.config, state.device, state.nets
    g_ab, g_ba, d_a, d_b = nets["g_ab"], nets["g_ba"], nets["d_a"], nets["d_b"]
    lam, lam_id = cfg["lambda_cycle"], cfg["lambda_identity"] * cfg["lambda_cycle"]
    use_identity = cfg["lambda_identity"] > 0
    bs = cfg["batch_size"]
    lr = cfg["lr"] * state.lr_factor(state.epoch)
    for opt in (state.opt_g, state.opt_d):
        for group in opt.param_groups:
            group["lr"] = lr

    rng = np.random.default_rng([state.seed, 2, state.epoch])
    n = max(len(xa), len(xb))
    ia, ib = _epoch_order(len(xa), n, rng), _epoch_order(len(xb), n, rng)

    def adv(pred, target: float):
        return F.mse_loss(pred, torch.full_like(pred, target))

    sums: dict = {}
    seen = 0
    for start in range(0, n, bs):
        real_a = xa[ia[start:start + bs]].to(dev)
        real_b = xb[ib[start:start + bs]].to(dev)
        k = len(real_a)
        # generators (discriminators frozen)
        _set_requires_grad([d_a, d_b], False)
        state.opt_g.zero_grad(set_to_none=True)
        fake_b, fake_a = g_ab(real_a), g_ba(real_b)
        rec_a, rec_b = g_ba(fake_b), g_ab(fake_a)
        pred_fake_b, pred_fake_a = d_b(fake_b), d_a(fake_a)
        adv_b, adv_a = adv(pred_fake_b, 1.0), adv(pred_fake_a, 1.0)
        cyc_a, cyc_b = F.l1_loss(rec_a, real_a), F.l1_loss(rec_b, real_b)
        loss_g = adv_a + adv_b + lam * (cyc_a + cyc_b)
        if use_identity:
            idt_a, idt_b = F.l1_loss(g_ba(real_a), real_a), F.l1_loss(g_ab(real_b), real_b)
            loss_g = loss_g + lam_id * (idt_a + idt_b)
        loss_g.backward()
        state.opt_g.step()
        # discriminators, on real images and pooled earlier fakes
        _set_requires_grad([d_a, d_b], True)
        state.opt_d.zero_grad(set_to_none=True)
        pool_b, pool_a = state.pools["b"].query(fake_b), state.pools["a"].query(fake_a)
        pred_real_a, pred_real_b = d_a(real_a), d_b(real_b)
        loss_d_a = 0.5 * (adv(pred_real_a, 1.0) + adv(d_a(pool_a.detach()), 0.0))
        loss_d_b = 0.5 * (adv(pred_real_b, 1.0) + adv(d_b(pool_b.detach()), 0.0))
        (loss_d_a + loss_d_b).backward()
        state.opt_d.step()

        vals = {("both", "loss_g"): loss_g, ("a", "loss_d"): loss_d_a, ("b", "loss_d"): loss_d_b,
                ("a", "loss_g_adv"): adv_a, ("b", "loss_g_adv"): adv_b,
                ("a", "cycle_l1"): cyc_a / 2, ("b", "cycle_l1"): cyc_b / 2,
                ("a", "d_real"): pred_real_a.mean(), ("b", "d_real"): pred_real_b.mean(),
                ("a", "d_fake"): pred_fake_a.mean(), ("b", "d_fake"): pred_fake_b.mean()}
        if use_identity:
            vals[("a", "identity_l1")] = idt_a / 2
            vals[("b", "identity_l1")] = idt_b / 2
        for key, v in vals.items():
            sums[key] = sums.get(key, 0.0) + float(v.detach()) * k
        seen += k
        advance(1)
    rows = [{"epoch": state.epoch + 1, "domain": d, "metric": m, "value": s / seen} for (d, m), s in sums.items()]
    rows.append({"epoch": state.epoch + 1, "domain": "both", "metric": "lr", "value": lr})
    return rows


def _epoch_order(size: int, n: int, rng):
    """``n`` indices: shuffled passes over ``range(size)`` (the smaller domain is cycled)."""
    import numpy as np

    reps = math.ceil(n / size)
    return np.concatenate([rng.permutation(size) for _ in range(reps)])[:n]


def _history_json(history) -> str:
    if history is None:
        return "[]"
    return history.to_json(orient="records")


def _history_from_json(text: str):
    import pandas as pd

    return pd.DataFrame(json.loads(text), columns=["epoch", "domain", "metric", "value"])


def _write_outputs(result: CycleGAN, out: Path) -> None:
    from .._utils.paths import atomic_write_bytes
    from .._utils.provenance import provenance

    result.save(out / _MODEL)
    atomic_write_bytes(out / "history.csv", result.history.to_csv(index=False, lineterminator="\n").encode())
    atomic_write_bytes(out / "provenance.json",
                       json.dumps(provenance(analysis="train_cyclegan", **result.config), indent=2).encode())
    logger.info("Wrote the CycleGAN, its history and provenance to %s", out)
