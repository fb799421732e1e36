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


def predict(model, stimuli, *, batch_size: int = 16, device="auto", top_k: int = 5, score_threshold: float = 0.5,
            min_area: float = 0.002, progress: bool = True):
    """Run a model on stimuli and return its own outputs as what and where.

    Parameters
    ----------
    model : ModelWrapper
        A classifier, segmenter or detector (not a GAN), from :func:`load` or :func:`wrap`.
    stimuli : StimulusSet
        The images to run it on, in the set's order.
    batch_size : int
        Images per forward pass.
    device : str
        Where the model runs: ``"auto"`` (cuda, then mps, then cpu), ``"cpu"``, ``"cuda"``, ...
    top_k : int
        Classes kept per stimulus in ``what``.
    score_threshold : float
        Detectors: keep detections scoring at least this.
    min_area : float
        Segmenters: keep a class region only if it covers at least this share of the image.
    progress : bool
        Show a progress bar over the stimuli.

    Returns
    -------
    Predictions
        Classifiers fill ``what``; TwoStreamNet adds its dorsal read-out of
        ``x, y, size`` (with the implied box: the square around the predicted
        circumscribed circle) to ``where``. Segmenters add one instance per
        connected non-background region, labelled by the class with the highest
        mean probability inside it (its score); their ``what`` is the category
        head (UNet) or each class's mean pixel probability. Detectors add every
        detection (box, mask, keypoints).
    """
    from ._predict import predict as _predict

    return _predict(model, stimuli, batch_size=batch_size, device=device, top_k=top_k,
                    score_threshold=score_threshold, min_area=min_area, progress=progress)


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
