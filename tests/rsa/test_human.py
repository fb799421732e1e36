"""Behavioural RDMs from ratings, multi-arrangements, triplets and confusions."""
import logging
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from neurocompare._utils.logging import NeurocompareWarning
from neurocompare.rsa._human import (from_arrangement_distances, from_arrangements, from_confusions, from_ratings,
                                     from_triplets, group_rdm)


def _mat(da, subject=None):
    return (da if subject is None else da.sel(subject=subject)).values


# ---------------------------------------------------------------------------------------------
# ratings


@pytest.fixture
def ratings():
    return pd.DataFrame({
        "subject": ["s1"] * 5 + ["s2"] * 3,
        "stimulus_a": ["a", "b", "a", "a", "c", "a", "b", "b"],
        "stimulus_b": ["b", "a", "b", "a", "a", "c", "c", "c"],
        "rating": [2.0, 4.0, 3.0, 7.0, 6.0, 1.0, 2.0, np.nan],
    })


def test_ratings_average_repeated_and_mirrored_pairs(ratings):
    before = ratings.copy()
    rdms = from_ratings(ratings)
    assert rdms.dims == ("subject", "stimulus_a", "stimulus_b")
    assert list(rdms.subject.values) == ["s1", "s2"]
    assert list(rdms.stimulus_a.values) == ["a", "b", "c"]
    # s1: (a,b)=2, (b,a)=4, (a,b)=3 -> 3; self-rating (a,a)=7 ignored; (c,a)=6; (b,c) never rated
    np.testing.assert_allclose(_mat(rdms, "s1"), [[0, 3, 6], [3, 0, np.nan], [6, np.nan, 0]])
    # s2: the NaN rating is ignored
    np.testing.assert_allclose(_mat(rdms, "s2"), [[0, np.nan, 1], [np.nan, 0, 2], [1, 2, 0]])
    assert list(rdms.n_trials.values) == [4, 2]
    assert rdms.attrs["method"] == "ratings" and rdms.attrs["kind"] == "dissimilarity"
    assert rdms.attrs["source"] == "DataFrame with 8 rows"
    pd.testing.assert_frame_equal(ratings, before)


def test_ratings_similarity_with_scale_and_observed_max(ratings, caplog):
    rdms = from_ratings(ratings, kind="similarity", scale=(1, 7))
    # s1: mean similarity 3 -> 7 - 3 = 4; (a,c): 7 - 6 = 1
    np.testing.assert_allclose(_mat(rdms, "s1"), [[0, 4, 1], [4, 0, np.nan], [1, np.nan, 0]])
    assert rdms.attrs["scale_min"] == 1 and rdms.attrs["scale_max"] == 7
    with caplog.at_level(logging.INFO, logger="neurocompare"):
        auto = from_ratings(ratings, kind="similarity")
    # the observed max (self-pairs excluded) is 6
    np.testing.assert_allclose(_mat(auto, "s2"), [[0, np.nan, 5], [np.nan, 0, 4], [5, 4, 0]])
    assert auto.attrs["scale_max"] == 6
    assert "observed maximum" in caplog.text


def test_ratings_numeric_ids_sort_numerically_and_explicit_order():
    df = pd.DataFrame({"stimulus_a": [1, 2, 10], "stimulus_b": [2, 10, 1], "rating": [1.0, 2.0, 3.0]})
    rdms = from_ratings(df, subject=None)
    assert list(rdms.stimulus_a.values) == ["1", "2", "10"]
    assert list(rdms.subject.values) == ["all"]
    np.testing.assert_allclose(rdms.values[0], [[0, 1, 3], [1, 0, 2], [3, 2, 0]])
    ordered = from_ratings(df, subject=None, stimuli=["10", 2, "1", "99"])
    assert list(ordered.stimulus_a.values) == ["10", "2", "1", "99"]
    np.testing.assert_allclose(ordered.values[0, :3, :3], [[0, 2, 3], [2, 0, 1], [3, 1, 0]])
    assert np.isnan(ordered.values[0, 3, :3]).all() and ordered.values[0, 3, 3] == 0


def test_ratings_csv_round_trip(tmp_path):
    df = pd.DataFrame({"subject": [1, 1, 2, 2], "stimulus_a": ["001", "002", "001", "010"],
                       "stimulus_b": ["002", "010", "010", "002"], "rating": [1.5, 2.5, 3.0, 4.0]})
    path = tmp_path / "ratings.csv"
    df.to_csv(path, index=False)
    from_df = from_ratings(df)
    for source in (path, str(path)):
        from_csv = from_ratings(source)
        assert list(from_csv.stimulus_a.values) == ["001", "002", "010"]
        assert list(from_csv.subject.values) == [1, 2]
        np.testing.assert_array_equal(from_csv.values, from_df.values)
        assert "ratings.csv" in from_csv.attrs["source"] and "4 rows" in from_csv.attrs["source"]
    np.testing.assert_allclose(_mat(from_df, 1), [[0, 1.5, np.nan], [1.5, 0, 2.5], [np.nan, 2.5, 0]])


@pytest.mark.parametrize("column, warns", [("similarity", True), ("sim_rating", True), ("Similar", True),
                                           ("same_or_not", True), ("alike", True), ("closeness", True),
                                           ("dissimilarity", False), ("DisSim", False), ("rating", False)])
def test_a_similarity_column_read_as_dissimilarities_warns(ratings, column, warns):
    data = ratings.rename(columns={"rating": column})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rdms = from_ratings(data, rating=column)
    assert rdms.attrs["kind"] == "dissimilarity"
    warned = [w for w in caught if issubclass(w.category, NeurocompareWarning)]
    assert len(warned) == int(warns)
    if warns:
        msg = str(warned[0].message)
        assert f"rating column {column!r} sounds like similarities" in msg and "read as dissimilarities" in msg
        for how in ('kind="similarity" in Python', "--kind similarity on the command line",
                    'kind = "similarity" in a study file'):
            assert how in msg
        assert warned[0].filename == __file__          # points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error", NeurocompareWarning)
        from_ratings(data, rating=column, kind="similarity", scale=(1, 7))


def test_ratings_in_the_labs_own_columns_with_missed_trials(face_ratings):
    """1-7 similarities of file names, empty cells for missed trials: 7 - the rating, NaN where missed."""
    rdms = from_ratings(face_ratings.missed, subject="subject", stimulus_a="stim_a", stimulus_b="stim_b",
                        rating="rating", kind="similarity", scale=(1, 7))
    table = face_ratings.missed_table
    assert list(rdms.stimulus_a.values) == ["face_01.png", "face_02.png", "face_03.png", "house_01.png",
                                            "house_02.png", "house_03.png"]
    assert list(rdms.n_trials.values) == [14, 14, 14]  # rows 3 (p1), 20 (p2) and 31 (p3) are empty
    for row in table.itertuples():
        got = rdms.sel(subject=row.subject, stimulus_a=row.stim_a, stimulus_b=row.stim_b).item()
        if np.isnan(row.rating):
            assert np.isnan(got)
        else:
            assert got == 7 - row.rating
    assert np.isnan(rdms.values).sum() == 2 * 3  # each missed pair on both sides of the diagonal


# ---------------------------------------------------------------------------------------------
# triplets


def test_triplets_fraction_kept_together():
    df = pd.DataFrame({
        "subject": ["s1"] * 4,
        "stimulus_1": ["a", "a", "a", "a"],
        "stimulus_2": ["b", "b", "b", "c"],
        "stimulus_3": ["c", "d", "c", "d"],
        "choice": ["c", "a", "a", "d"],
    })
    rdms = from_triplets(df)
    # ab: 3 triplets, kept once -> 1 - 1/3; ac: 3, kept once; ad: 2, never; bc: 2, once; bd: 1, once; cd: 1, never
    expected = np.array([[0, 2 / 3, 2 / 3, 1], [2 / 3, 0, 1 / 2, 0], [2 / 3, 1 / 2, 0, 1], [1, 0, 1, 0]])
    np.testing.assert_allclose(rdms.values[0], expected)
    assert rdms.attrs["method"] == "triplets" and int(rdms.n_trials[0]) == 4


def test_triplets_pairs_never_shown_together_are_nan():
    df = pd.DataFrame({"subject": ["s"] * 2, "stimulus_1": ["a", "d"], "stimulus_2": ["b", "e"],
                       "stimulus_3": ["c", "f"], "choice": ["a", "f"]})
    m = from_triplets(df).values[0]
    assert np.isnan(m[0, 3]) and m[1, 2] == 0 and m[0, 1] == 1 and m[3, 4] == 0


# ---------------------------------------------------------------------------------------------
# confusions


def _confusion_trials():
    # s1 as one row per trial, s2 as the same table with counts
    cells = {("a", "a"): 8, ("a", "b"): 2, ("b", "a"): 4, ("b", "b"): 6}
    trials = pd.DataFrame([("s1", s, r) for (s, r), k in cells.items() for _ in range(k)],
                          columns=["subject", "stimulus", "response"])
    counts = pd.DataFrame([("s2", s, r, k) for (s, r), k in cells.items()],
                          columns=["subject", "stimulus", "response", "n"])
    return trials, counts


def test_confusions_shepard_by_hand():
    trials, counts = _confusion_trials()
    # smoothing 0.5: C = [[8.5, 2.5], [4.5, 6.5]] / 11
    d = -math.log(math.sqrt((2.5 * 4.5) / (8.5 * 6.5)))
    rdms = from_confusions(trials)
    np.testing.assert_allclose(rdms.values[0], [[0, d], [d, 0]])
    assert rdms.attrs["method"] == "confusions-shepard" and rdms.attrs["smoothing"] == 0.5
    assert int(rdms.n_trials[0]) == 20
    np.testing.assert_allclose(from_confusions(counts, count="n").values[0], [[0, d], [d, 0]])
    # no smoothing: C = [[.8, .2], [.4, .6]]
    d0 = -math.log(math.sqrt(0.2 * 0.4 / (0.8 * 0.6)))
    np.testing.assert_allclose(from_confusions(trials, smoothing=0).values[0, 0, 1], d0)


def test_confusions_symmetric_and_unshown_stimulus():
    trials, _ = _confusion_trials()
    rdms = from_confusions(trials, method="symmetric", stimuli=["a", "b", "z"])
    assert rdms.attrs["method"] == "confusions-symmetric"
    # three response alternatives now: C_ab = 2.5 / 11.5, C_ba = 4.5 / 11.5
    np.testing.assert_allclose(rdms.values[0, 0, 1], 1 - (2.5 + 4.5) / 11.5 / 2)
    assert np.isnan(rdms.values[0, 2, :2]).all() and rdms.values[0, 2, 2] == 0
    np.testing.assert_allclose(from_confusions(trials, method="symmetric").values[0, 0, 1], 15 / 22)


# ---------------------------------------------------------------------------------------------
# multi-arrangement


def _arrangements(noise=0.0, n=8, n_trials=15, k=5, random_state=0):
    rng = np.random.default_rng(random_state)
    true = rng.normal(size=(n, 2))
    rows = []
    for t in range(n_trials):
        items = rng.choice(n, size=k, replace=False)
        angle, scale, shift = rng.uniform(0, 2 * np.pi), rng.uniform(0.5, 3.0), rng.normal(size=2)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        pos = scale * true[items] @ rot.T + shift + noise * rng.normal(size=(k, 2))
        rows += [("s1", t, f"st{i}", *p) for i, p in zip(items, pos)]
    df = pd.DataFrame(rows, columns=["subject", "trial", "stimulus", "x", "y"])
    ids = sorted(f"st{i}" for i in range(n))
    order = [int(s[2:]) for s in ids]
    dist = np.linalg.norm(true[order][:, None] - true[order][None], axis=-1)
    return df, dist


def _upper(m):
    iu = np.triu_indices(m.shape[-1], k=1)
    return m[iu]


def test_arrangements_recover_noiseless_configuration():
    df, dist = _arrangements()
    rdms = from_arrangements(df)
    est, true = _upper(rdms.values[0]), _upper(dist)
    ok = np.isfinite(est)
    assert ok.sum() >= 20
    assert np.corrcoef(est[ok], true[ok])[0, 1] > 0.999
    np.testing.assert_allclose(est[ok] / true[ok], (est[ok] / true[ok]).mean(), rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.mean(est[ok] ** 2)), 1.0)
    assert rdms.attrs["method"] == "multi-arrangement" and "squared" in rdms.attrs["weights"]
    assert int(rdms.n_trials[0]) == 15


def test_arrangements_noisy_still_correlate():
    df, dist = _arrangements(noise=0.5, n=10, n_trials=40, k=6, random_state=1)
    est, true = _upper(from_arrangements(df).values[0]), _upper(dist)
    ok = np.isfinite(est)
    assert ok.all()
    assert 0.9 < np.corrcoef(est, true)[0, 1] < 0.999


def test_arrangements_fixed_point_uses_squared_distance_weights():
    df, _ = _arrangements(noise=0.3, n=6, n_trials=6, k=4, random_state=2)
    est = from_arrangements(df, n_iter=1000, tol=1e-13).values[0]
    # at convergence the estimate is the d^2-weighted mean of the least-squares-rescaled trials, RMS 1
    num, den = np.zeros_like(est), np.zeros_like(est)
    idx = {s: i for i, s in enumerate(sorted(df.stimulus.unique()))}
    for _, trial in df.groupby("trial"):
        ii = np.array([idx[s] for s in trial.stimulus])
        xy = trial[["x", "y"]].to_numpy()
        d = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
        e = est[np.ix_(ii, ii)]
        scaled = d * (d * e).sum() / (d * d).sum()
        num[np.ix_(ii, ii)] += d ** 2 * scaled
        den[np.ix_(ii, ii)] += d ** 2
    with np.errstate(invalid="ignore"):
        avg = _upper(num / den)
    ok = np.isfinite(avg)
    avg = avg / np.sqrt(np.mean(avg[ok] ** 2))
    np.testing.assert_allclose(avg[ok], _upper(est)[ok], rtol=1e-8)


def test_arrangement_distances_match_placements_and_missing_placement():
    df, _ = _arrangements(noise=0.1, random_state=3)
    rows = []
    for (subj, t), trial in df.groupby(["subject", "trial"]):
        xy, names = trial[["x", "y"]].to_numpy(), trial.stimulus.to_numpy()
        for i in range(len(trial)):
            for j in range(i + 1, len(trial)):
                # mirrored order on odd trials
                a, b = (names[i], names[j]) if t % 2 else (names[j], names[i])
                rows.append((subj, t, a, b, float(np.linalg.norm(xy[i] - xy[j]))))
    pairs = pd.DataFrame(rows, columns=["subject", "trial", "stimulus_a", "stimulus_b", "distance"])
    np.testing.assert_allclose(from_arrangement_distances(pairs).values, from_arrangements(df).values, atol=1e-9)
    # an unplaced item (NaN coordinate) is ignored; a pair in no trial is NaN
    small = pd.DataFrame({"trial": [0, 0, 0, 1, 1], "stimulus": ["a", "b", "c", "a", "c"],
                          "x": [0.0, 3.0, np.nan, 0.0, 1.0], "y": [0.0, 4.0, 1.0, 0.0, 0.0]})
    m = from_arrangements(small, subject=None).values[0]
    assert np.isnan(m[1, 2]) and m[0, 1] == pytest.approx(1.0) and m[0, 2] == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# group RDM


def test_group_rdm_is_nan_aware():
    df = pd.DataFrame({"subject": ["s1", "s1", "s2", "s2", "s3"],
                       "stimulus_a": ["a", "a", "a", "a", "a"], "stimulus_b": ["b", "c", "b", "c", "b"],
                       "rating": [2.0, np.nan, 4.0, 5.0, 6.0]})
    rdms = from_ratings(df, stimuli=["a", "b", "c", "d"])
    group = group_rdm(rdms)
    assert group.dims == ("stimulus_a", "stimulus_b")
    assert group.attrs["n_subjects"] == 3 and group.attrs["method"] == "ratings"
    m = group.values
    assert m[0, 1] == pytest.approx(4.0)  # mean of 2, 4, 6
    assert m[0, 2] == pytest.approx(5.0)  # only s2 has it
    assert np.isnan(m[1, 2]) and np.isnan(m[0, 3])  # no subject has it
    np.testing.assert_array_equal(np.diag(m), 0)
    assert list(group.stimulus_a.values) == ["a", "b", "c", "d"]


# ---------------------------------------------------------------------------------------------
# errors


def test_missing_column_lists_the_columns(ratings):
    with pytest.raises(ValueError, match=r"'rating'.*'score'.*'subject', 'stimulus_a', 'stimulus_b', 'rating'"):
        from_ratings(ratings, rating="score")
    with pytest.raises(ValueError, match=r"'stimulus_1'.*'stim1'"):
        from_triplets(ratings, stimulus_1="stim1")
    with pytest.raises(ValueError, match="both name the column 'stimulus_a'"):
        from_ratings(ratings, stimulus_b="stimulus_a")


def test_unknown_options(ratings):
    with pytest.raises(ValueError, match=r"Invalid value for 'kind'.*'dissimilarity', 'similarity'.*'similar'"):
        from_ratings(ratings, kind="similar")
    trials, _ = _confusion_trials()
    with pytest.raises(ValueError, match=r"Invalid value for 'method'.*'shepard', 'symmetric'; got 'luce'"):
        from_confusions(trials, method="luce")
    with pytest.raises(ValueError, match="'smoothing'"):
        from_confusions(trials, smoothing=-1)
    with pytest.raises(ValueError, match="'scale'"):
        from_ratings(ratings, scale=(7, 1))
    with pytest.raises(ValueError, match="'n_iter'"):
        from_arrangements(_arrangements()[0], n_iter=0)
    with pytest.raises(ValueError, match="'tol'"):
        from_arrangements(_arrangements()[0], tol=-1)


def test_bad_data_argument(tmp_path):
    with pytest.raises(TypeError, match=r"'data'.*DataFrame or a path.*ndarray"):
        from_ratings(np.zeros((3, 3)))
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        from_ratings(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="no rows"):
        from_ratings(pd.DataFrame(columns=["subject", "stimulus_a", "stimulus_b", "rating"]))


def test_bad_values(ratings):
    bad = ratings.assign(rating=["2", "high", 3, 7, 6, 1, 2, None])
    with pytest.raises(ValueError, match=r"column 'rating'.*expected numbers; got 'high' in rows 1"):
        from_ratings(bad)
    with pytest.raises(ValueError, match=r"within 'scale'.*7\.0"):
        from_ratings(ratings, scale=(1, 6))
    with pytest.raises(ValueError, match=r"column 'stimulus_b'.*missing value.*rows 2"):
        from_ratings(ratings.assign(stimulus_b=["b", "a", None, "a", "a", "c", "c", "c"]))
    _, counts = _confusion_trials()
    with pytest.raises(ValueError, match=r"column 'n'.*>= 0"):
        from_confusions(counts.assign(n=[1, -2, 3, 4]), count="n")
    pairs = pd.DataFrame({"trial": [0], "stimulus_a": ["a"], "stimulus_b": ["b"], "distance": [-1.0]})
    with pytest.raises(ValueError, match=r"column 'distance'.*>= 0"):
        from_arrangement_distances(pairs, subject=None)


def test_subject_with_fewer_than_two_stimuli(ratings):
    df = pd.concat([ratings, pd.DataFrame({"subject": ["s3"], "stimulus_a": ["a"], "stimulus_b": ["a"],
                                           "rating": [1.0]})], ignore_index=True)
    with pytest.raises(ValueError, match=r"Subject 's3' has usable ratings for 0 stimuli"):
        from_ratings(df)
    trials, _ = _confusion_trials()
    one = pd.concat([trials, pd.DataFrame({"subject": ["s9"], "stimulus": ["a"], "response": ["b"]})])
    with pytest.raises(ValueError, match=r"Subject 's9' has trials for 1 stimulus \('a'\)"):
        from_confusions(one)
    arr = pd.DataFrame({"subject": ["s1"] * 2, "trial": [0, 1], "stimulus": ["a", "b"], "x": [0.0, 1.0],
                        "y": [0.0, 1.0]})
    with pytest.raises(ValueError, match=r"Subject 's1' has arrangement trials for 0 stimuli"):
        from_arrangements(arr)


def test_explicit_stimuli_errors(ratings):
    with pytest.raises(ValueError, match=r"'stimuli'.*1 stimulus id\(s\) in the data.*not in 'stimuli': 'c'"):
        from_ratings(ratings, stimuli=["a", "b"])
    with pytest.raises(ValueError, match="duplicates"):
        from_ratings(ratings, stimuli=["a", "b", "c", "a"])
    with pytest.raises(TypeError, match="'stimuli'"):
        from_ratings(ratings, stimuli="abc")


def test_triplet_errors_name_the_row():
    df = pd.DataFrame({"stimulus_1": ["a", "a"], "stimulus_2": ["b", "b"], "stimulus_3": ["c", "d"],
                       "choice": ["a", "c"]}, index=[10, 11])
    with pytest.raises(ValueError, match=r"'choice'.*row 11 shows 'a', 'b', 'd' but has choice 'c'"):
        from_triplets(df, subject=None)
    with pytest.raises(ValueError, match=r"three different stimuli.*rows 10"):
        from_triplets(df.assign(stimulus_3=["a", "d"]), subject=None)


def test_confusion_response_must_be_a_stimulus():
    trials, _ = _confusion_trials()
    odd = pd.concat([trials, pd.DataFrame({"subject": ["s1"], "stimulus": ["a"], "response": ["unsure"]})])
    with pytest.raises(ValueError, match=r"responses must be stimulus labels.*'unsure'"):
        from_confusions(odd)
    with pytest.raises(ValueError, match=r"not in 'stimuli': 'unsure'"):
        from_confusions(odd, stimuli=["a", "b"])


def test_arrangement_stimulus_twice_in_a_trial():
    df = pd.DataFrame({"subject": ["s1"] * 3, "trial": [0, 0, 0], "stimulus": ["a", "b", "a"],
                       "x": [0.0, 1.0, 2.0], "y": [0.0, 0.0, 0.0]})
    with pytest.raises(ValueError, match=r"more than once in the same trial.*rows 0, 2"):
        from_arrangements(df)


def test_group_rdm_errors(ratings):
    with pytest.raises(TypeError, match="'subject_rdms'"):
        group_rdm(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"expected dims \('subject', 'stimulus_a', 'stimulus_b'\)"):
        group_rdm(from_ratings(ratings).isel(subject=0))
