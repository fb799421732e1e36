"""What a class-activation map explains: the score of one class (or any scalar) per image."""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .._utils.checks import unknown_name_error

TARGET_WORDS = ("true", "predicted")


def describe_target(target) -> str:
    """A short text for ``attrs['target']``."""
    if isinstance(target, str):
        return target
    if callable(target):
        return f"callable {getattr(target, '__name__', type(target).__name__)}"
    if isinstance(target, (numbers.Integral, np.integer)):
        return f"class {int(target)}"
    return "per-stimulus classes"


def check_target(target, n: int, *, has_stimulus_set: bool):
    """Validate the ``target`` argument's form (values are checked once the output size is known)."""
    if isinstance(target, str):
        if target not in TARGET_WORDS:
            from .._utils.checks import check_option

            check_option("target", target, TARGET_WORDS)
        if target == "true" and not has_stimulus_set:
            raise ValueError("Invalid value for 'target': 'true' reads each stimulus' category from a StimulusSet; "
                             "the stimuli are an array. Pass target='predicted', a class index or a callable.")
        return target
    if callable(target):
        return target
    if isinstance(target, bool):
        raise TypeError(f"Invalid value for 'target': expected 'true', 'predicted', an int, a sequence of ints or a "
                        f"callable; got {target!r}.")
    if isinstance(target, (numbers.Integral, np.integer)):
        return int(target)
    if isinstance(target, (Sequence, np.ndarray)) and not isinstance(target, str):
        arr = np.asarray(target)
        if arr.ndim != 1 or len(arr) != n or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"Invalid value for 'target': a sequence needs one class index (int) per stimulus "
                             f"({n}); got shape {arr.shape} of dtype {arr.dtype}.")
        return arr.astype(int)
    raise TypeError(f"Invalid value for 'target': expected 'true', 'predicted', an int, a sequence of ints or a "
                    f"callable; got {type(target).__name__}.")


def true_classes(wrapper, stimuli, positions) -> np.ndarray:
    """Each stimulus' ``category`` as an index into ``wrapper.classes`` (the model's outputs)."""
    if "category" not in stimuli.metadata.columns:
        raise ValueError("Invalid value for 'target': 'true' needs a 'category' column in the stimulus table; "
                         f"the factors are {stimuli.factors}. Pass a class index or target='predicted'.")
    if not wrapper.classes:
        raise ValueError(f"Invalid value for 'target': model {wrapper.name!r} has no class names, so the "
                         "stimuli's categories cannot be matched to its outputs. Pass class indices "
                         "(target=int or a list) or target='predicted'.")
    lookup = {str(c): i for i, c in enumerate(wrapper.classes)}
    cats = stimuli.metadata["category"].astype(str).to_numpy()[positions]
    out = []
    for c in cats:
        if c not in lookup:
            raise unknown_name_error(f"category for model {wrapper.name!r} (target='true')", c, list(lookup),
                                     hint="The model was trained on other classes; pass class indices instead.")
        out.append(lookup[c])
    return np.asarray(out, int)


def check_class_range(classes: np.ndarray, n_classes: int) -> None:
    bad = classes[(classes < 0) | (classes >= n_classes)]
    if len(bad):
        raise ValueError(f"Invalid value for 'target': class index {int(bad[0])} is out of range; the model has "
                         f"{n_classes} output classes (0 to {n_classes - 1}).")


def logits_of(out):
    """The image-level class logits of a classifier's output (tensor, or the 'what'/'category' entry of a dict)."""
    import torch

    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        for key in ("what", "category", "logits", "out"):
            if key in out:
                return out[key]
        return next(iter(out.values()))
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    raise TypeError(f"The model's output ({type(out).__name__}) holds no class logits; pass target=<callable> that "
                    "turns the output into one score per image.")


def seg_logits_of(out):
    """Per-pixel logits (N, K, H, W) of a segmenter's output."""
    if isinstance(out, dict):
        return out["out"]
    return out


class Target:
    """Scores one scalar per image from a batch of model outputs.

    ``score(out, rows)`` takes the model's output for a batch and, for each row
    of the batch, the position of the stimulus it came from (so a masked or
    ablated copy of stimulus ``i`` is scored for stimulus ``i``'s class).
    """

    def __init__(self, kind, classes=None, masks=None, fn=None, boxes=None, offset: int = 0):
        self.kind = kind            # "class" | "segment" | "callable" | "detection"
        self.classes = classes      # stimulus position -> class index (np array)
        self.masks = masks          # stimulus position -> bool mask tensor (segmentation)
        self.fn = fn
        self.boxes = boxes          # stimulus position -> (box tensor (4,), label) (detection)
        self.offset = offset        # output channel = class + offset (built-in UNet: background first)

    def score(self, out, rows):
        import torch

        rows = np.asarray(rows)
        if self.kind == "callable":
            s = self.fn(out)
            if not isinstance(s, torch.Tensor) or s.dim() != 1:
                raise ValueError("Invalid value for 'target': the callable must return a 1-d tensor with one score "
                                 f"per image; got {type(s).__name__} {tuple(getattr(s, 'shape', ()))}.")
            return s
        if self.kind == "class":
            logits = logits_of(out)
            idx = torch.as_tensor(self.classes[rows], device=logits.device)
            return logits[torch.arange(len(rows), device=logits.device), idx]
        if self.kind == "segment":
            logits = seg_logits_of(out)
            vals = []
            for b, r in enumerate(rows):
                m = self.masks[r].to(logits.device)
                vals.append((logits[b, int(self.classes[r]) + self.offset] * m).sum())
            return torch.stack(vals)
        return torch.stack([match_detection(out[b], *self.boxes[r]) for b, r in enumerate(rows)])


def match_detection(det, box, label, iou_threshold: float = 0.5):
    """Score of the detection of class ``label`` that best overlaps ``box`` (0 without one above the IoU threshold)."""
    from torchvision.ops import box_iou

    boxes, scores, labels = det["boxes"], det["scores"], det["labels"]
    keep = labels == label
    if not bool(keep.any()):
        return scores.sum() * 0
    ious = box_iou(box[None].to(boxes), boxes[keep].detach())[0]
    j = int(ious.argmax())
    if float(ious[j]) <= iou_threshold:
        return scores.sum() * 0
    return scores[keep][j]
