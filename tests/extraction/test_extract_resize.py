"""Images of different sizes: a clear error naming the fixes, and resize=(h, w) / batch_size=1 + a pooling reduce work."""
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import neurocompare as nc

SIZES = [(64, 80), (80, 64), (72, 72)]  # height, width


@pytest.fixture(scope="module")
def mixed_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate(SIZES):
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(root / f"im{i}.png")
    pd.DataFrame({"file": [f"im{i}.png" for i in range(3)], "category": list("aab")}).to_csv(
        root / "stimuli.csv", index=False)
    return nc.stimuli.load(root)


@pytest.fixture(scope="module")
def segmenter():
    # a tiny resize_size keeps the random-weight segmenter fast; it keeps the aspect ratio, so sizes still differ
    return nc.models.load("lraspp_mobilenet_v3_large", resize_size=32)


LAYERS = ["backbone.3", "classifier.low_classifier"]


def test_mixed_sizes_error_lists_sizes_ids_and_both_fixes(mixed_set, segmenter):
    with pytest.raises(ValueError) as err:
        nc.extract(segmenter, mixed_set, layers=LAYERS, progress=False)
    msg = str(err.value)
    assert "different sizes" in msg
    assert "'im0' (image 64x80, input 32x40)" in msg and "'im1' (image 80x64, input 40x32)" in msg
    assert "resize=(h, w)" in msg and "--option resize=HxW" in msg
    assert "batch_size=1" in msg and "reduce='avgpool'" in msg


def test_batch_of_one_without_pooling_names_the_fixes(mixed_set, segmenter):
    with pytest.raises(RuntimeError, match=r"different sizes.*resize=\(h, w\).*reduce='avgpool'"):
        nc.extract(segmenter, mixed_set, layers=LAYERS, batch_size=1, progress=False)


def test_resize_fixes_it_and_is_recorded(mixed_set):
    m = nc.models.load("lraspp_mobilenet_v3_large", resize_size=32, resize=(48, 48))
    tree = nc.extract(m, mixed_set, layers=LAYERS, progress=False)
    acts = tree[f"/{m.name}/backbone.3"].ds["activations"]
    assert acts.shape[0] == 3 and np.isfinite(acts.values).all()
    # a 48x48 image scaled to 32x32, two stride-2 stages: 8x8 maps of 24 channels
    assert acts.shape[1] == 24 * 8 * 8
    assert '"resize": [48, 48]' in tree[f"/{m.name}"].attrs["config"]


def test_batch_of_one_with_avgpool_matches_a_per_image_pass(mixed_set, segmenter):
    tree = nc.extract(segmenter, mixed_set, layers=LAYERS, batch_size=1, reduce="avgpool", progress=False)
    acts = tree[f"/{segmenter.name}/classifier.low_classifier"].ds["activations"].values
    assert acts.shape == (3, 21)
    single = nc.extract(segmenter, mixed_set.subset([1]), layers=LAYERS, reduce="avgpool", progress=False)
    np.testing.assert_allclose(acts[1], single[f"/{segmenter.name}/classifier.low_classifier"].ds[
        "activations"].values[0], rtol=1e-5, atol=1e-6)
