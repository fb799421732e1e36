"""Raw pixels as a baseline "layer"."""
from __future__ import annotations

import numpy as np


def pixels(stimuli, *, size: int | None = None, grey: bool = False):
    """The stimuli's raw pixel values as a layer DataArray ``(stimulus, unit)``: the pixel-level baseline.

    Parameters
    ----------
    stimuli : StimulusSet
    size : int, optional
        Resize every image to ``size`` x ``size`` first (needed when images differ in size).
    grey : bool
        Use luminance instead of RGB.

    Returns
    -------
    xarray.DataArray
        Values in [0, 1]; stimulus factors as coordinates; ``unit_y``, ``unit_x`` (and
        ``channel``) on ``unit``; attrs ``model="pixels"``, ``layer="pixels"``, ``stream="shared"``.
    """
    import xarray as xr
    from PIL import Image

    from .._utils.checks import check_bool, check_positive_int

    if size is not None:
        size = check_positive_int("size", size)
    grey = check_bool("grey", grey)
    imgs = []
    for i in range(len(stimuli)):
        img = stimuli.load_image(i, mode="L" if grey else "RGB")
        if size is not None:
            img = img.resize((size, size), Image.BILINEAR)
        imgs.append(np.asarray(img, dtype=np.float32) / 255.0)
    shapes = {im.shape for im in imgs}
    if len(shapes) > 1:
        raise ValueError(f"The images have different sizes {sorted(shapes)[:3]}; pass size= to resize them.")
    arr = np.stack(imgs)
    h, w = arr.shape[1:3]
    c = 1 if grey else 3
    arr = arr.reshape(len(arr), h, w, c).transpose(0, 3, 1, 2)  # channel, y, x order like feature maps
    cc, yy, xx = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
    coords = dict(stimuli.coords())
    coords.update({"channel": ("unit", cc.ravel()), "unit_y": ("unit", yy.ravel()), "unit_x": ("unit", xx.ravel())})
    attrs = {"model": "pixels", "layer": "pixels", "stream": "shared", "reduce": "none"}
    return xr.DataArray(arr.reshape(len(arr), -1), dims=("stimulus", "unit"), coords=coords, attrs=attrs,
                        name="activations")
