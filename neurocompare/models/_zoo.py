"""The model zoo: torchvision classifiers, segmenters and detectors, and the built-in nets."""
from __future__ import annotations

from functools import partial
import pandas as pd

from .._utils.checks import unknown_name_error
from .._utils.logging import logger
from ._streams import detection_stream, segmentation_stream
from ._weights import torchvision_weights
from ._wrapper import FAMILIES, ModelWrapper

#: Classifiers listed by ``list_models`` (any torchvision classifier name also loads).
CLASSIFIERS = ("alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v3_large", "efficientnet_b0", "vit_b_16")
SEGMENTERS = ("fcn_resnet50", "deeplabv3_resnet50", "lraspp_mobilenet_v3_large")
DETECTORS = ("fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn")
BUILTINS = ("smallcnn", "twostreamnet", "onestreamnet", "unet", "dcgan")

_CLASSIFIER_DEFAULT_LAYERS = {
    "alexnet": ["features.1", "features.4", "features.7", "features.9", "features.11", "classifier.2",
                "classifier.5", "classifier.6"],
    "vgg16": ["features.4", "features.9", "features.16", "features.23", "features.30", "classifier.1",
              "classifier.4", "classifier.6"],
    "mobilenet_v3_large": ["features.3", "features.6", "features.12", "features.16", "avgpool", "classifier.3"],
    "efficientnet_b0": [f"features.{i}" for i in range(1, 9)] + ["avgpool", "classifier.1"],
    "vit_b_16": ["conv_proj"] + [f"encoder.layers.encoder_layer_{i}" for i in range(12)] + ["encoder.ln", "heads.head"],
}
_RESNET_LAYERS = ["maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]
_SEG_MASK_LAYERS = {
    "lraspp": ("classifier", "classifier.low_classifier", "classifier.high_classifier"),
    "default": ("classifier", "classifier.4", "aux_classifier", "aux_classifier.4"),
}
_DET_DEFAULT_LAYERS = ["backbone.body.layer1", "backbone.body.layer2", "backbone.body.layer3", "backbone.body.layer4",
                       "backbone.fpn", "rpn.head.cls_logits", "rpn.head.bbox_pred", "roi_heads.box_head",
                       "roi_heads.box_predictor.cls_score", "roi_heads.box_predictor.bbox_pred",
                       "roi_heads.mask_predictor", "roi_heads.keypoint_predictor",
                       "head.classification_head", "head.regression_head"]
#: Modules of detectors whose outputs are not per-image tensors (image lists, anchors, proposal lists).
_DET_EXCLUDE = ("transform", "rpn.anchor_generator", "anchor_generator", "rpn", "roi_heads")


def _tv():
    import torchvision.models as M

    return M


def _torchvision_family(name: str) -> str | None:
    M = _tv()
    if name in M.list_models(module=M.segmentation):
        return "segmentation"
    if name in M.list_models(module=M.detection):
        return "detection"
    if name in M.list_models(module=M.video) or name in M.list_models(module=M.optical_flow) or \
            name in M.list_models(module=M.quantization):
        return None
    if name in M.list_models(module=M):
        return "classification"
    return None


def list_models() -> pd.DataFrame:
    """The models ``load`` knows, one row each: ``name, family, source, description``.

    Every classification, segmentation and detection model of
    ``torchvision.models`` loads by its torchvision name; the table lists the
    ones the documentation covers, the built-in nets, and examples of the
    other sources, named ``"<source>:<name>"``: ``timm:`` (any name of
    ``timm.list_models()``), ``openclip:`` (``open_clip.list_models()``) and
    ``hf:`` (a Hugging Face repo id, local folder or model type). Each source
    needs its optional extra (``pip install "neurocompare[timm]"``, ``[clip]``,
    ``[hf]``).
    """
    rows = [{"name": n, "family": "classification", "source": "torchvision", "description": "ImageNet classifier"}
            for n in CLASSIFIERS]
    rows += [{"name": n, "family": "segmentation", "source": "torchvision",
              "description": "COCO/VOC semantic segmentation"} for n in SEGMENTERS]
    rows += [{"name": n, "family": "detection", "source": "torchvision",
              "description": "COCO R-CNN detector (pass min_size= to run on a CPU)"} for n in DETECTORS]
    rows += [
        {"name": "smallcnn", "family": "classification", "source": "builtin",
         "description": "4-block CNN classifier (one pathway)"},
        {"name": "twostreamnet", "family": "classification", "source": "builtin",
         "description": "shared stem + ventral (category) and dorsal (x, y, size) branches"},
        {"name": "onestreamnet", "family": "classification", "source": "builtin",
         "description": "one shared trunk + category and location heads (parameter-matched to twostreamnet)"},
        {"name": "unet", "family": "segmentation", "source": "builtin",
         "description": "small U-Net segmenter with an image-level category head"},
        {"name": "dcgan", "family": "gan", "source": "builtin", "description": "DCGAN generator/discriminator pair"},
    ]
    from .sources import source_rows

    rows += source_rows()
    return pd.DataFrame(rows)


def load(name: str, weights=None, *, random_state: int = 0, train_if_missing: bool = False, resize=None,
         **options) -> ModelWrapper:
    """Load a model by name.

    Parameters
    ----------
    name : str
        A torchvision classification, segmentation or detection model name
        (``"resnet18"``, ``"fcn_resnet50"``, ``"maskrcnn_resnet50_fpn"``, ...) or a
        built-in net (``"smallcnn"``, ``"twostreamnet"``, ``"onestreamnet"``, ``"unet"``, ``"dcgan"``),
        or ``"<source>:<name>"`` for another library: ``"timm:convnext_tiny"``,
        ``"openclip:ViT-B-32"``, ``"hf:facebook/dinov2-small"`` (also a local
        folder, or a transformers model type such as ``"hf:dinov2"``). See
        :func:`list_models` and the models page of the documentation.
    weights : None, str or path-like
        ``None``: random initialisation, seeded by ``random_state``.
        ``"DEFAULT"`` (or a torchvision weight name such as ``"IMAGENET1K_V1"``):
        pretrained torchvision weights, downloaded once into the torch hub cache;
        offline, the error says where to put the file. For ``timm:`` and
        ``openclip:`` a weight tag of that source (``"laion2b_s34b_b79k"``,
        timm's ``"lvd142m"``) or ``"DEFAULT"``; for ``hf:`` ``"DEFAULT"`` (the
        repo's weights); they download into the source's own cache
        (``TORCH_HOME``, ``HF_HOME``).
        A path to a ``.pth``/``.pt`` file: a state dict, loaded with
        ``torch.load(weights_only=True)``.
        ``"whatwhere"`` (built-in nets but the DCGAN): the net trained on the
        default what/where stimuli, read from the cache of :func:`train`. Loading
        never trains: if it is not cached yet the error gives the ``train`` call
        to make, unless ``train_if_missing`` is true.
    random_state : int
        Seed for random initialisation (and of the training for ``"whatwhere"``).
    train_if_missing : bool
        With ``weights="whatwhere"``: train (and cache) the net when it is not
        cached yet, instead of raising an error. Ignored otherwise.
    resize : None, int or (int, int)
        A fixed input size for every family: each image is first resized to
        exactly ``(height, width)`` pixels (bilinear, antialiased; an int is a
        square; the aspect ratio is not kept), then goes through the model's own
        transform. Use it when the images have different sizes and the model
        keeps them (segmenters, detectors, ``resize_size`` presets): the inputs
        can then be stacked into one batch. For a classifier the preset's own
        resize and centre crop follow, so the net still sees its crop (224 px),
        of the whole stretched image when ``resize`` is square. Recorded in
        ``model.config["resize"]``. Default None: the model's transform only.
    **options
        Passed to the builder. Detectors take ``min_size``/``max_size`` (e.g.
        ``min_size=224`` to run on a CPU). Segmenters take ``resize_size`` for
        their preprocessing (default 520). Built-in nets take ``n_classes``,
        ``width``, ``image_size`` (and ``n_where``, ``latent_dim``). Models of
        other sources pass them to ``timm.create_model`` (e.g. ``img_size``),
        ``open_clip.create_model_and_transforms`` (e.g. ``force_image_size``) or
        the Hugging Face config (e.g. ``hidden_size``). ``openclip:`` models
        also take ``labels=[...]`` (and ``templates=[...]``, default
        ``["a photo of a {}."]``): the model is then a zero-shot classifier with
        one output per label (``logit_scale * cosine`` of the image embedding
        and the label's prompt embedding; several templates are averaged) and
        ``model.classes == labels``, so ``behavior.model_trials``,
        ``predict`` and CAM targets by label work as for any classifier; its
        layers are named ``visual.<layer>``.

    Returns
    -------
    ModelWrapper
    """
    if not isinstance(name, str):
        raise TypeError(f"Invalid value for 'name': expected a model name (str); got {type(name).__name__}. "
                        "To wrap your own nn.Module use neurocompare.models.wrap(module).")
    from .resizing import apply_resize, check_resize
    from .sources import load_from_source, split_name

    size = check_resize(resize)
    source, rest = split_name(name)
    if source is not None:
        return apply_resize(load_from_source(source, rest, weights, random_state=random_state, options=options),
                            size)
    key = name.lower()
    if key in BUILTINS:
        return apply_resize(_load_builtin(key, weights, random_state=random_state, train_if_missing=train_if_missing,
                                          options=options), size)
    family = _torchvision_family(name)
    if family is None:
        M = _tv()
        known = M.list_models(module=M) + M.list_models(module=M.segmentation) + M.list_models(module=M.detection)
        known += list(BUILTINS)
        raise unknown_name_error("model", name, sorted(set(known)), hint="See neurocompare.models.list_models().")
    if family == "segmentation" and size is not None and options.get("resize_size") is None:
        options = {**options, "resize_size": min(size)}  # the preset then keeps the size asked for
    return apply_resize(_load_torchvision(name, family, weights, random_state=random_state, **options), size)


def _load_builtin(key: str, weights, *, random_state: int, train_if_missing: bool, options: dict) -> ModelWrapper:
    from .checkpoints import is_path

    if weights is None:
        from .building import build_random

        return build_random(key, random_state=random_state, **options)
    if isinstance(weights, str) and weights == "whatwhere":
        from .training import load_whatwhere

        return load_whatwhere(key, random_state=random_state, train_if_missing=train_if_missing, options=options)
    if is_path(weights):
        from .checkpoints import load_checkpoint

        return load_checkpoint(key, weights, **options)
    raise ValueError(f"Invalid value for 'weights': the built-in net {key!r} takes None (random init), 'whatwhere' "
                     f"(trained on the default stimuli) or the path of a saved checkpoint; got {weights!r}. "
                     "Built-in nets have no downloadable weights.")


def _load_torchvision(name: str, family: str, weights, *, random_state: int, **options) -> ModelWrapper:
    M = _tv()
    wenum = M.get_model_weights(name)
    default_w = wenum.DEFAULT
    meta_classes = list(default_w.meta.get("categories", []) or [])
    resize_size = options.pop("resize_size", None)
    build_opts = dict(options)
    if family in ("segmentation", "detection") and "weights_backbone" not in build_opts:
        build_opts["weights_backbone"] = None
    if family == "detection":
        build_opts.setdefault("min_size", 800)
        build_opts.setdefault("max_size", max(1333, build_opts["min_size"]))
    builder = partial(M.get_model, name)
    module, wdesc = torchvision_weights(name, builder, wenum, weights, random_state=random_state, options=build_opts)
    n_out = _n_outputs(module, family)
    classes = meta_classes if meta_classes and (n_out is None or n_out == len(meta_classes)) else None
    if family == "classification":
        transform = default_w.transforms()
        layers = _CLASSIFIER_DEFAULT_LAYERS.get(name)
        if layers is None and name.startswith(("resnet", "resnext", "wide_resnet")):
            layers = _RESNET_LAYERS
        if layers is None:
            layers = _stage_layers(module)
        return ModelWrapper(module, name=name, family=family, transform=transform, default_layers=layers,
                            classes=classes, weights=wdesc, config={"name": name, **options})
    if family == "segmentation":
        from torchvision.transforms._presets import SemanticSegmentation

        transform = SemanticSegmentation(resize_size=resize_size) if resize_size else default_w.transforms()
        mask_layers = _SEG_MASK_LAYERS["lraspp" if name.startswith("lraspp") else "default"]
        stream_fn = partial(segmentation_stream, mask_layers=mask_layers)
        if name.startswith("lraspp"):
            layers = ["backbone.1", "backbone.3", "backbone.6", "backbone.12", "backbone.16", "classifier.cbr",
                      "classifier.scale", "classifier.low_classifier", "classifier.high_classifier"]
        else:
            head = ["classifier.0", "classifier.3", "classifier.4"] if "deeplab" in name else \
                ["classifier.2", "classifier.4"]
            layers = ["backbone.layer1", "backbone.layer2", "backbone.layer3", "backbone.layer4", *head]
        return ModelWrapper(module, name=name, family=family, transform=transform, stream_fn=stream_fn,
                            default_layers=layers, classes=classes, weights=wdesc,
                            config={"name": name, "resize_size": resize_size, **options})
    transform = default_w.transforms()
    names = {n for n, _ in module.named_modules()}
    layers = [n for n in _DET_DEFAULT_LAYERS if n in names]
    return ModelWrapper(module, name=name, family="detection", transform=transform, stream_fn=detection_stream,
                        default_layers=layers, classes=classes, weights=wdesc, input_kind="list",
                        exclude=_DET_EXCLUDE, config={"name": name, **options})


def _stage_layers(module) -> list[str]:
    """Top-level children, with a ``features``/``layers``/``blocks`` Sequential expanded into its stages."""
    import torch

    out = []
    for name, child in module.named_children():
        if name in ("features", "layers", "blocks", "stages") and isinstance(child, torch.nn.Sequential):
            out += [f"{name}.{sub}" for sub, _ in child.named_children()]
        else:
            out.append(name)
    return out


def _n_outputs(module, family: str) -> int | None:
    import torch

    if family == "detection":
        pred = getattr(getattr(module, "roi_heads", None), "box_predictor", None)
        return getattr(getattr(pred, "cls_score", None), "out_features", None)
    last = None
    for m in module.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            last = m
    if last is None:
        return None
    return last.out_features if isinstance(last, torch.nn.Linear) else last.out_channels


def wrap(module, *, name: str | None = None, family: str = "classification", transform=None, streams=None,
         default_layers=None, classes=None, input_size: int = 224, weights: str = "user",
         resize=None) -> ModelWrapper:
    """Wrap your own ``nn.Module`` so every neurocompare function can use it.

    The module is not copied or changed.

    Parameters
    ----------
    module : torch.nn.Module
    name : str, optional
        Defaults to the class name, lower-cased.
    family : {"classification", "segmentation", "detection", "gan"}
    transform : callable, optional
        PIL image -> tensor. Default: resize the shorter side to
        ``round(input_size * 256 / 224)``, centre-crop ``input_size`` and normalise
        with the ImageNet mean and std (torchvision's classifier preprocessing).
    streams : dict, optional
        layer -> ``"shared" | "what" | "where"``; unlisted layers are ``"shared"``.
    default_layers : list of str, optional
        Layers extracted by default (default: the top-level children).
    classes : list of str, optional
    input_size : int
        Crop size of the default transform.
    weights : str
        A description of the weights, stored in provenance.
    resize : None, int or (int, int)
        Resize each image to exactly ``(height, width)`` pixels (bilinear,
        antialiased; an int is a square) before ``transform``, as in
        :func:`load`. Recorded in ``config["resize"]``.

    Returns
    -------
    ModelWrapper
    """
    from .resizing import apply_resize, check_resize

    if family not in FAMILIES:
        from .._utils.checks import check_option

        check_option("family", family, FAMILIES)
    size = check_resize(resize)
    if transform is None:
        from torchvision.transforms._presets import ImageClassification

        transform = ImageClassification(crop_size=input_size, resize_size=round(input_size * 256 / 224))
        logger.info("wrap(): using ImageNet preprocessing (resize, %d px centre crop, normalise)", input_size)
    stream_map = dict(streams or {})
    wrapper = ModelWrapper(module, name=name or type(module).__name__.lower(), family=family, transform=transform,
                           streams=stream_map, default_layers=default_layers, classes=classes, weights=weights,
                           input_kind="list" if family == "detection" else "tensor")
    return apply_resize(wrapper, size)


__all__ = ["load", "wrap", "list_models"]
