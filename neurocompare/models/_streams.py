"""Layer -> stream maps ("shared" / "what" / "where") for each model family.

See DESIGN.md § Streams. Every extractable layer gets exactly one stream.
"""
from __future__ import annotations

STREAMS = ("shared", "what", "where")


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def detection_stream(name: str) -> str:
    """torchvision R-CNNs: backbone and per-region box head shared; class score what; boxes, masks, keypoints where."""
    if _under(name, "roi_heads.box_predictor.cls_score"):
        return "what"
    if _under(name, "roi_heads.box_predictor.bbox_pred") or _under(name, "rpn"):
        return "where"
    for head in ("mask_roi_pool", "mask_head", "mask_predictor", "keypoint_roi_pool", "keypoint_head",
                 "keypoint_predictor"):
        if _under(name, f"roi_heads.{head}"):
            return "where"
    return "shared"


def segmentation_stream(name: str, *, mask_layers: tuple[str, ...]) -> str:
    """torchvision FCN/DeepLab/LRASPP: encoder shared, classifier head what, per-pixel mask logits where.

    ``mask_layers`` are the modules whose output is the per-pixel class logits
    (the final 1x1 convolutions and the head containers that return them).
    """
    if name in mask_layers:
        return "where"
    if _under(name, "classifier") or _under(name, "aux_classifier"):
        return "what"
    return "shared"


def unet_stream(name: str) -> str:
    """Built-in UNet: encoder shared; category head what; decoder and mask head where."""
    if _under(name, "classifier"):
        return "what"
    if name.startswith(("up", "dec", "head")):
        return "where"
    return "shared"


def twostream_stream(name: str) -> str:
    """TwoStreamNet: by construction."""
    if _under(name, "ventral"):
        return "what"
    if _under(name, "dorsal"):
        return "where"
    return "shared"


def onestream_stream(name: str) -> str:
    """OneStreamNet: the trunk is shared; the category head is what, the location head where."""
    if _under(name, "what"):
        return "what"
    if _under(name, "where"):
        return "where"
    return "shared"


def all_shared(name: str) -> str:
    """Plain classifiers and GANs: every layer is shared."""
    return "shared"
