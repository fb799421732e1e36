"""The SALICON example images with their human fixations (Jiang et al. 2015)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ._fetch import fetch_files, read_description

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_SALICON = "salicon_examples"
_SALICON_JSON = "annotations/fixations_train2014examples.json"


@dataclass(frozen=True, repr=False)
class SaliconExamples:
    """The SALICON example images and fixations, as returned by :func:`fetch_salicon_examples`.

    Attributes
    ----------
    fixations : pandas.DataFrame
        The fixation table (``stimulus, subject, x, y, width, height, file``), as read by
        :func:`neurocompare.saliency.load_salicon_fixations`; ``attrs["sigma"]`` = 19.
    images : dict of str to pathlib.Path
        Stimulus id (``"COCO_train2014_000000123067"``) -> local JPEG file, in sorted order.
    sigma : float
        The density sigma in pixels of the SALICON API (19).
    description : str
        What the data are, the papers to cite and the licence (``descr/salicon_examples.md``).
    files : dict of str to pathlib.Path
        Every source file (relative path -> local file).
    """

    fixations: pd.DataFrame
    images: dict
    sigma: float = 19.0
    description: str = field(default_factory=partial(read_description, _SALICON))
    files: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"<SaliconExamples: {len(self.images)} images, {len(self.fixations)} fixation samples of "
                f"{self.fixations['subject'].nunique()} observers>")


def fetch_salicon_examples(*, data_dir=None) -> SaliconExamples:
    """The 10 SALICON example images (MS COCO) with their human fixations (Jiang et al. 2015).

    Mouse-tracking fixations of 55 to 67 observers per image, from the SALICON
    API repository; the returned ``description`` gives the source, the licence
    and the papers to cite.

    Parameters
    ----------
    data_dir : path-like, optional
        A folder holding a ``salicon_examples/`` subfolder with ``README.md``,
        ``annotations/fixations_train2014examples.json`` and
        ``images/train2014examples/*.jpg``; nothing is downloaded. Default:
        ``$NEUROCOMPARE_DATA_DIR`` if set, otherwise the files (about 1.5 MB) are
        downloaded once into the neurocompare cache.

    Returns
    -------
    SaliconExamples
        The fixation table, the image files and a description with the papers to cite.

    Examples
    --------
    >>> import neurocompare as nc
    >>> sal = nc.datasets.fetch_salicon_examples()  # doctest: +SKIP
    >>> nc.saliency.fixation_density(sal.fixations, "COCO_train2014_000000123067")  # doctest: +SKIP
    """
    from ..saliency import load_salicon_fixations

    files = fetch_files(_SALICON, data_dir=data_dir)
    fixations = load_salicon_fixations(files[_SALICON_JSON])
    images = {Path(p).stem: f for p, f in sorted(files.items()) if p.startswith("images/")}
    missing = sorted(set(fixations["stimulus"]) - set(images))
    if missing:  # pragma: no cover - guards a registry edit
        raise ValueError(f"The SALICON annotations refer to images that are not registered: {missing}.")
    return SaliconExamples(fixations=fixations, images=images, sigma=float(fixations.attrs["sigma"]),
                           description=read_description(_SALICON), files=files)
