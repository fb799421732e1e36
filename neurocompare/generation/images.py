"""Image tensors of the generation code: stimulus sets in, uint8 pixels out (for use inside neurocompare)."""
from __future__ import annotations

import numpy as np

from .._utils.logging import logger


def images_tensor(stimuli, shape, *, resize: bool, param: str = "stimuli"):
    """A set's images as a float tensor (N, 3, H, W) in [-1, 1], resized to ``shape`` only when asked."""
    import numpy as np
    import torch
    from PIL import Image

    from ..stimuli import StimulusSet

    if not isinstance(stimuli, StimulusSet):
        raise TypeError(f"Invalid value for {param!r}: expected a StimulusSet; got {type(stimuli).__name__}.")
    if len(stimuli) == 0:
        raise ValueError(f"Invalid value for {param!r}: the StimulusSet is empty.")
    h, w = shape
    arrs, resized = [], {}
    for i in range(len(stimuli)):
        img = stimuli.load_image(i)
        if (img.size[1], img.size[0]) != (h, w):
            if not resize:
                raise ValueError(f"Invalid value for {param!r}: stimulus {stimuli.ids[i]!r} is "
                                 f"{img.size[1]}x{img.size[0]} but the model works on {h}x{w} images; pass "
                                 "resize=True (or image_size=...) to resize.")
            key = (img.size[1], img.size[0])
            resized[key] = resized.get(key, 0) + 1
            img = img.resize((w, h), Image.BILINEAR)
        arrs.append(np.asarray(img, dtype=np.uint8))
    if resized:
        logger.info("Resized %d images of %s (%s) to %dx%d", sum(resized.values()), param, ", ".join(f"{h}x{w} ({n})" for (h, w), n in sorted(resized.items())), h, w)
    x = torch.from_numpy(np.stack(arrs)).permute(0, 3, 1, 2).float() / 255.0
    return x * 2 - 1


def to_uint8(images) -> np.ndarray:
    """Generator output (N, C, H, W) in [-1, 1] -> uint8 (N, H, W, C), as written to PNG."""
    import torch

    x = images.detach().float().cpu() if isinstance(images, torch.Tensor) else torch.as_tensor(images).float()
    u8 = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return u8.permute(0, 2, 3, 1).numpy()
