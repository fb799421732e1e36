"""The procedural what/where stimulus generator."""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from .._utils.checks import check_option, check_positive_int, check_range
from .._utils.logging import logger
from .._utils.paths import atomic_dir
from ._io import write_table
from ._shapes import SHAPES, outline, place
from ._stimulusset import load

BACKGROUNDS = ("blank", "noise", "texture")
#: Bumped whenever the generator's output changes, so cached sets are regenerated.
GENERATOR_VERSION = 2
SUPERSAMPLE = 4


MAX_IMAGE_SIZE = 4096


def make_whatwhere(out, *, n_per_category: int = 20, image_size: int = 64, random_state: int | None = 0,
                   categories=None, n_identities: int = 2, background: str = "blank", clutter: int = 0,
                   size_range=(0.3, 0.5), position_range=None, rotation_range=(0.0, 360.0),
                   luminance_range=(0.65, 1.0), color: bool = False, background_level: float = 0.3,
                   overwrite: bool = False):
    """Generate a what/where stimulus set: shapes with controlled identity and position.

    Each image shows one target shape. Its category and exemplar (``identity``,
    e.g. ``star_1``; ``exemplar`` is the exemplar's number, 0, 1, ..., shared across
    categories) are the "what" factors. Its position (``x``, ``y``), ``size`` and
    ``rotation`` are the "where" factors; all are sampled independently and
    uniformly, so they are orthogonal to category by design. Luminance (and
    hue when ``color=True``) vary too. The images are rendered with 4x4
    supersampling; the mask is exactly the set of pixels whose coverage by the
    target is at least one half, and the bounding box is that mask's.

    Parameters
    ----------
    out : path-like
        Folder to create. It holds ``images/``, ``masks/``, ``stimuli.csv`` and
        ``stimuli.toml``. It is written under a temporary name and moved into place
        only when complete.
    n_per_category : int
        Stimuli per category.
    image_size : int
        Side of the square images in pixels (16 to 4096).
    random_state : int or None
        Seed. The same seed gives byte-identical files. ``None`` draws a seed,
        which is recorded in ``stimuli.toml``.
    categories : int or sequence of str, optional
        Which shapes to use: a number (the first n of ``SHAPES``) or names from
        ``circle, square, triangle, star, cross, hexagon, heart, arrow``.
        Default: all 8.
    n_identities : int
        Exemplars per category (fixed shape variants, balanced across stimuli).
    background : {"blank", "noise", "texture"}
        Uniform grey, 1/f ("pink") noise, or a random plaid of two gratings.
    clutter : int
        Number of smaller distractor shapes drawn behind the target.
    size_range : (float, float)
        Diameter of the target's circumscribed circle, as a fraction of the image side.
    position_range : (float, float), optional
        Range of the centre ``x`` and ``y`` (fractions of width/height, origin at
        the top left). Default: the range that keeps the largest target inside
        the image.
    rotation_range : (float, float)
        Rotation in degrees, counter-clockwise.
    luminance_range : (float, float)
        Target luminance in [0, 1] (value in HSV when ``color=True``).
    color : bool
        Give each target a random hue (a ``hue`` factor in [0, 1)).
    background_level : float
        Mean background luminance.
    overwrite : bool
        Replace ``out`` if it exists.

    Returns
    -------
    StimulusSet
        ``what = (category, identity)``; ``where = (x, y, size, rotation, bbox_x0, bbox_y0,
        bbox_x1, bbox_y1)``. Boxes are in pixels, ``[x0, x1)`` and ``[y0, y1)``.
    """
    n_per_category = check_positive_int("n_per_category", n_per_category)
    image_size = check_positive_int("image_size", image_size, minimum=16, maximum=MAX_IMAGE_SIZE,
                                    why="the generator draws each image in float64 at this size")
    n_identities = check_positive_int("n_identities", n_identities)
    clutter = check_positive_int("clutter", clutter, minimum=0)
    check_option("background", background, BACKGROUNDS)
    cats = _check_categories(categories)
    size_lo, size_hi = check_range("size_range", size_range, low=0.0, high=1.0)
    if size_lo * image_size < 3:
        raise ValueError(f"Invalid value for 'size_range': the smallest target would be {size_lo * image_size:.1f} "
                         f"pixels wide at image_size={image_size}; expected at least 3 pixels.")
    if position_range is None:
        position_range = (round(size_hi / 2, 6), round(1 - size_hi / 2, 6))
    pos_lo, pos_hi = check_range("position_range", position_range, low=0.0, high=1.0)
    rot_lo, rot_hi = check_range("rotation_range", rotation_range, low=-360.0, high=720.0)
    lum_lo, lum_hi = check_range("luminance_range", luminance_range, low=0.0, high=1.0)
    if not isinstance(background_level, numbers.Real) or not 0 <= background_level <= 1:
        raise ValueError(f"Invalid value for 'background_level': expected a number in [0, 1]; got {background_level!r}.")
    if random_state is None:
        random_state = int(np.random.SeedSequence().entropy % (2**31))
    elif isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral) or random_state < 0:
        raise ValueError(f"Invalid value for 'random_state': expected a non-negative int or None; got {random_state!r}.")

    n = n_per_category * len(cats)
    rng = np.random.default_rng(random_state)
    cat = np.repeat(cats, n_per_category)
    ident = np.tile(np.arange(n_identities), int(np.ceil(n_per_category / n_identities)))[:n_per_category]
    ident = np.tile(ident, len(cats))
    table = pd.DataFrame({
        "category": cat,
        "identity": [f"{c}_{i}" for c, i in zip(cat, ident)],
        "exemplar": ident,
        "x": np.round(rng.uniform(pos_lo, pos_hi, n), 6),
        "y": np.round(rng.uniform(pos_lo, pos_hi, n), 6),
        "size": np.round(rng.uniform(size_lo, size_hi, n), 6),
        "rotation": np.round(rng.uniform(rot_lo, rot_hi, n), 4),
        "luminance": np.round(rng.uniform(lum_lo, lum_hi, n), 6),
    })
    if color:
        table["hue"] = np.round(rng.uniform(0, 1, n), 6)
    table["background"] = background
    child_seeds = np.random.SeedSequence(random_state).spawn(n)
    per_cat = np.tile(np.arange(n_per_category), len(cats))
    ids = [f"{c}_{k:04d}" for c, k in zip(cat, per_cat)]
    table.insert(0, "stimulus_id", ids)
    table.insert(1, "file", [f"images/{i}.png" for i in ids])
    table.insert(2, "mask_file", [f"masks/{i}.png" for i in ids])

    params = dict(n_per_category=n_per_category, image_size=image_size, random_state=int(random_state),
                  categories=list(cats), n_identities=n_identities, background=background, clutter=clutter,
                  size_range=[size_lo, size_hi], position_range=[pos_lo, pos_hi],
                  rotation_range=[rot_lo, rot_hi], luminance_range=[lum_lo, lum_hi], color=bool(color),
                  background_level=float(background_level))
    from PIL import Image

    boxes = np.zeros((n, 4), dtype=int)
    area = np.zeros(n)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        (tmp / "images").mkdir()
        (tmp / "masks").mkdir()
        for i, row in enumerate(table.itertuples(index=False)):
            img, mask = _render(row, ident[i], image_size, background, background_level, clutter,
                                (size_lo, size_hi), (lum_lo, lum_hi), np.random.default_rng(child_seeds[i]))
            Image.fromarray(img).save(tmp / row.file)
            Image.fromarray((mask * 255).astype(np.uint8)).save(tmp / row.mask_file)
            rr, cc = np.nonzero(mask)
            boxes[i] = (cc.min(), rr.min(), cc.max() + 1, rr.max() + 1)
            area[i] = mask.mean()
        for j, name in enumerate(("bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1")):
            table[name] = boxes[:, j]
        table["area"] = np.round(area, 6)
        write_table(tmp, table, what=["category", "identity"],
                    where=["x", "y", "size", "rotation", "bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1"],
                    extra={"generator": {"function": "neurocompare.stimuli.make_whatwhere", **params}})
    logger.info("Wrote %d what/where stimuli to %s", n, out)
    return load(out, validate=False)


def _check_categories(categories) -> list[str]:
    if categories is None:
        return list(SHAPES)
    if isinstance(categories, numbers.Integral) and not isinstance(categories, bool):
        if not 2 <= categories <= len(SHAPES):
            raise ValueError(f"Invalid value for 'categories': expected an int in [2, {len(SHAPES)}] or shape "
                             f"names; got {categories!r}.")
        return list(SHAPES[:categories])
    cats = [categories] if isinstance(categories, str) else list(categories)
    for c in cats:
        check_option("categories", c, SHAPES)
    if len(set(cats)) != len(cats) or len(cats) < 2:
        raise ValueError(f"Invalid value for 'categories': expected at least two distinct shape names; got {categories!r}.")
    return cats


def _coverage(pts: np.ndarray, size: int) -> np.ndarray:
    """Fraction of each pixel covered by a polygon given in pixel coordinates."""
    from PIL import Image, ImageDraw

    big = size * SUPERSAMPLE
    canvas = Image.new("L", (big, big), 0)
    ImageDraw.Draw(canvas).polygon([tuple(p) for p in (pts * SUPERSAMPLE)], fill=255)
    arr = np.asarray(canvas, dtype=np.float64).reshape(size, SUPERSAMPLE, size, SUPERSAMPLE)
    return arr.mean(axis=(1, 3)) / 255.0


def _background(kind: str, size: int, level: float, rng: np.random.Generator) -> np.ndarray:
    if kind == "blank":
        bg = np.full((size, size), level)
    elif kind == "noise":
        white = rng.standard_normal((size, size))
        fy = np.fft.fftfreq(size)[:, None]
        fx = np.fft.fftfreq(size)[None, :]
        f = np.hypot(fx, fy)
        f[0, 0] = 1.0
        pink = np.real(np.fft.ifft2(np.fft.fft2(white) / f))
        pink = (pink - pink.mean()) / (pink.std() + 1e-12)
        bg = level + 0.1 * pink
    else:
        yy, xx = np.mgrid[0:size, 0:size] / size
        bg = np.full((size, size), level)
        for _ in range(2):
            th, freq, ph = rng.uniform(0, np.pi), rng.uniform(3, 8), rng.uniform(0, 2 * np.pi)
            bg = bg + 0.06 * np.sin(2 * np.pi * freq * (xx * np.cos(th) + yy * np.sin(th)) + ph)
    return np.clip(bg, 0, 1)


def _colour(luminance: float, hue: float | None) -> np.ndarray:
    if hue is None:
        return np.full(3, luminance)
    import colorsys

    return np.array(colorsys.hsv_to_rgb(hue, 0.8, luminance))


def _render(row, identity: int, size: int, background: str, level: float, clutter: int, size_range,
            lum_range, rng: np.random.Generator):
    img = np.repeat(_background(background, size, level, rng)[..., None], 3, axis=2)
    for _ in range(clutter):
        name = SHAPES[int(rng.integers(len(SHAPES)))]
        radius = rng.uniform(0.3, 0.55) * size_range[0] * size / 2
        pts = place(outline(name), cx=rng.uniform(0, size), cy=rng.uniform(0, size), radius=radius,
                    rotation_deg=rng.uniform(0, 360))
        a = _coverage(pts, size)[..., None]
        img = img * (1 - a) + _colour(rng.uniform(*lum_range), None) * a
    pts = place(outline(row.category, identity), cx=row.x * size, cy=row.y * size, radius=row.size * size / 2,
                rotation_deg=row.rotation)
    alpha = _coverage(pts, size)
    img = img * (1 - alpha[..., None]) + _colour(row.luminance, getattr(row, "hue", None)) * alpha[..., None]
    return np.round(img * 255).astype(np.uint8), alpha >= 0.5
