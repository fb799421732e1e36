"""``predict``: a model's own outputs on stimuli, as what (labels, scores) and where (boxes, masks, keypoints)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._utils.checks import check_positive_int
from .._utils.progress import progress_bar
from .batches import StimulusSource, first_tensor, prepared

WHAT_COLUMNS = ["stimulus_id", "rank", "label", "class_index", "score"]
WHERE_COLUMNS = ["stimulus_id", "instance", "label", "class_index", "score", "bbox_x0", "bbox_y0", "bbox_x1",
                 "bbox_y1", "x", "y", "size", "area"]


@dataclass
class Predictions:
    """What a model says about each stimulus.

    Attributes
    ----------
    what : pandas.DataFrame
        ``stimulus_id, rank, label, class_index, score``: the top classes of each
        stimulus (softmax probability; detection score for detectors).
    where : pandas.DataFrame
        ``stimulus_id, instance, label, class_index, score, bbox_x0, bbox_y0,
        bbox_x1, bbox_y1, x, y, size, area``: one row per localised instance
        (detections, segmented regions, or the dorsal read-out of a
        TwoStreamNet). Boxes are in pixels of the original image; ``x, y`` are
        the centre as a fraction of width/height; ``area`` is the mask's share of
        the image. Columns that do not apply are NaN.
    masks : dict
        stimulus_id -> bool array (instances, H, W), rows in ``where`` order.
    keypoints : dict
        stimulus_id -> array (instances, K, 3) of (x, y, visibility) for keypoint models.
    model, family : str
    """

    what: pd.DataFrame
    where: pd.DataFrame
    masks: dict = field(default_factory=dict)
    keypoints: dict = field(default_factory=dict)
    model: str = ""
    family: str = ""


def predict(model, stimuli, *, batch_size: int = 16, device="auto", top_k: int = 5, score_threshold: float = 0.5,
            min_area: float = 0.002, progress: bool = True) -> Predictions:
    """Run a model on stimuli; documented at the public :func:`neurocompare.models.predict`."""
    import torch

    from .._utils.device import resolve_device
    from ..stimuli import StimulusSet
    from ._wrapper import ModelWrapper

    if not isinstance(model, ModelWrapper):
        raise TypeError(f"Invalid value for 'model': expected a ModelWrapper; got {type(model).__name__}.")
    if not isinstance(stimuli, StimulusSet):
        raise TypeError(f"Invalid value for 'stimuli': expected a StimulusSet; got {type(stimuli).__name__}.")
    if model.family == "gan":
        raise ValueError("Invalid value for 'model': a GAN has no class or location outputs to predict; use "
                         "neurocompare.extract on its discriminator or generator layers.")
    batch_size = check_positive_int("batch_size", batch_size)
    top_k = check_positive_int("top_k", top_k)
    dev = resolve_device(device)
    source = StimulusSource(stimuli)
    what, where, masks, kps = [], [], {}, {}
    with prepared(model.module, dev), progress_bar(len(stimuli), f"{model.name}: predicting",
                                                   enable=progress) as advance:
        for pos, inputs in source.batches(model, batch_size, 0, 0):
            if isinstance(inputs, list) and model.input_kind != "list":
                raise ValueError("The stimuli have different sizes after the model's transform; resize them first.")
            x = [t.to(dev) for t in inputs] if isinstance(inputs, list) else inputs.to(dev)
            with torch.inference_mode():
                out = model.run(x)
            ids = list(stimuli.ids[pos:pos + len(inputs)])
            sizes = [stimuli.load_image(pos + i).size for i in range(len(ids))]  # (W, H)
            if model.family == "detection":
                _detections(model, out, ids, sizes, score_threshold, top_k, what, where, masks, kps)
            elif model.family == "segmentation":
                _segments(model, out, ids, sizes, top_k, min_area, what, where, masks)
            else:
                _classes(model, out, ids, sizes, top_k, what, where)
            advance(len(ids))
    return Predictions(what=pd.DataFrame(what, columns=WHAT_COLUMNS), where=pd.DataFrame(where, columns=WHERE_COLUMNS),
                       masks=masks, keypoints=kps, model=model.name, family=model.family)


def _label(model, idx: int) -> str:
    if model.classes is not None and 0 <= idx < len(model.classes):
        return str(model.classes[idx])
    return str(idx)


def _top(model, probs, sid, top_k, rows):
    k = min(top_k, probs.shape[-1])
    vals, idx = probs.topk(k)
    for r, (v, i) in enumerate(zip(vals.tolist(), idx.tolist()), start=1):
        rows.append((sid, r, _label(model, i), i, v))


def _classes(model, out, ids, sizes, top_k, what, where):
    logits = first_tensor(out).float()
    probs = logits.softmax(-1).cpu()
    for i, sid in enumerate(ids):
        _top(model, probs[i], sid, top_k, what)
    if isinstance(out, dict) and "where" in out:
        pred = out["where"].float().cpu().numpy()
        cfg = model.config
        if "where_mean" in cfg:
            pred = pred * np.asarray(cfg["where_std"]) + np.asarray(cfg["where_mean"])
        names = cfg.get("where_targets", ["x", "y", "size"])
        for i, sid in enumerate(ids):
            vals = dict(zip(names, pred[i]))
            w, h = sizes[i]
            box = [np.nan] * 4
            if {"x", "y", "size"} <= vals.keys():
                half = vals["size"] / 2
                box = [(vals["x"] - half) * w, (vals["y"] - half) * h, (vals["x"] + half) * w, (vals["y"] + half) * h]
            top = int(probs[i].argmax())
            where.append((sid, 0, _label(model, top), top, float(probs[i, top]), *box, vals.get("x", np.nan),
                          vals.get("y", np.nan), vals.get("size", np.nan), np.nan))


def _segments(model, out, ids, sizes, top_k, min_area, what, where, masks):
    import torch
    import torch.nn.functional as F
    from scipy import ndimage

    logits = out["out"] if isinstance(out, dict) else out
    head = out.get("category") if isinstance(out, dict) else None
    builtin = model.config.get("name") == "unet"
    for i, sid in enumerate(ids):
        w, h = sizes[i]
        prob = F.interpolate(logits[i:i + 1].float(), size=(h, w), mode="bilinear", align_corners=False)
        prob = prob.softmax(1)[0].cpu()
        fg = (prob.argmax(0) != 0).numpy()
        regions, n_regions = ndimage.label(fg)
        inst = []
        for r in range(1, n_regions + 1):
            m = regions == r
            if m.mean() < min_area:
                continue
            means = prob[1:, torch.from_numpy(m)].mean(1)
            c = int(means.argmax()) + 1
            idx = c - 1 if builtin else c
            rr, cc = np.nonzero(m)
            inst.append((float(means[c - 1]), idx, m, (cc.min(), rr.min(), cc.max() + 1, rr.max() + 1)))
        inst.sort(key=lambda t: -t[0])
        for n, (score, idx, m, box) in enumerate(inst):
            cy, cx = np.argwhere(m).mean(0)
            where.append((sid, n, _label(model, idx), idx, score, *[float(b) for b in box], cx / w, cy / h,
                          np.nan, float(m.mean())))
        masks[sid] = np.stack([t[2] for t in inst]) if inst else np.zeros((0, h, w), bool)
        if head is not None:
            _top(model, head[i].float().softmax(-1).cpu(), sid, top_k, what)
        else:
            # image-level class scores: each class's share of the non-background pixels
            share = prob[1:].flatten(1).mean(1) if builtin else prob.flatten(1).mean(1)
            _top(model, share, sid, top_k, what)


def _detections(model, out, ids, sizes, thr, top_k, what, where, masks, kps):
    for i, sid in enumerate(ids):
        det = out[i]
        keep = (det["scores"] >= thr).nonzero().flatten()
        scores = det["scores"][keep].cpu()
        labels = det["labels"][keep].cpu()
        boxes = det["boxes"][keep].cpu().numpy()
        for r, (s, lab) in enumerate(zip(scores[:top_k].tolist(), labels[:top_k].tolist()), start=1):
            what.append((sid, r, _label(model, lab), lab, s))
        m = None
        if "masks" in det:
            m = (det["masks"][keep, 0] > 0.5).cpu().numpy()
            masks[sid] = m
        if "keypoints" in det:
            kps[sid] = det["keypoints"][keep].cpu().numpy()
        for n in range(len(keep)):
            x0, y0, x1, y1 = (float(v) for v in boxes[n])
            area = float(m[n].mean()) if m is not None else np.nan
            w, h = sizes[i]
            where.append((sid, n, _label(model, int(labels[n])), int(labels[n]), float(scores[n]), x0, y0, x1, y1,
                          (x0 + x1) / 2 / w, (y0 + y1) / 2 / h, np.nan, area))
