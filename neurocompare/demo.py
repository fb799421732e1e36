"""``neurocompare demo``: the shipped demo study (``studies/demo.toml``), every stage on the default data."""
from __future__ import annotations

from pathlib import Path


def demo_study_path() -> Path:
    """The shipped demo study file (``studies/demo.toml``; packaged as ``neurocompare/_studies``)."""
    from importlib import resources

    packaged = resources.files("neurocompare") / "_studies" / "demo.toml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "studies" / "demo.toml"


def run_demo(out="neurocompare-demo", *, quick: bool = False, overwrite: bool = False, progress: bool = True) -> str:
    """Run the demo study: what/where stimuli, three nets, probes, RSA, decoding, CAM, transfer, a GAN.

    Writes a study results folder (see :func:`neurocompare.study.run_study`): ``report.html``,
    ``figures/`` (PNG + PDF), ``tables/`` (CSV), ``activations/``, ``provenance.json``,
    ``methods.md`` and ``references.bib``. A rerun into the same folder resumes.

    Parameters
    ----------
    out : path-like
        The results folder.
    quick : bool
        A smaller, faster run for checks (48 stimuli at 32 px, few bootstrap samples and
        epochs); its numbers are rough.
    overwrite : bool
        Start afresh in ``out`` if it holds another study's results (only ever a folder
        neurocompare wrote).
    progress : bool
        Show progress bars.

    Returns
    -------
    str
        A short summary of what was written, ending with the path of ``report.html``.
    """
    import pandas as pd

    from .study import read_study, run_study

    study = read_study(demo_study_path())
    if quick:
        study = _quick(study)
    folder = run_study(study, out=out, overwrite=overwrite, progress=progress)
    rsa = pd.read_csv(folder / "tables" / "rsa.csv")
    best = rsa.loc[rsa.groupby("target")["value"].idxmax()]
    lines = [f"Wrote {folder}/ ({'quick ' if quick else ''}demo study {study.path.name})",
             "  figures/ tables/ activations/ provenance.json methods.md references.bib",
             "Layers most similar to each hypothesis RDM: " + "; ".join(
                 f"{r.target}: {r.model} {r.layer} (r = {r.value:.2f})" for r in best.itertuples()),
             f"Report: {folder / 'report.html'}"]
    return "\n".join(lines)


def _quick(study):
    """The demo study made small: 48 shapes at 32 px (made once in the cache), few samples and epochs."""
    from ._utils.paths import cache_dir
    from .stimuli import load, make_whatwhere
    from .study import StudyFile
    from .study.schema import Study

    folder = cache_dir("stimuli") / "demo-quick"
    if (folder / "stimuli.csv").is_file():
        load(folder)
    else:
        make_whatwhere(folder, n_per_category=6, image_size=32, random_state=0, overwrite=True)
    raw = study.config.model_dump(mode="python", exclude_none=True)
    raw["stimuli"] = {"shapes": {"path": str(folder)}}
    for name in ("twostream", "unet"):
        raw["models"][name]["epochs"] = 4
    a = raw["analyses"]
    a["probes"]["cv"] = 3
    a["rsa"].update(n_bootstrap=100, permutations=100)
    a["decoding"]["cv"] = 3
    a["transfer"].update(target="category", epochs=1)
    a["generation"].update(epochs=2, n_samples=100, steps=3, n=2)
    return StudyFile(Study.model_validate(raw), study.path)
