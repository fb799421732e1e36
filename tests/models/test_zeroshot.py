"""CLIP as an observer: zero-shot labels by text prompts, trial tables for the behaviour comparison, label RDMs."""
import os

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import neurocompare as nc  # noqa: E402
from neurocompare.behavior import CATEGORIES_16  # noqa: E402

open_clip = pytest.importorskip("open_clip")

#: the smallest OpenCLIP ViT: 32 px, 8 px patches, two blocks, a one-block text tower (the tokenizer is bundled)
TINY_CLIP = dict(embed_dim=16, vision_cfg=dict(image_size=32, layers=2, width=32, head_width=16, patch_size=8),
                 text_cfg=dict(context_length=77, vocab_size=49408, width=32, heads=2, layers=1))
TEMPLATES = ["a photo of a {}.", "a sketch of a {}."]


@pytest.fixture(scope="module")
def observer():
    return nc.models.load("openclip:ViT-S-32", labels=CATEGORIES_16, templates=TEMPLATES, **TINY_CLIP)


def _label_features(clip, labels, templates):
    """The CLIP recipe with open_clip's own API: normalised prompt embeddings, averaged per label, renormalised."""
    tok = open_clip.get_tokenizer("ViT-S-32")
    with torch.no_grad():
        out = []
        for label in labels:
            f = clip.encode_text(tok([t.format(label) for t in templates]), normalize=True)
            out.append(torch.nn.functional.normalize(f.mean(0), dim=-1))
    return torch.stack(out)


def test_zero_shot_logits_are_clip_cosines(observer):
    assert observer.classes == list(CATEGORIES_16) and observer.family == "classification"
    assert observer.config["labels"] == list(CATEGORIES_16) and observer.config["templates"] == TEMPLATES
    assert observer.default_layers[0] == "visual.conv1" and observer.tokens.grid == (4, 4)
    clip = observer.text_encoder.clip_model
    x = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        got = observer.module(x)
        ref = clip.logit_scale.exp() * clip.encode_image(x, normalize=True) @ _label_features(
            clip, CATEGORIES_16, TEMPLATES).T
    assert got.shape == (3, 16)
    assert torch.allclose(got, ref, atol=1e-5)
    assert observer.config["logit_scale"] == pytest.approx(float(clip.logit_scale.detach().exp()))
    # the default template
    one = nc.models.load("openclip:ViT-S-32", labels=["cat", "dog"], **TINY_CLIP)
    assert one.config["templates"] == ["a photo of a {}."]
    with torch.no_grad():
        ref1 = _label_features(one.text_encoder.clip_model, ["cat", "dog"], ["a photo of a {}."])
    assert torch.allclose(one.module.text_features, ref1, atol=1e-6)


def test_zero_shot_trial_table_and_shape_bias(small_set, observer):
    from neurocompare.stimuli import StimulusSet

    md = small_set.metadata.copy()
    shape = [CATEGORIES_16[i % 16] for i in range(len(md))]
    texture = [CATEGORIES_16[(3 * i + 1) % 16] for i in range(len(md))]
    md["category"] = shape
    md["imagename"] = [f"{s}{i}-{t}{i}" for i, (s, t) in enumerate(zip(shape, texture))]
    stim = StimulusSet(small_set.root, md.reset_index(), name="cue-conflict-like")
    trials = nc.behavior.model_trials(observer, stim, stimulus="imagename", progress=False)
    assert list(trials.columns[:9]) == list(nc.behavior.TRIAL_COLUMNS) and len(trials) == len(stim)
    assert set(trials.response) <= set(CATEGORIES_16) and {f"score_{c}" for c in CATEGORIES_16} <= set(trials)
    # the responses are the argmax of the zero-shot logits
    x = torch.stack([observer.transform(stim.load_image(i)) for i in range(len(stim))])
    with torch.no_grad():
        pred = observer.module(x).argmax(1).numpy()
    assert list(trials.response) == [CATEGORIES_16[k] for k in pred]
    sb = nc.behavior.shape_bias(trials, n_bootstrap=0).set_index("metric")
    n_shape = sum(r == s for r, s in zip(trials.response, shape))
    n_texture = sum(r == t for r, t in zip(trials.response, texture))
    assert sb.loc["fraction_shape", "value"] == pytest.approx(n_shape / len(stim))
    assert sb.loc["fraction_texture", "value"] == pytest.approx(n_texture / len(stim))
    assert int(sb.loc["shape_bias", "n"]) == len(stim)


def test_text_embeddings_and_their_rdm(observer):
    labels = ["cat", "dog", "car", "truck"]
    da = nc.models.text_embeddings(observer, labels, templates=TEMPLATES)
    assert da.dims == ("stimulus", "unit") and da.shape == (4, 16) and list(da.stimulus.values) == labels
    ref = _label_features(observer.text_encoder.clip_model, labels, TEMPLATES).numpy()
    assert np.abs(da.values - ref).max() < 1e-6
    assert np.allclose(np.linalg.norm(da.values, axis=1), 1, atol=1e-6)
    rdm = nc.rsa.compute_rdm(da, "cosine")
    assert rdm.shape == (4, 4)
    assert np.allclose(rdm.values, 1 - ref @ ref.T, atol=1e-5)


def test_zero_shot_errors(observer):
    with pytest.raises(TypeError, match=r"'labels': expected a list of label names.*got 'cat'"):
        nc.models.load("openclip:ViT-S-32", labels="cat", **TINY_CLIP)
    with pytest.raises(ValueError, match=r"'labels': each label must appear once; repeated: \['cat'\]"):
        nc.models.load("openclip:ViT-S-32", labels=["cat", "dog", "cat"], **TINY_CLIP)
    with pytest.raises(ValueError, match=r"'templates': each template is a string with one '\{\}'.*got 'a cat'"):
        nc.models.load("openclip:ViT-S-32", labels=["cat"], templates=["a cat"], **TINY_CLIP)
    with pytest.raises(ValueError, match=r"'templates': prompt templates need labels="):
        nc.models.load("openclip:ViT-S-32", templates=["a {}"], **TINY_CLIP)
    with pytest.raises(ValueError, match=r"'smallcnn' has no text side"):
        nc.models.text_embeddings(nc.models.load("smallcnn"), ["cat"])
    with pytest.raises(ValueError, match=r"'labels': expected at least one label"):
        nc.models.text_embeddings(observer, [])
