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
    rdm = load_rdms(tmp_path / "m.csv", kind="matrix")
    assert list(rdm.stimulus_a.values) == ids and np.allclose(rdm.values, m)
    pd.DataFrame({"subject": [1, 1, 1], "stimulus_a": ["x", "x", "y"], "stimulus_b": ["y", "z", "z"],
                  "rating": [1.0, 2.0, 3.0]}).to_csv(tmp_path / "ratings.csv", index=False)
    r = load_rdms(tmp_path / "ratings.csv", kind="ratings")
    assert r.sel(stimulus_a="y", stimulus_b="z").item() == 3.0
    with pytest.raises(ValueError, match="kind="):
        load_rdms(tmp_path / "ratings.csv")
    with pytest.raises(FileNotFoundError):
        load_rdms(tmp_path / "none.csv", kind="matrix")


def test_kind_is_checked_for_every_file_type(tmp_path):
    np.save(tmp_path / "r.npy", np.eye(3))
    with pytest.raises(ValueError, match=r"'kind'.*got 'ratngs'.*Did you mean 'ratings'"):
        load_rdms(tmp_path / "r.npy", kind="ratngs")
    with pytest.raises(ValueError, match=r"'kind'.*only for CSV files.*'.npy'"):
        load_rdms(tmp_path / "r.npy", kind="ratings")
