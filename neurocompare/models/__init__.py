"""The model zoo, the built-in nets, and running models on stimuli.

``load`` returns a :class:`ModelWrapper` holding the ``nn.Module``, its
preprocessing, its family, its layer names and its stream map.

The public-named modules ``batches``, ``building``, ``checkpoints``, ``specs``, ``tokens``
and ``training`` hold the helpers other parts of neurocompare use.
"""
from ._streams import STREAMS
from ._weights import WeightsDownloadError
from ._wrapper import FAMILIES, ModelWrapper
from ._zoo import BUILTINS, CLASSIFIERS, DETECTORS, SEGMENTERS, list_models, load, wrap
from .checkpoints import save
from .training import train


def predict(model, stimuli, **kwargs):
    """Run a model on stimuli and return its own outputs as what and where; see :func:`._predict.predict`."""
    from ._predict import predict as _predict

    return _predict(model, stimuli, **kwargs)


__all__ = ["load", "wrap", "list_models", "train", "save", "predict", "ModelWrapper", "WeightsDownloadError",
           "FAMILIES", "STREAMS", "CLASSIFIERS", "SEGMENTERS", "DETECTORS", "BUILTINS"]
