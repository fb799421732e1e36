"""Faithfulness of maps: deletion and insertion curves (Petsiuk et al. 2018, RISE)."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_option, check_positive_int

FAITHFULNESS_METRICS = ("deletion", "insertion")
BASELINES = ("rise", "blur", "zero")


def _blur(x):
    """RISE's substrate for insertion: a Gaussian blur (kernel 11, sigma 5) of the model input."""
    from torchvision.transforms.functional import gaussian_blur

    return gaussian_blur(x, kernel_size=[11, 11], sigma=[5.0, 5.0])


def faithfulness_curves(model, stimuli, maps, *, metrics=FAITHFULNESS_METRICS, step=1 / 32, baseline: str = "rise",
                        batch_size: int = 64, device="auto", progress: bool = True):
    """Deletion and insertion curves: the target class's probability as pixels go or come in order of the map.

    Deletion starts from the image and replaces the pixels with the highest
    map values first by the baseline; insertion starts from the baseline and
    puts the image's pixels back in the same order (Petsiuk et al. 2018).
    Ties in the map keep the row-major pixel order.

    Parameters
    ----------
    model : ModelWrapper
        The classifier the maps explain (its ``transform`` makes the inputs).
    stimuli : StimulusSet
        The stimuli the maps were computed on.
    maps : DataArray
        From :func:`compute`; its ``target_class`` coordinate is the class scored.
    metrics : sequence of {"deletion", "insertion"}
    step : int or float
        Pixels changed per step: an int is a pixel count, a float in (0, 1] a
        share of the image (default 1/32: 33 points per curve).
    baseline : {"rise", "blur", "zero"}
        What replaces deleted pixels / what insertion starts from. ``"zero"``:
        zeros of the model's (normalised) input, i.e. the mean colour for
        ImageNet normalisation; ``"blur"``: a Gaussian blur (11 px kernel,
        sigma 5) of the input; ``"rise"`` (default): RISE's choice, zero for
        deletion and blur for insertion.
    batch_size : int
        Modified images per forward pass.
    device : str
        Where the model runs: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
    progress : bool
        Show a progress bar over the stimuli.

    Returns
    -------
    pandas.DataFrame
        ``stimulus, model, method, layer, metric, step, fraction, score``: one
        row per point of each curve (``fraction`` of pixels changed, ``score`` the
        softmax probability of the target class).
    """
    import pandas as pd
    import torch

    from .._utils.device import resolve_device
    from .._utils.progress import progress_bar
    from ..models import ModelWrapper
    from ..models.batches import StimulusSource, prepared
    from ..stimuli import StimulusSet
    from .geometry import as_map_list
    from ._targets import logits_of

    if not isinstance(model, ModelWrapper):
        raise TypeError(f"Invalid value for 'model': expected a ModelWrapper; got {type(model).__name__}.")
    if model.family != "classification":
        raise ValueError(f"Invalid value for 'model': deletion/insertion score a class probability, so they need a "
                         f"classifier; {model.name!r} is a {model.family} model.")
    if not isinstance(stimuli, StimulusSet):
        raise TypeError(f"Invalid value for 'stimuli': expected a StimulusSet; got {type(stimuli).__name__}.")
    (da,) = as_map_list(maps)
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    for m in metrics:
        check_option("metrics", m, FAITHFULNESS_METRICS)
    check_option("baseline", baseline, BASELINES)
    batch_size = check_positive_int("batch_size", batch_size)
    ids = [str(s) for s in da["stimulus"].values]
    if list(stimuli.ids) != ids:
        stimuli = stimuli.subset(ids)
    classes = da["target_class"].values.astype(int)
    if (classes < 0).any():
        raise ValueError("Invalid value for 'maps': they explain a callable target (target_class -1); deletion and "
                         "insertion need class targets.")
    n_px = da.sizes["y"] * da.sizes["x"]
    if isinstance(step, (float, np.floating)) and not isinstance(step, bool):
        if not 0 < step <= 1:
            raise ValueError(f"Invalid value for 'step': a float is a share of the pixels in (0, 1]; got {step!r}.")
        px = max(1, int(round(step * n_px)))
    else:
        px = check_positive_int("step", step)
    n_steps = int(np.ceil(n_px / px))
    dev = resolve_device(device)
    source = StimulusSource(stimuli)
    rows = []
    with prepared(model.module, dev), torch.inference_mode(), \
            progress_bar(len(ids), f"{model.name}: deletion/insertion", enable=progress) as advance:
        for pos, inputs in source.batches(model, 1, 0, 0):
            x = inputs.to(dev)[0]
            if tuple(x.shape[-2:]) != (da.sizes["y"], da.sizes["x"]):
                raise ValueError(f"The maps are {da.sizes['y']}x{da.sizes['x']} but the model sees "
                                 f"{tuple(x.shape[-2:])} images; pass the model the maps were computed with.")
            sal = np.nan_to_num(da.values[pos].ravel(), nan=-np.inf)
            order = torch.as_tensor(np.argsort(-sal, kind="stable"), device=dev)
            rank = torch.empty(n_px, dtype=torch.long, device=dev)
            rank[order] = torch.arange(n_px, device=dev)
            rank = rank.reshape(x.shape[-2:])
            for metric in metrics:
                kind = baseline if baseline != "rise" else ("zero" if metric == "deletion" else "blur")
                base = torch.zeros_like(x) if kind == "zero" else _blur(x[None])[0]
                start, end = (x, base) if metric == "deletion" else (base, x)
                scores = []
                for k0 in range(0, n_steps + 1, batch_size):
                    ks = torch.arange(k0, min(n_steps + 1, k0 + batch_size), device=dev)
                    changed = rank[None] < (ks * px)[:, None, None]          # (k, H, W)
                    batch = torch.where(changed[:, None], end[None], start[None])
                    prob = logits_of(model.run(batch)).float().softmax(-1)[:, classes[pos]]
                    scores.append(prob.cpu().numpy())
                scores = np.concatenate(scores)
                for k, s in enumerate(scores):
                    rows.append((ids[pos], da.attrs.get("model", ""), da.attrs.get("method", ""),
                                 da.attrs.get("layer", ""), metric, k, min(1.0, k * px / n_px), float(s)))
            advance(1)
    return pd.DataFrame(rows, columns=["stimulus", "model", "method", "layer", "metric", "step", "fraction", "score"])


def curve_auc(curves):
    """Area under each deletion/insertion curve (trapezoid over the share of pixels changed, from 0 to 1).

    Parameters
    ----------
    curves : pandas.DataFrame
        From :func:`faithfulness_curves`: ``stimulus, model, method, layer,
        metric, step, fraction, score``.

    Returns
    -------
    pandas.DataFrame
        ``stimulus, model, method, layer, metric, value``: one row per curve.
    """
    import pandas as pd

    rows = []
    for key, g in curves.groupby(["stimulus", "model", "method", "layer", "metric"], sort=False):
        g = g.sort_values("step")
        rows.append((*key, float(np.trapezoid(g["score"].to_numpy(), g["fraction"].to_numpy()))))
    return pd.DataFrame(rows, columns=["stimulus", "model", "method", "layer", "metric", "value"])


def faithfulness(model, stimuli, maps, *, metrics=FAITHFULNESS_METRICS, step=1 / 32, baseline: str = "rise",
                 batch_size: int = 64, device="auto", progress: bool = True):
    """Deletion and insertion AUC per stimulus (Petsiuk et al. 2018).

    Lower deletion AUC and higher insertion AUC mean a more faithful map. The
    curves themselves come from :func:`faithfulness_curves` (same arguments);
    this function integrates them with :func:`curve_auc`.

    Parameters
    ----------
    model : ModelWrapper
        The classifier the maps explain (its ``transform`` makes the inputs).
    stimuli : StimulusSet
        The stimuli the maps were computed on.
    maps : DataArray
        From :func:`compute`; its ``target_class`` coordinate is the class scored.
    metrics : sequence of {"deletion", "insertion"}
        Which curves to integrate.
    step : int or float
        Pixels changed per step: an int is a pixel count, a float in (0, 1] a
        share of the image (default 1/32: 33 points per curve).
    baseline : {"rise", "blur", "zero"}
        What replaces deleted pixels / what insertion starts from (see
        :func:`faithfulness_curves`); ``"rise"``: zero for deletion, blur for insertion.
    batch_size : int
        Modified images per forward pass.
    device : str
        Where the model runs: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
    progress : bool
        Show a progress bar over the stimuli.

    Returns
    -------
    pandas.DataFrame
        ``stimulus, model, method, layer, metric, value`` (``metric`` is
        ``"deletion"`` or ``"insertion"``; ``value`` the AUC in [0, 1]).
    """
    return curve_auc(faithfulness_curves(model, stimuli, maps, metrics=metrics, step=step, baseline=baseline,
                                         batch_size=batch_size, device=device, progress=progress))
