"""scikit-learn's bundled handwritten digits as a StimulusSet (a real, offline transfer target)."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_positive_int
from .._utils.logging import logger
from .._utils.paths import atomic_dir
from ._io import write_table
from ._stimulusset import load


def make_digits(out, *, image_size: int = 32, overwrite: bool = False):
    """Write scikit-learn's 8 x 8 handwritten digits (1797 images, 10 classes) as a StimulusSet.

    The digits come with scikit-learn (``sklearn.datasets.load_digits``: the UCI
    optical-recognition test set, 13 writers), so nothing is downloaded. Each 8 x 8
    grey level image (0-16) is scaled to 0-255, upsampled to ``image_size`` pixels
    with bilinear interpolation and saved as an RGB PNG (light digit on a black
    background). Nothing is random: the same call writes byte-identical files.

    Parameters
    ----------
    out : path-like
        Folder to create (``images/``, ``stimuli.csv``, ``stimuli.toml``); written under a
        temporary name and moved into place only when complete.
    image_size : int
        Side of the square images in pixels (>= 8).
    overwrite : bool
        Replace ``out`` if it exists.

    Returns
    -------
    StimulusSet
        One row per image in scikit-learn's order: ``stimulus_id`` (``digit_0000`` ...),
        ``file``, ``category`` (the digit, 0-9; the what factor) and ``sklearn_index``.
        There are no where factors.
    """
    from PIL import Image
    from sklearn.datasets import load_digits

    image_size = check_positive_int("image_size", image_size, minimum=8)
    import pandas as pd

    data = load_digits()
    images = np.clip(np.round(data.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    ids = [f"digit_{i:04d}" for i in range(len(images))]
    table = pd.DataFrame({"stimulus_id": ids, "file": [f"images/{i}.png" for i in ids],
                          "category": data.target.astype(int), "sklearn_index": np.arange(len(images))})
    with atomic_dir(out, overwrite=overwrite) as tmp:
        (tmp / "images").mkdir()
        for img, row in zip(images, table.itertuples(index=False)):
            big = Image.fromarray(img).resize((image_size, image_size), Image.BILINEAR)
            big.convert("RGB").save(tmp / row.file)
        write_table(tmp, table, what=["category"], where=[],
                    extra={"generator": {"function": "neurocompare.stimuli.make_digits", "image_size": image_size,
                                         "source": "sklearn.datasets.load_digits"}})
    logger.info("Wrote %d digit stimuli to %s", len(table), out)
    return load(out, validate=False)
