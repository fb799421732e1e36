"""CLIP as a classifier over any label set: zero-shot text prompts, and the label embeddings for RSA."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

#: The default prompt template of :func:`neurocompare.models.load` with ``labels=`` (Radford et al. 2021).
DEFAULT_TEMPLATES = ("a photo of a {}.",)


class ZeroShotClassifier(torch.nn.Module):
    """A CLIP image tower with one logit per label: ``logit_scale * cos(image embedding, label embedding)``.

    The label embeddings (one per label, the normalised mean of its normalised
    prompt embeddings) and CLIP's learnt temperature (and bias, for SigLIP) are
    buffers; the image tower is the ``visual`` child, so its layers are named
    ``visual.<layer>``.
    """

    def __init__(self, visual, text_features, logit_scale, logit_bias=None):
        super().__init__()
        self.visual = visual
        self.register_buffer("text_features", F.normalize(text_features.float(), dim=-1))
        self.register_buffer("logit_scale", torch.as_tensor(float(logit_scale)))
        self.register_buffer("logit_bias", torch.as_tensor(float(logit_bias if logit_bias is not None else 0.0)))

    def forward(self, x):
        image = F.normalize(self.visual(x), dim=-1)
        return self.logit_scale * image @ self.text_features.to(image.dtype).T + self.logit_bias


class TextEncoder:
    """The text tower of a CLIP model and its tokenizer: prompts -> normalised embeddings (kept outside the module)."""

    def __init__(self, clip_model, tokenizer, name: str):
        self.clip_model, self.tokenizer, self.name = clip_model, tokenizer, name

    @property
    def logit_scale(self) -> float:
        return float(self.clip_model.logit_scale.detach().exp())

    @property
    def logit_bias(self):
        bias = getattr(self.clip_model, "logit_bias", None)
        return None if bias is None else float(bias.detach())

    def encode(self, texts, chunk: int = 256) -> torch.Tensor:
        """(len(texts), D) float32 embeddings of unit length, on the CPU (the text tower runs where it is)."""
        model = self.clip_model
        text = getattr(model, "text", None) or getattr(model, "token_embedding", None) or model  # CustomTextCLIP, CLIP
        device = next(text.parameters()).device
        was = model.training
        model.eval()
        out = []
        try:
            with torch.inference_mode():
                for i in range(0, len(texts), chunk):
                    tokens = self.tokenizer(list(texts[i:i + chunk])).to(device)
                    out.append(F.normalize(model.encode_text(tokens).float(), dim=-1).cpu())
        finally:
            model.train(was)
        return torch.cat(out)

    def labels(self, labels, templates) -> torch.Tensor:
        """One embedding per label: the normalised mean of its normalised prompt embeddings."""
        prompts = [t.format(label) for label in labels for t in templates]
        feats = self.encode(prompts).reshape(len(labels), len(templates), -1)
        return F.normalize(feats.mean(1), dim=-1)


def check_labels(labels) -> list[str]:
    """``labels`` as a list of distinct non-empty strings, else a clear error."""
    from collections.abc import Iterable

    if isinstance(labels, str) or not isinstance(labels, Iterable):
        raise TypeError(f"Invalid value for 'labels': expected a list of label names (str), e.g. "
                        f"['cat', 'dog'] or neurocompare.behavior.CATEGORIES_16; got {labels!r}.")
    out = list(labels)
    bad = [x for x in out if not isinstance(x, str) or not x.strip()]
    if bad:
        raise TypeError(f"Invalid value in 'labels': expected non-empty strings; got {bad[0]!r}.")
    if not out:
        raise ValueError("Invalid value for 'labels': expected at least one label; got an empty list.")
    dup = sorted({x for x in out if out.count(x) > 1})
    if dup:
        raise ValueError(f"Invalid value for 'labels': each label must appear once; repeated: {dup}.")
    return out


def check_templates(templates) -> list[str]:
    """``templates`` (None: :data:`DEFAULT_TEMPLATES`) as a list of strings with one ``{}`` each."""
    if templates is None:
        return list(DEFAULT_TEMPLATES)
    if isinstance(templates, str):
        templates = [templates]
    out = list(templates)
    if not out:
        raise ValueError("Invalid value for 'templates': expected at least one prompt template; got an empty list.")
    for t in out:
        if not isinstance(t, str) or t.count("{}") != 1:
            raise ValueError(f"Invalid value in 'templates': each template is a string with one '{{}}' where the "
                             f"label goes, e.g. 'a photo of a {{}}.'; got {t!r}.")
    return out


def text_embeddings(model, labels, *, templates=None):
    """See :func:`neurocompare.models.text_embeddings`."""
    import xarray as xr

    from ._wrapper import ModelWrapper

    if not isinstance(model, ModelWrapper):
        raise TypeError(f"Invalid value for 'model': expected a ModelWrapper; got {type(model).__name__}.")
    encoder = getattr(model, "text_encoder", None)
    if encoder is None:
        raise ValueError(f"Invalid value for 'model': {model.name!r} has no text side; text embeddings need a CLIP "
                         "model loaded with neurocompare.models.load('openclip:<name>').")
    labels = check_labels(labels)
    templates = check_templates(templates)
    feats = encoder.labels(labels, templates).numpy().astype(np.float32)
    return xr.DataArray(feats, dims=("stimulus", "unit"),
                        coords={"stimulus": np.array(labels, dtype=object), "unit": np.arange(feats.shape[1])},
                        name="text_embedding",
                        attrs={"model": model.name, "weights": str(model.weights), "templates": " | ".join(templates)})
