"""match_stimuli: a human RDM's ids renamed to the model's, by id, file name or file stem (one-to-one)."""
import numpy as np
import pytest

from neurocompare.rsa import make_rdm, match_stimuli


def _rdm(ids, seed=0):
    rng = np.random.default_rng(seed)
    m = rng.random((len(ids), len(ids)))
    m = m + m.T
    np.fill_diagonal(m, 0)
    return make_rdm(np.stack([m, 2 * m]), ids, method="ratings", leading={"subject": ["s1", "s2"]},
                    attrs={"kind": "similarity"})


FOLDER_IDS = ["face/face_01", "face/face_02", "house/house_01", "house/house_02"]


def test_exact_ids_are_kept():
    rdm = _rdm(["face/face_02", "face/face_01", "house/house_01", "house/house_02"])
    assert match_stimuli(rdm, FOLDER_IDS) is rdm


def test_file_stems_match_folder_ids():
    rdm = _rdm(["face_01.png", "face_02.png", "house_01.png", "house_02.png"])
    out = match_stimuli(rdm, FOLDER_IDS)
    assert list(out.stimulus_a.values) == FOLDER_IDS and list(out.stimulus_b.values) == FOLDER_IDS
    np.testing.assert_array_equal(out.values, rdm.values)
    assert list(out.subject.values) == ["s1", "s2"] and out.attrs == rdm.attrs
    # bare stems too, in the rdm's own order
    out = match_stimuli(_rdm(["house_02", "face_01", "face_02", "house_01"]), FOLDER_IDS)
    assert list(out.stimulus_a.values) == ["house/house_02", "face/face_01", "face/face_02", "house/house_01"]


def test_file_names_match_before_stems():
    targets = ["imgs/a.png", "imgs/a.jpg", "imgs/b.png"]
    out = match_stimuli(_rdm(["a.jpg", "b.png", "imgs/a.png"]), targets)  # 'a.jpg': by name (its stem is ambiguous)
    assert list(out.stimulus_a.values) == ["imgs/a.jpg", "imgs/b.png", "imgs/a.png"]
    out = match_stimuli(_rdm(["x\\face_01.png", "face_02.png"]), ["face_01.png", "face_02.png"])  # Windows paths
    assert list(out.stimulus_a.values) == ["face_01.png", "face_02.png"]


def test_mixed_rules_each_id_by_the_first_rule_that_finds_it():
    out = match_stimuli(_rdm(["face/face_01", "face_02.png", "house_01", "house/house_02"]), FOLDER_IDS)
    assert list(out.stimulus_a.values) == FOLDER_IDS


def test_ambiguous_stems_are_an_error_listing_them():
    with pytest.raises(ValueError, match=r"Invalid value for 'rdm': 1 of its stimulus ids match several target ids "
                                         r"\(ambiguous\): 'x' \(file stem 'x'\) -> 'a/x.png', 'b/x.png'"):
        match_stimuli(_rdm(["x", "y"]), ["a/x.png", "b/x.png", "a/y.png"])
    # the exact id is not ambiguous
    out = match_stimuli(_rdm(["a/x.png", "y"]), ["a/x.png", "b/x.png", "a/y.png"])
    assert list(out.stimulus_a.values) == ["a/x.png", "a/y.png"]


def test_two_ids_may_not_match_one_target():
    with pytest.raises(ValueError, match=r"1 target id\(s\) are matched by several of its stimulus ids: "
                                         r"'face/face_01' <- 'face_01.png', 'face_01.jpg'"):
        match_stimuli(_rdm(["face_01.png", "face_01.jpg", "face_02.png"]), FOLDER_IDS)


def test_unmatched_ids_are_listed_with_the_count_and_what_targets_look_like():
    ids = [f"img_{i}.png" for i in range(7)] + ["face_01.png"]
    with pytest.raises(ValueError) as err:
        match_stimuli(_rdm(ids), FOLDER_IDS, name="reference")
    msg = str(err.value)
    assert msg.startswith("Invalid value for 'reference': 7 of its 8 stimulus ids match no target id by id, "
                          "file name or file stem: 'img_0.png', 'img_1.png', 'img_2.png', 'img_3.png', "
                          "'img_4.png' (and 2 more).")
    assert msg.endswith("The 4 target ids look like 'face/face_01', 'face/face_02', 'house/house_01' "
                        "(and 1 more).")


def test_bad_targets():
    with pytest.raises(ValueError, match=r"'stimulus_ids'.*unique.*'a'"):
        match_stimuli(_rdm(["a.png", "b.png"]), ["a", "a", "b"])
    with pytest.raises(TypeError, match="'stimulus_ids'"):
        match_stimuli(_rdm(["a", "b"]), "ab")
    with pytest.raises(ValueError, match="Invalid value for 'rdm'"):
        match_stimuli(np.zeros((2, 3)), ["a", "b"])
