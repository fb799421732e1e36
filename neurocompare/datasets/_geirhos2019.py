"""Geirhos et al. (2019): edge, silhouette and cue-conflict experiments (humans and CNNs, trial by trial)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ._fetch import REGISTRY, fetch_files, read_description

_G19 = "geirhos2019"
#: experiment -> (raw-data folder stem, stimulus folder or None)
_G19_EXPERIMENTS = {"edge": ("edge-experiment", "stimuli/edges"),
                    "silhouette": ("silhouette-filled-experiment", "stimuli/filled-silhouettes"),
                    "cue-conflict": ("style-transfer-512-nomask-experiment", None)}


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
        What the data are, the paper to cite and the licences (``descr/geirhos2019.md``).
    """

    stimuli: dict
    humans: object
    models: object
    cue_conflict: object
    files: dict = field(default_factory=dict)
    description: str = field(default_factory=partial(read_description, _G19))

    def __repr__(self) -> str:
        def n(t):
            return 0 if t is None else t["subject"].nunique()

        return (f"<Geirhos2019: stimuli {sorted(self.stimuli)}; humans {n(self.humans)} subjects, models "
                f"{n(self.models)}; cue-conflict {n(self.cue_conflict)} observers>")


def fetch_geirhos2019(*, data_dir=None, experiments=None) -> Geirhos2019:
    """Geirhos et al. (2019): edge and silhouette images with human and CNN trials, and the cue-conflict trials.

    Files come from ``rgeirhos/texture-vs-shape`` at commit
    ``ccd0c01d42c0a8a834e90ec141e7f24fa915dc23`` (stimuli under ``stimuli/``,
    trials under ``raw-data/``), checked against their sha256 in the registry; the
    returned ``description`` gives the licences and the paper to cite. See
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

    from .._utils.checks import check_option
    from ..behavior import load_trials
    from ..stimuli import StimulusSet

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
                    from ..behavior import texture_categories

                    t["texture"] = [tex for _, tex in texture_categories(t["stimulus"])]
                    t["observer"] = "human" if human else "model"
                    cue.append(t)
                else:
                    (humans if human else models).append(t)

    def cat(parts):
        return pd.concat(parts, ignore_index=True) if parts else None

    return Geirhos2019(stimuli=stimuli, humans=cat(humans), models=cat(models), cue_conflict=cat(cue),
                       files=files, description=read_description(_G19))
