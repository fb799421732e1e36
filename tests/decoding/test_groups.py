"""Group-aware cross-validation: no identity on both sides of a fold, and the split used said in the result."""
import numpy as np
import pytest
import xarray as xr
from sklearn.model_selection import LeaveOneGroupOut

from neurocompare.decoding import decode, make_cv


def _acts(seed=0):
    """24 stimuli: 4 categories x 3 identities x 2 exemplars; identity-specific patterns, no category signal."""
    rng = np.random.default_rng(seed)
    category = np.repeat(np.arange(4), 6)
    identity = np.repeat(np.arange(12), 2)
    proto = rng.normal(size=(12, 20))
    x = proto[identity] + 0.05 * rng.normal(size=(24, 20))
    return xr.DataArray(x, dims=("stimulus", "unit"),
                        coords={"stimulus": [f"s{i}" for i in range(24)], "category": ("stimulus", category),
                                "identity": ("stimulus", identity)})


def test_group_folds_keep_identities_apart():
    acts = _acts()
    folds = make_cv(3, "classification", acts.category.values, 0, groups=acts.identity.values)
    for train, test in folds:
        assert not set(acts.identity.values[train]) & set(acts.identity.values[test])


def test_exemplar_recognition_is_not_category_decoding():
    """Without groups, identities leak across folds; with them, the score falls to chance."""
    acts = _acts()
    leaky = decode(acts, "category", cv=2, random_state=0)
    grouped = decode(acts, "category", cv=2, groups="identity", random_state=0)
    assert leaky["value"].iloc[0] >= 0.75  # exemplar memory passes for category knowledge (chance 0.25)
    assert grouped["value"].iloc[0] < 0.4  # no category signal across identities: near chance
    assert leaky["cv_scheme"].iloc[0] == "StratifiedKFold(2) over stimuli (identity not grouped)"
    assert grouped["cv_scheme"].iloc[0] == "StratifiedGroupKFold(2) by identity"


def test_a_group_splitter_gets_the_groups():
    acts = _acts()
    res = decode(acts, "category", cv=LeaveOneGroupOut(), groups=acts.identity.values % 3)
    assert res["n_folds"].iloc[0] == 3 and res["cv_scheme"].iloc[0] == "LeaveOneGroupOut by groups"


def test_bad_groups_are_named():
    acts = _acts()
    with pytest.raises(ValueError, match="'groups': 'idnetity' is not a stimulus factor"):
        decode(acts, "category", groups="idnetity")
    with pytest.raises(ValueError, match="'groups': expected one value per stimulus"):
        decode(acts, "category", groups=[1, 2, 3])
    with pytest.raises(ValueError, match="group folds need at least 13 groups"):
        decode(acts, "category", cv=13, groups="identity")
