"""Every PIL mode is read into 8-bit RGB / L, scaled by its bit depth, alpha composited on white."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from neurocompare.stimuli import StimulusSet

RAMP8 = np.tile(np.arange(0, 256, 17, dtype=np.uint8), (4, 1))  # 4 x 16 grey ramp 0..255


def _set(tmp_path, img, name="img.png", **save):
    img.save(tmp_path / name, **save)
    return StimulusSet(tmp_path, pd.DataFrame({"stimulus_id": ["s0"], "file": [name]}))


@pytest.mark.parametrize("mode,scale", [("I;16", 257), ("I;16B", 257), ("I", 257)])
def test_sixteen_bit_grey_is_scaled_by_257(tmp_path, mode, scale):
    arr = RAMP8.astype(np.uint16) * scale
    if mode == "I":
        img = Image.fromarray(arr.astype(np.int32))
    else:
        dtype = ">u2" if mode == "I;16B" else "<u2"
        img = Image.frombytes(mode, (16, 4), arr.astype(dtype).tobytes())
    assert img.mode == mode
    s = _set(tmp_path, img, "img.tif" if mode != "I;16" else "img.png")
    np.testing.assert_array_equal(np.asarray(s.load_image(0, mode="L")), RAMP8)
    rgb = np.asarray(s.load_image(0))
    assert rgb.shape == (4, 16, 3) and (rgb == RAMP8[..., None]).all()


def test_a_sixteen_bit_png_is_not_white(tmp_path):
    s = _set(tmp_path, Image.fromarray(np.full((4, 4), 1000, np.uint16)))  # dark: 1000 / 65535
    assert np.asarray(s.load_image(0)).max() == 4


def test_float_image_is_read_as_unit_range(tmp_path):
    s = _set(tmp_path, Image.fromarray(RAMP8.astype(np.float32) / 255), "img.tif")
    np.testing.assert_array_equal(np.asarray(s.load_image(0, mode="L")), RAMP8)


def test_float_image_out_of_unit_range_raises(tmp_path):
    s = _set(tmp_path, Image.fromarray(RAMP8.astype(np.float32)), "img.tif")
    with pytest.raises(ValueError, match=r"stimulus 's0'.*\[0, 1\].*0 to 255"):
        s.load_image(0)


def test_bilevel_and_grey(tmp_path):
    s = _set(tmp_path, Image.fromarray(RAMP8 > 127).convert("1"), "a.png")
    np.testing.assert_array_equal(np.asarray(s.load_image(0, mode="L")), np.where(RAMP8 > 127, 255, 0))
    s = _set(tmp_path, Image.fromarray(RAMP8), "b.png")
    np.testing.assert_array_equal(np.asarray(s.load_image(0))[..., 1], RAMP8)


def test_palette_with_and_without_transparency(tmp_path):
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (200, 10, 30)
    img = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    s = _set(tmp_path, img, "p.png")
    np.testing.assert_array_equal(np.asarray(s.load_image(0)), rgb)
    black = img.getpixel((1, 0))
    s = _set(tmp_path, img, "pt.png", transparency=black)  # the black pixels are transparent -> white
    out = np.asarray(s.load_image(0))
    assert tuple(out[0, 0]) == (200, 10, 30) and (out[1] == 255).all()


@pytest.mark.parametrize("mode", ["RGBA", "LA", "PA"])
def test_alpha_is_composited_on_white(tmp_path, mode):
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., :3] = 100
    rgba[..., 3] = [[255, 0], [51, 255]]  # opaque, transparent, 20 %
    img = Image.fromarray(rgba, mode="RGBA").convert(mode)
    s = _set(tmp_path, img, "a.png" if mode != "PA" else "a.webp", **({"lossless": True} if mode == "PA" else {}))
    if mode == "PA":  # no file format stores PA: test the conversion itself
        from neurocompare.stimuli import to_mode

        out = np.asarray(to_mode(img, "L"))
    else:
        out = np.asarray(s.load_image(0, mode="L"))
    np.testing.assert_array_equal(out, [[100, 255], [round(0.2 * 100 + 0.8 * 255), 100]])
    if mode == "RGBA":
        np.testing.assert_array_equal(np.asarray(s.load_image(0, mode="RGBA")), rgba)


@pytest.mark.parametrize("mode", ["CMYK", "YCbCr", "RGB"])
def test_colour_modes_give_rgb(tmp_path, mode):
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[1, 1] = (255, 255, 255)
    img = Image.fromarray(rgb).convert(mode)
    s = _set(tmp_path, img, "c.tif")
    assert s.load_image(0) is not None and Image.open(tmp_path / "c.tif").mode == mode
    out = np.asarray(s.load_image(0)).astype(int)
    assert out.shape == (2, 2, 3) and np.abs(out - rgb).max() <= 3


def test_unknown_mode_is_refused(tmp_path):
    s = _set(tmp_path, Image.fromarray(RAMP8))
    with pytest.raises(ValueError, match="'mode'.*'RGB'.*got 'CMYK'"):
        s.load_image(0, mode="CMYK")
