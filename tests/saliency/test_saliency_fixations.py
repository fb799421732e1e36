"""The fixation table and its maps: check_fixations, fixation_map, fixation_density."""
import numpy as np
import pandas as pd
import pytest

from neurocompare.saliency import check_fixations, fixation_density, fixation_map


def _table(stimulus="a", xy=((1, 2), (3.4, 0.6), (3, 1)), width=6, height=4, subject="s1"):
    return pd.DataFrame({"stimulus": stimulus, "subject": subject, "x": [float(x) for x, _ in xy],
                         "y": [float(y) for _, y in xy], "width": width, "height": height})


# -- maps and densities ----------------------------------------------------------------------------
def test_fixation_map_rounds_to_pixels_and_is_binary():
    t = _table(xy=((1, 2), (3.4, 0.6), (3, 1), (1.2, 1.8)))
    m = fixation_map(t, "a")
    assert m.dtype == bool and m.shape == (4, 6)
    assert sorted(zip(*np.nonzero(m))) == [(1, 3), (2, 1)]  # (3.4, 0.6) -> row 1, col 3; duplicates count once



def test_half_pixel_positions_go_to_the_higher_pixel():
    """Pixel i covers [i - 0.5, i + 0.5): i + 0.5 is in pixel i + 1, i - 0.5 in pixel i (np.rint rounded to even)."""
    t = _table(xy=((0.5, 2.5), (4.5, -0.5), (-0.5, 1.5), (0.49999999999999994, 0.49999999999999994)))
    m = fixation_map(t, "a")
    assert sorted(zip(*np.nonzero(m))) == [(0, 0), (0, 5), (2, 0), (3, 1)]
    # the same rule decides what is outside: x = width - 0.5 is past the last pixel
    with pytest.raises(ValueError, match=r"1 fixation\(s\) fall outside"):
        fixation_map(_table(xy=((5.5, 0),)), "a")
    d = fixation_density(_table(xy=((10.5, 9.5),), width=21, height=21), "a", sigma=2)
    assert np.unravel_index(d.argmax(), d.shape) == (10, 11)


def test_check_fixations_returns_the_table_unchanged():
    t = _table()
    before = t.copy()
    assert check_fixations(t) is t
    pd.testing.assert_frame_equal(t, before)
    with pytest.raises(ValueError, match="Invalid value for 'trials': missing column.*'subject'"):
        check_fixations(t.drop(columns="subject"), name="trials")


def test_fixation_density_is_a_blurred_normalised_map():
    t = _table(xy=((10, 10),), width=21, height=21)
    d = fixation_density(t, "a", sigma=2)
    assert d.sum() == pytest.approx(1.0)
    assert np.unravel_index(d.argmax(), d.shape) == (10, 10)
    assert d[10, 12] / d[10, 10] == pytest.approx(np.exp(-0.5), rel=1e-3)  # Gaussian with sigma 2 px
    t.attrs["sigma"] = 2
    assert np.array_equal(fixation_density(t, "a"), d)
    with pytest.raises(ValueError, match="'sigma'.*19 for SALICON"):
        fixation_density(_table(), "a")
    with pytest.raises(ValueError, match="'sigma': expected a positive number"):
        fixation_density(_table(), "a", sigma=-1)


def test_table_errors():
    with pytest.raises(ValueError, match=r"3 fixation\(s\) fall outside their image \('b': 2; 'a': 1\)"):
        fixation_map(pd.concat([_table(xy=((6, 0),)), _table("b", xy=((-1, 0), (0, 4), (0, 0)))]), "a")
    with pytest.raises(ValueError, match="missing column.*'width'"):
        fixation_map(_table().drop(columns="width"), "a")
    with pytest.raises(ValueError, match="more than one width/height"):
        fixation_map(pd.concat([_table(), _table(width=7)]), "a")
    with pytest.raises(ValueError, match="'x' has 1 missing"):
        fixation_map(_table(xy=((np.nan, 1),)), "a")
    with pytest.raises(KeyError, match="Unknown stimulus in 'fixations': 'b'.*'a'"):
        fixation_map(_table(), "b")
    with pytest.raises(ValueError, match="expected a DataFrame"):
        fixation_map(np.zeros((3, 3)), "a")


