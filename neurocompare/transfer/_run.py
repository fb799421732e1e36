"""Transfer-learning experiments: frozen backbone vs fine-tuning vs training from scratch."""
from __future__ import annotations

import json
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._utils.checks import check_option, check_positive_int
from .._utils.hashing import config_hash
from .._utils.logging import logger
from .._utils.random import reproducible_training, train_threads

MODES = ("frozen", "finetune", "scratch")
TASKS = ("auto", "classification", "regression")
_RECALIBRATE_MAX = 512
_VERSION = 2  # bump when the training code changes, to invalidate saved runs


@dataclass
class TransferResult:
    """The tidy tables of a transfer experiment.

    Attributes
    ----------
    history : pandas.DataFrame
        Learning curves, one row per run, epoch, split and metric:
        ``source, target, task, mode, freeze_until, frozen_depth, n_train, seed, epoch, split, metric, value``.
        ``split`` is ``"train"`` or ``"validation"``; ``metric`` is ``"loss"`` (cross-entropy or
        mean squared error of the standardised target) and ``"accuracy"`` or ``"r2"``. Training
        values are over the epoch's mini-batches (in train mode, as the weights change, the PyTorch
        convention); validation values are computed after the epoch in eval mode. Epoch 0 is the
        network before training (head freshly initialised), both splits in eval mode.
    scores : pandas.DataFrame
        Final performance on the held-out test stimuli, one row per run and metric:
        ``source, target, task, mode, freeze_until, frozen_depth, n_train, seed, metric, value,
        ci_low, ci_high, n, epochs``; ``ci_*`` is a 95% percentile bootstrap over test stimuli
        (1000 resamples), ``n`` the number of test stimuli, ``epochs`` the epochs trained.
    change : pandas.DataFrame
        Representational change per layer: ``source, target, mode, freeze_until, frozen_depth, n_train, seed,
        layer, depth, frozen, compared_to, metric, value``; ``metric`` is ``"cka"`` (linear CKA) or
        ``"rdm_corr"`` (Spearman correlation of correlation-distance RDMs) between the layer's
        activations on the test stimuli after training and at the start (``compared_to="start"``:
        the source weights, or the random initialisation for ``scratch``); scratch runs are also
        compared with the source (``compared_to="source"``). 1 means unchanged.
    config : dict
        The settings of the experiment.
    models : dict
        With ``keep_models=True``: the trained networks as ModelWrappers, keyed by
        ``(mode, freeze_until, n_train, seed)`` (``freeze_until`` as in the tables).
    """

    history: object
    scores: object
    change: object
    config: dict = field(default_factory=dict)
    models: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        c = self.config
        return (f"<TransferResult {c.get('source')!r} -> {c.get('target')!r} ({c.get('task')}); modes "
                f"{c.get('modes')}, train sizes {c.get('train_sizes')}, seeds {c.get('seeds')}; "
                f"{len(self.scores)} score rows, {len(self.history)} history rows, {len(self.change)} change rows>")

    def summary(self):
        """Test scores averaged over seeds, with t-based 95% CIs across seeds.

        Returns
        -------
        pandas.DataFrame
            ``source, target, task, mode, freeze_until, frozen_depth, n_train, metric, value, ci_low, ci_high,
            sd, n_seeds``.
        """
        from .._utils.stats import t_half_width

        keys = ["source", "target", "task", "mode", "freeze_until", "frozen_depth", "n_train", "metric"]
        rows = []
        for k, d in self.scores.groupby(keys, sort=False):
            v = d["value"].to_numpy(float)
            m, n = float(v.mean()), len(v)
            sd = float(v.std(ddof=1)) if n > 1 else float("nan")
            half = t_half_width(v)
            rows.append((*k, m, m - half, m + half, sd, n))
        import pandas as pd

        return pd.DataFrame(rows, columns=[*keys, "value", "ci_low", "ci_high", "sd", "n_seeds"])

    def save(self, out) -> Path:
        """Write ``history.csv``, ``scores.csv``, ``summary.csv``, ``change.csv`` and ``config.json`` to ``out``.

        Parameters
        ----------
        out : str or Path
            The folder (created if needed).

        Returns
        -------
        Path
            The folder.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        self.history.to_csv(out / "history.csv", index=False)
        self.scores.to_csv(out / "scores.csv", index=False)
        self.summary().to_csv(out / "summary.csv", index=False)
        self.change.to_csv(out / "change.csv", index=False)
        (out / "config.json").write_text(json.dumps(self.config, indent=2, default=str) + "\n")
        return out


def run(source, target_stimuli, *, target: str = "category", modes=MODES, train_sizes=None, random_state=0,
        epochs: int = 10, lr: float = 1e-3, batch_size: int = 32, weight_decay: float = 0.0, freeze_until=None,
        head: str | None = None, task: str = "auto", layers=None, reduce=None, val_fraction: float = 0.2,
        test_fraction: float = 0.2, patience: int | None = None, amp: bool = False, source_weights=None,
        device="auto", out=None, keep_models: bool = False, progress: bool = True) -> TransferResult:
    """Transfer a trained network to a new task: frozen backbone, fine-tuning, or training from scratch.

    The source's output layer (its "head") is replaced by a freshly initialised linear layer
    with one output per class of ``target`` (or one output for a continuous target). Then:

    - ``"frozen"``: only the new head is trained ("hard parameter sharing": the backbone is a
      fixed feature extractor). With ``freeze_until="layer"``, every layer up to and including
      that one stays fixed and the later ones are trained too (Yosinski et al. 2014). The
      frozen part is kept in eval mode, so its batch-norm statistics stay fixed as well: its
      parameters and buffers end bit-identical to the source's.
    - ``"finetune"``: every layer is trained, starting from the source weights.
    - ``"scratch"``: the same architecture, every layer re-initialised (PyTorch's default
      initialisation, ``reset_parameters``), every layer trained.

    For each seed the stimuli are split (stratified for classes) into a test set
    (``test_fraction``: final scores and the probe set for representational change), a
    validation set (``val_fraction``: learning curves, early stopping) and the pool the
    training sets are drawn from. Training sets are nested: the first ``n`` stimuli of a
    seeded, class-balanced order. Adam; the images go through ``source.transform`` once.
    After each epoch, the running statistics of the trained batch-norm layers are re-estimated on
    the training images (at most 512; as :func:`neurocompare.models.train` does).

    Parameters
    ----------
    source : ModelWrapper, str or path-like
        A trained network: a wrapper (e.g. from :func:`neurocompare.models.train`), a model name
        (built-in nets: trained on the default what/where stimuli, read from the training cache or
        trained and cached on first use; torchvision models use ``source_weights``, default
        ``"DEFAULT"`` pretrained weights), or a checkpoint written by
        :func:`neurocompare.models.save`. It is never modified.
    target_stimuli : StimulusSet
    target : str
        The factor to learn, a column of ``target_stimuli.metadata``.
    modes : sequence of {"frozen", "finetune", "scratch"}
    train_sizes : sequence of int, optional
        Training-set sizes; default: the whole training pool.
    random_state : int or sequence of int
        The seed of a run (initialisation of the head, splits, batch order); a list such as
        ``[0, 1, 2]`` makes one run per seed.
    epochs : int
        Training epochs (the maximum when ``patience`` is set).
    lr, batch_size, weight_decay
        Adam learning rate, mini-batch size, weight decay.
    freeze_until : None, str or list
        Mode ``"frozen"`` only: ``None`` freezes everything but the head; a layer name freezes
        the layers up to and including it; a list runs each (the freezing sweep; ``None`` allowed).
    head : str, optional
        The layer to replace. Found automatically for the built-in nets and for models whose
        output is the output of one layer (e.g. ``"fc"`` of a ResNet).
    task : {"auto", "classification", "regression"}
        ``"auto"``: a float factor is a regression target (mean squared error on the standardised
        factor, scored by R²); any other factor is classified (cross-entropy, accuracy).
    layers : list of str, optional
        Layers for representational change; default: the source's default layers that feed
        the head (without the head).
    reduce : optional
        Reduction of the activations before CKA/RSA (see :func:`neurocompare.extract`).
    val_fraction, test_fraction : float
        Shares of the stimuli held out for validation and testing.
    patience : int, optional
        Early stopping: stop when the validation loss has not improved for this many epochs
        and keep the weights of the best epoch.
    amp : bool
        Mixed precision (float16 autocast with gradient scaling) on CUDA; ignored elsewhere.
    source_weights : optional
        Weights when ``source`` is a name (see :func:`neurocompare.models.load`).
    device : str
        ``"auto"`` picks cuda, then mps, then cpu. On a CPU a seed gives identical numbers.
    out : path-like, optional
        A folder for checkpoints and results. Each finished run is saved in ``out/runs/`` and
        each epoch of a running one in ``out/partial/``; calling ``run`` again with the same
        arguments resumes where it stopped. The tables are written at the end
        (:meth:`TransferResult.save`).
    keep_models : bool
        Keep the trained networks in ``result.models`` (and, with ``out``, save their weights in
        ``out/runs/`` so a resumed experiment has them too).
    progress : bool
        Show a progress bar.

    Returns
    -------
    TransferResult
        ``history`` (learning curves), ``scores`` (test performance), ``change`` (per-layer CKA
        and RSA between before and after); ``summary()`` averages over seeds.
    """
    import pandas as pd
    import torch

    from .._utils.device import resolve_device
    from .._utils.progress import progress_bar
    from ..models.training import state_hash
    from ..stimuli import StimulusSet
    from . import _source as S

    if not isinstance(target_stimuli, StimulusSet):
        raise TypeError(f"Invalid value for 'target_stimuli': expected a StimulusSet; got "
                        f"{type(target_stimuli).__name__}. Load a folder with neurocompare.stimuli.load(path).")
    modes = _check_modes(modes)
    seeds = _check_seeds(random_state)
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size, minimum=2)
    check_option("task", task, TASKS)
    for name, v in (("lr", lr), ("weight_decay", weight_decay)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or v < 0 or (name == "lr" and v == 0):
            raise ValueError(f"Invalid value for {name!r}: expected a {'positive' if name == 'lr' else 'non-negative'}"
                             f" number; got {v!r}.")
    for name, v in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 < v < 1:
            raise ValueError(f"Invalid value for {name!r}: expected a number in (0, 1); got {v!r}.")
    if val_fraction + test_fraction >= 0.9:
        raise ValueError(f"Invalid values for 'val_fraction' and 'test_fraction': together they hold out "
                         f"{val_fraction + test_fraction:.0%} of the stimuli; expected less than 90%.")
    if patience is not None:
        patience = check_positive_int("patience", patience)

    md = target_stimuli.metadata
    if target not in md.columns or target in ("file", "mask_file"):
        from .._utils.checks import unknown_name_error

        raise unknown_name_error("factor in 'target'", str(target), target_stimuli.factors,
                                 hint="See stimuli.factors.")
    labels, task, classes = _target_values(md[target], target, task)
    n = len(md)
    n_test = int(np.ceil(test_fraction * n))
    n_val = int(np.ceil(val_fraction * n))
    pool = n - n_test - n_val
    if task == "classification" and min(n_test, n_val) < len(classes):
        raise ValueError(f"Invalid value for 'target_stimuli': {n} stimuli are too few to hold out a validation and "
                         f"a test set with every one of the {len(classes)} classes of {target!r}; use more stimuli "
                         "or larger val_fraction/test_fraction.")
    if task == "classification":
        counts = np.bincount(labels, minlength=len(classes))
        if counts.min() < 3:
            raise ValueError(f"Invalid value for 'target_stimuli': class {classes[int(counts.argmin())]!r} of "
                             f"{target!r} has {int(counts.min())} stimuli; every class needs at least 3 (one each "
                             "for training, validation and testing). Drop it with stimuli.subset(...).")
    train_sizes = _check_train_sizes(train_sizes, pool, n, n_val, n_test)

    wrapper = S.resolve_source(source, source_weights)
    dev = resolve_device(device)
    x = torch.stack([wrapper.transform(target_stimuli.load_image(i)) for i in range(n)])
    spec = S.inspect_source(wrapper, x[:2], head)
    freeze_list = S.check_freeze_until(freeze_until, wrapper, spec)
    if layers is None:
        layers = S.default_layers(wrapper, spec)
    else:
        layers = wrapper.resolve_layers(layers)
        bad = [la for la in layers if spec.in_head(la)]
        if bad:
            raise ValueError(f"Invalid value for 'layers': {bad} belong to the head {spec.head!r}, which is replaced; "
                             "representational change is measured in the layers below it.")
    layers = sorted(layers, key=spec.index)

    n_out = len(classes) if task == "classification" else 1
    y = torch.as_tensor(np.array(labels), dtype=torch.long if task == "classification" else torch.float32)
    base = dict(source=wrapper.name, target=target, task=task)
    settings = dict(version=_VERSION, threads=train_threads(), source_state=state_hash(wrapper.module), source=wrapper.name,
                    stimuli=target_stimuli.fingerprint(), target=target, task=task, head=spec.head, epochs=epochs,
                    lr=float(lr), batch_size=batch_size, weight_decay=float(weight_decay), layers=layers,
                    reduce=reduce, val_fraction=float(val_fraction), test_fraction=float(test_fraction),
                    patience=patience, amp=bool(amp))
    out = Path(out) if out is not None else None

    jobs = []
    for seed in seeds:
        for mode in modes:
            for fu in (freeze_list if mode == "frozen" else [None]):
                for n_train in train_sizes:
                    jobs.append((seed, mode, fu, n_train))
    hist, scores, change = [], [], []
    start_acts, models = {}, {}
    with progress_bar(len(jobs), "transfer", enable=progress) as advance:
        for seed, mode, fu, n_train in jobs:
            key = config_hash({**settings, "seed": seed, "mode": mode, "freeze_until": fu, "n_train": n_train})
            depth = _frozen_depth(mode, fu, layers, spec)
            label = dict(**base, mode=mode, freeze_until=_fu_label(mode, fu), frozen_depth=depth, n_train=n_train,
                         seed=seed)
            done = out / "runs" / f"{key}.json" if out is not None else None
            weights = out / "runs" / f"{key}.pt" if out is not None else None
            if done is not None and done.is_file() and (not keep_models or weights.is_file()):
                rec = json.loads(done.read_text())
                logger.info("Loaded finished run %s from %s", label, done)
                if keep_models:
                    module = _build(wrapper, spec, mode, seed, n_out)
                    module.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
                    models[(mode, label["freeze_until"], n_train, seed)] = _as_wrapper(module, wrapper, spec, label,
                                                                                       classes, layers)
            else:
                split = _split(labels, task, n_val, n_test, seed)
                with reproducible_training():
                    rec = _one_run(wrapper, spec, x, y, split, n_train, mode=mode, freeze_until=fu, seed=seed,
                                   n_out=n_out, task=task, epochs=epochs, lr=lr, batch_size=batch_size,
                                   weight_decay=weight_decay, patience=patience, amp=amp, device=dev, layers=layers,
                                   reduce=reduce, start_acts=start_acts,
                                   partial=out / "partial" / f"{key}.pt" if out is not None else None)
                module = rec.pop("module")
                if keep_models:
                    models[(mode, label["freeze_until"], n_train, seed)] = _as_wrapper(module, wrapper, spec, label,
                                                                                       classes, layers)
                if done is not None:
                    import io

                    from .._utils.paths import atomic_write_bytes

                    if keep_models:
                        buf = io.BytesIO()
                        torch.save(module.state_dict(), buf)
                        atomic_write_bytes(weights, buf.getvalue())
                    atomic_write_bytes(done, json.dumps(rec).encode())
                    (out / "partial" / f"{key}.pt").unlink(missing_ok=True)
            hist += [{**label, **r} for r in rec["history"]]
            scores += [{**label, **r} for r in rec["scores"]]
            change += [{**label, **r} for r in rec["change"]]
            advance()
    cols_h = [*base, "mode", "freeze_until", "frozen_depth", "n_train", "seed", "epoch", "split", "metric", "value"]
    cols_s = [*base, "mode", "freeze_until", "frozen_depth", "n_train", "seed", "metric", "value", "ci_low",
              "ci_high", "n", "epochs"]
    cols_c = ["source", "target", "mode", "freeze_until", "frozen_depth", "n_train", "seed", "layer", "depth",
              "frozen", "compared_to", "metric", "value"]
    config = {**settings, "modes": list(modes), "seeds": seeds, "train_sizes": train_sizes,
              "freeze_until": freeze_list, "classes": classes, "device": str(dev), "n_stimuli": n,
              "n_validation": n_val, "n_test": n_test, "output_key": spec.output_key}
    result = TransferResult(history=pd.DataFrame(hist, columns=cols_h), scores=pd.DataFrame(scores, columns=cols_s),
                            change=pd.DataFrame(change, columns=cols_c), config=config, models=models)
    if out is not None:
        from .._utils.provenance import provenance

        result.save(out)
        (out / "provenance.json").write_text(json.dumps(provenance(**config), indent=2, default=str) + "\n")
    return result


def sweep_freezing(source, target_stimuli, *, layers=None, **kwargs) -> TransferResult:
    """The freezing sweep of Yosinski et al. (2014): freeze up to layer k, train the rest, for every k.

    Runs :func:`run` with ``modes=("finetune", "frozen")`` and ``freeze_until`` set to each
    layer in turn (from the lowest), so ``frozen_depth`` goes from 0 (fine-tune everything) to
    the number of layers (only the head trained).

    Parameters
    ----------
    source, target_stimuli
        As for :func:`run`.
    layers : list of str, optional
        The layers to cut after (and to measure representational change in); default: the
        source's default layers that feed the head.
    **kwargs
        Passed to :func:`run` (``target``, ``train_sizes``, ``random_state``, ``epochs``, ...).

    Returns
    -------
    TransferResult
    """
    for bad in ("modes", "freeze_until"):
        if bad in kwargs:
            raise TypeError(f"sweep_freezing sets {bad!r} itself; use neurocompare.transfer.run to choose it.")
    from . import _source as S

    if layers is None:
        wrapper = S.resolve_source(source, kwargs.get("source_weights"))
        import torch

        ex = torch.stack([wrapper.transform(target_stimuli.load_image(i)) for i in range(min(2, len(target_stimuli)))])
        spec = S.inspect_source(wrapper, ex, kwargs.get("head"))
        layers = S.default_layers(wrapper, spec)
        source = wrapper
    return run(source, target_stimuli, modes=("finetune", "frozen"), freeze_until=list(layers), layers=layers,
               **kwargs)


# -- checks -----------------------------------------------------------------------------------------------

def _check_modes(modes):
    if isinstance(modes, str):
        modes = (modes,)
    modes = list(dict.fromkeys(modes))
    if not modes:
        raise ValueError(f"Invalid value for 'modes': expected some of {list(MODES)}; got an empty list.")
    for m in modes:
        check_option("modes", m, MODES)
    return modes


def _check_seeds(seeds):
    if isinstance(seeds, numbers.Integral):
        seeds = [seeds]
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise ValueError(f"Invalid value for 'random_state': expected a non-negative int or a list of them "
                         f"(one run per seed); got {seeds!r}.")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("Invalid value for 'random_state': expected at least one seed; got an empty list.")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
            raise ValueError(f"Invalid value for 'random_state': expected non-negative ints; got {s!r}.")
    return [int(s) for s in dict.fromkeys(seeds)]


def _check_train_sizes(train_sizes, pool, n, n_val, n_test):
    if train_sizes is None:
        return [pool]
    if isinstance(train_sizes, numbers.Integral):
        train_sizes = [train_sizes]
    out = []
    for s in train_sizes:
        s = check_positive_int("train_sizes", s, minimum=2)
        if s > pool:
            raise ValueError(f"Invalid value for 'train_sizes': {s} is larger than the {pool} stimuli available for "
                             f"training ({n} stimuli minus {n_val} for validation and {n_test} for testing). Use "
                             f"sizes up to {pool}, or lower val_fraction/test_fraction.")
        out.append(s)
    return sorted(dict.fromkeys(out))


def _target_values(col, target, task):
    import pandas as pd

    if task == "auto":
        task = "regression" if pd.api.types.is_float_dtype(col) else "classification"
    if col.isna().any():
        raise ValueError(f"Invalid value for 'target': the factor {target!r} has {int(col.isna().sum())} missing "
                         "values; drop those stimuli with stimuli.subset(...).")
    if task == "classification":
        values = col.astype(str)
        classes = sorted(values.unique())
        if len(classes) < 2:
            raise ValueError(f"Invalid value for 'target': the factor {target!r} has a single class {classes}; "
                             "a classification target needs at least two.")
        lookup = {c: i for i, c in enumerate(classes)}
        return np.array([lookup[v] for v in values]), task, classes
    try:
        values = col.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid value for 'task': 'regression' needs a numeric factor; {target!r} holds "
                         f"{col.dtype} values such as {col.iloc[0]!r}.") from None
    if np.ptp(values) == 0:
        raise ValueError(f"Invalid value for 'target': the factor {target!r} is constant ({values[0]}); a regression "
                         "target must vary.")
    return values, task, []


def _fu_label(mode, fu):
    if mode != "frozen":
        return "none"
    return "all" if fu is None else fu


def _frozen_depth(mode, fu, layers, spec) -> int:
    if mode != "frozen":
        return 0
    if fu is None:
        return len(layers)
    cut = spec.subtree_end(fu)
    return sum(spec.index(la) <= cut for la in layers)


# -- one run ----------------------------------------------------------------------------------------------

def _split(labels, task, n_val, n_test, seed):
    """Indices ``(pool_order, val, test)``: the training pool in its seeded, class-balanced order."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    strat = labels if task == "classification" else None
    rest, test = train_test_split(idx, test_size=n_test, random_state=seed, stratify=strat)
    rest_strat = labels[rest] if task == "classification" else None
    pool, val = train_test_split(rest, test_size=n_val, random_state=seed + 1, stratify=rest_strat)
    rng = np.random.default_rng(seed)
    pool = rng.permutation(np.sort(pool))
    if task == "classification":  # round robin over classes, so every prefix is as balanced as it can be
        per = {c: list(pool[labels[pool] == c]) for c in np.unique(labels[pool])}
        rank = {}
        for c, items in per.items():
            for r, i in enumerate(items):
                rank[i] = (r, rng.random())
        pool = np.array(sorted(pool, key=lambda i: rank[i]))
    return pool, np.sort(val), np.sort(test)


def _build(wrapper, spec, mode, seed, n_out):
    import torch

    from ..models.training import copy_module
    from .._utils.random import torch_seed
    from . import _source as S

    module = copy_module(wrapper.module).float()
    with torch_seed(seed):
        if mode == "scratch":
            for m in module.modules():
                if hasattr(m, "reset_parameters") and callable(m.reset_parameters):
                    m.reset_parameters()
            for m in module.modules():  # running statistics too
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.reset_running_stats()
        S.replace_head(module, spec, n_out)
    return module


def _forward(module, spec, xb):
    out = module(xb)
    out = out if spec.output_key is None else out[spec.output_key]
    return out.flatten(1) if out.dim() > 2 else out


def _one_run(wrapper, spec, x, y, split, n_train, *, mode, freeze_until, seed, n_out, task, epochs, lr, batch_size,
             weight_decay, patience, amp, device, layers, reduce, start_acts, partial):
    import torch

    from .._utils.paths import atomic_write_bytes
    from ..models.training import recalibrate_batchnorm
    from . import _source as S
    from ._change import activations, compare_layers

    pool, val, test = split
    train = np.sort(pool[:n_train])
    recal = np.sort(pool[:min(n_train, _RECALIBRATE_MAX)])  # batch-norm statistics: at most 512 training images
    module = _build(wrapper, spec, mode, seed, n_out)
    fixed = S.frozen_parameters(module, spec, mode, freeze_until)
    eval_leaves = S.frozen_leaves(module, spec, mode, freeze_until, fixed)
    for name, p in module.named_parameters():
        p.requires_grad_(name not in fixed)
    # targets: regression factors are standardised with the training set's mean and sd
    yt = y.clone()
    if task == "regression":
        mu, sd = float(y[train].mean()), float(y[train].std(unbiased=False)) or 1.0
        yt = (y - mu) / sd
    # activations at the start of training (probe set = the test stimuli)
    skey = (seed, "source") if mode != "scratch" else (seed, "scratch")
    if skey not in start_acts:
        start_acts[skey] = activations(module, x[test], layers, reduce=reduce, device=device)
    if mode == "scratch" and (seed, "source") not in start_acts:
        start_acts[(seed, "source")] = activations(_build(wrapper, spec, "finetune", seed, n_out), x[test], layers,
                                                   reduce=reduce, device=device)

    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    use_amp = bool(amp) and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    gen = torch.Generator().manual_seed(int(seed))
    module.to(device)
    rows, first, best = [], 1, None
    if partial is not None and partial.is_file():
        ck = torch.load(partial, map_location="cpu", weights_only=True)
        module.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        scaler.load_state_dict(ck["scaler"])
        gen.set_state(ck["generator"])
        rows, first, best = ck["rows"], ck["epoch"] + 1, ck["best"]
        logger.info("Resuming a transfer run at epoch %d from %s", first, partial)
    else:
        rows += _evaluate(module, spec, x, yt, train, "train", 0, task, batch_size, device, use_amp)
        rows += _evaluate(module, spec, x, yt, val, "validation", 0, task, batch_size, device, use_amp)
    trained = first - 1
    for epoch in range(first, epochs + 1):
        if best is not None and patience is not None and epoch - best["epoch"] > patience:
            break
        module.train()
        for name in eval_leaves:
            module.get_submodule(name).eval()
        perm = torch.from_numpy(train)[torch.randperm(len(train), generator=gen)]
        outs, targets = [], []
        for b in range(0, len(perm), batch_size):
            idx = perm[b:b + batch_size]
            if len(idx) < 2 and len(perm) > 1:
                continue
            with torch.autocast("cuda", enabled=use_amp):
                out = _forward(module, spec, x[idx].to(device))
                loss = _loss(out, yt[idx].to(device), task)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            outs.append(out.detach().float().cpu())
            targets.append(yt[idx])
        recalibrate_batchnorm(module, x[torch.from_numpy(recal)], batch_size, device, skip=eval_leaves)
        # training curves as in PyTorch's conventions: the mini-batches of the epoch, in train mode
        out, target = torch.cat(outs), torch.cat(targets)
        score, name = _score(out, target, task)
        rows += [{"epoch": epoch, "split": "train", "metric": "loss", "value": float(_loss(out, target, task))},
                 {"epoch": epoch, "split": "train", "metric": name, "value": score}]
        val_rows = _evaluate(module, spec, x, yt, val, "validation", epoch, task, batch_size, device, use_amp)
        rows += val_rows
        val_loss = next(r["value"] for r in val_rows if r["metric"] == "loss")
        if patience is not None and (best is None or val_loss < best["loss"]):
            best = {"epoch": epoch, "loss": val_loss,
                    "state": {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}}
        if partial is not None:
            import io

            buf = io.BytesIO()
            torch.save({"model": {k: v.cpu() for k, v in module.state_dict().items()},
                        "optimizer": opt.state_dict(), "scaler": scaler.state_dict(), "generator": gen.get_state(),
                        "rows": rows, "epoch": epoch, "best": best}, buf)
            atomic_write_bytes(partial, buf.getvalue())
        trained = epoch
    if best is not None:
        module.load_state_dict(best["state"])
        trained = best["epoch"]
    module.eval()
    scores = _test_scores(module, spec, x, yt, test, task, batch_size, device, use_amp, seed)
    for r in scores:
        r["epochs"] = trained
    module.to("cpu")
    after = activations(module, x[test], layers, reduce=reduce, device=device)
    frozen_layer = {la: _layer_frozen(module, la, fixed) for la in layers}
    change = []
    refs = [("start", start_acts[skey])] + ([("source", start_acts[(seed, "source")])] if mode == "scratch" else [])
    for ref_name, ref in refs:
        for r in compare_layers(ref, after, layers):
            change.append({"layer": r["layer"], "depth": layers.index(r["layer"]), "frozen": frozen_layer[r["layer"]],
                           "compared_to": ref_name, "metric": r["metric"], "value": r["value"]})
    return {"history": rows, "scores": scores, "change": change, "module": module}


def _as_wrapper(module, wrapper, spec, label, classes, layers):
    """The trained network as a ModelWrapper (same transform; the new head in the head's stream)."""
    from ..models import ModelWrapper

    def stream(name):
        if spec.in_head(name):
            return wrapper.streams.get(spec.head, "shared")
        return wrapper.streams.get(name, "shared")

    tag = label["mode"] if label["mode"] != "frozen" else f"frozen-{label['freeze_until']}"
    return ModelWrapper(module.eval(), name=f"{wrapper.name}-{tag}-n{label['n_train']}-seed{label['seed']}",
                        family=wrapper.family, transform=wrapper.transform, stream_fn=stream,
                        default_layers=[*layers, spec.head], classes=classes or None,
                        weights=f"transferred from {wrapper.name} ({wrapper.weights})",
                        config={"transfer": {k: label[k] for k in label}})


def _layer_frozen(module, layer, fixed) -> bool:
    names = [f"{layer}.{n}" for n, _ in module.get_submodule(layer).named_parameters()]
    return bool(names) and all(n in fixed for n in names)


def _loss(out, target, task):
    import torch.nn.functional as F

    if task == "classification":
        return F.cross_entropy(out.float(), target)
    return F.mse_loss(out.float()[:, 0], target)


def _predict(module, spec, x, idx, batch_size, device, use_amp):
    import torch

    outs = []
    with torch.no_grad():
        for b in range(0, len(idx), batch_size):
            sel = torch.from_numpy(np.asarray(idx[b:b + batch_size]))
            with torch.autocast("cuda", enabled=use_amp):
                outs.append(_forward(module, spec, x[sel].to(device)).float().cpu())
    return torch.cat(outs)


def _evaluate(module, spec, x, yt, idx, split, epoch, task, batch_size, device, use_amp):
    """Loss and score of ``idx`` in eval mode (the module's modes are restored)."""
    import torch

    modes = {n: m.training for n, m in module.named_modules()}
    module.eval()
    try:
        out = _predict(module, spec, x, idx, batch_size, device, use_amp)
    finally:
        for n, m in module.named_modules():
            m.training = modes[n]
    target = yt[torch.from_numpy(np.asarray(idx))]
    loss = float(_loss(out, target, task))
    score, name = _score(out, target, task)
    return [{"epoch": epoch, "split": split, "metric": "loss", "value": loss},
            {"epoch": epoch, "split": split, "metric": name, "value": score}]


def _score(out, target, task):
    if task == "classification":
        return float((out.argmax(1) == target).float().mean()), "accuracy"
    pred, t = out[:, 0].double().numpy(), target.double().numpy()
    return float(1 - np.sum((t - pred) ** 2) / np.sum((t - t.mean()) ** 2)), "r2"


def _test_scores(module, spec, x, yt, test, task, batch_size, device, use_amp, seed, n_boot: int = 1000):
    import torch

    out = _predict(module, spec, x, test, batch_size, device, use_amp)
    target = yt[torch.from_numpy(np.asarray(test))]
    score, name = _score(out, target, task)
    rng = np.random.default_rng(seed)
    boot = rng.integers(0, len(test), size=(n_boot, len(test)))
    if task == "classification":
        correct = (out.argmax(1) == target).double().numpy()
        dist = correct[boot].mean(1)
    else:
        t, p = target.double().numpy(), out[:, 0].double().numpy()
        tb, pb = t[boot], p[boot]
        ss_tot = ((tb - tb.mean(1, keepdims=True)) ** 2).sum(1)
        dist = 1 - ((tb - pb) ** 2).sum(1) / np.where(ss_tot > 0, ss_tot, np.nan)
    lo, hi = np.nanpercentile(dist, [2.5, 97.5])
    loss = float(_loss(out, target, task))
    return [{"metric": name, "value": score, "ci_low": float(lo), "ci_high": float(hi), "n": len(test)},
            {"metric": "loss", "value": loss, "ci_low": float("nan"), "ci_high": float("nan"), "n": len(test)}]


