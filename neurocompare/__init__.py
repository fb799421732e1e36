"""neurocompare: compare deep networks with each other and with human data.

``import neurocompare as nc`` is cheap: submodules (and torch, matplotlib,
xarray) load on first use.
"""
from __future__ import annotations

import importlib

from ._utils.logging import NeurocompareWarning, set_log_level
from ._version import __version__

_SUBMODULES = ("stimuli", "models", "extraction", "rsa", "decoding", "probes", "cam", "saliency", "behavior",
               "transfer", "generation", "datasets", "plotting", "study", "report", "cli", "demo")

__all__ = ["__version__", "extract", "set_log_level", "NeurocompareWarning", *_SUBMODULES]


def extract(model, stimuli, **kwargs):
    """Extract layer activations; see :func:`neurocompare.extraction.extract`.

    Parameters
    ----------
    model : ModelWrapper or list of ModelWrapper
        Loaded model(s) (:func:`neurocompare.models.load`).
    stimuli : StimulusSet, torch.Tensor or numpy.ndarray
        The stimuli.
    **kwargs
        The options of :func:`neurocompare.extraction.extract` (``layers``, ``reduce``,
        ``device``, ``out``, ``random_state``, ``progress``, ...).

    Returns
    -------
    xarray.DataTree
        ``/<model>/<layer>`` nodes with ``activations`` (dims ``stimulus, unit``).
    """
    from .extraction import extract as _extract

    return _extract(model, stimuli, **kwargs)


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'neurocompare' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
