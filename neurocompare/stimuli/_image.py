"""The one image reader: any PIL mode -> 8-bit RGB, RGBA, L or LA.

PIL's own ``convert`` clips 16-bit and float images instead of scaling them (a 16-bit
greyscale PNG becomes white) and drops alpha without compositing. Every image of a
StimulusSet goes through :func:`to_mode` instead.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

#: grey level that transparent pixels are composited onto (white, as image viewers and documents show them)
ALPHA_BACKGROUND = 255
#: the modes :func:`to_mode` returns
MODES = ("RGB", "RGBA", "L", "LA")
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")


def open_image(path: Path, *, what: str = "image"):
    """Open an image with PIL, turning every failure into a clear error naming the file."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"The file of {what} does not exist: {str(path)!r}.")
    try:
        img = Image.open(path)
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ValueError(f"The file of {what} is not a readable image: {str(path)!r} ({err}).") from None
    return img


def read_image(path, *, mode: str = "RGB", label: str = "image"):
    """Open an image file and convert it with :func:`to_mode`.

    Parameters
    ----------
    path : path-like
        The image file (any format and mode PIL reads).
    mode : {"RGB", "RGBA", "L", "LA"}
        The 8-bit mode to return.
    label : str
        Names the image in errors.

    Returns
    -------
    PIL.Image.Image
    """
    return to_mode(open_image(Path(path), what=label), mode, label=f"{label} ({str(path)!r})")


def to_mode(image, mode: str = "RGB", *, label: str = "image"):
    """Convert a PIL image of any mode to 8-bit ``mode``, scaling by the stored bit depth.

    Parameters
    ----------
    image : PIL.Image.Image
        The image (left unchanged).
    mode : {"RGB", "RGBA", "L", "LA"}
    label : str
        Names the image in errors.

    Returns
    -------
    PIL.Image.Image

    Notes
    -----
    - 16-bit greyscale (``I;16`` and its byte orders, and ``I``, the 32-bit mode PIL
      uses for 16-bit PNG/PGM/TIFF files) is divided by 257, so 0..65535 maps onto
      0..255; ``I`` values outside 0..65535 have no known bit depth and raise.
    - Float images (``F``) are taken to lie in [0, 1] and multiplied by 255; values
      outside [0, 1] (or NaN) raise instead of being clipped.
    - Palette images keep their palette's colours and transparency; CMYK, YCbCr, LAB,
      HSV are converted to RGB by PIL; bilevel (``1``) images give 0 and 255.
    - Alpha (RGBA, LA, PA, palette transparency) is composited onto white
      (:data:`ALPHA_BACKGROUND`) unless ``mode`` keeps the alpha channel.
    """
    from PIL import Image

    from .._utils.checks import check_option

    check_option("mode", mode, MODES)
    image = _eight_bit(image, label)
    if image.mode in ("RGBA", "LA") and mode not in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        back = Image.new("RGBA", rgba.size, (ALPHA_BACKGROUND,) * 3 + (255,))
        image = Image.alpha_composite(back, rgba).convert("RGB")
    return image if image.mode == mode else image.convert(mode)


def _eight_bit(img, what):
    """The image as L, LA, RGB or RGBA (8 bits per channel)."""
    from PIL import Image

    m = img.mode
    if m in MODES:
        return img
    if m in _SIXTEEN_BIT or m == "I":
        arr = np.asarray(img).astype(np.int64)
        if m == "I" and arr.size and (arr.min() < 0 or arr.max() > 65535):
            raise ValueError(f"Cannot read {what}: it is a 32-bit integer image with values {arr.min()} to "
                             f"{arr.max()}, outside the 16-bit range 0..65535, so its bit depth is unknown. "
                             "Save it as an 8- or 16-bit image.")
        return Image.fromarray(np.round(arr / 257.0).astype(np.uint8))
    if m == "F":
        arr = np.asarray(img, dtype=np.float64)
        if arr.size and (not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1):
            raise ValueError(f"Cannot read {what}: float images must hold values in [0, 1]; this one ranges "
                             f"{np.nanmin(arr):.4g} to {np.nanmax(arr):.4g}"
                             f"{' and has NaN/inf' if not np.isfinite(arr).all() else ''}. Rescale it to [0, 1] "
                             "or save it as an 8- or 16-bit image.")
        return Image.fromarray(np.round(arr * 255).astype(np.uint8))
    if m == "P":
        return img.convert("RGBA" if "transparency" in img.info else "RGB")
    if m in ("PA", "RGBa", "RGBX"):
        return img.convert("RGBA" if m != "RGBX" else "RGB")
    try:
        return img.convert("RGB")
    except (ValueError, OSError) as err:
        raise ValueError(f"Cannot read {what}: PIL cannot convert its mode {m!r} to RGB ({err}).") from None
