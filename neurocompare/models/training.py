"""Training the built-in nets on a StimulusSet (CPU-friendly, seeded, cached).

``state_hash``, ``copy_module`` and ``recalibrate_batchnorm`` are for use inside neurocompare (transfer).
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .._utils.checks import check_positive_int, check_real
from .._utils.hashing import config_hash
from .._utils.logging import logger
from .._utils.paths import cache_dir
from .._utils.progress import progress_bar
from .._utils.random import train_threads
from ._wrapper import ModelWrapper
from .building import build_module, make_wrapper
from .checkpoints import load_checkpoint, save
from .specs import check_options

TRAINABLE = ("smallcnn", "twostreamnet", "onestreamnet", "unet")
WHERE_TARGETS = ("x", "y", "size")
#: nets with a category ("what") and a location ("where") output, trained on both
WHAT_WHERE_NETS = ("twostreamnet", "onestreamnet")
_DEFAULT_EPOCHS = {"smallcnn": 20, "twostreamnet": 20, "onestreamnet": 20, "unet": 15}
_DEFAULT_BATCH = {"smallcnn": 32, "twostreamnet": 32, "onestreamnet": 32, "unet": 32}
_DEFAULT_LR = {"smallcnn": 2e-3, "twostreamnet": 2e-3, "onestreamnet": 2e-3, "unet": 2e-3}
_VAL_FRACTION, _WEIGHT_DECAY = 0.2, 1e-4
_TRAIN_VERSION = 2  # bump when training code changes, to invalidate cached weights


def train(model, stimuli, *, epochs: int | None = None, lr: float | None = None, batch_size: int | None = None,
          val_fraction: float = _VAL_FRACTION, weight_decay: float = _WEIGHT_DECAY, random_state: int = 0,
          device="auto", cache: bool = True, progress: bool = True, options: dict | None = None) -> ModelWrapper:
    """Train a built-in net on a StimulusSet and return a trained copy.

    - ``smallcnn``: cross-entropy on ``category``.
    - ``twostreamnet``: cross-entropy on ``category`` (ventral branch) plus mean
      squared error on the standardised ``x, y, size`` (dorsal branch).
    - ``onestreamnet``: exactly the same losses, on its category and location heads.
    - ``unet``: per-pixel cross-entropy on the masks (background + categories)
      plus cross-entropy of the category head. Needs ``mask_file``.

    The DCGAN is trained by :func:`neurocompare.generation.train_gan`.

    Images are preprocessed once with the model's transform. A stratified
    ``val_fraction`` of the stimuli is held out and scored every epoch.
    The weights are cached on disk, keyed by the model configuration, the
    stimuli (table and image bytes), the training options and the seed, so a
    second call with the same inputs loads instead of training.

    Parameters
    ----------
    model : str or ModelWrapper
        ``"smallcnn"``, ``"twostreamnet"``, ``"onestreamnet"`` or ``"unet"``, or a wrapper of one of
        them (its current weights are the starting point; it is not modified).
    stimuli : StimulusSet
        Must have ``category`` (and ``x, y, size`` or ``mask_file`` as above).
    epochs : int, optional
        Default 20 (smallcnn, twostreamnet, onestreamnet) or 15 (unet).
    lr : float, optional
        Adam learning rate; default 2e-3.
    batch_size : int, optional
        Default 32.
    weight_decay : float
        Adam weight decay.
    val_fraction : float
        Share of stimuli held out for validation (0 for none).
    random_state : int
        Seeds initialisation, the split and the batch order.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ...
    cache : bool
        Read and write the weight cache (``$NEUROCOMPARE_CACHE_DIR/models``).
    progress : bool
        Show a progress bar over the epochs.
    options : dict, optional
        Build options when ``model`` is a name (``width``, ``image_size``, ...).

    Returns
    -------
    ModelWrapper
        With ``classes`` set to the sorted categories and a ``history``
        attribute: a long DataFrame ``model, epoch, split, metric, value``.
    """
    from .._utils.device import resolve_device
    from .._utils.random import reproducible_training, torch_seed

    plan = _plan(model, stimuli, epochs=epochs, lr=lr, batch_size=batch_size, val_fraction=val_fraction,
                 weight_decay=weight_decay, random_state=random_state, options=options)
    key, start, cfg, classes, path = plan["key"], plan["start"], plan["cfg"], plan["classes"], plan["path"]
    epochs, lr, batch_size = plan["epochs"], plan["lr"], plan["batch_size"]
    if cache and path.is_file():
        logger.info("Loading cached trained %s from %s", key, path)
        return load_checkpoint(key, path)

    dev = resolve_device(device)
    with reproducible_training(), torch_seed(random_state):
        module = build_module(key, cfg) if start is None else copy_module(start.module)
        wrapper = make_wrapper(key, module, cfg, weights="training")
        data = _prepare(key, stimuli, wrapper.transform, classes)
        train_idx, val_idx = _split(stimuli.metadata["category"].astype(str).to_numpy(), val_fraction, random_state)
        extra = {}
        if key in WHAT_WHERE_NETS:
            mu = data["where"][train_idx].mean(0)
            sd = data["where"][train_idx].std(0) + 1e-8
            data["where"] = (data["where"] - mu) / sd
            extra = {"where_targets": list(WHERE_TARGETS), "where_mean": [float(v) for v in mu],
                     "where_std": [float(v) for v in sd]}
        history = _fit(key, module, data, train_idx, val_idx, epochs=epochs, lr=lr, batch_size=batch_size,
                       weight_decay=weight_decay, device=dev, progress=progress, random_state=random_state)
    module.to("cpu").eval()
    out = make_wrapper(key, module, cfg, weights=f"trained on {stimuli.name} ({epochs} epochs, seed {random_state})",
                       classes=classes, extra={**extra, "trained_on": stimuli.name})
    out.history = history
    if cache:
        save(out, path)
        logger.info("Cached trained %s at %s", key, path)
    return out


def _plan(model, stimuli, *, epochs, lr, batch_size, val_fraction, weight_decay, random_state, options) -> dict:
    """Check the inputs of :func:`train` and work out its settings and cache file (nothing is trained)."""
    from ..stimuli import StimulusSet

    if not isinstance(stimuli, StimulusSet):
        raise TypeError(f"Invalid value for 'stimuli': expected a StimulusSet; got {type(stimuli).__name__}.")
    key, start = _resolve_model(model)
    lr = _DEFAULT_LR[key] if lr is None else check_real("lr", lr, low=0, low_open=True)
    weight_decay = check_real("weight_decay", weight_decay, low=0)
    batch_size = _DEFAULT_BATCH[key] if batch_size is None else batch_size
    if "category" not in stimuli.metadata.columns:
        raise ValueError(f"Invalid value for 'stimuli': training {key!r} needs a 'category' column; "
                         f"available factors: {stimuli.factors}.")
    classes = sorted(stimuli.metadata["category"].astype(str).unique())
    if len(classes) < 2:
        raise ValueError(f"Invalid value for 'stimuli': 'category' has a single value {classes}; training needs "
                         "at least two categories.")
    if key in WHAT_WHERE_NETS:
        missing = [c for c in WHERE_TARGETS if c not in stimuli.metadata.columns]
        if missing:
            raise ValueError(f"Invalid value for 'stimuli': training {key!r} needs the where factors "
                             f"{list(WHERE_TARGETS)}; missing {missing}.")
    if key == "unet" and not stimuli.has_masks:
        raise ValueError("Invalid value for 'stimuli': training 'unet' needs masks, but the stimulus table has no "
                         "'mask_file' column.")
    epochs = check_positive_int("epochs", _DEFAULT_EPOCHS[key] if epochs is None else epochs)
    batch_size = check_positive_int("batch_size", batch_size, minimum=2)
    if not 0 <= val_fraction < 1:
        raise ValueError(f"Invalid value for 'val_fraction': expected a number in [0, 1); got {val_fraction!r}.")

    if start is None:
        cfg = check_options(key, {**(options or {}), "n_classes": len(classes)})
        init_hash = "seed"
    else:
        cfg = {k: v for k, v in start.config.items() if k in check_options(key, {})}
        if cfg.get("n_classes") != len(classes):
            raise ValueError(f"Invalid value for 'model': it has {cfg.get('n_classes')} output classes but the "
                             f"stimuli have {len(classes)} categories; start from the name {key!r} instead.")
        init_hash = state_hash(start.module)
    settings = dict(model=key, config=cfg, stimuli=stimuli.fingerprint(), epochs=epochs, lr=lr,
                    batch_size=batch_size, val_fraction=val_fraction, weight_decay=weight_decay,
                    random_state=random_state, init=init_hash, version=_TRAIN_VERSION, classes=classes,
                    threads=train_threads())
    path = _cache_path(key, settings)
    return dict(key=key, start=start, cfg=cfg, classes=classes, epochs=epochs, lr=lr, batch_size=batch_size,
                path=path)


def load_whatwhere(key: str, *, random_state: int = 0, train_if_missing: bool = False,
                   options: dict | None = None) -> ModelWrapper:
    """The built-in net ``key`` trained on the default what/where stimuli, from the training cache.

    Loading never trains: when the net is not cached this raises an error giving the call that trains it,
    unless ``train_if_missing`` is true.
    """
    from ..stimuli import make_from_spec

    if key == "dcgan":
        raise ValueError("Invalid value for 'weights': 'whatwhere' is for the nets trained by "
                         f"neurocompare.models.train ({list(TRAINABLE)}). Train the DCGAN with "
                         "neurocompare.generation.train_gan(stimuli, out=folder) and load folder/generator.pt with "
                         "neurocompare.models.load('dcgan', weights=...).")
    if not isinstance(train_if_missing, bool):
        raise TypeError(f"Invalid value for 'train_if_missing': expected True or False; got {train_if_missing!r}.")
    options = dict(options or {})
    check_options(key, options)
    stimuli = make_from_spec("whatwhere-default")
    defaults = dict(epochs=None, lr=None, batch_size=None, val_fraction=_VAL_FRACTION, weight_decay=_WEIGHT_DECAY)
    path = _plan(key, stimuli, random_state=random_state, options=options, **defaults)["path"]
    if path.is_file():
        logger.info("Loading cached trained %s from %s", key, path)
        return load_checkpoint(key, path)
    if not train_if_missing:
        args = "".join([f", random_state={random_state!r}" if random_state != 0 else "",
                        f", options={options!r}" if options else ""])
        raise FileNotFoundError(
            f"No {key!r} trained on the default what/where stimuli is cached yet, and loading never trains. Train "
            f"it once (the result is cached, so later loads are fast): nc.models.train({key!r}, "
            f"nc.stimuli.make_from_spec('whatwhere-default'){args}); or pass train_if_missing=True to "
            f"nc.models.load. On the command line: neurocompare stimuli make STIMULI --spec whatwhere-default, then "
            f"neurocompare models train {key} STIMULI --out {key}.pt, and load {key}.pt as the weights.")
    return train(key, stimuli, random_state=random_state, options=options)


def _resolve_model(model):
    if (model.lower() if isinstance(model, str) else getattr(model, "config", {}).get("name")) == "dcgan":
        raise ValueError("Invalid value for 'model': neurocompare.models.train does not train the DCGAN; use "
                         "neurocompare.generation.train_gan(stimuli, ...) (or `neurocompare gan train` on the "
                         "command line).")
    if isinstance(model, str):
        key = model.lower()
        if key not in TRAINABLE:
            raise ValueError(f"Invalid value for 'model': expected one of {list(TRAINABLE)} or a wrapper of one; "
                             f"got {model!r}.")
        return key, None
    if isinstance(model, ModelWrapper) and model.config.get("name") in TRAINABLE:
        return model.config["name"], model
    raise ValueError(f"Invalid value for 'model': neurocompare.models.train trains the built-in nets "
                     f"{list(TRAINABLE)}; got {getattr(model, 'name', model)!r}.")


def copy_module(module):
    import copy

    return copy.deepcopy(module)


def state_hash(module, *, length: int | None = 16) -> str:
    """Hex sha256 of a module's parameters and buffers (names and bytes), cut to ``length`` (None: all 64)."""
    h = hashlib.sha256()
    for k, v in module.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:length]


def _prepare(key, stimuli, transform, classes) -> dict:
    import torch

    md = stimuli.metadata
    x = torch.stack([transform(stimuli.load_image(i)) for i in range(len(stimuli))])
    lookup = {c: i for i, c in enumerate(classes)}
    y = torch.tensor([lookup[c] for c in md["category"].astype(str)])
    data = {"x": x, "y": y}
    if key in WHAT_WHERE_NETS:
        data["where"] = torch.tensor(md[list(WHERE_TARGETS)].to_numpy(dtype=np.float32))
    if key == "unet":
        import torch.nn.functional as F

        size = x.shape[-1]
        masks = torch.stack([torch.from_numpy(stimuli.load_mask(i)) for i in range(len(stimuli))]).float()
        masks = F.interpolate(masks[:, None], size=(size, size), mode="nearest")[:, 0] > 0.5
        data["seg"] = masks.long() * (y[:, None, None] + 1)
    return data


def _split(categories: np.ndarray, val_fraction: float, random_state: int):
    idx = np.arange(len(categories))
    if val_fraction == 0:
        return idx, idx[:0]
    from sklearn.model_selection import train_test_split

    counts = pd.Series(categories).value_counts()
    n_val = int(np.ceil(val_fraction * len(categories)))
    strat = categories if counts.min() >= 2 and len(counts) <= n_val <= len(categories) - len(counts) else None
    if strat is None:
        logger.warning("Too few stimuli for a stratified %.0f%% validation split; using a random split",
                       100 * val_fraction)
    tr, va = train_test_split(idx, test_size=val_fraction, random_state=random_state, stratify=strat)
    return np.sort(tr), np.sort(va)


def _losses(key, module, batch, device):
    import torch.nn.functional as F

    x = batch["x"].to(device)
    out = module(x)
    y = batch["y"].to(device)
    m = {}
    if key == "smallcnn":
        loss = F.cross_entropy(out, y)
        m["accuracy"] = (out.argmax(1) == y).float().mean().item()
    elif key in WHAT_WHERE_NETS:
        where = batch["where"].to(device)
        mse = F.mse_loss(out["where"], where)
        loss = F.cross_entropy(out["what"], y) + mse
        m["accuracy"] = (out["what"].argmax(1) == y).float().mean().item()
        m["where_mse"] = mse.item()
    else:
        seg = batch["seg"].to(device)
        loss = F.cross_entropy(out["out"], seg) + 0.5 * F.cross_entropy(out["category"], y)
        m["accuracy"] = (out["category"].argmax(1) == y).float().mean().item()
        pred = out["out"].argmax(1)
        fg_pred, fg_true = pred > 0, seg > 0
        inter = (fg_pred & fg_true).flatten(1).sum(1).float()
        union = (fg_pred | fg_true).flatten(1).sum(1).float().clamp(min=1)
        m["mask_iou"] = (inter / union).mean().item()
    m["loss"] = loss.item()
    return loss, m


def _fit(key, module, data, train_idx, val_idx, *, epochs, lr, batch_size, weight_decay, device, progress,
         random_state) -> pd.DataFrame:
    import torch

    module.to(device)
    opt = torch.optim.Adam(module.parameters(), lr=lr, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(int(random_state))
    rows = []
    n_batches = max(1, len(train_idx) // batch_size)
    with progress_bar(epochs, f"training {key}", enable=progress) as advance:
        for epoch in range(1, epochs + 1):
            module.train()
            perm = torch.from_numpy(train_idx)[torch.randperm(len(train_idx), generator=gen)]
            totals, count = {}, 0
            for b in range(n_batches):
                idx = perm[b * batch_size:(b + 1) * batch_size] if b < n_batches - 1 else perm[b * batch_size:]
                if len(idx) < 2:
                    continue
                loss, m = _losses(key, module, {k: v[idx] for k, v in data.items()}, device)
                opt.zero_grad()
                loss.backward()
                opt.step()
                for k, v in m.items():
                    totals[k] = totals.get(k, 0.0) + v * len(idx)
                count += len(idx)
            rows += [(epoch, "train", k, v / count) for k, v in totals.items()]
            recalibrate_batchnorm(module, data["x"][torch.from_numpy(train_idx)], batch_size, device)
            if len(val_idx):
                module.eval()
                with torch.no_grad():
                    _, m = _losses(key, module, {k: v[torch.from_numpy(val_idx)] for k, v in data.items()}, device)
                rows += [(epoch, "validation", k, v) for k, v in m.items()]
            advance()
    hist = pd.DataFrame(rows, columns=["epoch", "split", "metric", "value"])
    hist.insert(0, "model", key)
    last = hist[hist.epoch == epochs]
    logger.info("Trained %s for %d epochs: %s", key, epochs,
                ", ".join(f"{r.split} {r.metric}={r.value:.3f}" for r in last.itertuples()))
    return hist


def recalibrate_batchnorm(module, x, batch_size, device, *, skip=()) -> None:
    """Re-estimate batch-norm running statistics on the training images with the final weights.

    With few, fast-changing steps the exponential running averages lag behind the
    weights and evaluation-mode accuracy collapses; a cumulative pass fixes that.
    Only the batch-norm layers run in training mode (dropout stays off); the ones
    named in ``skip`` (e.g. frozen layers) keep their statistics. The module is
    left in evaluation mode.
    """
    import torch

    skip = set(skip)
    bns = [m for n, m in module.named_modules()
           if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and n not in skip]
    if not bns:
        return
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    module.eval()
    for m in bns:
        m.train()
    with torch.no_grad():
        for b in range(0, len(x), batch_size):
            chunk = x[b:b + batch_size]
            if len(chunk) > 1:
                module(chunk.to(device))
    for m, mom in zip(bns, momenta):
        m.momentum = mom
        m.eval()


def _cache_path(key: str, settings: dict):
    return cache_dir("models") / f"{key}-{config_hash(settings)}.pt"
