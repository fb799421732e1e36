"""train_gan: the adversarial loop, sample grids, resumable checkpoints, extraction of both players."""
import numpy as np
import pytest
import torch

import neurocompare as nc
from neurocompare.generation import train_gan


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    return nc.stimuli.make_whatwhere(tmp_path_factory.mktemp("gan") / "s16", n_per_category=10, image_size=16,
                                     categories=4, random_state=1)


KW = dict(latent_dim=8, width=8, batch_size=16, progress=False, random_state=0)


def test_short_cpu_run_lowers_generator_loss_and_draws_grids(tiny_set, tmp_path):
    gan = train_gan(tiny_set, epochs=4, out=tmp_path / "run", **KW)
    h = gan.history.pivot(index="epoch", columns="metric", values="value")
    assert list(h.columns) == ["d_fake", "d_real", "loss_d", "loss_g"] and list(h.index) == [1, 2, 3, 4]
    assert h.loss_g.iloc[-1] < h.loss_g.iloc[0] - 0.02          # the generator fools D more as it learns
    assert (h[["d_real", "d_fake"]].to_numpy() > 0).all() and (h[["d_real", "d_fake"]].to_numpy() < 1).all()
    assert gan.config["image_size"] == 16 and gan.family == "gan"   # native size of the stimuli
    s = gan.samples
    assert s.dims == ("epoch", "sample", "y", "x", "channel") and s.dtype == np.uint8
    assert list(s.epoch.values) == [0, 1, 2, 3, 4] and s.shape[1:] == (64, 16, 16, 3)
    assert not np.array_equal(s.sel(epoch=4).values, s.sel(epoch=0).values)
    # same fixed latents each epoch: epoch 0 is the untrained generator's output, the last the trained one's
    to_uint8 = nc.generation._gan.to_uint8
    with torch.no_grad():
        g0 = nc.models.load("dcgan", image_size=16, latent_dim=8, width=8, random_state=0).module.generator.eval()
        assert np.array_equal(to_uint8(g0(torch.from_numpy(gan.fixed_z))), s.sel(epoch=0).values)
        assert np.array_equal(to_uint8(gan.module.generator(torch.from_numpy(gan.fixed_z))), s.sel(epoch=4).values)
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"checkpoint.pt", "generator.pt", "history.csv", "samples"} <= files
    assert len(list((tmp_path / "run" / "samples").glob("epoch_*.png"))) == 5
    again = nc.models.load("dcgan", weights=str(tmp_path / "run" / "generator.pt"))
    assert all(torch.equal(a, b) for a, b in zip(again.module.state_dict().values(), gan.module.state_dict().values()))


def test_resume_gives_the_uninterrupted_weights(tiny_set, tmp_path):
    full = train_gan(tiny_set, epochs=3, out=tmp_path / "a", **KW)
    train_gan(tiny_set, epochs=1, out=tmp_path / "b", **KW)
    resumed = train_gan(tiny_set, epochs=3, out=tmp_path / "b", **KW)
    for k, v in full.module.state_dict().items():
        assert torch.equal(v, resumed.module.state_dict()[k]), k
    assert full.history.equals(resumed.history)
    assert np.array_equal(full.samples.values, resumed.samples.values)
    with pytest.raises(FileExistsError, match="checkpoint of other settings"):
        train_gan(tiny_set, epochs=3, out=tmp_path / "b", **{**KW, "random_state": 1})
    with pytest.raises(ValueError, match="already at epoch 3"):
        train_gan(tiny_set, epochs=2, out=tmp_path / "b", **KW)


def test_bad_sizes_and_inputs(tiny_set, small_set, tmp_path):
    odd = nc.stimuli.make_whatwhere(tmp_path / "s24", n_per_category=1, image_size=24, categories=2, random_state=0)
    with pytest.raises(ValueError, match=r"24x24 pixels, which the DCGAN cannot make; pass image_size= one of "
                                         r"\[16, 32, 64, 128\]"):
        train_gan(odd, **KW)
    with pytest.raises(ValueError, match=r"makes images of \[16, 32, 64, 128\] pixels .* got 48"):
        train_gan(tiny_set, image_size=48, **KW)
    with pytest.raises(TypeError, match="expected a StimulusSet"):
        train_gan(torch.zeros(4, 3, 16, 16), **KW)
    with pytest.raises(ValueError, match="'epochs'"):
        train_gan(tiny_set, epochs=0, **KW)


def test_generator_and_discriminator_layers_extract(tiny_set):
    gan = nc.models.load("dcgan", image_size=16, latent_dim=8, width=8)
    assert gan.latent_default_layers == ["generator.net.relu0", "generator.net.relu1", "generator.net.tanh"]
    assert set(gan.streams.values()) == {"shared"}
    z = torch.randn(5, 8, generator=torch.Generator().manual_seed(0))
    tree = nc.extract(gan, z, progress=False)
    out = nc.extraction.get_layer(tree, "generator.net.tanh")
    assert out.sizes == {"stimulus": 5, "unit": 3 * 16 * 16}
    with torch.no_grad():
        direct = gan.module.generator.eval()(z).flatten(1).numpy()
    np.testing.assert_allclose(out.values, direct, atol=1e-6)
    disc = nc.extract(gan, tiny_set.subset(range(3)), progress=False)
    assert all(n.startswith("discriminator") for n in disc["dcgan"].children)


def test_dcgan_learns_to_draw_shapes(train_set):
    gan = train_gan(train_set, image_size=32, latent_dim=32, epochs=40, progress=False)
    h = gan.history.pivot(index="epoch", columns="metric", values="value")
    assert list(h.columns) == ["d_fake", "d_real", "loss_d", "loss_g"] and len(h) == 40
    assert h.notna().all().all()
    # the generator is not beaten outright: the discriminator still gives its samples some credit
    assert h.d_fake.iloc[-5:].mean() > 0.02
    with torch.no_grad():
        fake = gan.module.generator(torch.randn(64, 32, generator=torch.Generator().manual_seed(0)))
    real = torch.stack([gan.transform(train_set.load_image(i)) for i in range(64)])
    # like the stimuli: a dark uniform background with a bright object covering a small part of the image
    bright_fake = (fake.mean(1) > 0.2).float().mean().item()
    bright_real = (real.mean(1) > 0.2).float().mean().item()
    assert 0.3 * bright_real < bright_fake < 3 * bright_real
    assert abs(fake.median().item() - real.median().item()) < 0.2
