import numpy as np
import pandas as pd
import pytest
from scipy.io import savemat

from neurocompare.rsa import load_rdms


def _sym(rng, n):
    m = rng.random((n, n))
    m = m + m.T
    np.fill_diagonal(m, 0)
    return m


def test_npy_and_mat(tmp_path):
    rng = np.random.default_rng(0)
    stack = np.stack([_sym(rng, 5) for _ in range(3)])
    np.save(tmp_path / "r.npy", stack)
    ids = list("abcde")
    rdm = load_rdms(tmp_path / "r.npy", stimulus_ids=ids)
    assert rdm.dims == ("subject", "stimulus_a", "stimulus_b") and list(rdm.stimulus_a.values) == ids
    np.testing.assert_array_equal(rdm.values, stack)
    savemat(tmp_path / "m.mat", {"rdms": np.moveaxis(stack, 0, -1)})  # MATLAB's (n, n, k)
    np.testing.assert_array_equal(load_rdms(tmp_path / "m.mat").values, stack)
    savemat(tmp_path / "s.mat", {"rdms": np.array([{"RDM": s, "name": f"sub{i}"} for i, s in enumerate(stack)])})
    st = load_rdms(tmp_path / "s.mat")
    assert list(st.subject.values) == ["sub0", "sub1", "sub2"]
    savemat(tmp_path / "two.mat", {"a": stack[0], "b": stack[1]})
    with pytest.raises(ValueError, match="several variables.*'a', 'b'"):
        load_rdms(tmp_path / "two.mat")
    np.testing.assert_array_equal(load_rdms(tmp_path / "two.mat", variable="b").values, stack[1])
    np.save(tmp_path / "bad.npy", rng.random((3, 4)))
    with pytest.raises(ValueError, match="n\\*\\(n-1\\)/2|expected"):
        load_rdms(tmp_path / "bad.npy")


def test_csv_matrix_and_tidy(tmp_path):
    rng = np.random.default_rng(1)
    m = _sym(rng, 4)
    ids = ["w", "x", "y", "z"]
    pd.DataFrame(m, index=ids, columns=ids).to_csv(tmp_path / "m.csv")
    rdm = load_rdms(tmp_path / "m.csv", format="matrix")
    assert list(rdm.stimulus_a.values) == ids and np.allclose(rdm.values, m)
    pd.DataFrame({"subject": [1, 1, 1], "stimulus_a": ["x", "x", "y"], "stimulus_b": ["y", "z", "z"],
                  "rating": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "ratings.csv", index=False)
    r = load_rdms(tmp_path / "ratings.csv", format="ratings")
    assert r.sel(stimulus_a="y", stimulus_b="z").item() == 3.0
    with pytest.raises(ValueError, match=r"'format'.*needs one of 'matrix', 'ratings'.*got None"):
        load_rdms(tmp_path / "ratings.csv")
    with pytest.raises(FileNotFoundError):
        load_rdms(tmp_path / "none.csv", format="matrix")


def test_format_is_checked_for_every_file_type(tmp_path):
    np.save(tmp_path / "r.npy", np.eye(3))
    with pytest.raises(ValueError, match=r"'format'.*got 'ratngs'.*Did you mean 'ratings'"):
        load_rdms(tmp_path / "r.npy", format="ratngs")
    with pytest.raises(ValueError, match=r"'format'.*only for CSV files.*'.npy'"):
        load_rdms(tmp_path / "r.npy", format="ratings")
    with pytest.raises(ValueError, match=r"Invalid option\(s\) 'rating'.*tidy human data.*'.npy' file"):
        load_rdms(tmp_path / "r.npy", rating="score")


def test_old_kind_for_the_format_says_to_use_format(tmp_path):
    np.save(tmp_path / "r.npy", np.eye(3))
    for path in (tmp_path / "r.npy", tmp_path / "never_read.csv"):
        with pytest.raises(ValueError, match=r"Invalid value for 'kind': 'ratings' is a table format.*"
                                             r"format='ratings'.*'dissimilarity' or 'similarity'"):
            load_rdms(path, kind="ratings")


def _own_ratings(tmp_path):
    """Two raters, 1-7 similarity ratings of file names, own column names, two missed trials (empty)."""
    df = pd.DataFrame({"stim_a": ["face_01.png", "face_01.png", "face_02.png", "face_01.png", "face_01.png",
                                  "face_02.png"],
                       "stim_b": ["face_02.png", "house_01.png", "house_01.png", "face_02.png", "house_01.png",
                                  "house_01.png"],
                       "rating": [6, 2, None, 5, None, 1],
                       "subject": ["p1", "p1", "p1", "p2", "p2", "p2"]})
    path = tmp_path / "ratings.csv"
    df.to_csv(path, index=False)
    return path


def test_ratings_options_pass_through_with_format(tmp_path):
    from neurocompare.rsa import from_ratings

    path = _own_ratings(tmp_path)
    opts = dict(subject="subject", stimulus_a="stim_a", stimulus_b="stim_b", rating="rating")
    rdms = load_rdms(path, format="ratings", kind="similarity", scale=(1, 7), **opts)
    expected = np.array([[[0, 1, 5], [1, 0, np.nan], [5, np.nan, 0]],      # 7 - 6, 7 - 2; missed trial: NaN
                         [[0, 2, np.nan], [2, 0, 6], [np.nan, 6, 0]]])    # 7 - 5, 7 - 1
    np.testing.assert_array_equal(rdms.values, expected)
    assert list(rdms.stimulus_a.values) == ["face_01.png", "face_02.png", "house_01.png"]
    assert list(rdms.subject.values) == ["p1", "p2"] and list(rdms.n_trials.values) == [2, 2]
    assert rdms.attrs["kind"] == "similarity" and rdms.attrs["scale_max"] == 7.0
    direct = from_ratings(path, kind="similarity", scale=(1, 7), **opts)
    np.testing.assert_array_equal(rdms.values, direct.values)
    with pytest.raises(ValueError, match=r"Invalid option\(s\) 'kind' for format='triplets'.*'stimulus_1'"):
        load_rdms(path, format="triplets", kind="similarity")
    with pytest.raises(ValueError, match=r"Invalid option\(s\) 'rating'.*a matrix CSV"):
        load_rdms(path, format="matrix", rating="rating")
