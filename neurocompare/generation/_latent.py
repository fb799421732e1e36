"""Generators (latent -> image) and labelers (image -> factors): the two protocols of the latent-axis tools."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: columns a traversal adds itself; never treated as decoded factors
OWN_COLUMNS = ("file", "chain", "step", "offset", "axis", "axis_coordinate")


def sample_latents(n: int, latent_dim: int, random_state) -> np.ndarray:
    """``n`` latent vectors from the standard normal prior, seeded (float32, shape (n, latent_dim))."""
    from .._utils.random import check_random_state

    return check_random_state(random_state).standard_normal((n, latent_dim)).astype(np.float32)


@dataclass
class Generator:
    """A latent -> image function with its latent size (see :func:`as_generator`)."""

    fn: Callable
    latent_dim: int
    name: str
    wrapper: object = None
    module: object = None

    def images(self, z, *, device="auto", batch_size: int = 64, advance=None) -> np.ndarray:
        """uint8 images (N, H, W, C) for latents ``z`` (N, latent_dim), exactly as saved to PNG.

        ``advance(n)`` (a progress callback), when given, is called after each batch of ``n`` images.
        """
        import contextlib

        import torch

        from .._utils.device import resolve_device
        from ..models.batches import prepared
        from .images import to_uint8

        z = torch.as_tensor(np.asarray(z, dtype=np.float32))
        dev = resolve_device(device) if self.module is not None else torch.device("cpu")
        ctx = prepared(self.module, dev) if self.module is not None else contextlib.nullcontext()
        out = []
        with ctx, torch.no_grad():
            for b in range(0, len(z), batch_size):
                x = self.fn(z[b:b + batch_size].to(dev))
                if not isinstance(x, torch.Tensor) or x.dim() != 4:
                    raise ValueError(f"Invalid value for 'generator': expected it to return an image batch "
                                     f"(N, C, H, W) in [-1, 1]; got {type(x).__name__} "
                                     f"{tuple(getattr(x, 'shape', ()))}.")
                out.append(to_uint8(x))
                if advance is not None:
                    advance(len(x))
        return np.concatenate(out)


def as_generator(generator, latent_dim: int | None = None) -> Generator:
    """Accept a GAN ModelWrapper (its ``module.generator``), an ``nn.Module`` or a callable z -> images."""
    import torch

    from ..models import ModelWrapper

    if isinstance(generator, ModelWrapper):
        if generator.family != "gan" or not hasattr(generator.module, "generator"):
            raise ValueError(f"Invalid value for 'generator': expected a GAN (family 'gan' with a .generator, e.g. "
                             f"from neurocompare.generation.train_gan); got a {generator.family!r} model "
                             f"{generator.name!r}.")
        g = generator.module.generator
        dim = latent_dim or generator.config.get("latent_dim") or getattr(g, "latent_dim", None)
        return Generator(g, int(dim), generator.name, wrapper=generator, module=generator.module)
    if isinstance(generator, torch.nn.Module) or callable(generator):
        dim = latent_dim or getattr(generator, "latent_dim", None)
        if not dim:
            raise ValueError("Invalid value for 'latent_dim': the generator has no 'latent_dim' attribute; pass "
                             "latent_dim= (the length of its latent vectors).")
        module = generator if isinstance(generator, torch.nn.Module) else None
        return Generator(generator, int(dim), getattr(generator, "name", type(generator).__name__), module=module)
    raise TypeError(f"Invalid value for 'generator': expected a GAN ModelWrapper, an nn.Module or a callable "
                    f"z -> images; got {type(generator).__name__}.")


def decode(labeler, images: np.ndarray, *, device="auto", batch_size: int = 64, advance=None) -> pd.DataFrame:
    """Run a labeler on uint8 images (N, H, W, C) and return one row of factors per image.

    The labeler protocol:

    - a ModelWrapper of a classifier (e.g. a TwoStreamNet from ``nc.models.train``):
      each image goes through its ``transform``; the columns are ``category`` (top
      class), ``p_<class>`` (softmax probabilities) and, for nets with a location
      read-out, the de-standardised ``x, y, size`` (as ``nc.models.predict`` reports them);
    - any callable taking a float tensor (N, C, H, W) in [-1, 1] and returning a
      DataFrame (or a dict of arrays) with one row per image.

    ``advance(n)`` (a progress callback), when given, is called after each batch of ``n`` images.
    """
    import pandas as pd
    import torch

    from ..models import ModelWrapper

    if isinstance(labeler, ModelWrapper):
        return _decode_model(labeler, images, device, batch_size, advance)
    if not callable(labeler):
        raise TypeError(f"Invalid value for 'labeler': expected a ModelWrapper (e.g. a trained TwoStreamNet) or a "
                        f"callable images -> DataFrame of factors; got {type(labeler).__name__}.")
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1
    parts = []
    for b in range(0, len(x), batch_size):
        out = labeler(x[b:b + batch_size])
        out = pd.DataFrame(out) if isinstance(out, dict) else out
        if not isinstance(out, pd.DataFrame) or len(out) != len(x[b:b + batch_size]):
            raise ValueError(f"Invalid value for 'labeler': expected it to return a DataFrame with one row per image "
                             f"({len(x[b:b + batch_size])} rows); got {type(out).__name__} "
                             f"with {len(out) if hasattr(out, '__len__') else '?'} rows.")
        parts.append(out.reset_index(drop=True))
        if advance is not None:
            advance(len(out))
    return pd.concat(parts, ignore_index=True)


def _decode_model(wrapper, images, device, batch_size, advance=None) -> pd.DataFrame:
    import pandas as pd
    import torch
    from PIL import Image

    from .._utils.device import resolve_device
    from ..models.batches import first_tensor, prepared

    if wrapper.family != "classification" or wrapper.transform is None:
        raise ValueError(f"Invalid value for 'labeler': a model labeler must be a classifier with a transform (e.g. "
                         f"a trained TwoStreamNet); got the {wrapper.family!r} model {wrapper.name!r}. Wrap other "
                         "read-outs in a callable images -> DataFrame.")
    dev = resolve_device(device)
    rows = []
    cfg = wrapper.config
    with prepared(wrapper.module, dev), torch.no_grad():
        for b in range(0, len(images), batch_size):
            x = torch.stack([wrapper.transform(Image.fromarray(im)) for im in images[b:b + batch_size]]).to(dev)
            out = wrapper.run(x)
            probs = first_tensor(out).float().softmax(-1).cpu().numpy()
            classes = wrapper.classes or [str(i) for i in range(probs.shape[1])]
            part = pd.DataFrame(probs, columns=[f"p_{c}" for c in classes])
            part.insert(0, "category", np.asarray(classes)[probs.argmax(1)])
            if isinstance(out, dict) and "where" in out:
                where = out["where"].float().cpu().numpy()
                if "where_mean" in cfg:
                    where = where * np.asarray(cfg["where_std"]) + np.asarray(cfg["where_mean"])
                for j, name in enumerate(cfg.get("where_targets", ["x", "y", "size"])):
                    part.insert(1 + j, name, where[:, j])
            rows.append(part)
            if advance is not None:
                advance(len(part))
    return pd.concat(rows, ignore_index=True)


def numeric_factor(labels: pd.DataFrame, name: str, *, param: str = "factors") -> np.ndarray:
    """The decoded values of one factor as float64; clear errors when it is missing or categorical."""
    import pandas as pd
    from .._utils.checks import unknown_name_error

    if name not in labels.columns:
        raise unknown_name_error(f"factor in {param!r} (the labeler does not output it)", name, list(labels.columns),
                                 hint=f"The labeler outputs exactly {list(labels.columns)}.")
    col = labels[name]
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        probs = [c for c in labels.columns if c.startswith("p_")]
        raise ValueError(f"Invalid value for {param!r}: the factor {name!r} is categorical; a latent axis needs a "
                         f"number per image. Use a class probability instead, e.g. {probs[:3] or ['p_<class>']}.")
    vals = col.to_numpy(dtype=np.float64)
    if not np.isfinite(vals).all():
        raise ValueError(f"Invalid value for {param!r}: the labeler returned NaN or infinite values for {name!r}.")
    return vals
