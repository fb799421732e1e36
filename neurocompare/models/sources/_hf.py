"""Hugging Face vision models: ``nc.models.load("hf:facebook/dinov2-small")``.

The name after ``hf:`` is a Hub repo id (``facebook/dinov2-small``), a local
folder holding ``config.json`` (as written by ``save_pretrained`` or
``huggingface-cli download``), or a transformers model type (``vit``,
``dinov2``, ``dinov2_with_registers``, ``deit``, ``convnext``, ...), which builds
that type's default configuration; ``**options`` set configuration fields
(``hidden_size=64, num_hidden_layers=2``) in every case. The module is the bare
``AutoModel`` (no task head): its outputs are representations.
"""
from __future__ import annotations

from pathlib import Path

from . import DOWNLOAD_ERRORS, default_layers, offline_error, seeded, weights_kind

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def load(name: str, weights, *, random_state: int, options: dict):
    import transformers
    from transformers import AutoModel

    from .._wrapper import ModelWrapper

    prefixed = f"hf:{name}"
    where, config = _config(transformers, name, options, prefixed)
    kind = weights_kind(weights)
    if kind == "tag":
        if weights != "DEFAULT":
            raise ValueError(f"Invalid value for 'weights': a Hugging Face model has one set of weights, its "
                             f"repo's; expected None (random init), 'DEFAULT' or a file path; got {weights!r}.")
        if where == "type":
            raise ValueError(f"Invalid value for 'weights': {prefixed!r} is a model type built from its default "
                             "config, which has no pretrained weights; use a repo id (e.g. "
                             "'hf:facebook/dinov2-small') or a local folder for weights='DEFAULT'.")
        try:
            module = AutoModel.from_pretrained(name, config=config)
        except DOWNLOAD_ERRORS as err:
            raise offline_error("the Hugging Face weights", name, err, where=_where_msg(name), prefixed=prefixed) \
                from err
        wdesc = f"{name} (Hugging Face)"
    else:
        with seeded(random_state):
            module = AutoModel.from_config(config)
        wdesc = f"none (random init, seed {random_state})"
        if kind == "path":
            from ..checkpoints import load_state_file

            load_state_file(module, weights, model_name=prefixed)
            wdesc = str(weights)
    module.eval()
    transform, pre_cfg = _transform(name, where, config)
    tokens = _token_layout(module, config)
    cfg = {"name": prefixed, "source": "hf", "transformers_version": transformers.__version__,
           "model_type": config.model_type, "preprocessing": pre_cfg, **options}
    if tokens is not None:
        cfg["tokens"] = tokens.to_dict()
    return ModelWrapper(module, name=prefixed, family="classification", transform=transform,
                        default_layers=_default_layers(module), weights=wdesc, config=cfg, tokens=tokens)


def _config(transformers, name: str, options: dict, prefixed: str):
    """``(where, config)``: where is ``"dir"``, ``"type"`` or ``"hub"``."""
    from transformers import AutoConfig

    if Path(name).is_dir():
        if not (Path(name) / "config.json").is_file():
            raise FileNotFoundError(f"Invalid value for 'name': the folder {name!r} has no config.json; expected a "
                                    "folder written by save_pretrained() or huggingface-cli download.")
        return "dir", AutoConfig.from_pretrained(name, **options)
    if "/" not in name:
        mapping = transformers.CONFIG_MAPPING
        if name not in mapping:
            from ..._utils.checks import unknown_name_error

            raise unknown_name_error("Hugging Face model type", name, sorted(mapping.keys()),
                                     hint="Use a model type (e.g. 'hf:vit', 'hf:dinov2'), a Hub repo id "
                                          "('hf:facebook/dinov2-small') or a local folder.")
        return "type", mapping[name](**options)
    try:
        return "hub", AutoConfig.from_pretrained(name, **options)
    except DOWNLOAD_ERRORS as err:
        raise FileNotFoundError(
            f"The Hugging Face config of {prefixed!r} could not be found: it is not in the local cache and this "
            f"machine seems to be offline ({type(err).__name__}). On a machine with internet run "
            f"`huggingface-cli download {name}` and copy the models--{name.replace('/', '--')} folder into "
            "$HF_HOME/hub (the Hugging Face cache), or save it to a folder and load 'hf:/path/to/folder'. For a "
            "randomly initialised network of the same kind without any file, use its model type, e.g. "
            "'hf:dinov2' with options such as hidden_size=384, num_hidden_layers=12, num_attention_heads=6.") \
            from None


def _where_msg(name: str) -> str:
    return (f"The weights are read from the Hugging Face Hub repo {name!r} into the Hugging Face cache "
            f"($HF_HOME/hub). On a machine with internet run `huggingface-cli download {name}` and copy its "
            f"models--{name.replace('/', '--')} folder into that cache, or save it to a folder and load "
            "'hf:/path/to/folder'.")


class _ProcessorTransform:
    """PIL image -> (3, H, W) tensor through a Hugging Face image processor."""

    def __init__(self, processor):
        self.processor = processor

    def __call__(self, image):
        return self.processor(images=image.convert("RGB"), return_tensors="pt")["pixel_values"][0]

    def __repr__(self) -> str:
        return f"HFImageProcessor({type(self.processor).__name__})"


def _transform(name: str, where: str, config):
    """The repo's image processor where it is available offline, else ImageNet preprocessing at the config size."""
    if where != "type":
        try:
            from transformers import AutoImageProcessor

            proc = AutoImageProcessor.from_pretrained(name, local_files_only=True)
            d = proc.to_dict()
            keep = ("image_processor_type", "size", "crop_size", "do_resize", "do_center_crop", "image_mean",
                    "image_std", "resample")
            return _ProcessorTransform(proc), {"kind": "hf_image_processor",
                                               **{k: d[k] for k in keep if k in d}}
        except (OSError, ValueError, KeyError):
            pass
    from torchvision.transforms._presets import ImageClassification

    size = getattr(config, "image_size", 224)
    size = int(size[0] if isinstance(size, (tuple, list)) else size)
    resize = round(size * 256 / 224)
    return (ImageClassification(crop_size=size, resize_size=resize, mean=IMAGENET_MEAN, std=IMAGENET_STD),
            {"kind": "imagenet_fallback", "resize_size": resize, "crop_size": size, "mean": list(IMAGENET_MEAN),
             "std": list(IMAGENET_STD), "note": "no image processor available offline; config.image_size with "
                                                "ImageNet mean/std"})


def _token_layout(module, config):
    from ..tokens import make_layout

    emb = getattr(module, "embeddings", None)
    if emb is None or getattr(emb, "cls_token", None) is None or not hasattr(config, "patch_size"):
        return None
    n_dist = 1 if getattr(emb, "distillation_token", None) is not None else 0
    n_reg = int(getattr(config, "num_register_tokens", 0) or 0) if getattr(emb, "register_tokens", None) is not None \
        else 0
    size = getattr(config, "image_size", 224)
    size = size if isinstance(size, (tuple, list)) else (size, size)
    patch = config.patch_size if isinstance(config.patch_size, (tuple, list)) else (config.patch_size,) * 2
    grid = (int(size[0]) // int(patch[0]), int(size[1]) // int(patch[1]))
    return make_layout(n_cls=1, n_distillation=n_dist, n_register=n_reg, patch_size=patch, grid=grid)


def _default_layers(module) -> list[str]:
    names = {n for n, _ in module.named_modules()}
    for blocks in ("encoder.layer", "encoder.layers", "encoder.stages"):
        found = sorted((n for n in names if n.startswith(blocks + ".") and n.count(".") == blocks.count(".") + 1),
                       key=lambda n: int(n.rsplit(".", 1)[1]))
        if found:
            return [n for n in ("embeddings", *found, "layernorm", "pooler") if n in names]
    return default_layers(module)
