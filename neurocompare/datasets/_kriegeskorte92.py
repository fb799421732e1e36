"""The 92 object images of Kriegeskorte et al. (2008) with human judgments, IT and model RDMs."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from .._utils.logging import logger
from .._utils.paths import atomic_dir, cache_dir
from ._fetch import REGISTRY, fetch_files, read_citation, read_description

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from ..stimuli import StimulusSet

_K92 = "kriegeskorte92"
_K92_SUPP = "Kriegeskorte_Neuron2008_supplementalData.mat"
_K92_STIMULI_FORMAT = 1  # bump to rebuild cached stimulus folders after a change of layout
_K92_WHAT = ("category", "animacy", "human", "face", "animal", "natural")


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
        What the data are, the papers to cite and the licence (``descr/kriegeskorte92.md``).
    files : dict of str to pathlib.Path
        The source files that were read (relative path -> local file).
    """

    stimuli: StimulusSet
    judgments: xr.DataArray
    human_it: xr.DataArray
    human_it_group: xr.DataArray
    monkey_it: xr.DataArray
    models: xr.DataArray
    description: str = field(default_factory=partial(read_description, _K92))
    files: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"<Kriegeskorte92: {len(self.stimuli)} stimuli; judgments {dict(self.judgments.sizes)}; "
                f"human_it {dict(self.human_it.sizes)}; human_it_group, monkey_it; "
                f"models {list(map(str, self.models['model'].values))}>")


def fetch_kriegeskorte92(*, data_dir=None) -> Kriegeskorte92:
    """The 92 object images of Kriegeskorte et al. (2008) with human judgments and IT RDMs.

    The files distributed with rsatoolbox's demo; the returned ``description``
    gives the source, the licence and the papers to cite.

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

    from .._utils.imports import require
    from ..rsa import make_rdm

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
    base = {"dataset": _K92, "citation": read_citation(_K92)}

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
                          monkey_it=monkey_it, models=models, description=read_description(_K92), files=files)


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

    from ..stimuli import load
    from ..stimuli import TOML_NAME, read_toml, write_table

    folder = cache_dir("datasets", _K92) / "stimuli"
    md = _k92_metadata(objs, category_vectors, category_labels, ids)
    if folder.is_dir():
        try:
            source = read_toml(folder / TOML_NAME).get("source", {})
            if source.get("sha256") == source_sha and source.get("format") == _K92_STIMULI_FORMAT:
                stim = load(folder, name=_K92)
                if list(stim.ids) == ids:
                    return stim
        except (OSError, ValueError) as err:
            logger.info("Rebuilding the cached stimuli in %s (%s)", folder, err)
        else:
            logger.info("Rebuilding the cached stimuli in %s (stale or incomplete)", folder)
    logger.info("Writing the %d Kriegeskorte et al. (2008) images to %s", len(objs), folder)
    with atomic_dir(folder, overwrite=True, param="cache folder", in_cache=True) as tmp:
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
