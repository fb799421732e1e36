"""What an output path may replace: only what neurocompare wrote (its marker), never the user's files."""
import pytest

from neurocompare._utils.checks import check_bool
from neurocompare._utils.paths import MARKER, atomic_dir, check_target, is_ours


def test_atomic_dir_marks_what_it_writes_and_replaces_only_that(tmp_path):
    with atomic_dir(tmp_path / "res") as tmp:
        (tmp / "table.csv").write_text("x\n1\n")
    assert (tmp_path / "res" / MARKER).is_file() and is_ours(tmp_path / "res")
    with pytest.raises(FileExistsError, match="already exists.*overwrite=True"):
        with atomic_dir(tmp_path / "res"):
            pass
    with atomic_dir(tmp_path / "res", overwrite=True) as tmp:
        (tmp / "other.csv").write_text("y\n")
    assert sorted(p.name for p in (tmp_path / "res").iterdir()) == [MARKER, "other.csv"]


def test_atomic_dir_refuses_a_user_folder_even_with_overwrite(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "data.csv").write_text("precious")
    with pytest.raises(FileExistsError, match="not written by neurocompare"):
        with atomic_dir(mine, overwrite=True) as tmp:
            (tmp / "x").write_text("")
    assert [p.name for p in mine.iterdir()] == ["data.csv"] and (mine / "data.csv").read_text() == "precious"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mine")]  # no temporary left behind


def test_empty_folder_and_new_path_are_fine(tmp_path):
    (tmp_path / "empty").mkdir()
    assert check_target(tmp_path / "empty", overwrite=False) == tmp_path / "empty"
    assert check_target(tmp_path / "new", overwrite=False) == tmp_path / "new"


def test_a_symlink_is_never_followed_into_deletion(tmp_path):
    target = tmp_path / "real"
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("1")
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(FileExistsError, match="not written by neurocompare"):
        check_target(tmp_path / "link", overwrite=True)


@pytest.mark.parametrize("value", ["no", "yes", 1, 0, None, [True]])
def test_check_bool_refuses_non_booleans(value):
    with pytest.raises(TypeError, match=r"'flag': expected True or False; got"):
        check_bool("flag", value)


def test_check_bool_accepts_numpy_bools():
    import numpy as np

    assert check_bool("flag", np.bool_(True)) is True and check_bool("flag", False) is False
