"""Fetchers for public human datasets (pooch, fixed hashes).

Every file of every dataset is registered with its public raw-file address,
pinned to one commit of its source repository, and its sha256. Files are found
in this order:

1. ``data_dir`` (the argument), or else the environment variable
   ``NEUROCOMPARE_DATA_DIR``: a folder holding one subfolder per dataset
   (``<data_dir>/<dataset>/<relative path>``). Nothing is downloaded; a missing
   file is an error that names the path expected.
2. Otherwise the file is downloaded once with :func:`pooch.retrieve` into the
   neurocompare cache (``<cache>/datasets/<dataset>/<relative path>``; the cache is
   ``$NEUROCOMPARE_CACHE_DIR`` or the OS cache folder) and re-used afterwards.

Either way the sha256 of the file is checked. When the download fails, a
:class:`DatasetDownloadError` says which address failed and where to put the
file by hand.

Available datasets: ``kriegeskorte92`` (:func:`fetch_kriegeskorte92`), ``geirhos2019``
(:func:`fetch_geirhos2019`), ``salicon_examples`` (:func:`fetch_salicon_examples`) and
``mit1003_i210`` (:func:`fetch_mit1003_i210`).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ._utils.logging import logger
from ._utils.paths import atomic_dir, cache_dir

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import xarray as xr

    from .stimuli import StimulusSet

__all__ = ["fetch_kriegeskorte92", "Kriegeskorte92", "fetch_geirhos2019", "Geirhos2019", "fetch_files",
           "DatasetDownloadError", "RemoteFile", "REGISTRY", "ENV_VAR"]
__all__ += ["fetch_salicon_examples", "SaliconExamples", "fetch_mit1003_i210", "Mit1003I210"]

ENV_VAR = "NEUROCOMPARE_DATA_DIR"


class DatasetDownloadError(ConnectionError):
    """A dataset file could not be downloaded (no network, address unreachable, HTTP error).

    The message says which address failed, where the file can be put by hand,
    and how to work offline with ``NEUROCOMPARE_DATA_DIR``.
    """


@dataclass(frozen=True)
class RemoteFile:
    """One registered file of a dataset.

    Attributes
    ----------
    dataset : str
        Name of the dataset (the name of its subfolder in a data folder).
    path : str
        Path of the file inside the dataset folder (POSIX, relative).
    url : str
        Public raw-file address, pinned to a commit.
    sha256 : str
        Hex digest of the file's bytes.
    """

    dataset: str
    path: str
    url: str
    sha256: str


def _github(dataset: str, repo: str, commit: str, files: dict[str, str], *, prefix: str = "",
            remote_paths: dict[str, str] | None = None) -> dict[str, RemoteFile]:
    """Register files of one GitHub repository at one commit.

    ``files`` maps the local relative path to its sha256. The remote path is
    ``prefix + path`` unless ``remote_paths`` gives another one (e.g. a top-level
    LICENSE).
    """
    remote_paths = remote_paths or {}
    out = {}
    for path, sha in files.items():
        remote = remote_paths.get(path, prefix + path)
        out[path] = RemoteFile(dataset, path, f"https://raw.githubusercontent.com/{repo}/{commit}/{remote}", sha)
    return out


#: ``{dataset: {relative path: RemoteFile}}``. To add a dataset, add one ``_github(...)`` call.
REGISTRY: dict[str, dict[str, RemoteFile]] = {
    "kriegeskorte92": _github(
        "kriegeskorte92", "rsagroup/rsatoolbox", "f1f83cadb7243492a1aae7460466e0f0140b20ac",
        {
            "92_behavRDMs.mat": "7a8e118c144c3840adeeeef6ea0706a0be2b3e80df719af15fbb56fc62562f5f",
            "92_brainRDMs.mat": "1743f90a15e895798a94318649e80e1123a7e5943a1703fa1dd7c31ea5780b7c",
            "92_modelRDMs.mat": "e1d2b58bb2f9508bc13da4c81b94d1ab07823b25ed30b9563bd9d6d730c2a00a",
            "Kriegeskorte_Neuron2008_supplementalData.mat":
                "06f21214399a5d43dc264eed19a7f4b8daf11c8622a59eec3e106064ce5e3504",
            "LICENSE": "e9c94775a8cdb2823e538ac9bec67098490927395d5fad4375ecd4d4c877f32d",
        },
        prefix="demos/92imageData/", remote_paths={"LICENSE": "LICENSE"}),
    "salicon_examples": _github(
        "salicon_examples", "NUS-VIP/salicon-api", "b4a7af9112006b85b55a6567d8da9be1165da890",
        {
            "README.md": "8b67cc82c759cec9a50c6a180d84336588f837a32852afa537871238e4bb2560",
            "annotations/fixations_train2014examples.json":
                "078f9320e75d97c700d9c3c6104e9ab2054b928db10c42c7e224f52fdcd408dc",
            **{f"images/train2014examples/COCO_train2014_000000{k}.jpg": sha for k, sha in {
                "123067": "392ab7f58bba30e27e8a93ae53e2c9f214b8ad53fd58ee7608710c8de3944303",
                "123177": "622f7d55962b359d0be2945c5a682d7e91cbe73e4c1fb21fcfa39002f433f4cd",
                "123273": "038e6ba29717cacda9cfe6c995639527b0d8d4a5d2fdb27aeb78bf8a927a70df",
                "123389": "ee91769e241d893902b744c068e7a3035b1f519baa0ec17a752c8d980cc9e11f",
                "123514": "1b7490470b5a59af360a68edc15b5957202519f1042d2f2a9a6b0072891c4bc3",
                "123646": "0718d17afe2c3508fb8ef2b8c15a1202a50d3ce61a03a5e136a09af8be699826",
                "123749": "4c021656f34be55bafb47f43c5aaea6df36e0fe7ac1854f52be18bdc215e8191",
                "123855": "ae5b09d9146e05b740100ac964120b3f3dafc13b4bb9df3870464dde34106f73",
                "123891": "354ca2da22f1cd7bab442a7f7b81142592eef59ce392316532c6f869f380c2a7",
                "123909": "2acda49d3a943b599fa16c6fdc73603f581402c05a3a9f8b858f4b9d7b2e1c50",
            }.items()},
        }),
    "mit1003_i210": _github(
        "mit1003_i210", "cvzoya/saliency", "5951cdc7c2ba73e5951d4c36bea58e8c7d41e55d",
        {
            "ALLSTIMULI/i210.jpg": "08678675b6a33ac81013e1f5a32196cf437ca98ee94cbd19f78874e145909c76",
            "FIXATIONHISTOGRAM/i210.jpg": "1351e07e0fcda47832c334a197452fce4067f1e0191d72e3539974f492fe53a2",
            "FIXATIONLOCS/i210.mat": "c28992aa3745718397044a9223a53c46bb078c0042b3ba0f37273fd99d63a345",
            "FIXATIONMAPS/i210.jpg": "19963ee39eabe5a4c2ce2fbc6e9a81985e4dae145ea378e4d6b388b111c71b91",
            "MODELS/Judd_i210.jpg": "75f4358db1d0ff90302b43a8fcc22f98d36fb64d8ca4018f85932f4ed85bb1ce",
            "MODELS/ittikoch_i210.jpg": "28be322d1122ce1767c1e55748aa957a44b13f962786a8755e6b75d0d6e06ee1",
        },
        prefix="code_forVisualization/demo_ims/"),
}


# ----------------------------------------------------------------------------------------------
# Generic fetch machinery
# ----------------------------------------------------------------------------------------------
def fetch_files(dataset: str, paths=None, *, data_dir=None) -> dict[str, Path]:
    """Local paths of registered dataset files, downloading them when needed.

    Parameters
    ----------
    dataset : str
        A key of :data:`REGISTRY`, e.g. ``"kriegeskorte92"``.
    paths : sequence of str, optional
        Relative paths of the files wanted (default: every registered file).
    data_dir : path-like, optional
        A folder with one subfolder per dataset (``<data_dir>/<dataset>/...``).
        Files are read from there and nothing is downloaded. Default: the
        environment variable ``NEUROCOMPARE_DATA_DIR`` if set; otherwise the
        files are downloaded once into the neurocompare cache.

    Returns
    -------
    dict of str to pathlib.Path
        ``{relative path: local file}``, in the order asked for. Every file's
        sha256 has been checked.

    Raises
    ------
    FileNotFoundError
        A file is missing from the data folder (the message names the path expected).
    ValueError
        A file's sha256 does not match the registry (corrupted or another version).
    DatasetDownloadError
        The download failed (a ``ConnectionError``); the message says how to work offline.
    """
    from ._utils.checks import check_option, unknown_name_error

    check_option("dataset", dataset, list(REGISTRY))
    entries = REGISTRY[dataset]
    if paths is None:
        wanted = list(entries)
    else:
        wanted = [paths] if isinstance(paths, str) else list(paths)
        for p in wanted:
            if p not in entries:
                raise unknown_name_error(f"file of dataset {dataset!r}", str(p), entries)
    root, origin = _resolve_data_dir(data_dir)
    out = {}
    for p in wanted:
        entry = entries[p]
        out[p] = _download(entry) if root is None else _local(entry, root, origin)
    return out


def _resolve_data_dir(data_dir) -> tuple[Path | None, str]:
    """The local data folder (or None to download) and a phrase saying where it came from."""
    if data_dir is not None:
        root, origin = Path(data_dir).expanduser(), "data_dir"
    else:
        env = os.environ.get(ENV_VAR, "").strip()
        if not env:
            return None, ""
        root, origin = Path(env).expanduser(), f"the environment variable {ENV_VAR}"
    if not root.is_dir():
        what = "'data_dir'" if origin == "data_dir" else ENV_VAR
        raise FileNotFoundError(f"Invalid value for {what}: expected a folder holding one subfolder per dataset "
                                f"(e.g. <folder>/kriegeskorte92/); {str(root)!r} does not exist or is not a folder.")
    return root, origin


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _local(entry: RemoteFile, root: Path, origin: str) -> Path:
    path = root / entry.dataset / entry.path
    if not path.is_file():
        hint = ""
        if (root / entry.path).is_file():
            hint = (f" A file {str(root / entry.path)!r} exists: the folder given seems to be the dataset folder "
                    f"itself; pass its parent (the folder that holds {entry.dataset}/) instead.")
        raise FileNotFoundError(
            f"Missing file {entry.path!r} of dataset {entry.dataset!r}: expected {str(path)!r} (data folder "
            f"{str(root)!r} from {origin}). Put the file there (it can be downloaded from {entry.url}), or leave "
            f"out data_dir and unset {ENV_VAR} to download it automatically.{hint}")
    got = _sha256(path)
    if got != entry.sha256:
        raise ValueError(
            f"The file {str(path)!r} of dataset {entry.dataset!r} does not match its known sha256: expected "
            f"{entry.sha256}; got {got}. It is corrupted or another version; replace it with a fresh copy of "
            f"{entry.url}.")
    return path


def _network_errors() -> tuple[type[BaseException], ...]:
    import requests

    return (requests.exceptions.RequestException, ConnectionError, TimeoutError)


def _download(entry: RemoteFile) -> Path:
    from ._utils.imports import require

    pooch = require("pooch", purpose="downloading datasets")
    rel = Path(entry.path)
    folder = cache_dir("datasets", entry.dataset, *rel.parent.parts)
    target = folder / rel.name
    if not target.is_file():
        logger.info("Downloading %s of dataset %r from %s to %s", entry.path, entry.dataset, entry.url, target)
    try:
        got = pooch.retrieve(entry.url, known_hash=f"sha256:{entry.sha256}", fname=rel.name, path=folder,
                             progressbar=False)
    except _network_errors() as err:
        raise DatasetDownloadError(
            f"Could not download {entry.path!r} of dataset {entry.dataset!r} from {entry.url} "
            f"({type(err).__name__}: {err}). If this computer is offline, download that file elsewhere and put "
            f"it at {str(target)!r}; or put all files of the dataset in a folder /path/to/folder/{entry.dataset}/ "
            f"and set {ENV_VAR}=/path/to/folder (or pass data_dir='/path/to/folder'), which works offline."
        ) from None
    except ValueError as err:  # pooch: hash of the downloaded file does not match
        raise ValueError(
            f"The file downloaded from {entry.url} for dataset {entry.dataset!r} does not match its known sha256 "
            f"{entry.sha256} ({err}). The download may have been corrupted; try again, or put a verified copy at "
            f"{str(target)!r}.") from None
    return Path(got)


# ----------------------------------------------------------------------------------------------
# Human fixations: SALICON examples, MIT1003 image i210
# ----------------------------------------------------------------------------------------------
_SALICON = "salicon_examples"
_SALICON_JSON = "annotations/fixations_train2014examples.json"
_SALICON_CITATION = (
    "Jiang M, Huang S, Duan J, Zhao Q (2015). SALICON: Saliency in Context. Proceedings of the IEEE Conference on "
    "Computer Vision and Pattern Recognition (CVPR), 1072-1080. doi:10.1109/CVPR.2015.7298710.\n"
    "Images: Lin T-Y et al. (2014). Microsoft COCO: Common Objects in Context. ECCV 2014, 740-755."
)
_SALICON_DESCRIPTION = (
    "The 10 example images (640x480, MS COCO train2014) shipped with the SALICON API, with the SALICON "
    "fixations of 55 to 67 observers per image (610 observer x image records). SALICON fixations are mouse-tracking "
    "samples: observers moved a high-resolution 'fovea' over a blurred image (Jiang et al. 2015). Positions are read "
    "into 0-based pixels (x = column, y = row); the SALICON API blurs them with a Gaussian of sigma = 19 px.\n\n"
    "Please cite:\n" + _SALICON_CITATION + "\n\n"
    "Source: NUS-VIP/salicon-api @ b4a7af9112006b85b55a6567d8da9be1165da890 (README.md, annotations/, images/). "
    "The images keep their Flickr licences (listed in the JSON's 'licenses'); see http://salicon.net for the "
    "terms of use of the annotations."
)


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
        What the data are, the papers to cite and the licence.
    files : dict of str to pathlib.Path
        Every source file (relative path -> local file).
    """

    fixations: pd.DataFrame
    images: dict
    sigma: float = 19.0
    description: str = _SALICON_DESCRIPTION
    files: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"<SaliconExamples: {len(self.images)} images, {len(self.fixations)} fixation samples of "
                f"{self.fixations['subject'].nunique()} observers>")


def fetch_salicon_examples(*, data_dir=None) -> SaliconExamples:
    """The 10 SALICON example images (MS COCO) with their human fixations (Jiang et al. 2015).

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
    from .saliency import load_salicon_fixations

    files = fetch_files(_SALICON, data_dir=data_dir)
    fixations = load_salicon_fixations(files[_SALICON_JSON])
    images = {Path(p).stem: f for p, f in sorted(files.items()) if p.startswith("images/")}
    missing = sorted(set(fixations["stimulus"]) - set(images))
    if missing:  # pragma: no cover - guards a registry edit
        raise ValueError(f"The SALICON annotations refer to images that are not registered: {missing}.")
    return SaliconExamples(fixations=fixations, images=images, sigma=float(fixations.attrs["sigma"]),
                           description=_SALICON_DESCRIPTION, files=files)


_MIT = "mit1003_i210"
_MIT_CITATION = (
    "Judd T, Ehinger K, Durand F, Torralba A (2009). Learning to predict where humans look. IEEE 12th International "
    "Conference on Computer Vision (ICCV), 2106-2113. doi:10.1109/ICCV.2009.5459462.\n"
    "Itti-Koch model: Itti L, Koch C, Niebur E (1998). A model of saliency-based visual attention for rapid scene "
    "analysis. IEEE TPAMI 20(11):1254-1259.\n"
    "Benchmark code: Bylinskii Z, Judd T, Oliva A, Torralba A, Durand F (2019). What do different evaluation metrics "
    "tell us about saliency models? IEEE TPAMI 41(3):740-757."
)
_MIT_DESCRIPTION = (
    "Image i210 of MIT1003 (Judd et al. 2009; 1024x675, free viewing for 3 s by 15 observers), the demo image of "
    "the MIT saliency benchmark code: the stimulus, the binary map of the pooled fixation locations "
    "(FIXATIONLOCS, 259 fixated pixels), the continuous fixation map (FIXATIONMAPS, the binary map blurred by a "
    "Gaussian of about 24 px), the fixation histogram and the saliency maps of two models, Judd et al. (2009) and "
    "Itti & Koch (1998).\n\n"
    "Please cite:\n" + _MIT_CITATION + "\n\n"
    "Source: cvzoya/saliency @ 5951cdc7c2ba73e5951d4c36bea58e8c7d41e55d, code_forVisualization/demo_ims/ (the MIT "
    "saliency benchmark code; see http://saliency.mit.edu for the terms of use)."
)


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
        What the data are, the papers to cite and the licence.
    files : dict of str to pathlib.Path
        Every source file (relative path -> local file).
    """

    fixations: pd.DataFrame
    density: xr.DataArray
    models: xr.DataArray
    image: Path
    sigma: float = 24.0
    description: str = _MIT_DESCRIPTION
    files: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"<Mit1003I210: image i210 {self.density.sizes['x']}x{self.density.sizes['y']}, "
                f"{len(self.fixations)} fixated pixels; models {list(map(str, self.models['model'].values))}>")


def fetch_mit1003_i210(*, data_dir=None) -> Mit1003I210:
    """MIT1003 image i210 with its fixations and the Judd and Itti-Koch saliency maps.

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

    from .saliency import load_mit1003_density, load_mit1003_fixations, read_saliency_map

    files = fetch_files(_MIT, data_dir=data_dir)
    root = files["FIXATIONLOCS/i210.mat"].parent.parent
    fixations = load_mit1003_fixations(root, "i210")
    density = load_mit1003_density(root, "i210")
    names = {"Judd": "MODELS/Judd_i210.jpg", "IttiKoch": "MODELS/ittikoch_i210.jpg"}
    models = xr.DataArray(np.stack([read_saliency_map(files[p]) for p in names.values()]), dims=("model", "y", "x"),
                          coords={"model": list(names), "stimulus": "i210"}, name="saliency",
                          attrs={"dataset": _MIT, "source": "MIT saliency benchmark demo (MODELS/)"})
    return Mit1003I210(fixations=fixations, density=density, models=models, image=files["ALLSTIMULI/i210.jpg"],
                       sigma=float(fixations.attrs["sigma"]), description=_MIT_DESCRIPTION, files=files)


# ----------------------------------------------------------------------------------------------
# Kriegeskorte et al. 2008: 92 object images
# ----------------------------------------------------------------------------------------------
_K92 = "kriegeskorte92"
_K92_SUPP = "Kriegeskorte_Neuron2008_supplementalData.mat"
_K92_STIMULI_FORMAT = 1  # bump to rebuild cached stimulus folders after a change of layout
_K92_WHAT = ("category", "animacy", "human", "face", "animal", "natural")

_K92_CITATION = (
    "Kriegeskorte N, Mur M, Ruff DA, Kiani R, Bodurka J, Esteky H, Tanaka K, Bandettini PA (2008). Matching "
    "categorical object representations in inferior temporal cortex of man and monkey. Neuron 60(6):1126-1141. "
    "doi:10.1016/j.neuron.2008.10.043.\n"
    "Mur M, Meys M, Bodurka J, Goebel R, Bandettini PA, Kriegeskorte N (2013). Human object-similarity judgments "
    "reflect and transcend the primate-IT object representation. Frontiers in Psychology 4:128. "
    "doi:10.3389/fpsyg.2013.00128.\n"
    "Monkey IT data: Kiani R, Esteky H, Mirpour K, Tanaka K (2007). Object category structure in response "
    "patterns of neuronal population in monkey inferior temporal cortex. J Neurophysiol 97(6):4296-4309."
)

_K92_DESCRIPTION = (
    "The 92 object images of Kriegeskorte et al. (2008) (175x175 RGB; human and non-human faces and bodies, "
    "natural and artificial inanimate objects) with 16 subjects' similarity-judgment RDMs (Mur et al. 2013), "
    "human IT fMRI RDMs (4 subjects x 2 sessions), the group monkey IT (674 neurons) and human IT (316 voxels) "
    "RDMs of the paper's figure 1, and the model RDMs of the rsatoolbox demo.\n\n"
    "Please cite:\n" + _K92_CITATION + "\n\n"
    "Source: the files distributed with rsatoolbox (rsagroup/rsatoolbox @ f1f83cadb7243492a1aae7460466e0f0140b20ac, "
    "demos/92imageData/), under rsatoolbox's MIT licence (the LICENSE file of this dataset). The data were "
    "collected by the authors above; cite them when you use the data."
)


@dataclass(frozen=True, repr=False)
class Kriegeskorte92:
    """The 92-image dataset of Kriegeskorte et al. (2008), as returned by :func:`fetch_kriegeskorte92`.

    All RDMs are DataArrays with the stimulus dims ``("stimulus_a", "stimulus_b")``
    last, stimulus ids ``"s01"`` ... ``"s92"`` in the original order, and the
    stimulus factors of :attr:`stimuli` as coordinates on ``stimulus_a``. They
    are symmetric with a zero diagonal and have no NaNs (checked for every file).

    Attributes
    ----------
    stimuli : StimulusSet
        The 92 images as PNG files in the neurocompare cache (written once, then
        re-used). Factors, one row per image:

        - ``category``: the original label, one of ``"human bodypart"``,
          ``"human face"``, ``"nonhuman bodypart"``, ``"nonhuman face"`` (12 each),
          ``"natural inanimate"`` (23), ``"artificial inanimate"`` (21) -- that is
          animate/inanimate x face/body/natural/artificial.
        - ``animacy``: ``"animate"`` (48) or ``"inanimate"`` (44).
        - ``human``, ``face``, ``animal``, ``natural``: the original 0/1 flags, as bool
          (``natural`` is true for every animate image and the natural objects).
        - the 12 ``categoryVectors`` columns as bool, named by ``categoryLabels`` in
          lower case and otherwise as-is: ``animate``, ``inanim``, ``nonhumani`` (sic:
          non-human animate), ``body``, ``natobj``, ``artiobj``, ``rand24``, ``rand48``,
          ``other48`` (random control subsets of the original analyses) and
          ``monkeyape``; their ``human`` and ``face`` columns are identical to the flags
          above and are not repeated.

        The ``what`` stream lists ``category, animacy, human, face, animal, natural``;
        ``where`` is empty.
    judgments : xarray.DataArray
        Dims ``("subject", "stimulus_a", "stimulus_b")``, shape (16, 92, 92): each
        subject's dissimilarity judgments from the multi-arrangement task (Mur et al.
        2013), subjects ``"subject1"`` ... ``"subject16"``. Values are on an arbitrary
        scale (0 to about 0.03); larger is more dissimilar.
    human_it : xarray.DataArray
        Dims ``("subject", "session", "stimulus_a", "stimulus_b")``, shape
        (4, 2, 92, 92): human IT fMRI RDMs (1 - Pearson r) per subject (``"BE"``,
        ``"KO"``, ``"SN"``, ``"TI"``) and session (1, 2). Stored as float32 in the file.
    human_it_group : xarray.DataArray
        Dims ``("stimulus_a", "stimulus_b")``: the group human IT RDM of the paper
        (316 voxels). It equals ``human_it.mean(("subject", "session"))``.
    monkey_it : xarray.DataArray
        Dims ``("stimulus_a", "stimulus_b")``: the monkey IT RDM of the paper
        (674 neurons; Kiani et al. 2007), 1 - Pearson r.
    models : xarray.DataArray
        Dims ``("model", "stimulus_a", "stimulus_b")``: the 8 model RDMs shipped with
        the rsatoolbox demo (``animacy``, ``FaceBodyManmadeNatobj``, ``monkeyIT``,
        ``EVA``, ``HMAX``, ``V1``, ``Silhouette``, ``RADON``). ``monkeyIT`` equals
        :attr:`monkey_it`.
    description : str
        What the data are, the papers to cite and the licence.
    files : dict of str to pathlib.Path
        The source files that were read (relative path -> local file).
    """

    stimuli: StimulusSet
    judgments: xr.DataArray
    human_it: xr.DataArray
    human_it_group: xr.DataArray
    monkey_it: xr.DataArray
    models: xr.DataArray
    description: str = _K92_DESCRIPTION
    files: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"<Kriegeskorte92: {len(self.stimuli)} stimuli; judgments {dict(self.judgments.sizes)}; "
                f"human_it {dict(self.human_it.sizes)}; human_it_group, monkey_it; "
                f"models {list(map(str, self.models['model'].values))}>")


def fetch_kriegeskorte92(*, data_dir=None) -> Kriegeskorte92:
    """The 92 object images of Kriegeskorte et al. (2008) with human judgments and IT RDMs.

    Parameters
    ----------
    data_dir : path-like, optional
        A folder holding a ``kriegeskorte92/`` subfolder with the five files
        (``92_behavRDMs.mat``, ``92_brainRDMs.mat``, ``92_modelRDMs.mat``,
        ``Kriegeskorte_Neuron2008_supplementalData.mat``, ``LICENSE``); nothing is
        downloaded. Default: ``$NEUROCOMPARE_DATA_DIR`` if set, otherwise the files
        (about 5 MB) are downloaded once into the neurocompare cache.

    Returns
    -------
    Kriegeskorte92
        The stimuli, the judgment and IT RDMs and a description with the papers to cite.

    Notes
    -----
    The images are written once as PNG files to
    ``<cache>/datasets/kriegeskorte92/stimuli/`` (with ``stimuli.csv`` and
    ``stimuli.toml``) and re-used afterwards; the folder is rebuilt if it is
    incomplete or stems from another version of the source file.

    The group RDMs (``RDMs_mIT_hIT_fig1``) are stored as 4186-long vectors. They are in
    scipy's ``squareform`` order, which is the upper triangle in row-major order (the
    RDM convention of neurocompare and rsatoolbox): unpacked that way, the human IT
    vector equals the mean of the 8 single-session human IT RDMs and the monkey IT
    vector equals the ``monkeyIT`` model RDM.

    Examples
    --------
    >>> from neurocompare.datasets import fetch_kriegeskorte92
    >>> k92 = fetch_kriegeskorte92()  # doctest: +SKIP
    >>> k92.judgments.mean("subject")  # doctest: +SKIP
    """
    import numpy as np

    from ._utils.imports import require
    from .rsa import make_rdm

    sio = require("scipy.io", purpose="reading the .mat files of the dataset")
    files = fetch_files(_K92, data_dir=data_dir)

    def loadmat(name):
        return sio.loadmat(files[name], squeeze_me=True, struct_as_record=False)

    supp = loadmat(_K92_SUPP)
    objs = list(supp["stimuli_92objs"])
    n = len(objs)
    ids = [f"s{i + 1:02d}" for i in range(n)]
    stimuli = _k92_stimuli(objs, supp["categoryVectors"], supp["categoryLabels"], ids,
                           REGISTRY[_K92][_K92_SUPP].sha256)
    factors = {name: values for name, (_, values) in stimuli.coords().items() if name in stimuli.factors}
    base = {"dataset": _K92, "citation": _K92_CITATION}

    behav = list(loadmat("92_behavRDMs.mat")["rdms_behav_92"])
    subjects = [str(r.name).split("|")[-1].strip() for r in behav]
    judgments = make_rdm(np.stack([r.RDM for r in behav]), ids, method="multi-arrangement",
                         leading={"subject": subjects}, factors=factors,
                         attrs={**base, "source": "92_behavRDMs.mat (rdms_behav_92)",
                                "description": "Dissimilarity judgments (multi-arrangement task, on-screen "
                                               "distances; Mur et al. 2013), one RDM per subject; arbitrary "
                                               "scale, larger is more dissimilar."})

    brain = np.atleast_2d(loadmat("92_brainRDMs.mat")["RDMs"])
    # names look like 'hIT | BE | Session: 1'
    it_subjects = [str(brain[i, 0].name).split("|")[1].strip() for i in range(brain.shape[0])]
    sessions = [int(str(brain[0, j].name).rsplit(":", 1)[-1]) for j in range(brain.shape[1])]
    human_it = make_rdm(np.stack([[brain[i, j].RDM for j in range(brain.shape[1])] for i in range(brain.shape[0])]),
                        ids, method="correlation", leading={"subject": it_subjects, "session": sessions},
                        factors=factors,
                        attrs={**base, "source": "92_brainRDMs.mat (RDMs)",
                               "description": "Human IT fMRI RDMs (1 - Pearson r of the voxel response patterns), "
                                              "per subject and session (Kriegeskorte et al. 2008)."})

    # Vectors in scipy squareform order = upper triangle, row-major, as make_rdm expects.
    group = {str(g.name): np.asarray(g.RDM, dtype=float) for g in supp["RDMs_mIT_hIT_fig1"]}
    monkey_it = make_rdm(group["mIT_674neurons"], ids, method="correlation", factors=factors,
                         attrs={**base, "source": f"{_K92_SUPP} (RDMs_mIT_hIT_fig1: mIT_674neurons)",
                                "description": "Monkey IT RDM, 674 neurons (Kiani et al. 2007), 1 - Pearson r."})
    human_it_group = make_rdm(group["hITvisStim_316vx"], ids, method="correlation", factors=factors,
                              attrs={**base, "source": f"{_K92_SUPP} (RDMs_mIT_hIT_fig1: hITvisStim_316vx)",
                                     "description": "Group human IT RDM, 316 visually responsive voxels: the mean "
                                                    "of the 4 subjects x 2 sessions, 1 - Pearson r."})

    model_structs = list(loadmat("92_modelRDMs.mat")["Models"])
    models = make_rdm(np.stack([np.asarray(m.RDM, dtype=float) for m in model_structs]), ids, method="model",
                      leading={"model": [str(m.name) for m in model_structs]}, factors=factors,
                      attrs={**base, "source": "92_modelRDMs.mat (Models)",
                             "description": "Model RDMs of the rsatoolbox demo: category models (0/1), monkey IT "
                                            "and computational models (EVA, HMAX, V1, Silhouette, RADON)."})

    return Kriegeskorte92(stimuli=stimuli, judgments=judgments, human_it=human_it, human_it_group=human_it_group,
                          monkey_it=monkey_it, models=models, description=_K92_DESCRIPTION, files=files)


def _k92_metadata(objs, category_vectors, category_labels, ids):
    import numpy as np
    import pandas as pd

    md = pd.DataFrame({"stimulus_id": ids, "file": [f"{i}.png" for i in ids],
                       "category": [str(o.category) for o in objs]})
    md["animacy"] = np.where([bool(o.animal) for o in objs], "animate", "inanimate")
    for flag in ("human", "face", "animal", "natural"):
        md[flag] = [bool(getattr(o, flag)) for o in objs]
    cv = np.asarray(category_vectors).astype(bool)
    for j, label in enumerate(np.atleast_1d(category_labels)):
        name = str(label).lower()
        if name in md.columns:
            if np.array_equal(md[name].to_numpy(), cv[:, j]):
                continue  # same as the per-image flag
            name = f"vector_{name}"
        md[name] = cv[:, j]
    return md


def _k92_stimuli(objs, category_vectors, category_labels, ids, source_sha: str) -> StimulusSet:
    """The cached StimulusSet of the 92 images, written on first use."""
    from PIL import Image

    from .stimuli import load
    from .stimuli._io import TOML_NAME, _read_toml, write_table

    folder = cache_dir("datasets", _K92) / "stimuli"
    md = _k92_metadata(objs, category_vectors, category_labels, ids)
    if folder.is_dir():
        try:
            source = _read_toml(folder / TOML_NAME).get("source", {})
            if source.get("sha256") == source_sha and source.get("format") == _K92_STIMULI_FORMAT:
                stim = load(folder, name=_K92)
                if list(stim.ids) == ids:
                    return stim
        except (OSError, ValueError) as err:
            logger.info("Rebuilding the cached stimuli in %s (%s)", folder, err)
        else:
            logger.info("Rebuilding the cached stimuli in %s (stale or incomplete)", folder)
    logger.info("Writing the %d Kriegeskorte et al. (2008) images to %s", len(objs), folder)
    with atomic_dir(folder, overwrite=True, param="cache folder") as tmp:
        for obj, fname in zip(objs, md["file"]):
            img = obj.image
            if img.ndim != 3 or img.shape[-1] != 3:
                raise ValueError(f"Unexpected image in {_K92_SUPP}: expected (height, width, 3) RGB pixels; "
                                 f"got shape {img.shape} for {fname!r}.")
            Image.fromarray(img.astype("uint8")).save(tmp / fname)
        write_table(tmp, md, what=_K92_WHAT, where=[],
                    extra={"source": {"dataset": _K92, "file": _K92_SUPP, "sha256": source_sha,
                                      "format": _K92_STIMULI_FORMAT}})
    return load(folder, name=_K92)


# ----------------------------------------------------------------------------------------------
# Geirhos et al. 2019: edge, silhouette and cue-conflict experiments (humans and CNNs, trial by trial)
# ----------------------------------------------------------------------------------------------
_G19 = "geirhos2019"
_G19_REPO, _G19_COMMIT = "rgeirhos/texture-vs-shape", "ccd0c01d42c0a8a834e90ec141e7f24fa915dc23"
#: experiment -> (raw-data folder stem, stimulus folder or None)
_G19_EXPERIMENTS = {"edge": ("edge-experiment", "stimuli/edges"),
                    "silhouette": ("silhouette-filled-experiment", "stimuli/filled-silhouettes"),
                    "cue-conflict": ("style-transfer-512-nomask-experiment", None)}

_G19_CITATION = (
    "Geirhos R, Rubisch P, Michaelis C, Bethge M, Wichmann FA, Brendel W (2019). ImageNet-trained CNNs are biased "
    "towards texture; increasing shape bias improves accuracy and robustness. International Conference on "
    "Learning Representations (ICLR). arXiv:1811.12231.")


def _read_manifest(name: str) -> dict[str, str]:
    """``{relative path: sha256}`` from a packaged ``sha256sum``-style manifest (``neurocompare/_data``)."""
    text = (Path(__file__).parent / "_data" / name).read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        if line.strip():
            sha, path = line.split(None, 1)
            out[path.strip()] = sha
    return out


REGISTRY[_G19] = _github(_G19, _G19_REPO, _G19_COMMIT, _read_manifest("geirhos2019.sha256"))


@dataclass(frozen=True, repr=False)
class Geirhos2019:
    """The data of Geirhos et al. (2019), as returned by :func:`fetch_geirhos2019`.

    Every trial table is in the standard format of
    :func:`neurocompare.behavior.load_trials` (``subject, stimulus, response,
    category, correct, rt, condition, session, trial``), with ``condition`` the
    experiment (``"edge"``, ``"silhouette"``, ``"cue-conflict"``; the CSVs'
    own condition is always 0), ``stimulus`` the image name (``"cat1"``,
    ``"cat3-bird2"``), a NaN ``response`` where a person gave no answer
    (``na`` in the CSVs; counted as an error), a ``source`` column (the
    raw-data folder) and ``imagename``.

    Attributes
    ----------
    stimuli : dict of str to StimulusSet
        ``"edge"`` and ``"silhouette"``: 160 images each (16 categories x 10),
        stimulus ids as in the trial tables, read in place (nothing copied).
    humans : pandas.DataFrame
        The 10 subjects' trials on the edge and silhouette experiments.
    models : pandas.DataFrame
        The CNNs' trials on the same images: ``alexnet``, ``googlenet``,
        ``vgg`` (VGG-16; the paper's figures), and from the ``*-trained-CNNs``
        folders ``resnet50`` (ImageNet) and ``resnet50-train-60-epochs``
        (trained on Stylized-ImageNet).
    cue_conflict : pandas.DataFrame
        The shape-texture cue-conflict experiment (1280 trials per observer),
        humans and CNNs together, with ``texture`` (the texture category) and
        ``observer`` (``"human"`` or ``"model"``). The one CNN name found in
        both CNN folders (``alexnet``) is ``"alexnet (trained-CNNs)"`` for the
        second. The 1280 images themselves are not included.
    files : dict
        ``{relative path: local file}`` of every file used.
    description : str
    """

    stimuli: dict
    humans: object
    models: object
    cue_conflict: object
    files: dict = field(default_factory=dict)
    description: str = ""

    def __repr__(self) -> str:
        def n(t):
            return 0 if t is None else t["subject"].nunique()

        return (f"<Geirhos2019: stimuli {sorted(self.stimuli)}; humans {n(self.humans)} subjects, models "
                f"{n(self.models)}; cue-conflict {n(self.cue_conflict)} observers>")


def fetch_geirhos2019(*, data_dir=None, experiments=None) -> Geirhos2019:
    """Geirhos et al. (2019): edge and silhouette images with human and CNN trials, and the cue-conflict trials.

    Files come from ``rgeirhos/texture-vs-shape`` at commit
    ``ccd0c01d42c0a8a834e90ec141e7f24fa915dc23`` (stimuli under ``stimuli/``,
    trials under ``raw-data/``), checked against their sha256; see
    :func:`fetch_files` for where they are looked for (``data_dir``,
    ``NEUROCOMPARE_DATA_DIR``, or a one-time download into the cache).

    Parameters
    ----------
    data_dir : path-like, optional
        A folder holding ``geirhos2019/`` (nothing is downloaded).
    experiments : sequence of str, optional
        Some of ``"edge"``, ``"silhouette"``, ``"cue-conflict"`` (default: all).
        Tables of experiments not fetched are empty.

    Returns
    -------
    Geirhos2019
    """
    import pandas as pd

    from ._utils.checks import check_option
    from .behavior import load_trials
    from .stimuli import StimulusSet

    if experiments is None:
        experiments = list(_G19_EXPERIMENTS)
    experiments = [experiments] if isinstance(experiments, str) else list(experiments)
    if not experiments:
        raise ValueError(f"Invalid value for 'experiments': expected some of {list(_G19_EXPERIMENTS)}; got none.")
    for e in experiments:
        check_option("experiments", e, list(_G19_EXPERIMENTS))
    entries = REGISTRY[_G19]
    wanted = ["DATASET_LICENSE"]
    for e in experiments:
        raw, stim = _G19_EXPERIMENTS[e]
        wanted += [p for p in entries if p.startswith((f"raw-data/{raw}/", f"raw-data/{raw}-trained-CNNs/"))]
        if stim:
            wanted += [p for p in entries if p.startswith(stim + "/")]
    files = fetch_files(_G19, wanted, data_dir=data_dir)

    stimuli, humans, models, cue = {}, [], [], []
    for e in experiments:
        raw, stim = _G19_EXPERIMENTS[e]
        if stim:
            rels = sorted(p for p in files if p.startswith(stim + "/"))
            root = files[rels[0]].parent.parent
            md = pd.DataFrame({"stimulus_id": [Path(p).stem for p in rels],
                               "file": [p[len(stim) + 1:] for p in rels],
                               "category": [Path(p).parent.name for p in rels]})
            stimuli[e] = StimulusSet(root, md, what=["category"], where=[], name=f"{_G19}-{Path(stim).name}")
        names_main: set = set()
        for folder in (raw, f"{raw}-trained-CNNs"):
            for rel in sorted(p for p in files if p.startswith(f"raw-data/{folder}/")):
                t = load_trials(files[rel])
                t["condition"] = e
                t["source"] = folder
                subj = str(t["subject"].iloc[0])
                human = subj.startswith("subject-")
                if folder == raw:
                    names_main.add(subj)
                elif subj in names_main:
                    t["subject"] = f"{subj} (trained-CNNs)"
                if e == "cue-conflict":
                    from .behavior import texture_categories

                    t["texture"] = [tex for _, tex in texture_categories(t["stimulus"])]
                    t["observer"] = "human" if human else "model"
                    cue.append(t)
                else:
                    (humans if human else models).append(t)

    def cat(parts):
        return pd.concat(parts, ignore_index=True) if parts else None

    desc = (
        "Geirhos et al. (2019), 'ImageNet-trained CNNs are biased towards texture'. Edge and filled-silhouette "
        "images (160 each, 16 categories) with the trial-by-trial responses of 10 human subjects and of CNNs "
        "(16-alternative forced choice), and the shape-texture cue-conflict experiment (1280 style-transfer images; "
        "responses only).\n\nPlease cite:\n" + _G19_CITATION + "\n\nSource: " + _G19_REPO + " @ " + _G19_COMMIT
        + ". Stimuli under CC-BY 4.0 (the DATASET_LICENSE file); no licence is stated for the raw data.")
    return Geirhos2019(stimuli=stimuli, humans=cat(humans), models=cat(models), cue_conflict=cat(cue),
                       files=files, description=desc)
