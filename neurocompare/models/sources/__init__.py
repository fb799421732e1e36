"""Models from other libraries, loaded as ``"<source>:<name>"``: timm, OpenCLIP and Hugging Face.

Each source lives in its own module, imported only when a name with its prefix
is loaded; its package is an optional extra (``pip install "neurocompare[timm]"``,
``[clip]``, ``[hf]``, or ``[all]``).
"""
from __future__ import annotations

import importlib

#: prefix -> (module in this package, package imported, pip extra, what it offers)
SOURCES = {
    "timm": ("._timm", "timm", "timm", "timm.list_models(): ConvNeXt, ViT, DeiT, Swin, EfficientNet, DINO/DINOv2, ..."),
    "openclip": ("._openclip", "open_clip", "clip", "open_clip.list_models(): CLIP image towers (ViT, ResNet)"),
    "hf": ("._hf", "transformers", "hf", "Hugging Face vision models: a repo id, a local folder or a model type"),
}


def split_name(name: str) -> tuple[str | None, str]:
    """``"timm:convnext_tiny"`` -> ``("timm", "convnext_tiny")``; a plain name -> ``(None, name)``.

    An unknown prefix raises a KeyError listing close matches among ``timm:``, ``openclip:``, ``hf:``.
    """
    if ":" not in name:
        return None, name
    prefix, _, rest = name.partition(":")
    key = prefix.strip().lower()
    if key not in SOURCES:
        from ..._utils.checks import _MessageKeyError, close_matches

        close = close_matches(key, list(SOURCES), n=3)
        hint = f" Did you mean {', '.join(repr(c + ':' + rest) for c in close)}?" if close else ""
        raise _MessageKeyError(f"Unknown model source {prefix + ':'!r} in {name!r}: expected one of "
                        f"{', '.join(repr(s + ':') for s in SOURCES)} followed by a model name, or a plain "
                        f"torchvision/built-in name.{hint}")
    if not rest.strip():
        raise ValueError(f"Invalid value for 'name': {name!r} names the source {key!r} but no model; e.g. "
                         f"{_EXAMPLES[key]!r}.")
    return key, rest.strip()


_EXAMPLES = {"timm": "timm:convnext_tiny", "openclip": "openclip:ViT-B-32", "hf": "hf:facebook/dinov2-small"}


def require(package: str, extra: str):
    """Import ``package``; if it is missing, an ImportError naming the pip command."""
    try:
        return importlib.import_module(package)
    except ImportError as err:
        raise ImportError(f"Loading this model needs the optional package {package!r}, which is not installed "
                          f"({err}). Install it with: pip install \"neurocompare[{extra}]\" (or "
                          "\"neurocompare[all]\" for timm, OpenCLIP and Hugging Face).") from err


def load_from_source(source: str, name: str, weights, *, random_state: int, options: dict):
    """Build the ModelWrapper of ``name`` from ``source`` (see :func:`neurocompare.models.load`)."""
    module_name, package, extra, _ = SOURCES[source]
    require(package, extra)
    mod = importlib.import_module(module_name, __name__)
    return mod.load(name, weights, random_state=random_state, options=dict(options))


def source_rows() -> list[dict]:
    """Rows for :func:`neurocompare.models.list_models` (examples; nothing is imported)."""
    examples = [
        ("timm:convnext_tiny", "timm", "ConvNeXt (stages)"),
        ("timm:resnet50", "timm", "ResNet (layer1-4)"),
        ("timm:vit_small_patch16_224", "timm", "ViT (blocks; class token + patch grid)"),
        ("timm:deit_small_distilled_patch16_224", "timm", "DeiT (class + distillation token)"),
        ("timm:vit_small_patch14_dinov2", "timm", "DINOv2 ViT (weights='lvd142m')"),
        ("timm:vit_small_patch14_reg4_dinov2", "timm", "DINOv2 ViT with 4 register tokens"),
        ("timm:swin_tiny_patch4_window7_224", "timm", "Swin (stages, channels-last maps)"),
        ("openclip:ViT-B-32", "openclip", "CLIP image tower (weights='laion2b_s34b_b79k', 'openai', ...)"),
        ("openclip:RN50", "openclip", "CLIP ResNet image tower"),
        ("hf:facebook/dinov2-small", "hf", "Hugging Face model by repo id (or a local folder)"),
        ("hf:vit", "hf", "Hugging Face model type with its default config (random init; options set fields)"),
    ]
    return [{"name": n, "family": "classification", "source": s,
             "description": f"{d} [pip install \"neurocompare[{SOURCES[s][2]}]\"]"} for n, s, d in examples]


def seeded(random_state):
    """The seeded-initialisation context (torch's global RNG is left alone)."""
    from ..._utils.random import torch_seed

    return torch_seed(random_state)


def weights_kind(weights) -> str:
    """``"none"``, ``"path"`` or ``"tag"``; a TypeError for anything else."""
    from ..checkpoints import is_path

    if weights is None:
        return "none"
    if is_path(weights):
        return "path"
    if isinstance(weights, str):
        return "tag"
    raise TypeError(f"Invalid value for 'weights': expected None, 'DEFAULT', a weight name or a file path; got "
                    f"{type(weights).__name__}.")


def default_layers(module) -> list[str]:
    """Top-level children with ``stages``/``layers``/``blocks``/``features`` expanded, minus Identity/Dropout."""
    import torch

    skip = (torch.nn.Identity, torch.nn.Dropout)
    out = []
    for name, child in module.named_children():
        if isinstance(child, skip):
            continue
        if name in ("features", "layers", "blocks", "stages") and isinstance(child, (torch.nn.Sequential,
                                                                                    torch.nn.ModuleList)):
            out += [f"{name}.{sub}" for sub, _ in child.named_children()]
        elif sum(1 for _ in child.parameters()) or name in ("maxpool", "global_pool", "avgpool", "pool"):
            out.append(name)
    return out


def preprocessing_config(cfg: dict) -> dict:
    """A JSON-friendly copy of a preprocessing config (tuples to lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()
            if isinstance(v, (str, int, float, bool, tuple, list, type(None)))}


DOWNLOAD_ERRORS = (OSError, ConnectionError)


def offline_error(what: str, name: str, err: Exception, *, where: str, prefixed: str):
    """A WeightsDownloadError saying what could not be fetched and where to put it."""
    from .._weights import WeightsDownloadError

    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return WeightsDownloadError(
        f"Could not download {what} for {prefixed!r} ({type(err).__name__}: {first}). This machine seems to be "
        f"offline. {where} Or pass a local state dict: neurocompare.models.load({prefixed!r}, "
        "weights='/path/to/weights.pth'). Use weights=None for a randomly initialised network.")
