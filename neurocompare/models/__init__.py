"""The model zoo, the built-in nets, and running models on stimuli.

``load`` returns a :class:`ModelWrapper` holding the ``nn.Module``, its
preprocessing, its family, its layer names and its stream map.
"""
from ._builtin_zoo import save
from ._streams import STREAMS
from ._train import train
from ._weights import WeightsDownloadError
from ._wrapper import FAMILIES, ModelWrapper
from ._zoo import BUILTINS, CLASSIFIERS, DETECTORS, SEGMENTERS, list_models, load, wrap


def predict(model, stimuli, **kwargs):
    """Run a model on stimuli and return its own outputs as what and where; see :func:`._predict.predict`."""
    from ._predict import predict as _predict

    return _predict(model, stimuli, **kwargs)


__all__ = ["load", "wrap", "list_models", "train", "save", "predict", "ModelWrapper", "WeightsDownloadError",
           "FAMILIES", "STREAMS", "CLASSIFIERS", "SEGMENTERS", "DETECTORS", "BUILTINS"]
