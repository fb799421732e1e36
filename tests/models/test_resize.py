"""resize=(h, w) for every model family: the transform resizes first, config records it, bad values are refused."""
import numpy as np
import pytest
import torch
from PIL import Image

import neurocompare as nc
from neurocompare.models.resizing import check_resize, parse_resize


def _image(h, w, seed=0):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8))


@pytest.mark.parametrize("value, expected", [(224, (224, 224)), ((32, 48), (32, 48)), ([48, 32], (48, 32)),
                                             (None, None), (np.int64(16), (16, 16))])
def test_check_resize_accepts_int_and_pairs(value, expected):
    assert check_resize(value) == expected


@pytest.mark.parametrize("value", [0, (32, 0), (-1, 5), (32, 48, 3), "224x224", 22.5, (32.0, 48), True])
def test_check_resize_refuses_bad_values_naming_resize(value):
    with pytest.raises((TypeError, ValueError), match="'resize'"):
        check_resize(value)


@pytest.mark.parametrize("text, expected", [("224x224", (224, 224)), ("64X80", (64, 80)), ("96", (96, 96)),
                                            (" 32 x 48 ", (32, 48))])
def test_parse_resize_reads_cli_forms(text, expected):
    assert parse_resize(text) == expected


@pytest.mark.parametrize("text", ["224x", "x224", "a", "0x10", "2.5x3"])
def test_parse_resize_refuses_names_the_flag(text):
    with pytest.raises(ValueError, match="--option resize"):
        parse_resize(text)


def test_builtin_resize_prepends_exact_resize_and_records_config():
    plain = nc.models.load("smallcnn")
    m = nc.models.load("smallcnn", resize=(40, 24))
    assert m.config["resize"] == [40, 24] and "resize" not in plain.config
    img = _image(30, 70)
    # a built-in net resizes to image_size anyway: same output shape, but the pixels went through 40x24 first
    x, x0 = m.transform(img), plain.transform(img)
    assert x.shape == x0.shape == (3, 64, 64)
    expected = plain.transform(img.resize((24, 40), Image.BILINEAR))
    assert torch.allclose(x, expected, atol=1e-6)
    assert not torch.allclose(x, x0)


def test_segmenter_resize_gives_one_input_size_and_keeps_resize_size():
    m = nc.models.load("lraspp_mobilenet_v3_large", resize=(48, 64), resize_size=32)
    shapes = {tuple(m.transform(_image(h, w)).shape) for h, w in [(64, 80), (80, 64), (50, 50)]}
    # every image is 48x64 first; the preset then scales the shorter side to resize_size=32
    assert shapes == {(3, 32, 42)}  # int(32 * 64 / 48)
    assert m.config["resize"] == [48, 64] and m.config["resize_size"] == 32


def test_segmenter_sees_exactly_the_resize_by_default():
    m = nc.models.load("lraspp_mobilenet_v3_large", resize=(48, 64))
    shapes = {tuple(m.transform(_image(h, w)).shape) for h, w in [(64, 80), (80, 64), (50, 50)]}
    assert shapes == {(3, 48, 64)}  # not the preset's 520 on the shorter side
    assert m.config["resize_size"] == 48


def test_classifier_resize_then_centre_crop():
    m = nc.models.load("resnet18", resize=100)
    assert m.config["resize"] == [100, 100]
    assert tuple(m.transform(_image(60, 90)).shape) == (3, 224, 224)


def test_detector_resize_keeps_min_size():
    m = nc.models.load("fasterrcnn_resnet50_fpn", min_size=64, resize=(50, 70))
    assert m.config["resize"] == [50, 70] and m.config["min_size"] == 64
    assert m.module.transform.min_size == (64,)
    assert tuple(m.transform(_image(90, 40)).shape) == (3, 50, 70)


def test_wrap_takes_resize_and_leaves_module_alone():
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1))
    before = {k: v.clone() for k, v in module.state_dict().items()}
    m = nc.models.wrap(module, transform=lambda im: torch.from_numpy(np.array(im)).permute(2, 0, 1).float(),
                       resize=(20, 30))
    assert m.config["resize"] == [20, 30]
    assert tuple(m.transform(_image(64, 80)).shape) == (3, 20, 30)
    assert all(torch.equal(v, module.state_dict()[k]) for k, v in before.items())
    with pytest.raises(ValueError, match="'resize'"):
        nc.models.wrap(module, resize=(0, 3))


def test_load_refuses_bad_resize_before_building():
    with pytest.raises(TypeError, match="'resize'.*got '224x224'"):
        nc.models.load("smallcnn", resize="224x224")


def test_saved_checkpoint_does_not_keep_resize(tmp_path):
    m = nc.models.load("smallcnn", resize=32)
    path = nc.models.save(m, tmp_path / "net.pt")
    back = nc.models.load("smallcnn", weights=path)
    assert "resize" not in back.config
    again = nc.models.load("smallcnn", weights=path, resize=32)
    assert again.config["resize"] == [32, 32]


def test_cam_geometry_and_methods_see_the_resize():
    from neurocompare.cam.geometry import transform_steps
    from neurocompare.study._methods import describe_transform

    m = nc.models.load("resnet18", resize=(64, 80))
    assert transform_steps(m.transform) == [["resize", [64, 80]], ["resize", [256]], ["center_crop", [224, 224]]]
    assert describe_transform(m.transform).startswith("resized to 64 x 80 px")
