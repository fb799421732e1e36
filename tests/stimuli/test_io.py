import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from neurocompare import NeurocompareWarning
from neurocompare.stimuli import list_specs, load, make_from_spec, read_spec


def _copy(small_set, tmp_path):
    dest = tmp_path / "copy"
    shutil.copytree(small_set.root, dest)
    return dest


def test_round_trip_save_load(small_set, tmp_path):
    again = load(small_set.root)
    pd.testing.assert_frame_equal(again.metadata, small_set.metadata)
    saved = small_set.subset(["circle_0001", "square_0000"]).save(tmp_path / "saved")
    assert list(saved.ids) == ["circle_0001", "square_0000"]
    assert saved.what == small_set.what and saved.where == small_set.where
    np.testing.assert_array_equal(np.asarray(saved.load_image("square_0000")),
                                  np.asarray(small_set.load_image("square_0000")))
    np.testing.assert_array_equal(saved.load_mask("circle_0001"), small_set.load_mask("circle_0001"))


def test_user_folder_without_ids_and_with_stream_prefixes(tmp_path):
    for i in range(3):
        Image.new("RGB", (10, 10), (i * 50, 0, 0)).save(tmp_path / f"img{i}.jpg")
    pd.DataFrame({"file": [f"img{i}.jpg" for i in range(3)], "what:animal": ["cat", "dog", "cat"],
                  "where:x": [0.1, 0.5, 0.9], "rating": [1, 2, 3]}).to_csv(tmp_path / "stimuli.csv", index=False)
    st = load(tmp_path)
    assert list(st.ids) == ["img0", "img1", "img2"]
    assert st.what == ("animal",) and st.where == ("x",)
    assert st.factors == ["animal", "x", "rating"]


def test_image_folder_tree(tmp_path):
    for cat in ("cats", "dogs"):
        (tmp_path / cat).mkdir()
        for i in range(2):
            Image.new("L", (8, 6)).save(tmp_path / cat / f"{i}.png")
    (tmp_path / "dogs" / "notes.txt").write_text("ignored")
    with pytest.warns(NeurocompareWarning, match=r"skipped 1 item\(s\): dogs/notes.txt \(not an image file\)"):
        st = load(tmp_path)
    assert list(st.ids) == ["cats/0", "cats/1", "dogs/0", "dogs/1"]
    assert list(st.metadata.category) == ["cats", "cats", "dogs", "dogs"]
    assert st.what == ("category",)
    assert st.load_image(0).mode == "RGB"


def test_sidecar_toml_sets_streams(small_set, tmp_path):
    dest = _copy(small_set, tmp_path)
    (dest / "stimuli.toml").write_text('[streams]\nwhat = ["category"]\nwhere = ["x", "y"]\n')
    st = load(dest)
    assert st.what == ("category",) and st.where == ("x", "y")
    (dest / "stimuli.toml").write_text('[streams]\nwhat = ["colour"]\n')
    with pytest.raises(ValueError, match="'what'.*colour"):
        load(dest)


def test_missing_file_names_row_and_file(small_set, tmp_path):
    dest = _copy(small_set, tmp_path)
    (dest / "images" / "square_0002.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"'square_0002' \(line 8, file='images/square_0002.png'\)"):
        load(dest)


def test_duplicate_id_names_lines(small_set, tmp_path):
    dest = _copy(small_set, tmp_path)
    md = pd.read_csv(dest / "stimuli.csv")
    md.loc[3, "stimulus_id"] = md.loc[1, "stimulus_id"]
    md.to_csv(dest / "stimuli.csv", index=False)
    with pytest.raises(ValueError, match=r"duplicate stimulus_id 'circle_0001' on lines \[3, 5\]"):
        load(dest)


def test_non_image_and_corrupt_files(small_set, tmp_path):
    dest = _copy(small_set, tmp_path)
    (dest / "images" / "circle_0000.png").write_text("not an image")
    with pytest.raises(ValueError, match=r"Unreadable file for stimulus 'circle_0000' \(line 2"):
        load(dest)
    md = pd.read_csv(dest / "stimuli.csv")
    md.loc[0, "file"] = "stimuli.toml"
    md.to_csv(dest / "stimuli.csv", index=False)
    with pytest.raises(ValueError, match="stimuli.toml.*not an image"):
        load(dest)


def test_missing_mask_is_reported(small_set, tmp_path):
    dest = _copy(small_set, tmp_path)
    (dest / "masks" / "circle_0003.png").unlink()
    with pytest.raises(FileNotFoundError, match="Missing mask file for stimulus 'circle_0003'"):
        load(dest)


def test_missing_required_column_and_empty_table(small_set, tmp_path):
    dest = _copy(small_set, tmp_path)
    pd.read_csv(dest / "stimuli.csv").drop(columns="file").to_csv(dest / "stimuli.csv", index=False)
    with pytest.raises(ValueError, match="missing the required column 'file'"):
        load(dest)
    (dest / "stimuli.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        load(dest)
    (dest / "stimuli.csv").write_text("stimulus_id,file\n")
    with pytest.raises(ValueError, match="no rows"):
        load(dest)


def test_not_a_stimulus_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no stimuli.csv and no class subfolders"):
        load(tmp_path / "empty")


def test_shipped_specs(tmp_path):
    names = list_specs()
    assert "whatwhere-default" in names and len(names) >= 3
    for n in names:
        spec = read_spec(n)
        assert spec["description"] and "n_per_category" in spec["params"]
    with pytest.raises(KeyError, match="whatwhere-default"):
        read_spec("whatwhere-defualt")
    custom = tmp_path / "mine.toml"
    custom.write_text('[params]\nn_per_category = 1\nimage_size = 16\ncategories = 2\n')
    st = make_from_spec(custom, tmp_path / "out")
    assert len(st) == 2 and st.name == "mine"
    # without `out` the set is generated once into the cache and reused
    first = make_from_spec(custom)
    second = make_from_spec(custom)
    assert first.root == second.root and (first.root / "stimuli.csv").is_file()
