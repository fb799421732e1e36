"""Loading torchvision weights: random (seeded), downloaded, or from a local file."""
from __future__ import annotations

import http.client
from pathlib import Path

from .._utils.random import torch_seed
from .checkpoints import is_path, load_state_file


class WeightsDownloadError(ConnectionError):
    """Pretrained weights could not be downloaded (offline, blocked, or a failed transfer)."""


def torchvision_weights(name, builder, wenum, weights, *, random_state: int, options: dict):
    """Build a torchvision model with ``weights`` (None, a tag such as "DEFAULT", or a file)."""
    if weights is None or is_path(weights):
        with torch_seed(random_state):
            module = _build(name, builder, None, options)
        if weights is None:
            return module, f"none (random init, seed {random_state})"
        load_state_file(module, weights, model_name=name)
        return module, str(weights)
    if not isinstance(weights, str):
        raise TypeError(f"Invalid value for 'weights': expected None, 'DEFAULT', a weight name or a file path; "
                        f"got {type(weights).__name__}.")
    tags = ["DEFAULT"] + [w.name for w in wenum]
    if weights not in tags:
        raise ValueError(f"Invalid value for 'weights': expected None, a file path, or one of {tags} for "
                         f"{name!r}; got {weights!r}.")
    w = wenum.DEFAULT if weights == "DEFAULT" else wenum[weights]
    opts = {k: v for k, v in options.items() if k != "weights_backbone"}
    try:
        module = _build(name, builder, w, opts)
    except (OSError, http.client.HTTPException) as err:
        raise WeightsDownloadError(_offline_message(name, w, err)) from err
    return module, f"{w} (torchvision)"


def _build(name, builder, weights, options):
    """Call a torchvision builder, turning bad options into an error that names them."""
    try:
        return builder(weights=weights, **options)
    except TypeError as err:
        user = sorted(k for k in options if k != "weights_backbone")
        raise TypeError(f"Invalid option(s) {user} for {name!r}: {err}. The options are passed to "
                        f"torchvision.models.{name}(); see its documentation (e.g. num_classes, and min_size for "
                        "detectors).") from None
    except ValueError as err:
        raise ValueError(f"Invalid option(s) for {name!r}: {err}") from None


def _offline_message(name: str, w, err: Exception) -> str:
    import torch

    filename = w.url.rsplit("/", 1)[-1]
    target = Path(torch.hub.get_dir()) / "checkpoints" / filename
    return (f"Could not download the pretrained weights {w} for {name!r} ({type(err).__name__}: {err}). "
            f"This machine seems to be offline. Either (1) on a machine with internet, download {w.url} and copy "
            f"it to {target} (it is then used without downloading; set TORCH_HOME to use another folder), or "
            f"(2) pass the file itself: neurocompare.models.load({name!r}, weights='/path/to/{filename}'). "
            "Use weights=None for a randomly initialised network.")
