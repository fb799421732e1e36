"""A fixed input size for any model: ``resize=(h, w)`` of :func:`neurocompare.models.load` and ``wrap``.

For use inside neurocompare (models, the command line, studies). The image is
resized to exactly ``(h, w)`` pixels (bilinear, antialiased; the aspect ratio is
not kept), then goes through the model's own transform. Images of different
sizes then give inputs of one size, so a segmenter or detector can run them in
one batch.
"""
from __future__ import annotations

import numbers
import re

_CLI_FORM = re.compile(r"^\s*(\d+)\s*(?:[xX×,]\s*(\d+))?\s*$")


def check_resize(resize, *, param: str = "resize") -> tuple[int, int] | None:
    """``resize`` as ``(height, width)``: None stays None, an int is a square, a pair is ``(h, w)``.

    Parameters
    ----------
    resize : None, int or pair of int
        The size to check.
    param : str
        The name used in the error (``"resize"``, ``"--option resize"``, ...).

    Returns
    -------
    tuple of (int, int) or None
    """
    if resize is None:
        return None

    def _is_int(v):
        return isinstance(v, numbers.Integral) and not isinstance(v, bool)

    if _is_int(resize):
        pair = (int(resize), int(resize))
    elif isinstance(resize, (tuple, list)) and len(resize) == 2 and all(_is_int(v) for v in resize):
        pair = (int(resize[0]), int(resize[1]))
    else:
        raise TypeError(f"Invalid value for {param!r}: expected (height, width) as a pair of positive ints, or "
                        f"one int for a square, e.g. (224, 224) or 224; got {resize!r}.")
    if min(pair) < 1:
        raise ValueError(f"Invalid value for {param!r}: expected positive sizes in pixels; got {resize!r}.")
    return pair


def parse_resize(text: str, *, param: str = "--option resize") -> tuple[int, int]:
    """A command-line size, ``"224x224"`` (height x width) or ``"224"`` (a square), as ``(h, w)``.

    Parameters
    ----------
    text : str
        The value given on the command line.
    param : str
        The name used in the error.

    Returns
    -------
    tuple of (int, int)
    """
    match = _CLI_FORM.match(str(text))
    if not match:
        raise ValueError(f"Invalid value for {param!r}: expected HxW in pixels (height x width, e.g. 224x224) or "
                         f"one number for a square (e.g. 224); got {text!r}.")
    h = int(match.group(1))
    w = int(match.group(2)) if match.group(2) is not None else h
    return check_resize((h, w), param=param)


def with_resize(transform, size: tuple[int, int]):
    """``transform`` preceded by a resize of the PIL image to exactly ``size`` = ``(h, w)``.

    A ``torchvision.transforms.Compose`` (bilinear, antialiased), so it pickles
    for DataLoader workers and reads as the model's preprocessing in methods
    texts and CAM geometry.
    """
    from torchvision import transforms as T

    return T.Compose([T.Resize(tuple(size), interpolation=T.InterpolationMode.BILINEAR, antialias=True),
                      transform])


def apply_resize(wrapper, resize):
    """Give ``wrapper`` (a freshly built ModelWrapper) a fixed input size; None leaves it as it is.

    The transform becomes :func:`with_resize` of the model's own, and
    ``wrapper.config["resize"]`` records ``[h, w]`` so caches and provenance see it.
    Returns the same wrapper.
    """
    size = check_resize(resize)
    if size is None:
        return wrapper
    wrapper.transform = with_resize(wrapper.transform, size)
    wrapper.config["resize"] = list(size)
    return wrapper


__all__ = ["check_resize", "parse_resize", "with_resize", "apply_resize"]
