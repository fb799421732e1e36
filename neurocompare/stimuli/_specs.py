"""Named stimulus-set specs (TOML files in the repository's ``stimuli/`` folder)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from .._utils.hashing import config_hash
from .._utils.logging import logger
from .._utils.paths import cache_dir


def specs_dir() -> Path:
    """The folder holding the shipped specs (packaged copy, else the source checkout's ``stimuli/``)."""
    packaged = resources.files("neurocompare") / "_stimulus_specs"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "stimuli"


def list_specs() -> list[str]:
    """Names of the shipped stimulus specs."""
    return sorted(p.stem for p in specs_dir().glob("*.toml"))


def read_spec(spec) -> dict:
    """Read a stimulus-set spec by name or path.

    Parameters
    ----------
    spec : str or path-like
        A shipped spec name (see :func:`list_specs`) or the path of a ``.toml``
        file with a ``[params]`` table of :func:`make_whatwhere` arguments.

    Returns
    -------
    dict
        ``{"name": file stem, "description": str, "params": dict}``.
    """
    from ._io import read_toml

    path = Path(spec)
    if path.suffix != ".toml":
        path = specs_dir() / f"{spec}.toml"
        if not path.is_file():
            from .._utils.checks import unknown_name_error

            raise unknown_name_error("stimulus spec", str(spec), list_specs(),
                                     hint="Pass a shipped spec name or the path of a .toml file.")
    elif not path.is_file():
        raise FileNotFoundError(f"Invalid value for 'spec': the file {str(path)!r} does not exist.")
    data = read_toml(path)
    gen = data.get("generator", {}).get("function", "make_whatwhere")
    if gen != "make_whatwhere":
        raise ValueError(f"The spec {str(path)!r} names generator {gen!r}; only 'make_whatwhere' is available.")
    return {"name": path.stem, "description": data.get("description", ""), "params": dict(data.get("params", {}))}


def make_from_spec(spec="whatwhere-default", out=None, *, overwrite: bool = False):
    """Generate the stimulus set a spec describes.

    Parameters
    ----------
    spec : str or path-like
        A shipped spec name (see :func:`list_specs`) or a TOML file with a
        ``[params]`` table of :func:`make_whatwhere` arguments.
    out : path-like, optional
        Where to write it. By default the set is generated once into the
        neurocompare cache (keyed by the spec's content) and reused afterwards.
    overwrite : bool
        Replace ``out`` if neurocompare wrote it before (passed to
        :func:`make_whatwhere`); unused when the cached set is reused.

    Returns
    -------
    StimulusSet
    """
    from ._stimulusset import load
    from ._whatwhere import make_whatwhere

    info = read_spec(spec)
    if out is None:
        from ._whatwhere import GENERATOR_VERSION

        key = config_hash({**info["params"], "_version": GENERATOR_VERSION}, length=12)
        out = cache_dir("stimuli") / f"{info['name']}-{key}"
        if (out / "stimuli.csv").is_file():
            logger.info("Using cached stimuli %s", out)
            return load(out, validate=False, name=info["name"])
    stim = make_whatwhere(out, overwrite=overwrite, **info["params"])
    stim.name = info["name"]
    return stim
