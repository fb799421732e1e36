"""Sanity checks for saliency maps (Adebayo et al. 2018): do the maps change when the model's weights do?"""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_option
from .._utils.logging import logger
from .._utils.random import seed_int
from .._utils.stats import row_corr

ORDERS = ("cascade", "independent")
SIMILARITY_METRICS = ("spearman", "ssim")


def ssim(a, b, *, data_range: float = 1.0, sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03) -> np.ndarray:
    """Mean structural similarity of matching 2-D maps (Wang et al. 2004).

    Gaussian-weighted local statistics (``sigma`` 1.5, truncated at 3.5 sd:
    an 11 x 11 window), population variances, ``C1 = (k1 L)^2``,
    ``C2 = (k2 L)^2`` with ``L = data_range``; the mean over the map without
    the border the window does not fit (as scikit-image's
    ``structural_similarity(..., gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False)``).

    Parameters
    ----------
    a, b : array (..., H, W)
        Maps of the same shape; leading axes are separate pairs.
    data_range : float
        Range of the map values (1 for min-max scaled maps).

    Returns
    -------
    numpy.ndarray
        One SSIM per pair (shape ``a.shape[:-2]``).
    """
    from scipy.ndimage import gaussian_filter

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(f"Invalid value for 'b': expected maps of the same shape (..., H, W) as 'a' {a.shape}; "
                         f"got {b.shape}.")
    r = int(3.5 * sigma + 0.5)
    if min(a.shape[-2:]) < 2 * r + 1:
        raise ValueError(f"Invalid value for 'a': SSIM needs maps of at least {2 * r + 1} x {2 * r + 1} pixels "
                         f"(its window); got {a.shape[-2]} x {a.shape[-1]}.")
    sig = (0,) * (a.ndim - 2) + (sigma, sigma)

    def blur(x):
        return gaussian_filter(x, sigma=sig, truncate=3.5, mode="reflect")

    ux, uy = blur(a), blur(b)
    vx, vy, vxy = blur(a * a) - ux * ux, blur(b * b) - uy * uy, blur(a * b) - ux * uy
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    return s[..., r:-r, r:-r].mean((-2, -1))


def spearman(a, b) -> np.ndarray:
    """Spearman rank correlation of matching maps (flattened; ties get average ranks; NaN for a constant map)."""
    from scipy.stats import rankdata

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    fa, fb = a.reshape(len(a), -1), b.reshape(len(b), -1)
    return row_corr(rankdata(fa, axis=1), rankdata(fb, axis=1))


def _param_blocks(model) -> list[str]:
    """The model's default layers that own parameters, from the output back to the input."""
    modules = dict(model.module.named_modules())
    names = [n for n in model.default_layers if n in modules and any(True for _ in modules[n].parameters())]
    return names[::-1]


def _randomize(module, names, seed: int) -> None:
    """Re-initialise every parameter of ``names`` (``""``: the whole net) in place, seeded.

    Modules with ``reset_parameters`` use it (PyTorch's default initialisers;
    batch-norm statistics reset too); a parameter no such module owns (a ViT's
    class token and position embedding) is redrawn from a normal with its own
    standard deviation (0.02 where that is 0).
    """
    import torch

    modules = dict(module.named_modules())
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        for n in names:
            done = set()
            for m in modules[n].modules():
                if hasattr(m, "reset_parameters") and callable(m.reset_parameters):
                    m.reset_parameters()
                    done.update(id(p) for p in m.parameters(recurse=False))
                if hasattr(m, "reset_running_stats"):
                    m.reset_running_stats()
            for p in modules[n].parameters():
                if id(p) not in done:
                    sd = float(p.std()) if p.numel() > 1 else 0.0
                    p.normal_(0.0, sd if sd > 0 else 0.02)
                    done.add(id(p))


def randomized_copies(model, *, order: str = "cascade", blocks=None, random_state=0) -> list:
    """Copies of a model with more and more (or one block at a time) of its weights re-initialised.

    Parameters
    ----------
    model : ModelWrapper
        Never changed.
    order : {"cascade", "independent"}
        ``"cascade"``: step ``k`` re-initialises blocks 1..k (from the output);
        ``"independent"``: block ``k`` only.
    blocks : list of str, optional
        Module names, from the output back to the input. Default: the model's
        default layers that have parameters, and, where these miss some
        parameters (a ResNet's first convolution), a final step ``"all"``
        that re-initialises every parameter.
    random_state : int
        Step ``k`` is seeded with ``random_state + k``.

    Returns
    -------
    list of (str, ModelWrapper)
        ``(block, copy)`` per step, in order.
    """
    check_option("order", order, ORDERS)
    return list(_copies(model, order, _sequence(model, blocks), random_state))


def _sequence(model, blocks) -> list:
    """(label, module names) per step, checked: ``blocks`` or the default layers with parameters (+ "all")."""
    modules = dict(model.module.named_modules())
    steps = list(blocks) if blocks is not None else _param_blocks(model)
    for n in steps:
        if n not in modules:
            from .._utils.checks import unknown_name_error

            raise unknown_name_error(f"module of model {model.name!r} in 'blocks'", n,
                                     [k for k in modules if k], hint="See model.layers.")
    if not steps:
        raise ValueError(f"Invalid value for 'blocks': model {model.name!r} has no default layer with parameters; "
                         "pass blocks=[module names, output first].")
    covered = {id(p) for n in steps for p in modules[n].parameters()}
    sequence = [(s, [s]) for s in steps]
    if blocks is None and any(id(p) not in covered for p in model.module.parameters()):
        sequence.append(("all", [""]))
    return sequence


def _copies(model, order, sequence, random_state):
    """Yield ``(label, copy)`` step by step, so only the current copy (and the cascade's previous) is held."""
    seed = seed_int(random_state)
    current = model
    for k, (label, names) in enumerate(sequence, start=1):
        new = (model if order == "independent" else current).copy()
        _randomize(new.module, names, seed + k)
        new.name = f"{model.name} (re-initialised: {label})"
        yield label, new
        current = new


def randomization_test(model, stimuli, *, method="gradcam", layer: str | None = None, target="predicted",
                       order: str = "cascade", blocks=None, batch_size: int = 32, device="auto",
                       random_state=0, progress: bool = True):
    """Model-parameter randomisation test: how much do the maps change when weights are re-initialised?

    A map that explains the model should change when the model does. Starting
    from the output, each block of the network is re-initialised in turn
    (``"cascade"``: cumulatively, down to a fully random net;
    ``"independent"``: one block at a time), the maps are recomputed for the
    same target classes, and each is compared with the original map of the
    same stimulus. Maps that stay similar as the weights are destroyed reflect
    the image (edges, the object on a blank background) more than the model
    (Adebayo et al. 2018).

    Parameters
    ----------
    model : ModelWrapper
        A classifier (it is copied; the original is never changed).
    stimuli : StimulusSet or tensor
    method : str or list of str
        One or more :data:`METHODS`.
    layer : str, optional
        The CAM layer (default as in :func:`compute`).
    target : "predicted", "true", int, sequence or callable
        "predicted" is the original model's prediction, kept fixed for every
        randomised copy (so the same class is explained throughout).
    order : {"cascade", "independent"}
    blocks : list of str, optional
        See :func:`randomized_copies`.
    batch_size : int
    device : str
    random_state : int
        Seeds the re-initialisation (step ``k`` uses ``random_state + k``).
    progress : bool
        Show progress over the maps computed (one set per method and step).

    Returns
    -------
    pandas.DataFrame
        One row per stimulus, method, step and metric: ``stimulus, method,
        layer, order, step, randomized, metric, value`` with ``metric`` in
        ``spearman`` (rank correlation of the maps) and ``ssim`` (structural
        similarity, maps min-max scaled; NaN below 11 x 11 pixels). Step 0,
        ``randomized="none"``, is the original map against itself (1).

    Notes
    -----
    Re-initialisation uses each module's own ``reset_parameters`` (PyTorch's
    default initialisers) and resets batch-norm running statistics; other
    parameters (a ViT's class token, position embedding) are redrawn from a
    normal with their own standard deviation.
    """
    import pandas as pd

    from .._utils.checks import check_positive_int
    from ._compute import check_method, compute

    batch_size = check_positive_int("batch_size", batch_size)
    methods = [method] if isinstance(method, str) else list(method)
    methods = [check_method(m) for m in methods]
    if model.family != "classification":
        raise ValueError(f"Invalid value for 'model': the randomisation test is for classifiers; {model.name!r} is "
                         f"a {model.family} model.")
    check_option("order", order, ORDERS)
    sequence = _sequence(model, blocks)
    from .._utils.progress import progress_bar

    rows, originals = [], []
    with progress_bar(len(methods) * (1 + len(sequence)), f"{model.name}: randomisation test ({order})",
                      enable=progress) as advance:
        for m in methods:
            orig = compute(model, stimuli, method=m, layer=layer, target=target, batch_size=batch_size,
                           device=device, progress=False)
            fixed = orig["target_class"].values.astype(int) if isinstance(target, str) and target == "predicted" \
                else target
            originals.append((m, orig, fixed))
            _add(rows, orig, m, orig.attrs["layer"], order, 0, "none", orig.values, orig.values)
            advance()
        for k, (label, net) in enumerate(_copies(model, order, sequence, random_state), start=1):
            for m, orig, fixed in originals:
                new = compute(net, stimuli, method=m, layer=orig.attrs["layer"], target=fixed,
                              batch_size=batch_size, device=device, progress=False).values
                _add(rows, orig, m, orig.attrs["layer"], order, k, label, orig.values, new)
                advance()
    logger.info("cam.randomization_test: %s, %d steps", ", ".join(methods), len(sequence))
    df = pd.DataFrame(rows)
    return df.sort_values(["method", "step", "metric"], kind="stable").reset_index(drop=True)


def _add(rows, orig, method, layer, order, step, label, base, new):
    sp = spearman(base, new)
    try:
        ss = ssim(base, new)
    except ValueError:                    # maps smaller than the SSIM window
        ss = np.full(len(base), np.nan)
    for i, stim in enumerate(orig["stimulus"].values):
        for metric, v in (("spearman", sp[i]), ("ssim", ss[i])):
            rows.append({"stimulus": stim, "method": method, "layer": layer, "order": order, "step": step,
                         "randomized": label, "metric": metric, "value": float(v)})
