"""CycleGAN: architecture, bad input, training, checkpoints/resume, determinism, translation."""
import math

import numpy as np
import pandas as pd
import pytest
import torch

from neurocompare.generation import CycleGAN, load_cyclegan, train_cyclegan
from neurocompare.generation import _cyclegan
from neurocompare.generation._cyclegan_nets import (ImagePool, PatchDiscriminator, ResnetGenerator, default_d_layers,
                                                    patch_output_side, patch_receptive_field)
from neurocompare.stimuli import make_whatwhere

TINY = dict(width=4, n_blocks=1, batch_size=2, progress=False)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def dom_a(tmp_path_factory):
    return make_whatwhere(tmp_path_factory.mktemp("cg") / "a", n_per_category=2, image_size=16, categories=3,
                          random_state=0)


@pytest.fixture(scope="module")
def dom_b(tmp_path_factory):
    return make_whatwhere(tmp_path_factory.mktemp("cg") / "b", n_per_category=2, image_size=16, categories=3,
                          background="texture", random_state=1)


@pytest.fixture(scope="module")
def trained(dom_a, dom_b, tmp_path_factory):
    out = tmp_path_factory.mktemp("cgrun") / "run"
    return train_cyclegan(dom_a, dom_b, epochs=3, out=out, **TINY), out


def _same_weights(m1, m2):
    s1, s2 = m1.state_dict(), m2.state_dict()
    return s1.keys() == s2.keys() and all(torch.equal(s1[k], s2[k]) for k in s1)


@pytest.mark.parametrize("size", [16, 24, 32, 48, 64])
def test_network_shapes(size):
    g = ResnetGenerator(3, width=4, n_blocks=2)
    x = torch.randn(2, 3, size, size)
    assert g(x).shape == x.shape
    assert g(x).abs().max() <= 1  # tanh output
    n = default_d_layers(size)
    d = PatchDiscriminator(3, width=4, n_layers=n)
    side = patch_output_side(size, n)
    assert d(x).shape == (2, 1, side, side) and side >= 1


def test_patch_sizes_follow_the_paper():
    # n_layers = 3 is the paper's 70x70 PatchGAN; scaled down for small images
    assert [patch_receptive_field(n) for n in (1, 2, 3)] == [16, 34, 70]
    assert [default_d_layers(s) for s in (16, 32, 64, 128, 256)] == [1, 1, 2, 3, 3]
    d = PatchDiscriminator(3, width=64, n_layers=3)
    assert d(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)  # the official 30x30 map at 256 px


def test_init_is_normal_002():
    torch.manual_seed(0)
    from neurocompare.generation._cyclegan_nets import init_weights

    g = ResnetGenerator(3, width=16, n_blocks=2)
    init_weights(g)
    w = torch.cat([m.weight.detach().flatten() for m in g.modules() if isinstance(m, torch.nn.Conv2d)])
    assert abs(float(w.std()) - 0.02) < 0.001 and abs(float(w.mean())) < 0.001
    assert all(float(m.bias.detach().abs().sum()) == 0 for m in g.modules() if isinstance(m, torch.nn.Conv2d))


def test_image_pool_matches_the_official_rule():
    rng = np.random.default_rng(0)
    pool = ImagePool(2, rng)
    a, b = torch.full((1, 1, 2, 2), 1.0), torch.full((1, 1, 2, 2), 2.0)
    assert torch.equal(pool.query(torch.cat([a, b])), torch.cat([a, b]))  # filling: returned as they are
    ref = np.random.default_rng(0)
    c = torch.full((1, 1, 2, 2), 3.0)
    out = pool.query(c)
    if ref.random() > 0.5:  # swapped for a stored one, which c replaces
        j = int(ref.integers(0, 2))
        assert float(out[0, 0, 0, 0]) == [1.0, 2.0][j] and float(pool.images[j][0, 0, 0, 0]) == 3.0
    else:
        assert float(out[0, 0, 0, 0]) == 3.0
    assert torch.equal(ImagePool(0, rng).query(c), c)


@pytest.mark.parametrize("size,msg", [(30, "multiple of 4"), (12, "at least 16")])
def test_bad_image_size(dom_a, dom_b, size, msg):
    with pytest.raises(ValueError, match=f"Invalid value for 'image_size'.*{msg}"):
        train_cyclegan(dom_a, dom_b, image_size=size, **TINY)


def test_native_size_the_architecture_cannot_make(tmp_path, dom_b):
    odd = make_whatwhere(tmp_path / "odd", n_per_category=1, image_size=18, categories=2, random_state=0)
    with pytest.raises(ValueError, match="images are 16x16 but domain_a's are 18x18; pass image_size"):
        train_cyclegan(odd, dom_b, **TINY)
    with pytest.raises(ValueError, match="multiple of 4.*got 18x18. Pass image_size=16"):
        train_cyclegan(odd, odd, **TINY)


def test_different_sizes_resize_only_when_asked(tmp_path, dom_a, caplog):
    big = make_whatwhere(tmp_path / "big", n_per_category=1, image_size=24, categories=2, background="texture",
                         random_state=0)
    with pytest.raises(ValueError, match="pass image_size=S to resize both"):
        train_cyclegan(dom_a, big, **TINY)
    caplog.set_level("INFO", logger="neurocompare")
    res = train_cyclegan(dom_a, big, image_size=16, epochs=1, **TINY)
    assert res.image_shape == (16, 16)
    assert "Resized 2 images of domain_b (24x24 (2)) to 16x16" in caplog.text
    assert "of domain_a" not in caplog.text  # already 16 px: not resized


@pytest.mark.parametrize("sel", [[], [0]])
def test_empty_or_single_image_domain(dom_a, dom_b, sel):
    with pytest.raises(ValueError, match=f"Invalid value for 'domain_b': a CycleGAN domain needs at least 2 images; "
                                         f".* has {len(sel)}"):
        train_cyclegan(dom_a, dom_b.subset(sel), **TINY)


@pytest.mark.parametrize("kw", [{"lambda_cycle": -1.0}, {"lambda_cycle": float("nan")}, {"lambda_cycle": "10"},
                                {"lambda_cycle": True}, {"lambda_identity": -0.5}, {"lr": 0.0},
                                {"lambda_identity": float("inf")}])
def test_bad_loss_weights(dom_a, dom_b, kw):
    (name, value), = kw.items()
    with pytest.raises(ValueError, match=f"Invalid value for '{name}': expected a finite number"):
        train_cyclegan(dom_a, dom_b, **kw, **TINY)


def test_other_bad_arguments(dom_a, dom_b):
    with pytest.raises(TypeError, match="'domain_a': expected a StimulusSet; got str"):
        train_cyclegan("folder", dom_b, **TINY)
    with pytest.raises(ValueError, match="'epochs'"):
        train_cyclegan(dom_a, dom_b, epochs=0, **TINY)
    with pytest.raises(ValueError, match="'decay_epochs': expected at most epochs=2"):
        train_cyclegan(dom_a, dom_b, epochs=2, decay_epochs=3, **TINY)
    with pytest.raises(ValueError, match="'d_layers'"):
        train_cyclegan(dom_a, dom_b, d_layers=3, **TINY)  # 16 px leaves no 70x70 patch


def test_training_lowers_cycle_loss_and_writes_outputs(trained, dom_a, dom_b):
    from neurocompare._utils.random import torch_seed
    from neurocompare.generation import cycle_metrics

    res, out = trained
    assert {"checkpoint.pt", "cyclegan.pt", "history.csv", "provenance.json"} <= {p.name for p in out.iterdir()}
    h = res.history
    assert list(h.columns) == ["epoch", "domain", "metric", "value"]
    assert set(h.metric) == set(_cyclegan.HISTORY_METRICS) and sorted(h.epoch.unique()) == [1, 2, 3]
    # official linear decay: epochs=3, decay_epochs=1 -> factors 1, 1, 1 - 1/2
    lr = h[h.metric == "lr"].value.to_numpy()
    np.testing.assert_allclose(lr, [2e-4, 2e-4, 1e-4])
    # the round trip improves on the untrained nets (same seed, same initial weights)
    with torch_seed(0):
        init = CycleGAN(**_cyclegan._build_nets(res.config), config=res.config)
    before = cycle_metrics(init, dom_a, dom_b, n_bootstrap=0).set_index(["metric", "domain"]).value
    after = cycle_metrics(res, dom_a, dom_b, n_bootstrap=0).set_index(["metric", "domain"]).value
    for dom in "ab":
        assert after["cycle_l1", dom] < 0.9 * before["cycle_l1", dom]
    cyc = h[h.metric == "cycle_l1"].pivot(index="epoch", columns="domain", values="value")
    assert (cyc.loc[3] < cyc.loc[1]).all()
    assert pd.read_csv(out / "history.csv").shape == h.shape


def test_inputs_unchanged(dom_a, dom_b):
    before = [(s.metadata.copy(), s.fingerprint()) for s in (dom_a, dom_b)]
    train_cyclegan(dom_a, dom_b, epochs=1, **TINY)
    for s, (md, fp) in zip((dom_a, dom_b), before):
        pd.testing.assert_frame_equal(s.metadata, md)
        assert s.fingerprint() == fp


def test_resume_equals_uninterrupted_run(dom_a, dom_b, tmp_path, monkeypatch, trained):
    full, _ = trained  # 3 epochs, uninterrupted
    real = _cyclegan._run_epoch
    calls = []

    def crash_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated interruption")
        return real(*args, **kwargs)

    monkeypatch.setattr(_cyclegan, "_run_epoch", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        train_cyclegan(dom_a, dom_b, epochs=3, out=tmp_path / "run", **TINY)
    assert (tmp_path / "run" / "checkpoint.pt").is_file() and not (tmp_path / "run" / "cyclegan.pt").exists()
    monkeypatch.setattr(_cyclegan, "_run_epoch", real)
    resumed = train_cyclegan(dom_a, dom_b, epochs=3, out=tmp_path / "run", **TINY)
    for name in ("g_ab", "g_ba", "d_a", "d_b"):
        assert _same_weights(getattr(resumed, name), getattr(full, name)), name
    pd.testing.assert_frame_equal(resumed.history, full.history)

    # a finished run is loaded, not retrained
    monkeypatch.setattr(_cyclegan, "_run_epoch", lambda *a, **k: pytest.fail("retrained"))
    again = train_cyclegan(dom_a, dom_b, epochs=3, out=tmp_path / "run", **TINY)
    assert _same_weights(again.g_ab, full.g_ab)
    # other settings in the same folder: refused unless overwrite=True
    with pytest.raises(FileExistsError, match=r"other inputs or settings \(lambda_cycle 10.0 -> 5.0\)"):
        train_cyclegan(dom_a, dom_b, epochs=3, out=tmp_path / "run", lambda_cycle=5.0, **TINY)
    monkeypatch.setattr(_cyclegan, "_run_epoch", real)
    fresh = train_cyclegan(dom_a, dom_b, epochs=1, out=tmp_path / "run", lambda_cycle=5.0, overwrite=True, **TINY)
    assert load_cyclegan(tmp_path / "run").config["lambda_cycle"] == 5.0 and fresh.history.epoch.max() == 1


def test_save_and_load(trained, tmp_path):
    res, out = trained
    loaded = load_cyclegan(out)
    assert loaded.config == res.config and _same_weights(loaded.g_ba, res.g_ba)
    pd.testing.assert_frame_equal(loaded.history, res.history)
    path = res.save(tmp_path / "m.pt")
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert torch.equal(CycleGAN.load(path).apply(x, "b2a"), res.apply(x, "b2a"))
    with pytest.raises(FileNotFoundError, match="no CycleGAN file"):
        load_cyclegan(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable CycleGAN file"):
        load_cyclegan(tmp_path / "junk.pt")


def test_translate_carries_metadata(trained, dom_a, tmp_path):
    res, _ = trained
    before = dom_a.metadata.copy()
    t = res.translate(dom_a, direction="a2b", out=tmp_path / "t")
    assert list(t.ids) == list(dom_a.ids)
    assert list(t.metadata.source_stimulus) == list(dom_a.ids) and set(t.metadata.translation) == {"a2b"}
    for col in ("category", "x", "y", "size"):
        np.testing.assert_array_equal(t.metadata[col].to_numpy(), dom_a.metadata[col].to_numpy())
    assert t.load_image(0).size == (16, 16) and t.has_masks
    np.testing.assert_array_equal(t.load_mask(2), dom_a.load_mask(2))
    # the written images are the generator's output, rounded to 8 bits
    x = _cyclegan.images_tensor(dom_a, (16, 16), resize=False)
    expected = _cyclegan.to_uint8(res.apply(x, "a2b"))
    np.testing.assert_array_equal(np.asarray(t.load_image(3)), expected[3])
    pd.testing.assert_frame_equal(dom_a.metadata, before)
    with pytest.raises(ValueError, match="Invalid value for 'direction'.*Did you mean 'a2b'"):
        res.translate(dom_a, direction="a2c", out=tmp_path / "u")
    with pytest.raises(ValueError, match="the source set's own folder"):
        res.translate(dom_a, out=dom_a.root, overwrite=True)


def test_translate_size_mismatch(trained, tmp_path):
    res, _ = trained
    big = make_whatwhere(tmp_path / "big", n_per_category=1, image_size=32, categories=2, random_state=0)
    with pytest.raises(ValueError, match="is 32x32 but the model works on 16x16 images; pass resize=True"):
        res.translate(big, out=tmp_path / "t")
    t = res.translate(big, out=tmp_path / "t", resize=True)
    assert t.load_image(0).size == (16, 16)


def test_same_seed_same_weights(dom_a, dom_b, trained):
    full, _ = trained
    again = train_cyclegan(dom_a, dom_b, epochs=3, **TINY)
    assert _same_weights(again.g_ab, full.g_ab) and _same_weights(again.d_b, full.d_b)
    other = train_cyclegan(dom_a, dom_b, epochs=1, random_state=1, **TINY)
    assert not _same_weights(other.g_ab, full.g_ab)
    assert math.isfinite(float(again.history.value.sum()))
