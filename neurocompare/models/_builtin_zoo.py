"""Loading and saving the built-in nets."""
from __future__ import annotations

from pathlib import Path

from .._utils.checks import check_positive_int
from .._utils.random import torch_seed
from ._streams import all_shared, onestream_stream, twostream_stream, unet_stream
from ._weights import is_path, read_state_file
from ._wrapper import ModelWrapper

_OPTIONS = {
    "smallcnn": {"n_classes": 8, "width": 16, "image_size": 64},
    "twostreamnet": {"n_classes": 8, "n_where": 3, "width": 16, "image_size": 64},
    "onestreamnet": {"n_classes": 8, "n_where": 3, "width": 16, "image_size": 64},
    "unet": {"n_classes": 8, "width": 16, "image_size": 64},
    "dcgan": {"latent_dim": 64, "image_size": 64, "width": 32},
}
_DEFAULT_LAYERS = {
    "smallcnn": ["block1", "block2", "block3", "block4", "fc1", "fc"],
    "twostreamnet": ["block1", "block2", "ventral.block3", "ventral.block4", "ventral.fc", "dorsal.block3",
                     "dorsal.block4", "dorsal.fc1", "dorsal.fc"],
    "onestreamnet": ["block1", "block2", "block3", "block4", "what.flatten", "what.fc", "where.reduce", "where.fc1",
                     "where.fc"],
    "unet": ["enc1", "enc2", "enc3", "bottleneck", "classifier.fc", "dec3", "dec2", "dec1", "head"],
    "dcgan": ["discriminator.net.lrelu0", "discriminator.net.lrelu1", "discriminator.net.lrelu2",
              "discriminator.net.lrelu3", "discriminator.net.logit"],
}
_FAMILY = {"smallcnn": "classification", "twostreamnet": "classification", "onestreamnet": "classification",
           "unet": "segmentation", "dcgan": "gan"}
_STREAM_FN = {"smallcnn": all_shared, "twostreamnet": twostream_stream, "onestreamnet": onestream_stream,
              "unet": unet_stream, "dcgan": all_shared}


def builtin_transform(image_size: int):
    """Resize to ``image_size`` square, scale to [0, 1], then to [-1, 1]."""
    from torchvision import transforms as T

    return T.Compose([T.Resize((image_size, image_size)), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])


def check_options(key: str, options: dict) -> dict:
    unknown = [k for k in options if k not in _OPTIONS[key]]
    if unknown:
        raise TypeError(f"Unknown option(s) {unknown} for the built-in net {key!r}; valid options are "
                        f"{sorted(_OPTIONS[key])} (defaults {_OPTIONS[key]}).")
    cfg = {**_OPTIONS[key], **options}
    for k, v in cfg.items():
        check_positive_int(k, v, minimum=2 if k == "n_classes" else 1)
    if key in ("twostreamnet", "onestreamnet") and cfg["image_size"] % 8:
        raise ValueError(f"Invalid value for 'image_size': expected a multiple of 8 for {key!r}; got {cfg['image_size']}.")
    if key == "unet" and cfg["image_size"] % 8:
        raise ValueError(f"Invalid value for 'image_size': expected a multiple of 8 for 'unet'; got {cfg['image_size']}.")
    if key == "dcgan":
        from ._builtin import DCGAN_SIZES

        if cfg["image_size"] not in DCGAN_SIZES:
            raise ValueError(f"Invalid value for 'image_size': the DCGAN makes images of {list(DCGAN_SIZES)} pixels "
                             f"(a 4x4 seed doubled by each layer); got {cfg['image_size']}. Resize the stimuli or "
                             "pick one of those sizes.")
    return cfg


def build_module(key: str, cfg: dict, *, sizes: dict | None = None):
    """Build a built-in net from its checked options (``sizes``: a OneStreamNet's saved derived sizes)."""
    from . import _builtin as B

    if key == "smallcnn":
        return B.SmallCNN(cfg["n_classes"], width=cfg["width"])
    if key == "twostreamnet":
        return B.TwoStreamNet(cfg["n_classes"], cfg["n_where"], width=cfg["width"], image_size=cfg["image_size"])
    if key == "onestreamnet":
        sizes = {k: v for k, v in (sizes or {}).items() if k in ("trunk_width", "where_hidden")}
        return B.OneStreamNet(cfg["n_classes"], cfg["n_where"], width=cfg["width"], image_size=cfg["image_size"],
                              **sizes)
    if key == "unet":
        return B.UNet(cfg["n_classes"], width=cfg["width"])
    module = B.DCGAN(cfg["latent_dim"], image_size=cfg["image_size"], width=cfg["width"])
    B.init_dcgan_weights(module)
    return module


def make_wrapper(key: str, module, cfg: dict, *, weights: str, classes=None, extra: dict | None = None):
    config = {"name": key, **cfg, **(extra or {})}
    if key == "onestreamnet":  # derived sizes, recorded for provenance (rebuilt from the options on load)
        config.update(trunk_width=module.trunk_width, where_hidden=module.where_hidden)
    wrapper = ModelWrapper(module, name=key, family=_FAMILY[key], transform=builtin_transform(cfg["image_size"]),
                        stream_fn=_STREAM_FN[key], default_layers=_DEFAULT_LAYERS[key], classes=classes,
                        weights=weights, config=config)
    if key == "dcgan":
        from ._builtin import dcgan_depth

        n_up = dcgan_depth(cfg["image_size"])
        wrapper.latent_default_layers = [f"generator.net.relu{i}" for i in range(n_up)] + ["generator.net.tanh"]
    return wrapper


def load_builtin(key: str, weights=None, *, random_state: int = 0, **options) -> ModelWrapper:
    """Build a built-in net (see :func:`neurocompare.models.load`)."""
    if weights is None:
        cfg = check_options(key, options)
        with torch_seed(random_state):
            module = build_module(key, cfg)
        return make_wrapper(key, module, cfg, weights=f"none (random init, seed {random_state})")
    if isinstance(weights, str) and weights == "whatwhere":
        from ..stimuli import make_from_spec
        from ._train import train

        check_options(key, options)
        return train(key, make_from_spec("whatwhere-default"), random_state=random_state, options=options)
    if is_path(weights):
        return load_checkpoint(key, weights, **options)
    raise ValueError(f"Invalid value for 'weights': the built-in net {key!r} takes None (random init), 'whatwhere' "
                     f"(trained on the default stimuli) or the path of a saved checkpoint; got {weights!r}. "
                     "Built-in nets have no downloadable weights.")


def load_checkpoint(key: str, path, **options) -> ModelWrapper:
    """Load a checkpoint written by :func:`save` or :func:`train` (or a bare state dict)."""
    from ._weights import load_state_file

    obj = read_state_file(path)
    meta = obj.get("neurocompare", {}) if isinstance(obj.get("neurocompare"), dict) else {}
    if meta and meta.get("name") != key:
        raise ValueError(f"The checkpoint {str(path)!r} holds a {meta.get('name')!r}, not a {key!r}; load it with "
                         f"neurocompare.models.load({meta.get('name')!r}, weights=...).")
    saved = {k: v for k, v in meta.get("config", {}).items() if k in _OPTIONS[key]}
    clash = {k: (v, saved[k]) for k, v in options.items() if k in saved and saved[k] != v}
    if clash:
        raise ValueError(f"Options {clash} (given, saved) contradict the checkpoint {str(path)!r}; leave them out.")
    cfg = check_options(key, {**saved, **options})
    module = build_module(key, cfg, sizes=meta.get("config", {}))
    load_state_file(module, path, model_name=key)
    extra = {k: v for k, v in meta.get("config", {}).items() if k not in _OPTIONS[key] and k != "name"}
    wrapper = make_wrapper(key, module, cfg, weights=str(Path(path)), classes=meta.get("classes"), extra=extra)
    if "history" in meta:
        import pandas as pd

        wrapper.history = pd.DataFrame(meta["history"])
    return wrapper


def save(model: ModelWrapper, path, *, history=None) -> Path:
    """Save a built-in net's weights with its configuration and class names.

    The file is a plain dict (``state_dict`` plus a ``neurocompare`` entry of
    strings and numbers), so it loads with ``torch.load(weights_only=True)``
    and with ``neurocompare.models.load(name, weights=path)``.
    """
    import io

    import torch

    from .._utils.paths import atomic_write_bytes

    if not isinstance(model, ModelWrapper):
        raise TypeError(f"Invalid value for 'model': expected a ModelWrapper; got {type(model).__name__}.")
    hist = history if history is not None else getattr(model, "history", None)
    meta = {"name": model.config.get("name", model.name), "config": dict(model.config), "classes": model.classes,
            "weights": model.weights}
    if hist is not None:
        meta["history"] = {k: list(v) for k, v in hist.to_dict(orient="list").items()}
    buf = io.BytesIO()
    state = {k: v.detach().cpu() for k, v in model.module.state_dict().items()}
    torch.save({"state_dict": state, "neurocompare": meta}, buf)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)
