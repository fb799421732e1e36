"""Checkpoint files: reading state-dict files safely, and saving and loading the built-in nets.

For use inside neurocompare (models, generation, transfer, the CLI); users call
:func:`neurocompare.models.save` and :func:`neurocompare.models.load`.
"""
from __future__ import annotations

import pickle
from pathlib import Path

from .._utils.logging import logger
from ._wrapper import ModelWrapper
from .building import build_module, make_wrapper
from .specs import OPTIONS, check_options


def is_path(weights) -> bool:
    """Whether ``weights`` names a file rather than a weight tag."""
    if isinstance(weights, Path):
        return True
    return isinstance(weights, str) and (weights.endswith((".pth", ".pt", ".bin", ".ckpt")) or "/" in weights
                                         or "\\" in weights)


def read_state_file(path, *, what: str = "weights file", param: str = "weights",
                    expected: str = "None, 'DEFAULT', or the path of a saved state dict (.pth/.pt)") -> dict:
    """``torch.load(path, weights_only=True)`` with errors that say what the file is and what was expected.

    ``what`` names the file in messages (``"GAN checkpoint"``), ``param`` the parameter it came
    from, ``expected`` what should be there. Every failure to read is a ValueError (or
    FileNotFoundError) naming the file; no pickle payload is ever run.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for {param!r}: the file {str(path)!r} does not exist. Expected "
                                f"{expected}.")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head != b"PK\x03\x04" and head[:1] != b"\x80":  # torch files are zip archives (or legacy pickles)
        raise ValueError(f"The {what} {str(path)!r} is not a PyTorch file: it is neither the zip archive "
                         "torch.save writes nor a legacy pickle (an empty, truncated or other file?). Expected "
                         f"{expected}.")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        import re

        which = re.findall(r"Unsupported global: GLOBAL (\S+)", str(err))
        raise ValueError(f"The {what} {str(path)!r} holds Python objects other than tensors, so it is not loaded "
                         "(neurocompare never runs code from a file). Expected "
                         f"{expected}; re-save only the weights: torch.save(model.state_dict(), path)."
                         + (f" It holds a {which[0]}." if which else "")) from None
    except Exception as err:  # noqa: BLE001 - any failure to parse means "not such a file"
        raise ValueError(f"The {what} {str(path)!r} is not a readable PyTorch file (truncated or another "
                         f"format?): {str(err).splitlines()[0] if str(err) else type(err).__name__}. Expected "
                         f"{expected}.") from None
    if not isinstance(obj, dict):
        raise ValueError(f"The {what} {str(path)!r} holds a {type(obj).__name__}; expected {expected}.")
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


def load_checkpoint(key: str, path, **options) -> ModelWrapper:
    """Load a checkpoint written by :func:`save` or :func:`train` (or a bare state dict)."""
    obj = read_state_file(path)
    meta = obj.get("neurocompare", {}) if isinstance(obj.get("neurocompare"), dict) else {}
    if meta and meta.get("name") != key:
        raise ValueError(f"The checkpoint {str(path)!r} holds a {meta.get('name')!r}, not a {key!r}; load it with "
                         f"neurocompare.models.load({meta.get('name')!r}, weights=...).")
    saved = {k: v for k, v in meta.get("config", {}).items() if k in OPTIONS[key]}
    clash = {k: (v, saved[k]) for k, v in options.items() if k in saved and saved[k] != v}
    if clash:
        raise ValueError(f"Options {clash} (given, saved) contradict the checkpoint {str(path)!r}; leave them out.")
    cfg = check_options(key, {**saved, **options})
    module = build_module(key, cfg, sizes=meta.get("config", {}))
    load_state_file(module, path, model_name=key)
    extra = {k: v for k, v in meta.get("config", {}).items() if k not in OPTIONS[key] and k != "name"}
    wrapper = make_wrapper(key, module, cfg, weights=str(Path(path)), classes=meta.get("classes"), extra=extra)
    if "history" in meta:
        import pandas as pd

        wrapper.history = pd.DataFrame(meta["history"])
    return wrapper


def save(model: ModelWrapper, path, *, history=None) -> Path:
    """Save a built-in net's weights with its configuration and class names.

    A ``resize`` given to :func:`load` is not saved (it is preprocessing, not
    part of the net): pass it again when loading the checkpoint.

    The file is a plain dict (``state_dict`` plus a ``neurocompare`` entry of
    strings and numbers), so it loads with ``torch.load(weights_only=True)``
    and with ``neurocompare.models.load(name, weights=path)``.

    Parameters
    ----------
    model : ModelWrapper
        The net to save (it is not changed); its ``config``, ``classes`` and
        ``weights`` description are stored with the weights.
    path : path-like
        The file to write (not a folder). It is written through a temporary
        name, so a reader never sees half of it.
    history : pandas.DataFrame, optional
        A training-history table to store; default: ``model.history`` when set.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import io

    import torch

    from .._utils.paths import atomic_write_bytes

    if not isinstance(model, ModelWrapper):
        raise TypeError(f"Invalid value for 'model': expected a ModelWrapper; got {type(model).__name__}.")
    hist = history if history is not None else getattr(model, "history", None)
    # resize= is preprocessing chosen at load time, not part of the net: pass it again to load
    config = {k: v for k, v in model.config.items() if k != "resize"}
    meta = {"name": model.config.get("name", model.name), "config": config, "classes": model.classes,
            "weights": model.weights}
    if hist is not None:
        meta["history"] = {k: list(v) for k, v in hist.to_dict(orient="list").items()}
    buf = io.BytesIO()
    state = {k: v.detach().cpu() for k, v in model.module.state_dict().items()}
    torch.save({"state_dict": state, "neurocompare": meta}, buf)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)
