import numpy as np
import pandas as pd
import pytest

from neurocompare.stimuli import StimulusSet


def test_subset_keeps_order_and_never_changes_the_caller(small_set):
    md_before = small_set.metadata.copy()
    sub = small_set.subset(["star_0002", "circle_0000"])
    assert list(sub.ids) == ["star_0002", "circle_0000"]
    assert len(small_set.subset(small_set.metadata.category == "cross")) == 4
    assert list(small_set.subset([3, 0]).ids) == [small_set.ids[3], small_set.ids[0]]
    pd.testing.assert_frame_equal(small_set.metadata, md_before)
    with pytest.raises(KeyError, match="nope"):
        small_set.subset(["nope"])


def test_constructor_copies_and_checks(tmp_path):
    df = pd.DataFrame({"stimulus_id": ["a", "b"], "file": ["a.png", "b.png"], "category": ["x", "y"]})
    st = StimulusSet(tmp_path, df)
    df.loc[0, "category"] = "changed"
    assert st.metadata.loc["a", "category"] == "x"
    with pytest.raises(ValueError, match="required column 'file'"):
        StimulusSet(tmp_path, df.drop(columns="file"))
    with pytest.raises(ValueError, match="duplicate stimulus_id"):
        StimulusSet(tmp_path, pd.concat([df, df]))
    with pytest.raises(ValueError, match="'where'.*'z'"):
        StimulusSet(tmp_path, df, where=["z"])


def test_lookup_errors(small_set):
    with pytest.raises(KeyError, match="circle_0000"):
        small_set.load_image("circle_000")
    with pytest.raises(IndexError, match="out of range"):
        small_set.load_image(100)


def test_torch_dataset_and_coords(small_set):
    ds = small_set.to_torch(start=2)
    x, pos = ds[0]
    assert len(ds) == len(small_set) - 2 and int(pos) == 2
    assert tuple(x.shape) == (3, 32, 32) and 0 <= float(x.min()) <= float(x.max()) <= 1
    coords = small_set.coords()
    assert coords["stimulus"][1].tolist() == list(small_set.ids)
    assert coords["category"][1].dtype.kind == "U" and coords["x"][1].dtype == np.float64
