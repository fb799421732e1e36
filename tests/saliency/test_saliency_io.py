"""The readers: SALICON JSON, MIT1003 FIXATIONLOCS and FIXATIONMAPS."""
import json

import numpy as np
import pytest

import neurocompare.saliency as M
from neurocompare.saliency import fixation_density, fixation_map, load_mit1003_density, load_mit1003_fixations, \
    load_salicon_fixations


# -- loaders ---------------------------------------------------------------------------------------
def test_load_salicon_json_is_converted_to_zero_based(tmp_path):
    data = {"type": "fixations", "images": [{"id": 7, "file_name": "img7.jpg", "width": 5, "height": 4}],
            "annotations": [{"image_id": 7, "worker_id": 3, "id": 1, "fixations": [[1, 1], [4, 5], [2, 3]]}]}
    path = tmp_path / "fix.json"
    path.write_text(json.dumps(data))
    t = load_salicon_fixations(path)
    assert list(t.columns) == ["stimulus", "subject", "x", "y", "width", "height", "file"]
    assert t[["x", "y"]].to_numpy().tolist() == [[0, 0], [4, 3], [2, 1]]  # [row, col] 1-based -> x = col - 1
    assert set(t.stimulus) == {"img7"} and set(t.subject) == {"3"} and t.attrs["sigma"] == 19
    data["annotations"][0]["fixations"].append([5, 1])  # row 5 of a 4-row image
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"1 fixation\(s\) fall outside.*'img7': 1"):
        load_salicon_fixations(path)
    with pytest.raises(FileNotFoundError, match="no file"):
        load_salicon_fixations(tmp_path / "nope.json")


def test_load_salicon_real(data_dir):
    path = data_dir / "salicon_examples" / "annotations" / "fixations_train2014examples.json"
    t = load_salicon_fixations(path)
    raw = json.loads(path.read_text())
    assert len(t) == sum(len(a["fixations"]) for a in raw["annotations"]) == 73630
    assert t.stimulus.nunique() == 10 and set(t.width) == {640} and set(t.height) == {480}
    first = raw["annotations"][0]
    assert (t.x.iloc[0], t.y.iloc[0]) == (first["fixations"][0][1] - 1, first["fixations"][0][0] - 1)
    one = load_salicon_fixations(path, images=[123855, "COCO_train2014_000000123067.jpg"])
    assert set(one.stimulus) == {"COCO_train2014_000000123855", "COCO_train2014_000000123067"}
    with pytest.raises(KeyError, match="Unknown image in 'images'.*Close matches"):
        load_salicon_fixations(path, images=["COCO_train2014_000000123856"])


def test_load_mit1003_real(data_dir):
    from scipy.io import loadmat

    root = data_dir / "mit1003_i210"
    t = load_mit1003_fixations(root, ["i210"])
    locs = loadmat(root / "FIXATIONLOCS" / "i210.mat")["fixations"]
    assert len(t) == locs.sum() == 259
    assert np.array_equal(fixation_map(t, "i210"), locs > 0)
    dens = load_mit1003_density(root, "i210")
    assert dens.dims == ("stimulus", "y", "x") and dens.shape == (1, 675, 1024) and float(dens.max()) == 1.0
    # our density with sigma = 24 px reproduces the published FIXATIONMAPS
    ours = fixation_density(t, "i210")
    assert M.cc(ours, dens.values[0]) > 0.9998
    assert M.cc(fixation_density(t, "i210", sigma=35), dens.values[0]) < 0.999
    with pytest.raises(FileNotFoundError, match="FIXATIONLOCS/i999.mat"):
        load_mit1003_fixations(root, "i999")


