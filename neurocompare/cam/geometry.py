"""Where an image's pixels land in the tensor the model sees (so masks and boxes line up with maps).

For use inside neurocompare (the CAM code and its plots).
"""
from __future__ import annotations

import json

import numpy as np


def transform_steps(transform) -> list | None:
    """The geometric steps of a model's preprocessing, as JSON-able ``[["resize", size], ["center_crop", [h, w]]]``.

    Known: torchvision's ``ImageClassification`` / ``SemanticSegmentation`` /
    ``ObjectDetection`` presets and ``Compose`` chains of ``Resize``,
    ``CenterCrop``, non-geometric steps (``ToTensor``, ``Normalize``, ...) and
    those presets (the ``resize=`` of :func:`neurocompare.models.load`).
    Anything else gives ``None`` (masks are then simply resized to the map).
    """
    from torchvision import transforms as T
    from torchvision.transforms import _presets as P

    if transform is None:
        return []
    if isinstance(transform, P.ImageClassification):
        return [["resize", list(transform.resize_size)], ["center_crop", list(transform.crop_size) * (
            2 if len(transform.crop_size) == 1 else 1)]]
    if isinstance(transform, P.SemanticSegmentation):
        return [["resize", list(transform.resize_size)]] if transform.resize_size else []
    if isinstance(transform, P.ObjectDetection):
        return []
    if isinstance(transform, T.Compose):
        steps = []
        for t in transform.transforms:
            if isinstance(t, T.Resize):
                steps.append(["resize", [t.size] if isinstance(t.size, int) else list(t.size)])
            elif isinstance(t, T.CenterCrop):
                steps.append(["center_crop", list(t.size)])
            elif isinstance(t, (T.ToTensor, T.Normalize, T.PILToTensor, T.ConvertImageDtype, T.Lambda, T.Grayscale)):
                continue
            elif isinstance(t, (T.Compose, P.ImageClassification, P.SemanticSegmentation, P.ObjectDetection)):
                inner = transform_steps(t)  # e.g. load(..., resize=(h, w)): a resize, then the model's preset
                if inner is None:
                    return None
                steps += inner
            else:
                return None
        return steps
    return None


def encode_steps(steps) -> str:
    return json.dumps(steps)


def to_map_grid(mask: np.ndarray, steps_json: str | None, shape: tuple[int, int]) -> np.ndarray:
    """A boolean (H, W) image-resolution mask moved onto the map grid ``shape`` through the model's geometry."""
    import torch
    from torchvision.transforms import functional as TF
    from torchvision.transforms.functional import InterpolationMode

    steps = json.loads(steps_json) if steps_json else None
    t = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.uint8))[None]
    for kind, size in steps or []:
        if kind == "resize":
            t = TF.resize(t, size if len(size) > 1 else size[0], interpolation=InterpolationMode.NEAREST,
                          antialias=False)
        elif kind == "center_crop":
            t = TF.center_crop(t, list(size))
    if tuple(t.shape[-2:]) != tuple(shape):
        t = TF.resize(t, list(shape), interpolation=InterpolationMode.NEAREST, antialias=False)
    return t[0].numpy().astype(bool)


def box_mask(row, image_size: tuple[int, int]) -> np.ndarray:
    """The ``bbox_*`` box of a stimulus as a boolean (H, W) mask at image resolution (``[x0, x1)``, ``[y0, y1)``)."""
    w, h = image_size
    m = np.zeros((h, w), bool)
    x0, y0, x1, y1 = (float(row[k]) for k in ("bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"))
    m[max(0, int(np.floor(y0))):max(0, int(np.ceil(y1))), max(0, int(np.floor(x0))):max(0, int(np.ceil(x1)))] = True
    return m


def point_map(steps_json: str | None, image_size: tuple[int, int], shape: tuple[int, int]):
    """Affine map ``(sx, sy, tx, ty)`` from image pixel coordinates to map coordinates (pixel centres kept).

    A point at column ``x`` goes to ``sx * (x + 0.5) + tx - 0.5`` (likewise for rows).
    """
    steps = json.loads(steps_json) if steps_json else []
    w, h = image_size
    sx = sy = 1.0
    tx = ty = 0.0
    for kind, size in steps:
        if kind == "resize":
            if len(size) == 1:
                short, long = (w, h) if w <= h else (h, w)
                new_short, new_long = size[0], int(size[0] * long / short)
                nw, nh = (new_short, new_long) if w <= h else (new_long, new_short)
            else:
                nh, nw = size
            fx, fy = nw / w, nh / h
            sx, sy, tx, ty = sx * fx, sy * fy, tx * fx, ty * fy
            w, h = nw, nh
        elif kind == "center_crop":
            ch, cw = size
            top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
            tx, ty = tx - left, ty - top
            w, h = cw, ch
    if (h, w) != tuple(shape):
        fx, fy = shape[1] / w, shape[0] / h
        sx, sy, tx, ty = sx * fx, sy * fy, tx * fx, ty * fy
    return sx, sy, tx, ty


def image_to_map_grid(image, steps_json: str | None, shape: tuple[int, int]) -> np.ndarray:
    """An RGB PIL image moved onto the map grid (bilinear), as a float (H, W, 3) array in [0, 1]."""
    from torchvision.transforms import functional as TF

    steps = json.loads(steps_json) if steps_json else []
    img = image
    for kind, size in steps:
        if kind == "resize":
            img = TF.resize(img, size if len(size) > 1 else size[0])
        elif kind == "center_crop":
            img = TF.center_crop(img, list(size))
    if img.size != (shape[1], shape[0]):
        img = img.resize((shape[1], shape[0]))
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def as_map_list(maps):
    """``maps`` (a CAM DataArray or a non-empty list of them) as a list; a TypeError otherwise."""
    import xarray as xr

    if isinstance(maps, xr.DataArray):
        items = [maps]
    elif isinstance(maps, (list, tuple)) and maps and all(isinstance(m, xr.DataArray) for m in maps):
        items = list(maps)
    else:
        raise TypeError("Invalid value for 'maps': expected a DataArray from neurocompare.cam.compute (or a list of "
                        f"them); got {type(maps).__name__}.")
    for m in items:
        if tuple(m.dims) != ("stimulus", "y", "x"):
            raise ValueError(f"Invalid value for 'maps': expected dims ('stimulus', 'y', 'x'); got {m.dims}.")
    return items
