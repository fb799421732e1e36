"""Checkpoints that are not ours: a clear error naming the file and what was expected, no pickle run."""
import numpy as np
import pytest


def test_gan_training_refuses_a_random_bytes_checkpoint(small_set, tmp_path):
    from neurocompare.generation import train_gan

    out = tmp_path / "gan"
    out.mkdir()
    (out / "checkpoint.pt").write_bytes(np.random.default_rng(0).bytes(512))
    with pytest.raises(ValueError, match=r"GAN checkpoint .*checkpoint.pt' is not a PyTorch file.*"
                                         r"Expected the checkpoint.pt that neurocompare.generation.train_gan"):
        train_gan(small_set, image_size=16, epochs=1, out=out, progress=False)


def test_load_cyclegan_refuses_random_bytes(tmp_path):
    from neurocompare.generation import load_cyclegan

    bad = tmp_path / "cyclegan.pt"
    bad.write_bytes(np.random.default_rng(1).bytes(256))
    with pytest.raises(ValueError, match="not a readable CycleGAN file"):
        load_cyclegan(bad)
