"""The shared argument checks."""
import numpy as np
import pytest

from neurocompare._utils.checks import check_finite_activations, check_real


def test_check_real_intervals():
    assert check_real("alpha", 2, low=0) == 2.0
    assert check_real("p", 1.0, low=0, high=1) == 1.0
    assert check_real("x", np.float32(-3.5)) == -3.5
    with pytest.raises(ValueError, match=r"'p': expected a real number in \(0, 1\); got 1.0"):
        check_real("p", 1.0, low=0, high=1, low_open=True, high_open=True)
    with pytest.raises(ValueError, match=r"\[0, inf\); got nan"):
        check_real("alpha", float("nan"), low=0)
    with pytest.raises(TypeError, match="got bool True"):
        check_real("alpha", True, low=0)


def test_check_finite_activations_names_rows_and_columns():
    x = np.zeros((4, 3))
    check_finite_activations(x)
    check_finite_activations(np.full((2, 2), 1e308))  # the screening sum overflows; the values are fine
    x[[1, 3], 2] = np.nan
    with pytest.raises(ValueError, match=r"'layer': 2 NaN or infinite activations, in 2 stimuli \['b', 'd'\] and 1 "
                                         r"units \[12\]"):
        check_finite_activations(x, name="layer", stimuli=list("abcd"), unit_offset=10)
