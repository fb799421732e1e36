"""CycleGAN metrics: cycle/identity L1 and the what/where/style dissociation, with known translators."""
import pytest
import torch
from torch import nn

from neurocompare.generation import CycleGAN, cycle_metrics, style_features, translation_dissociation
from neurocompare.stimuli import make_whatwhere


class Flip(nn.Module):
    """A 'translator' that mirrors the image left-right: x changes (x -> 1 - x), y and size stay."""

    def forward(self, x):
        return x.flip(-1)


class Darken(nn.Module):
    """A 'translator' that shifts every pixel by -0.1 on the 0-1 scale (-0.2 on the [-1, 1] scale)."""

    def forward(self, x):
        return (x - 0.2).clamp(-1, 1)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def labeler(train_set):
    """A TwoStreamNet of our own (single-threaded; the shared trained_twostream fixture is left alone)."""
    from neurocompare.models import train

    return train("twostreamnet", train_set, epochs=10, options={"image_size": 32}, progress=False)


def _fake(g_ab, g_ba=None, size=32):
    return CycleGAN(g_ab=g_ab, g_ba=g_ba or nn.Identity(), config={"image_size": [size, size]})


@pytest.fixture(scope="module")
def texture_set(tmp_path_factory):
    return make_whatwhere(tmp_path_factory.mktemp("cgm") / "tex", n_per_category=4, image_size=32, categories=6,
                          background="texture", random_state=5)


@pytest.fixture(scope="module")
def blank_ref(tmp_path_factory):
    return make_whatwhere(tmp_path_factory.mktemp("cgm") / "blank", n_per_category=4, image_size=32, categories=6,
                          random_state=6)


def test_identity_translator_has_zero_cycle_l1(small_set, texture_set):
    res = cycle_metrics(_fake(nn.Identity()), small_set, texture_set, n_bootstrap=100)
    assert list(res.columns) == ["metric", "domain", "mapping", "value", "ci_low", "ci_high", "sd", "n"]
    assert len(res) == 6 and (res.value == 0).all() and (res.ci_high == 0).all()
    assert list(res.n) == [len(small_set)] * 3 + [len(texture_set)] * 3


def test_cycle_metrics_known_values(small_set, texture_set):
    # darken one way, identity back: the round trip and the change are both the mean |shift| exactly
    from neurocompare.generation.images import images_tensor

    res = cycle_metrics(_fake(Darken()), small_set, texture_set, n_bootstrap=200, random_state=0).set_index(
        ["metric", "domain"])
    x = images_tensor(small_set, (32, 32), resize=False)
    expected = ((x - (x - 0.2).clamp(-1, 1)).abs().flatten(1).mean(1) / 2).double().numpy()
    assert res.loc[("cycle_l1", "a"), "value"] == pytest.approx(expected.mean(), abs=1e-7)
    assert res.loc[("change_l1", "a"), "value"] == pytest.approx(expected.mean(), abs=1e-7)
    assert res.loc[("identity_l1", "a"), "value"] == 0  # g_ba is the identity
    assert res.loc[("identity_l1", "b"), "value"] > 0.09  # g_ab (darken) applied to B
    assert res.loc[("cycle_l1", "a"), "ci_low"] <= res.loc[("cycle_l1", "a"), "value"] <= \
        res.loc[("cycle_l1", "a"), "ci_high"]
    assert res.loc[("cycle_l1", "a"), "sd"] == pytest.approx(expected.std(ddof=1), abs=1e-7)
    no_ci = cycle_metrics(_fake(Darken()), small_set, texture_set, n_bootstrap=0)
    assert no_ci.ci_low.isna().all()


def test_style_features_separate_backgrounds(small_set, texture_set):
    from neurocompare.generation.images import images_tensor

    fa = style_features(images_tensor(small_set, (32, 32), resize=False))
    fb = style_features(images_tensor(texture_set, (32, 32), resize=False))
    assert fa.shape == (len(small_set), 12)
    # the plaid adds contrast and edges everywhere
    assert fb[:, 3:6].mean() > fa[:, 3:6].mean() and fb[:, 6].mean() > 2 * fa[:, 6].mean()


def test_identity_translator_keeps_everything(labeler, test_set, small_set, texture_set):
    d = translation_dissociation(_fake(nn.Identity()), test_set, labeler=labeler,
                                 reference=(small_set, texture_set), n_bootstrap=100)
    v = d.set_index(["factor", "image", "metric"]).value
    for f in ("x", "y", "size"):
        assert v[f, "source_vs_translation", "r"] == pytest.approx(1.0)
        assert v[f, "source_vs_translation", "mean_abs_shift"] == 0
        assert v[f, "source", "r_truth"] == pytest.approx(v[f, "translation", "r_truth"])
    assert v["x", "source", "r_truth"] > 0.8  # the labeler reads position
    assert v["category", "source_vs_translation", "agreement"] == 1
    assert v["domain", "reference", "cv_accuracy"] > 0.9  # blank vs texture is easy
    assert v["domain", "source", "target_domain_rate"] == v["domain", "translation", "target_domain_rate"] == 0
    assert v["domain", "translation", "target_distance_ratio"] > 1.5  # blank images are far from the texture centroid
    assert set(d.kind) == {"where", "what", "style"}
    ref = d.image == "reference"
    assert (d.n[~ref] == len(test_set)).all() and (d.n[ref] == len(small_set) + len(texture_set)).all()
    assert d.chance[(d.metric == "accuracy")].eq(1 / len(labeler.classes)).all()


def test_mirror_translator_moves_x_only(labeler, test_set, small_set, texture_set):
    d = translation_dissociation(_fake(Flip()), test_set, labeler=labeler, reference=(small_set, texture_set),
                                 n_bootstrap=200, random_state=0)
    v = d.set_index(["factor", "image", "metric"])
    r = v.loc[("x", "source_vs_translation", "r")]
    assert r.value < -0.7 and r.ci_high < 0  # left-right mirrored: x read-out anti-correlated
    assert v.loc[("y", "source_vs_translation", "r"), "value"] > 0.8  # y kept
    assert v.loc[("x", "translation", "r_truth"), "value"] < -0.7


def test_translated_to_texture_reads_as_texture(labeler, test_set, small_set, texture_set):
    # a "translator" that pastes a texture image (one per stimulus) under each shape's blank background
    from neurocompare.generation.images import images_tensor

    bgs = images_tensor(texture_set, (32, 32), resize=False)

    class Paste(nn.Module):
        def forward(self, x):
            blank = (x - x[:, :, :1, :1]).abs().sum(1, keepdim=True) < 1e-3
            return torch.where(blank, bgs.repeat(2, 1, 1, 1)[:len(x)], x)

    d = translation_dissociation(_fake(Paste()), test_set, labeler=labeler,
                                 reference=(small_set, texture_set), n_bootstrap=0)
    v = d.set_index(["factor", "image", "metric"]).value
    assert v["domain", "translation", "target_domain_rate"] > 0.9
    assert v["domain", "translation", "target_distance_ratio"] < v["domain", "source", "target_distance_ratio"]


def test_dissociation_errors(labeler, test_set, small_set, texture_set):
    gan = _fake(nn.Identity())
    with pytest.raises(TypeError, match="'labeler': expected a ModelWrapper"):
        translation_dissociation(gan, test_set, labeler=42, reference=(small_set, texture_set))
    with pytest.raises(TypeError, match="'reference': expected a pair"):
        translation_dissociation(gan, test_set, labeler=labeler, reference=small_set)
    with pytest.raises(ValueError, match=r"factor\(s\) \['colour'\] are not columns"):
        translation_dissociation(gan, test_set, labeler=labeler, reference=(small_set, texture_set),
                                 where=["colour"])
    with pytest.raises(ValueError, match="at least 3 stimuli"):
        translation_dissociation(gan, test_set.subset([0, 1]), labeler=labeler,
                                 reference=(small_set, texture_set))
    with pytest.raises(TypeError, match="'result': expected the CycleGAN"):
        cycle_metrics("model.pt", small_set, texture_set)
    with pytest.raises(ValueError, match="'ci'"):
        cycle_metrics(gan, small_set, texture_set, ci=95)
    with pytest.raises(ValueError, match="'direction'"):
        translation_dissociation(gan, test_set, labeler=labeler, reference=(small_set, texture_set),
                                 direction="forward")


def test_labeler_by_name_is_trained_on_both_references(test_set, small_set, texture_set, caplog):
    from neurocompare.generation._cyclegan_metrics import _combine_sets

    both = _combine_sets([small_set, texture_set])
    assert len(both) == len(small_set) + len(texture_set)
    assert both.load_image(len(small_set)).size == (32, 32)  # files resolve from the common root
    assert set(both.metadata.background) == {"blank", "texture"}
    caplog.set_level("INFO", logger="neurocompare")
    d = translation_dissociation(_fake(nn.Identity()), test_set, labeler="twostreamnet",
                                 reference=(small_set, texture_set), n_bootstrap=0)
    assert "Training a twostreamnet labeler on the 48 reference images" in caplog.text
    assert d.set_index(["factor", "image", "metric"]).value["x", "source_vs_translation", "r"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Invalid value for 'labeler'.*Did you mean 'twostreamnet'"):
        translation_dissociation(_fake(nn.Identity()), test_set, labeler="twostream",
                                 reference=(small_set, texture_set))
