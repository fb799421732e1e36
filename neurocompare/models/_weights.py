"""Loading weights: random (seeded), torchvision downloads, and local files."""
from __future__ import annotations

import http.client
import pickle
from pathlib import Path

from .._utils.logging import logger
from .._utils.random import torch_seed


class WeightsDownloadError(ConnectionError):
    """Pretrained weights could not be downloaded (offline, blocked, or a failed transfer)."""


def is_path(weights) -> bool:
    """Whether ``weights`` names a file rather than a weight tag."""
    if isinstance(weights, Path):
        return True
    return isinstance(weights, str) and (weights.endswith((".pth", ".pt", ".bin", ".ckpt")) or "/" in weights
                                         or "\\" in weights)


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


def read_state_file(path) -> dict:
    """``torch.load(path, weights_only=True)`` with errors that say what to do."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for 'weights': the file {str(path)!r} does not exist. Expected "
                                "None, 'DEFAULT', or the path of a saved state dict (.pth/.pt).")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(f"The weights file {str(path)!r} holds Python objects other than tensors, so it cannot be "
                         "loaded safely with torch.load(weights_only=True). Re-save only the weights: "
                         f"torch.save(model.state_dict(), path). ({str(err).splitlines()[0]})") from None
    except Exception as err:  # noqa: BLE001 - any failure to parse means "not a weights file"
        raise ValueError(f"The weights file {str(path)!r} is not a readable PyTorch file (truncated or another "
                         f"format?): {str(err).splitlines()[0] if str(err) else type(err).__name__}.") from None
    if not isinstance(obj, dict):
        raise ValueError(f"The weights file {str(path)!r} holds a {type(obj).__name__}; expected a state dict "
                         "(a mapping of parameter names to tensors).")
    return obj


def state_dict_of(obj: dict) -> dict:
    """The state dict inside a checkpoint (``state_dict``/``model`` keys, DataParallel prefixes removed)."""
    for key in ("state_dict", "model_state_dict", "model"):
        if key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            break
    if obj and all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def load_state_file(module, path, *, model_name: str) -> dict:
    """Load a state-dict file into ``module`` strictly; return the whole checkpoint object."""
    obj = read_state_file(path)
    state = state_dict_of(obj)
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}" for k in own
              if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing key(s), e.g. {missing[:3]}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s), e.g. {unexpected[:3]}")
        if shapes:
            parts.append(f"{len(shapes)} shape mismatch(es), e.g. {shapes[:2]}")
        raise ValueError(f"The weights file {str(path)!r} does not fit the architecture {model_name!r}: "
                         f"{'; '.join(parts)}. Check the model name and its options (e.g. num_classes).")
    module.load_state_dict(state, strict=True)
    logger.info("Loaded weights for %s from %s", model_name, path)
    return obj
