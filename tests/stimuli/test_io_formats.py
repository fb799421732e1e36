"""Stimulus tables with other separators, what a folder tree skips, and the images' sizes and modes."""
import warnings

import pandas as pd
import pytest
from PIL import Image

import neurocompare as nc
from neurocompare.stimuli import load


def _images(folder, n=3, size=(10, 8), mode="RGB"):
    for i in range(n):
        Image.new(mode, size).save(folder / f"img{i}.png")


@pytest.mark.parametrize("sep", [";", "\t", ","])
def test_semicolon_and_tab_tables_are_read(tmp_path, sep):
    _images(tmp_path)
    pd.DataFrame({"file": [f"img{i}.png" for i in range(3)], "category": ["a", "b", "a"],
                  "x": [0.25, 0.5, 0.75]}).to_csv(tmp_path / "stimuli.csv", sep=sep, index=False)
    st = load(tmp_path)
    assert list(st.ids) == ["img0", "img1", "img2"]
    assert list(st.metadata["category"]) == ["a", "b", "a"]
    assert st.metadata["x"].tolist() == [0.25, 0.5, 0.75]


def test_decimal_commas_in_a_semicolon_table_stay_in_their_column(tmp_path):
    _images(tmp_path, 2)
    (tmp_path / "stimuli.csv").write_text("file;rating\nimg0.png;1,5\nimg1.png;2,5\n")
    st = load(tmp_path)
    assert st.factors == ["rating"] and list(st.metadata["rating"]) == ["1,5", "2,5"]


def test_missing_file_column_lists_columns_and_separator(tmp_path):
    _images(tmp_path)
    (tmp_path / "stimuli.csv").write_text("image;category\nimg0.png;a\n")
    with pytest.raises(ValueError, match=r"semicolon \(';'\) separator.*columns are \['image', 'category'\]"):
        load(tmp_path)
    (tmp_path / "stimuli.csv").write_text("image|category\nimg0.png|a\n")
    with pytest.raises(ValueError, match=r"pipe \('\|'\) separator.*\['image', 'category'\].*semicolons, tabs or pipes"):
        load(tmp_path)
    (tmp_path / "stimuli.csv").write_text("image category\nimg0.png a\n")  # spaces: one column, read with commas
    with pytest.raises(ValueError, match=r"comma \(','\) separator.*\['image category'\]"):
        load(tmp_path)


def test_folder_tree_lists_what_it_skipped_in_one_warning(tmp_path):
    for cat in ("cats", "dogs"):
        (tmp_path / cat).mkdir()
        _images(tmp_path / cat, 2)
    _images(tmp_path, 1)  # img0.png at the top of the tree
    (tmp_path / "README.txt").write_text("notes")
    (tmp_path / "dogs" / "notes.txt").write_text("notes")
    (tmp_path / "dogs" / "old").mkdir()
    (tmp_path / "cats" / ".DS_Store").write_text("")
    with pytest.warns(nc.NeurocompareWarning) as record:
        st = load(tmp_path)
    assert len(record) == 1
    msg = str(record[0].message)
    assert "skipped 4 item(s)" in msg
    assert "img0.png (image at the top of the tree" in msg and "README.txt" in msg
    assert "dogs/notes.txt (not an image file)" in msg and "dogs/old/" in msg and ".DS_Store" not in msg
    assert len(st) == 4 and set(st.metadata.category) == {"cats", "dogs"}


def test_many_skipped_files_are_counted(tmp_path):
    (tmp_path / "a").mkdir()
    _images(tmp_path / "a", 1)
    for i in range(13):
        (tmp_path / "a" / f"n{i:02d}.txt").write_text("")
    with pytest.warns(nc.NeurocompareWarning, match=r"skipped 13 item\(s\).*n09.txt.*; and 3 more\.") as record:
        load(tmp_path)
    assert "n10.txt" not in str(record[0].message)


def test_clean_tree_loads_without_warning(tmp_path):
    (tmp_path / "a").mkdir()
    _images(tmp_path / "a", 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load(tmp_path)) == 2


def test_loose_images_without_tree_are_named_in_the_error(tmp_path):
    _images(tmp_path, 2)
    with pytest.raises(FileNotFoundError, match=r"2 image\(s\) at its top level"):
        load(tmp_path)


def test_image_info_reads_sizes_and_modes(tmp_path):
    Image.new("RGB", (10, 8)).save(tmp_path / "a.png")
    Image.new("L", (12, 6)).save(tmp_path / "b.png")
    Image.new("RGBA", (10, 8)).save(tmp_path / "c.png")
    pd.DataFrame({"file": ["a.png", "b.png", "c.png"]}).to_csv(tmp_path / "stimuli.csv", index=False)
    info = load(tmp_path).image_info()
    assert list(info.columns) == ["stimulus_id", "file", "width", "height", "mode"]
    assert info.to_dict("list") == {"stimulus_id": ["a", "b", "c"], "file": ["a.png", "b.png", "c.png"],
                                    "width": [10, 12, 10], "height": [8, 6, 8], "mode": ["RGB", "L", "RGBA"]}
    assert info["width"].dtype.kind == "i"
