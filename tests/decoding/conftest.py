"""The seeded layer both decoding test modules read: 120 stimuli x 40 units, a category and a position."""
import numpy as np
import pytest
import xarray as xr


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 40))
    cat = np.array(list("abc"))[rng.integers(0, 3, 120)]
    x[:, 0] += 2.0 * (cat == "a") - 2.0 * (cat == "b")
    pos = x[:, 1] * 0.8 + 0.3 * rng.normal(size=120)
    return xr.DataArray(x, dims=("stimulus", "unit"), coords={"stimulus": [f"s{i}" for i in range(120)],
                                                             "category": ("stimulus", cat), "x": ("stimulus", pos)})
