"""stimuli.load decodes every image (a truncated file fails at loading, not at extraction)."""
import numpy as np
import pytest
from PIL import Image

from neurocompare.stimuli import load


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_truncated_image_fails_at_loading(tmp_path, suffix):
    folder = tmp_path / "set"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    rng = np.random.default_rng(0)
    for cat in ("a", "b"):
        for i in range(2):
            Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(folder / cat / f"{i}{suffix}")
    assert len(load(folder)) == 4
    whole = (folder / "b" / f"1{suffix}").read_bytes()
    (folder / "b" / f"1{suffix}").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=rf"1{suffix}.*(truncated|not an image)"):
        load(folder)
