"""Model responses on the trials people saw, in the same trial format."""
from __future__ import annotations

import numpy as np


def model_trials(model, stimuli, *, mapping=None, subject: str | None = None, condition="all", stimulus=None,
                 batch_size: int = 32, device="auto", progress: bool = True):
    """Run a classifier on stimuli and write its responses as a standard trial table.

    The model's softmax probabilities are turned into scores for the
    response categories of the experiment by ``mapping``; its response on a
    trial is the category with the highest score (ties go to the first
    category).

    Parameters
    ----------
    model : ModelWrapper
        A classification model (``neurocompare.models.load`` / ``train`` / ``wrap``).
    stimuli : StimulusSet
        Needs a ``category`` column (the correct answer).
    mapping : None, "identity", "imagenet16", dict or CategoryMapping
        ``None`` / ``"identity"``: the model's own classes are the categories
        (``model.classes``). ``"imagenet16"``: the standard ImageNet-1000 ->
        16-category mapping of Geirhos et al. (2019) and model-vs-human (mean
        probability over each category's member classes). A dict
        ``{category: [class indices or class names]}`` (mean aggregation), or a
        :class:`CategoryMapping` for another aggregation.
    subject : str, optional
        The model's name in the table (default ``model.name``).
    condition : str or number
        The ``condition`` of every trial, or the name of a stimulus factor to
        take each trial's condition from (when it is a column of
        ``stimuli.metadata``, e.g. ``"noise"``).
    stimulus : str, optional
        A stimulus factor holding the names used in the human table; default
        the stimulus ids.
    batch_size : int
    device : str
    progress : bool

    Returns
    -------
    pandas.DataFrame
        The standard columns (``rt`` NaN; ``session`` 1; ``trial`` the stimulus
        order) plus ``confidence`` (the winning category's share of the
        category scores) and one ``score_<category>`` column per category.
    """
    import pandas as pd
    import torch

    from .._utils.checks import check_positive_int, unknown_name_error
    from .._utils.device import resolve_device
    from .._utils.progress import progress_bar
    from ..models import ModelWrapper
    from ..models.batches import StimulusSource, first_tensor, prepared
    from ..stimuli import StimulusSet
    from ._mapping import resolve_mapping

    if not isinstance(model, ModelWrapper):
        raise TypeError(f"Invalid value for 'model': expected a ModelWrapper (neurocompare.models.load); got "
                        f"{type(model).__name__}.")
    if model.family != "classification":
        raise ValueError(f"Invalid value for 'model': model_trials needs a classifier; {model.name!r} is a "
                         f"{model.family} model.")
    if not isinstance(stimuli, StimulusSet):
        raise TypeError(f"Invalid value for 'stimuli': expected a StimulusSet; got {type(stimuli).__name__}.")
    md = stimuli.metadata
    if "category" not in md.columns:
        raise ValueError(f"Invalid value for 'stimuli': a 'category' column (the correct answer) is needed; "
                         f"available factors: {list(md.columns)}.")
    if stimulus is not None and stimulus not in md.columns:
        raise unknown_name_error("stimulus factor for 'stimulus'", stimulus, md.columns)
    batch_size = check_positive_int("batch_size", batch_size)
    dev = resolve_device(device)
    source = StimulusSource(stimuli)
    chunks = []
    with prepared(model.module, dev), progress_bar(len(stimuli), f"{model.name}: trials", enable=progress) as adv:
        for _, inputs in source.batches(model, batch_size, 0, 0):
            if isinstance(inputs, list):
                raise ValueError("The stimuli have different sizes after the model's transform; resize them first.")
            with torch.inference_mode():
                out = model.run(inputs.to(dev))
            chunks.append(first_tensor(out).float().softmax(-1).cpu().numpy())
            adv(len(inputs))
    probs = np.concatenate(chunks)
    fn, cats = resolve_mapping(mapping, model.classes, probs.shape[1])
    scores = np.asarray(fn(probs), dtype=float)
    choice = scores.argmax(1)  # first maximum: ties go to the first category
    total = scores.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        conf = np.where(total > 0, scores[np.arange(len(scores)), choice] / total, np.nan)
    truth = md["category"].astype(str).to_numpy()
    unknown = sorted(set(truth) - set(cats))
    if unknown:
        raise ValueError(f"The stimuli's categories {unknown[:8]} are not among the mapping's response categories "
                         f"{list(cats)[:16]}; the model could never answer them correctly. Pass a mapping whose "
                         "categories cover the stimulus categories.")
    if isinstance(condition, str) and condition in md.columns:
        cond = md[condition].to_numpy()
    else:
        cond = np.full(len(md), condition, dtype=object)
    resp = np.array(cats, dtype=object)[choice]
    out = pd.DataFrame({
        "subject": str(subject or model.name),
        "stimulus": (md[stimulus].astype(str).to_numpy() if stimulus else md.index.astype(str).to_numpy()),
        "response": resp, "category": truth, "correct": resp == truth, "rt": np.nan, "condition": cond,
        "session": 1, "trial": np.arange(1, len(md) + 1), "confidence": conf})
    score_cols = pd.DataFrame(scores, columns=[f"score_{c}" for c in cats])
    return pd.concat([out, score_cols], axis=1)
