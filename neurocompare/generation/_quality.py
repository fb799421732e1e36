"""Image-set quality without downloads: Frechet and kernel distances (FID/KID) in any model's feature space."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_positive_int
from .._utils.progress import progress_bar

INCEPTION_URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
                 "weights-inception-2015-12-05-6726825d.pth")


def frechet_distance(real, fake) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (the FID formula of Heusel et al. 2017).

    ``||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2))`` with the sample
    covariances (denominator n - 1), computed in float64. The trace of the
    matrix square root is taken from the eigenvalues of ``S_r^(1/2) S_f S_r^(1/2)``
    (symmetric, so it is stable).

    Parameters
    ----------
    real, fake : array-like, shape (n_images, n_features)

    Returns
    -------
    float
    """
    a, b = _features("real", real), _features("fake", fake)
    _same_width(a, b)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False, ddof=1), np.cov(b, rowvar=False, ddof=1)
    s_a, s_b = np.atleast_2d(s_a), np.atleast_2d(s_b)
    root_a = _sqrt_psd(s_a)
    eig = np.linalg.eigvalsh(root_a @ s_b @ root_a)
    tr_covmean = np.sqrt(np.clip(eig, 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * tr_covmean)


def kernel_distance(real, fake, *, n_subsets: int = 100, subset_size: int = 1000, degree: int = 3,
                    gamma: float | None = None, coef: float = 1.0, random_state=0) -> tuple[float, float]:
    """Kernel distance (KID, Binkowski et al. 2018): the unbiased squared MMD with a polynomial kernel.

    ``k(x, y) = (gamma x.y + coef) ** degree`` with ``gamma = 1 / n_features`` by
    default, averaged over ``n_subsets`` random subsets of ``subset_size`` images
    drawn without replacement from each set (the definition of torchmetrics'
    ``KernelInceptionDistance``).

    Parameters
    ----------
    real, fake : array-like, shape (n_images, n_features)
    n_subsets, subset_size : int
        ``subset_size`` is capped at the smaller set's size.
    degree, gamma, coef
        The polynomial kernel.
    random_state : int
        Seeds the subsets.

    Returns
    -------
    (float, float)
        The mean over subsets and its standard deviation across subsets (ddof 1; NaN for one subset).
    """
    from .._utils.random import check_random_state

    a, b = _features("real", real), _features("fake", fake)
    _same_width(a, b)
    n_subsets = check_positive_int("n_subsets", n_subsets)
    m = min(check_positive_int("subset_size", subset_size, minimum=2), len(a), len(b))
    if m < 2:
        raise ValueError(f"Invalid value for 'real'/'fake': the kernel distance needs at least 2 images in each set; "
                         f"got {len(a)} and {len(b)}.")
    gamma = 1.0 / a.shape[1] if gamma is None else float(gamma)
    rng = check_random_state(random_state)
    vals = np.empty(n_subsets)
    for s in range(n_subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx = (gamma * x @ x.T + coef) ** degree
        kyy = (gamma * y @ y.T + coef) ** degree
        kxy = (gamma * x @ y.T + coef) ** degree
        vals[s] = ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                   - 2 * kxy.mean())
    return float(vals.mean()), float(vals.std(ddof=1)) if n_subsets > 1 else float("nan")


def image_quality(real, fake, *, model, layer: str | None = None, weights=None, n_fake: int = 500,
                  n_subsets: int = 100, subset_size: int = 1000, batch_size: int = 64, device="auto",
                  random_state=0, progress: bool = True):
    """FID and KID between two image sets in the feature space of a model.

    Parameters
    ----------
    real : StimulusSet or tensor (N, C, H, W) in [-1, 1]
    fake : StimulusSet, tensor (N, C, H, W) in [-1, 1], or a GAN (ModelWrapper of the DCGAN)
        A GAN is sampled ``n_fake`` times (latents seeded by ``random_state``).
    model : ModelWrapper, str or "inception"
        The feature extractor: any wrapped network (e.g. ``nc.models.load("resnet18",
        weights=...)`` or a net from ``nc.models.train``), a zoo name (loaded with its
        default options and ``weights``), or ``"inception"``: the standard FID network
        (the 2048-d pool features of torch-fidelity's Inception v3), which needs its
        weights file passed as ``weights=`` and ``pip install torch-fidelity``.
    layer : str, optional
        The layer whose spatially averaged activations are the features; default the
        model's second-to-last default layer (its last for one-layer lists).
    weights : optional
        Passed to :func:`neurocompare.models.load` when ``model`` is a name.
    n_fake : int
    n_subsets, subset_size : int
        See :func:`kernel_distance`.
    batch_size : int
    device : str
    random_state : int
    progress : bool
        Show a progress bar over the feature passes.

    Returns
    -------
    pandas.DataFrame
        Two rows (``metric`` = ``"fid"``, ``"kid"``) with ``model, layer, metric, value,
        std, n_real, n_fake`` (``std``: across KID subsets; NaN for FID).

    Notes
    -----
    Every image goes through the feature model's own ``transform`` (as a PIL image),
    exactly as a saved stimulus would. Numbers in different feature spaces, or with
    different set sizes, are not comparable (FID is biased upwards for small sets).
    """
    import pandas as pd

    fake_imgs = _as_images("fake", fake, n_fake, random_state, device)
    real_imgs = _as_images("real", real, n_fake, random_state, device)
    if isinstance(model, str) and model.lower() == "inception":
        name, layer_name = "inception", "pool3"
        f_real, f_fake = (_inception_features(x, weights, batch_size, device, progress)
                          for x in (real_imgs, fake_imgs))
    else:
        wrapper = _feature_model(model, weights)
        name = wrapper.name
        layer_name = layer or (wrapper.default_layers[-2] if len(wrapper.default_layers) > 1
                               else wrapper.default_layers[-1])
        wrapper.resolve_layers([layer_name])
        f_real, f_fake = (_model_features(wrapper, layer_name, x, batch_size, device, progress)
                          for x in (real_imgs, fake_imgs))
    fid = frechet_distance(f_real, f_fake)
    kid, kid_sd = kernel_distance(f_real, f_fake, n_subsets=n_subsets, subset_size=subset_size,
                                  random_state=random_state)
    rows = [(name, layer_name, "fid", fid, float("nan")), (name, layer_name, "kid", kid, kid_sd)]
    res = pd.DataFrame(rows, columns=["model", "layer", "metric", "value", "std"])
    res["n_real"], res["n_fake"] = len(f_real), len(f_fake)
    return res


def _features(name, x) -> np.ndarray:
    arr = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64)
    if arr.ndim != 2 or len(arr) < 2:
        raise ValueError(f"Invalid value for {name!r}: expected features of shape (n_images >= 2, n_features); "
                         f"got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ValueError(f"Invalid value for {name!r}: the features contain NaN or infinite values.")
    return arr


def _same_width(a, b) -> None:
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"Invalid values for 'real' and 'fake': they have {a.shape[1]} and {b.shape[1]} features; "
                         "extract both from the same layer.")


def _sqrt_psd(s):
    w, v = np.linalg.eigh(s)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def _as_images(name, x, n, random_state, device) -> np.ndarray:
    """uint8 (N, H, W, C) from a StimulusSet, a [-1, 1] tensor or a GAN."""
    import torch

    from ..models import ModelWrapper
    from ..stimuli import StimulusSet
    from .images import to_uint8

    if isinstance(x, StimulusSet):
        return np.stack([np.asarray(x.load_image(i)) for i in range(len(x))])
    if isinstance(x, ModelWrapper) and x.family == "gan":
        from ._latent import as_generator, sample_latents

        gen = as_generator(x)
        z = sample_latents(check_positive_int("n_fake", n), gen.latent_dim, random_state)
        return gen.images(z, device=device)
    if isinstance(x, (torch.Tensor, np.ndarray)) and np.ndim(x) == 4:
        return to_uint8(torch.as_tensor(x))
    raise TypeError(f"Invalid value for {name!r}: expected a StimulusSet, an image tensor (N, C, H, W) in [-1, 1] or "
                    f"a GAN ModelWrapper; got {type(x).__name__}.")


def _feature_model(model, weights):
    from ..models import ModelWrapper, load

    if isinstance(model, ModelWrapper):
        if model.family != "classification" and model.family != "segmentation":
            raise ValueError(f"Invalid value for 'model': expected an image network (classification or segmentation "
                             f"family) as feature extractor; got a {model.family!r} model.")
        return model
    if isinstance(model, str):
        return load(model, weights=weights)
    raise TypeError(f"Invalid value for 'model': expected a ModelWrapper, a zoo name or 'inception'; "
                    f"got {type(model).__name__}.")


def _model_features(wrapper, layer, images, batch_size, device, progress=False) -> np.ndarray:
    import torch
    from PIL import Image

    from ..extraction import extract, get_layer

    if wrapper.transform is None:
        raise ValueError(f"Model {wrapper.name!r} has no transform; pass transform= to neurocompare.models.wrap.")
    x = torch.stack([wrapper.transform(Image.fromarray(im)) for im in images])
    tree = extract(wrapper, x, layers=[layer], reduce="avgpool", batch_size=batch_size, device=device,
                   progress=progress)
    return np.asarray(get_layer(tree, layer).values, dtype=np.float64)


def _inception_features(images, weights, batch_size, device, progress=False) -> np.ndarray:
    import torch

    from .._utils.device import resolve_device
    from .._utils.imports import require
    from ..models.batches import prepared
    from ..models.checkpoints import is_path

    if weights is None or not is_path(weights):
        raise ValueError("Invalid value for 'weights': model='inception' needs the FID Inception weights file, which "
                         f"neurocompare never downloads. Download {INCEPTION_URL} once and pass weights='/path/to/"
                         "weights-inception-2015-12-05-6726825d.pth'; or use any zoo model as the feature space "
                         "(model='resnet18', weights=...).")
    require("torch_fidelity", purpose="the Inception FID feature extractor (pip install torch-fidelity)")
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(weights))
    dev = resolve_device(device)
    out = []
    starts = range(0, len(images), batch_size)
    with prepared(net, dev), torch.no_grad(), progress_bar(len(starts), "Inception features", enable=progress) as adv:
        for b in starts:
            x = torch.from_numpy(images[b:b + batch_size]).permute(0, 3, 1, 2).contiguous().to(dev)
            out.append(net(x)[0].double().cpu().numpy())
            adv()
    return np.concatenate(out)
