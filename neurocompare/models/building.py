"""Building the built-in nets from their checked options and wrapping them.

For use inside neurocompare (models, generation); users call :func:`neurocompare.models.load`.
"""
from __future__ import annotations

from .._utils.random import torch_seed
from ._wrapper import ModelWrapper
from .specs import DEFAULT_LAYERS, FAMILY, STREAM_FN, builtin_transform, check_options


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
    """The ModelWrapper of a built-in net (stream map, default layers, transform, config for provenance)."""
    config = {"name": key, **cfg, **(extra or {})}
    if key == "onestreamnet":  # derived sizes, recorded for provenance (rebuilt from the options on load)
        config.update(trunk_width=module.trunk_width, where_hidden=module.where_hidden)
    wrapper = ModelWrapper(module, name=key, family=FAMILY[key], transform=builtin_transform(cfg["image_size"]),
                           stream_fn=STREAM_FN[key], default_layers=DEFAULT_LAYERS[key], classes=classes,
                           weights=weights, config=config)
    if key == "dcgan":
        from ._builtin import dcgan_depth

        n_up = dcgan_depth(cfg["image_size"])
        wrapper.latent_default_layers = [f"generator.net.relu{i}" for i in range(n_up)] + ["generator.net.tanh"]
    return wrapper


def build_random(key: str, *, random_state: int = 0, **options) -> ModelWrapper:
    """A randomly initialised built-in net, seeded by ``random_state``."""
    cfg = check_options(key, options)
    with torch_seed(random_state):
        module = build_module(key, cfg)
    return make_wrapper(key, module, cfg, weights=f"none (random init, seed {random_state})")
