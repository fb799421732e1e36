import numpy as np
import pytest


def test_make_digits_matches_sklearn(tmp_path):
    from sklearn.datasets import load_digits

    from neurocompare.stimuli import load, make_digits

    st = make_digits(tmp_path / "digits", image_size=16)
    ref = load_digits()
    assert len(st) == 1797 == len(ref.target)
    assert st.what == ("category",) and st.where == ()
    assert sorted(st.metadata["category"].astype(int).unique()) == list(range(10))
    np.testing.assert_array_equal(st.metadata["category"].astype(int).to_numpy(), ref.target)
    img = np.asarray(st.load_image(5))
    assert img.shape == (16, 16, 3) and img.dtype == np.uint8
    assert (img[..., 0] == img[..., 1]).all()  # grey as RGB
    # the upsampled image keeps the digit: bright where sklearn's 8x8 is bright
    small = np.asarray(st.load_image(5).convert("L").resize((8, 8)), dtype=float)
    assert np.corrcoef(small.ravel(), ref.images[5].ravel())[0, 1] > 0.9
    again = load(tmp_path / "digits")
    assert list(again.ids[:2]) == ["digit_0000", "digit_0001"]


def test_make_digits_is_deterministic_and_checks(tmp_path):
    from neurocompare.stimuli import make_digits

    a = make_digits(tmp_path / "a", image_size=8)
    b = make_digits(tmp_path / "b", image_size=8)
    assert (a.root / a.metadata.file.iloc[100]).read_bytes() == (b.root / b.metadata.file.iloc[100]).read_bytes()
    with pytest.raises(ValueError, match="image_size"):
        make_digits(tmp_path / "c", image_size=4)
    with pytest.raises(FileExistsError, match="already exists"):
        make_digits(tmp_path / "a", image_size=8)
