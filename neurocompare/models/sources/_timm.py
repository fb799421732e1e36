"""timm models: ``nc.models.load("timm:convnext_tiny")``."""
from __future__ import annotations

from pathlib import Path

from . import (DOWNLOAD_ERRORS, default_layers, offline_error, preprocessing_config, seeded, weights_kind)


def load(name: str, weights, *, random_state: int, options: dict):
    import timm
    import timm.data

    from ..._utils.checks import unknown_name_error
    from .._wrapper import ModelWrapper

    prefixed = f"timm:{name}"
    arch, _, tag = name.partition(".")
    if not timm.is_model(arch):
        raise unknown_name_error("timm model", arch, timm.list_models(),
                                 hint="See timm.list_models() (e.g. timm.list_models('*vit*')).")
    kind = weights_kind(weights)
    if kind == "tag":
        model_name, wdesc = _pretrained_name(arch, tag, weights, prefixed)
        try:
            module = _create(timm, model_name, True, options, prefixed)
        except DOWNLOAD_ERRORS as err:
            raise offline_error(f"the timm weights {model_name!r}", name, err, where=_where(timm, model_name),
                                prefixed=prefixed) from err
    else:
        with seeded(random_state):
            module = _create(timm, name, False, options, prefixed)
        wdesc = f"none (random init, seed {random_state})"
        if kind == "path":
            from ..checkpoints import load_state_file

            load_state_file(module, weights, model_name=prefixed)
            wdesc = str(weights)
    module.eval()
    data_cfg = timm.data.resolve_data_config({}, model=module)
    img_size = getattr(getattr(module, "patch_embed", None), "img_size", None)
    if img_size is not None:  # a ViT built at another size: its transform follows the model, not the weights
        data_cfg["input_size"] = (3, *tuple(int(s) for s in img_size))
    transform = timm.data.create_transform(**data_cfg, is_training=False)
    tokens = _token_layout(module)
    channels_last = _channels_last_layers(module)
    layers = _default_layers(module, tokens)
    classes = _classes(timm, module)
    config = {"name": prefixed, "source": "timm", "timm_version": timm.__version__,
              "preprocessing": preprocessing_config(data_cfg), **options}
    if tokens is not None:
        config["tokens"] = tokens.to_dict()
    return ModelWrapper(module, name=prefixed, family="classification", transform=transform, default_layers=layers,
                        classes=classes, weights=wdesc, config=config, tokens=tokens, channels_last=channels_last)


def _create(timm, name, pretrained, options, prefixed):
    try:
        return timm.create_model(name, pretrained=pretrained, **options)
    except TypeError as err:
        raise TypeError(f"Invalid option(s) {sorted(options)} for {prefixed!r}: {err}. The options are passed to "
                        "timm.create_model() (e.g. num_classes, img_size for ViTs).") from None
    except (RuntimeError, ValueError) as err:
        if pretrained and "No pretrained weights" in str(err):
            raise ValueError(f"Invalid value for 'weights': timm has no pretrained weights for {prefixed!r} "
                             f"({err}).") from None
        if not pretrained:
            raise ValueError(f"Invalid option(s) for {prefixed!r}: {err}") from None
        raise


def _default_tag(arch: str, tags: list[str]) -> str:
    """timm's own default weights of ``arch`` (its pretrained config), else the first tag timm lists."""
    from timm.models import get_pretrained_cfg

    try:
        tag = getattr(get_pretrained_cfg(arch), "tag", None)
    except Exception:  # an architecture without a registered default config
        tag = None
    return tag if tag in tags else tags[0]


def _pretrained_name(arch: str, tag: str, weights: str, prefixed: str) -> tuple[str, str]:
    """The ``arch.tag`` timm downloads for ``weights`` ("DEFAULT" = the tag in the name, or timm's default)."""
    import timm

    tags = [n.partition(".")[2] for n in timm.list_pretrained(f"{arch}.*")]
    if not tags:
        raise ValueError(f"Invalid value for 'weights': timm has no pretrained weights for {arch!r}; use "
                         "weights=None (random init) or a file path.")
    if weights == "DEFAULT":
        chosen = tag or _default_tag(arch, tags)
    else:
        if tag and weights != tag:
            raise ValueError(f"Invalid value for 'weights': {prefixed!r} already names the weights {tag!r}; got "
                             f"weights={weights!r}. Pass weights='DEFAULT' with a tagged name, or drop the tag.")
        chosen = weights
    if chosen not in tags:
        from ..._utils.checks import close_matches

        close = close_matches(chosen, tags)
        raise ValueError(f"Invalid value for 'weights': expected None, 'DEFAULT', a file path or one of the timm "
                         f"weight tags of {arch!r} ({', '.join(map(repr, tags))}); got {chosen!r}."
                         + (f" Close matches: {', '.join(map(repr, close))}." if close else ""))
    return f"{arch}.{chosen}", f"{arch}.{chosen} (timm)"


def _where(timm, model_name: str) -> str:
    import torch

    try:
        cfg = timm.models.get_pretrained_cfg(model_name).to_dict()
    except Exception:  # noqa: BLE001 - only for the message
        cfg = {}
    if cfg.get("hf_hub_id"):
        hub = cfg["hf_hub_id"]
        return (f"timm reads it from the Hugging Face Hub repo {hub!r} (file model.safetensors or "
                f"pytorch_model.bin) into the Hugging Face cache ($HF_HOME/hub, now {_hf_cache()}). On a machine "
                f"with internet run `huggingface-cli download {hub}` and copy its models--{hub.replace('/', '--')} "
                "folder into that cache.")
    url = cfg.get("url") or ""
    target = Path(torch.hub.get_dir()) / "checkpoints" / (url.rsplit("/", 1)[-1] or "<file>")
    return (f"timm downloads {url or 'the file'} into the torch hub cache; copy it to {target} (set TORCH_HOME "
            "for another folder).")


def _hf_cache() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except Exception:  # noqa: BLE001 - only for the message
        return "~/.cache/huggingface/hub"


def _token_layout(module):
    from ..tokens import make_layout

    pe = getattr(module, "patch_embed", None)
    if pe is None or not hasattr(module, "num_prefix_tokens") or not hasattr(pe, "grid_size"):
        return None
    if str(getattr(pe, "output_fmt", None)).endswith("NHWC") and not getattr(module, "dynamic_img_size", False):
        return None  # Swin-like: maps, not token sequences (a dynamic-size ViT's patch embedding alone is NHWC)
    n_cls = 1 if getattr(module, "cls_token", None) is not None else 0
    n_dist = 1 if getattr(module, "dist_token", None) is not None else 0
    n_reg = int(getattr(module, "num_reg_tokens", 0) or 0)
    if n_cls + n_dist + n_reg != int(module.num_prefix_tokens):
        return None  # an arrangement we do not know: leave the tokens unlabelled
    return make_layout(n_cls=n_cls, n_distillation=n_dist, n_register=n_reg, patch_size=pe.patch_size,
                       grid=pe.grid_size)


def _channels_last_layers(module) -> list[str]:
    """Swin's patch embedding, stages, blocks and final norm give (N, H, W, C) maps; so does a dynamic-size ViT's
    patch embedding (``dynamic_img_size=True``)."""
    if getattr(module, "dynamic_img_size", False) and str(getattr(getattr(module, "patch_embed", None),
                                                                  "output_fmt", None)).endswith("NHWC"):
        return ["patch_embed"]
    if "swin" not in type(module).__name__.lower():
        return []
    out = []
    for n, _ in module.named_modules():
        parts = n.split(".")
        if n in ("patch_embed", "norm") or (parts[0] == "layers" and (len(parts) == 2 or
                                             (len(parts) == 3 and parts[2] in ("downsample", "blocks")) or
                                             (len(parts) == 4 and parts[2] == "blocks"))):
            out.append(n)
    return out


def _default_layers(module, tokens) -> list[str]:
    names = {n for n, _ in module.named_modules()}
    if {"layer1", "layer2", "layer3", "layer4"} <= names:  # ResNet-like
        return [n for n in ("maxpool", "layer1", "layer2", "layer3", "layer4", "global_pool", "fc") if n in names]
    return default_layers(module)


def _classes(timm, module):
    if getattr(module, "num_classes", None) != 1000:
        return None
    try:
        from timm.data import ImageNetInfo

        return list(ImageNetInfo().label_descriptions())
    except Exception:  # noqa: BLE001 - class names are optional
        return None
