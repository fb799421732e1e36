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


def text_embeddings(model, labels, *, templates=None):
    """The CLIP text embeddings of labels, as a (stimulus, unit) DataArray for RSA.

    Parameters
    ----------
    model : ModelWrapper
        A model loaded with ``neurocompare.models.load("openclip:...")`` (with or
        without ``labels=``): it keeps CLIP's text tower and tokenizer.
    labels : list of str
        The label names; each is one row (``stimulus``) of the result.
    templates : list of str, optional
        Prompt templates with ``{}`` where the label goes; each label's
        embedding is the normalised mean of its normalised prompt embeddings.
        Default ``["a photo of a {}."]``. The text tower runs where CLIP's
        parameters are (the CPU unless you moved them), 256 prompts at a time.

    Returns
    -------
    xarray.DataArray
        Dims ``(stimulus, unit)``, float32, unit length per label (so the
        correlation or cosine distance of :func:`neurocompare.rsa.compute_rdm`
        compares the labels' meanings as CLIP's text side sees them).
        ``stimulus`` holds the labels, ``attrs``: ``model``, ``weights``,
        ``templates`` (joined with ``" | "``).
    """
    from ._zeroshot import text_embeddings as _text_embeddings

    return _text_embeddings(model, labels, templates=templates)


__all__ = ["load", "wrap", "list_models", "train", "save", "predict", "text_embeddings", "ModelWrapper",
           "WeightsDownloadError", "FAMILIES", "STREAMS", "CLASSIFIERS", "SEGMENTERS", "DETECTORS", "BUILTINS"]
