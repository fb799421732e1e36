"""Image i210 of MIT1003 with its fixations and two models' saliency maps (Judd et al. 2009)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ._fetch import fetch_files, read_description

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import xarray as xr

_MIT = "mit1003_i210"


@dataclass(frozen=True, repr=False)
class Mit1003I210:
    """MIT1003 image i210 with fixations and two models' maps, as returned by :func:`fetch_mit1003_i210`.

    Attributes
    ----------
    fixations : pandas.DataFrame
        The fixation table of the binary ``FIXATIONLOCS`` map (one row per fixated pixel,
        ``subject = "all"``), as read by :func:`neurocompare.saliency.load_mit1003_fixations`.
    density : xarray.DataArray
        Dims ``("stimulus", "y", "x")``, shape (1, 675, 1024): the ``FIXATIONMAPS`` map in [0, 1].
    models : xarray.DataArray
        Dims ``("model", "y", "x")``, shape (2, 675, 1024): the saliency maps of ``"Judd"``
        and ``"IttiKoch"`` in [0, 1] (8-bit JPEGs / 255).
    image : pathlib.Path
        The stimulus (``ALLSTIMULI/i210.jpg``).
    sigma : float
        The Gaussian sigma in pixels that reproduces ``FIXATIONMAPS`` from ``FIXATIONLOCS`` (24).
    description : str
        What the data are, the papers to cite and the licence (``descr/mit1003_i210.md``).
    files : dict of str to pathlib.Path
        Every source file (relative path -> local file).
    """

    fixations: pd.DataFrame
    density: xr.DataArray
    models: xr.DataArray
    image: Path
    sigma: float = 24.0
    description: str = field(default_factory=partial(read_description, _MIT))
    files: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"<Mit1003I210: image i210 {self.density.sizes['x']}x{self.density.sizes['y']}, "
                f"{len(self.fixations)} fixated pixels; models {list(map(str, self.models['model'].values))}>")


def fetch_mit1003_i210(*, data_dir=None) -> Mit1003I210:
    """MIT1003 image i210 with its fixations and the Judd and Itti-Koch saliency maps.

    The demo image of the MIT saliency benchmark code (15 observers, 3 s free
    viewing); the returned ``description`` gives the source, the terms of use and
    the papers to cite.

    Parameters
    ----------
    data_dir : path-like, optional
        A folder holding a ``mit1003_i210/`` subfolder with ``ALLSTIMULI/i210.jpg``,
        ``FIXATIONLOCS/i210.mat``, ``FIXATIONMAPS/i210.jpg``, ``FIXATIONHISTOGRAM/i210.jpg``
        and ``MODELS/{Judd,ittikoch}_i210.jpg``; nothing is downloaded. Default:
        ``$NEUROCOMPARE_DATA_DIR`` if set, otherwise the files (about 0.4 MB) are
        downloaded once into the neurocompare cache.

    Returns
    -------
    Mit1003I210
        Fixations, fixation density, the two models' maps, the image and a description.

    Examples
    --------
    >>> import neurocompare as nc
    >>> mit = nc.datasets.fetch_mit1003_i210()  # doctest: +SKIP
    >>> nc.saliency.compare_to_fixations(mit.models.sel(model="Judd"), mit.fixations)  # doctest: +SKIP
    """
    import numpy as np
    import xarray as xr

    from ..saliency import load_mit1003_density, load_mit1003_fixations, read_saliency_map

    files = fetch_files(_MIT, data_dir=data_dir)
    root = files["FIXATIONLOCS/i210.mat"].parent.parent
    fixations = load_mit1003_fixations(root, "i210")
    density = load_mit1003_density(root, "i210")
    names = {"Judd": "MODELS/Judd_i210.jpg", "IttiKoch": "MODELS/ittikoch_i210.jpg"}
    models = xr.DataArray(np.stack([read_saliency_map(files[p]) for p in names.values()]), dims=("model", "y", "x"),
                          coords={"model": list(names), "stimulus": "i210"}, name="saliency",
                          attrs={"dataset": _MIT, "source": "MIT saliency benchmark demo (MODELS/)"})
    return Mit1003I210(fixations=fixations, density=density, models=models, image=files["ALLSTIMULI/i210.jpg"],
                       sigma=float(fixations.attrs["sigma"]), description=read_description(_MIT), files=files)
