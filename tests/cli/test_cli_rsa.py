import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from neurocompare.cli import app

runner = CliRunner()


def test_rsa_command(small_set, tmp_path):
    import neurocompare as nc

    acts = tmp_path / "acts.zarr"
    res = runner.invoke(app, ["extract", "smallcnn", str(small_set.root), "--out", str(acts), "--layers",
                              "block2,fc", "--option", "n_classes=6"])
    assert res.exit_code == 0, res.output
    rng = np.random.default_rng(0)
    subj = np.stack([nc.rsa.compute_rdm(rng.normal(size=(len(small_set), 5)), "euclidean").values for _ in range(3)])
    np.save(tmp_path / "ref.npy", subj)
    out = tmp_path / "rsa"
    res = runner.invoke(app, ["rsa", str(acts), "--reference", str(tmp_path / "ref.npy"), "--n-bootstrap", "50",
                              "--permutations", "50", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "tables" / "rsa.csv")
    assert list(table.layer) == ["block2", "fc"] and (table.n == 3).all()
    assert (out / "figures" / "layer_profile.png").is_file() and "Noise ceiling" in res.output
    res = runner.invoke(app, ["rsa", str(acts), "--reference", str(tmp_path / "ref.npy"), "--method", "pearson"])
    assert res.exit_code == 1 and "Invalid value for '--method'" in res.output
    res = runner.invoke(app, ["rsa", str(acts), "--reference", str(tmp_path / "ref.npy"), "--rdm-method", "corelation"])
    assert res.exit_code == 1 and "Invalid value for '--rdm-method'" in res.output and "'correlation'?" in res.output


# -- the psychologist's path: a rating study in the lab's own columns, against a folder-loaded stimulus set --

RATINGS_FLAGS = ["--format", "ratings", "--kind", "similarity", "--scale", "1,7", "--subject", "subject",
                 "--stimulus-a", "stim_a", "--stimulus-b", "stim_b", "--rating", "rating"]


@pytest.fixture(scope="module")
def face_acts(face_ratings, tmp_path_factory):
    acts = tmp_path_factory.mktemp("face_acts") / "acts.zarr"
    res = runner.invoke(app, ["extract", "smallcnn", str(face_ratings.images), "--out", str(acts), "--layers",
                              "block2,fc", "--option", "n_classes=2"])
    assert res.exit_code == 0, res.output
    return acts


def _rsa(acts, reference, *flags, out=None):
    args = ["rsa", str(acts), "--reference", str(reference), "--n-bootstrap", "30", "--permutations", "30"]
    return runner.invoke(app, args + (["--out", str(out)] if out else []) + list(flags))


def test_ratings_with_own_columns_give_the_python_numbers(face_ratings, face_acts, tmp_path):
    import neurocompare as nc

    out = tmp_path / "rsa"
    res = _rsa(face_acts, face_ratings.ratings, *RATINGS_FLAGS, out=out)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out / "tables" / "rsa.csv")
    # the same in Python: file names in the ratings, 'face/face_01' in the extraction (ImageFolder ids)
    human = nc.rsa.from_ratings(face_ratings.ratings, subject="subject", stimulus_a="stim_a", stimulus_b="stim_b",
                                rating="rating", kind="similarity", scale=(1, 7))
    model = nc.rsa.compute_rdm(nc.extraction.load(face_acts), "correlation")
    ids = list(map(str, model.stimulus_a.values))
    assert ids[:2] == ["face/face_01", "face/face_02"]
    human = nc.rsa.match_stimuli(human, ids)
    expected = nc.rsa.evaluate(model, human, method="corr", bootstrap="stimuli", n_bootstrap=30, permutations=30,
                               random_state=0, target="ratings")
    expected.to_csv(tmp_path / "python.csv", index=False)
    pd.testing.assert_frame_equal(table, pd.read_csv(tmp_path / "python.csv"), check_exact=True)
    assert list(table.layer) == ["block2", "fc"] and (table.n == 3).all()
    assert table["noise_ceiling_lower"].notna().all()
    # load_rdms with the same options, as the CLI reads it
    same = nc.rsa.load_rdms(face_ratings.ratings, format="ratings", kind="similarity", scale=(1, 7),
                            subject="subject", stimulus_a="stim_a", stimulus_b="stim_b", rating="rating")
    np.testing.assert_array_equal(nc.rsa.match_stimuli(same, ids).values, human.values)


def test_missed_trials_give_the_python_numbers_and_the_pairs_used(face_ratings, face_acts, tmp_path):
    """The rating log with empty cells, through the CLI and Python: identical tables (pairwise deletion), and the
    pairs each subject contributed are reported."""
    import neurocompare as nc

    out = tmp_path / "rsa-missed"
    res = _rsa(face_acts, face_ratings.missed, *RATINGS_FLAGS, out=out)
    assert res.exit_code == 0, res.output
    assert "pairwise deletion" in res.output and "14 to 14 of the 15 pairs" in res.output
    table = pd.read_csv(out / "tables" / "rsa.csv")
    model = nc.rsa.compute_rdm(nc.extraction.load(face_acts), "correlation")
    human = nc.rsa.match_stimuli(nc.rsa.from_ratings(face_ratings.missed, stimulus_a="stim_a", stimulus_b="stim_b",
                                                     kind="similarity", scale=(1, 7)),
                                 list(map(str, model.stimulus_a.values)))
    expected = nc.rsa.evaluate(model, human, n_bootstrap=30, permutations=30, target="ratings_missed")
    expected.to_csv(tmp_path / "python.csv", index=False)
    pd.testing.assert_frame_equal(table, pd.read_csv(tmp_path / "python.csv"), check_exact=True)
    assert table[["value", "ci_low", "p", "noise_ceiling_lower"]].notna().all().all()
    pairs = pd.read_csv(out / "tables" / "rsa_pairs.csv")
    assert len(pairs) == 6 and pairs["n_pairs"].eq(14).all()


def test_old_kind_ratings_says_use_format(face_ratings, face_acts):
    res = _rsa(face_acts, face_ratings.ratings, "--kind", "ratings")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "Invalid value for '--kind'" in res.output and "use --format ratings" in res.output
    assert "--kind says whether ratings are similarities" in res.output


def test_a_column_flag_of_another_format_is_an_error_naming_it(face_ratings, face_acts):
    res = _rsa(face_acts, face_ratings.ratings, *RATINGS_FLAGS, "--choice", "odd")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "Invalid option '--choice' with --format ratings: it is for --format triplets" in res.output
    assert "--format ratings takes --subject, --stimulus-a, --stimulus-b, --rating, --kind, --scale" in res.output
    res = _rsa(face_acts, face_ratings.ratings, "--format", "triplets", "--kind", "similarity", "--x", "px")
    assert "Invalid options '--x', '--kind' with --format triplets: they are for --format arrangements or " \
           "--format ratings" in res.output
    res = _rsa(face_acts, face_ratings.ratings, "--stimulus-a", "stim_a")
    assert "Invalid option '--stimulus-a' without --format: it is for --format ratings" in res.output


def test_loader_errors_name_the_flags_and_keep_column_names(face_ratings, face_acts):
    res = _rsa(face_acts, face_ratings.ratings, "--format", "ratings")
    assert res.exit_code == 1 and "Traceback" not in res.output
    # the default column names are the flags' names: a column stays a column, the parameter becomes its flag
    assert "Invalid value for '--stimulus-a': no column 'stimulus_a' in the data; the columns are 'stim_a', " \
           "'stim_b', 'rating', 'subject'." in res.output
    res = _rsa(face_acts, face_ratings.ratings, "--format", "ratings", "--stimulus-a", "stim_a", "--stimulus-b",
               "stim_b", "--rating", "ratng")
    assert "Invalid value for '--rating': no column 'ratng' in the data" in res.output
    assert "Did you mean column 'rating'?" in res.output
    res = _rsa(face_acts, face_ratings.ratings, *RATINGS_FLAGS[:2], "--kind", "similar")
    assert "Invalid value for '--kind': expected one of 'dissimilarity', 'similarity'; got 'similar'" in res.output
    res = _rsa(face_acts, face_ratings.ratings, *RATINGS_FLAGS[:4], "--scale", "1-7")
    assert "Invalid value for '--scale': expected MIN,MAX (two numbers, e.g. 1,7); got '1-7'." in res.output
    res = _rsa(face_acts, face_ratings.ratings, *RATINGS_FLAGS[:4], "--scale", "7,1")
    assert "Invalid value for '--scale'" in res.output
    res = _rsa(face_acts, face_ratings.ratings)
    assert "Invalid value for '--format': the CSV file" in res.output and "'ratings'" in res.output
    res = _rsa(face_acts, face_ratings.ratings, "--format", "rating")
    assert "Invalid value for '--format'" in res.output and "Did you mean 'ratings'" in res.output


def test_unmatched_stimuli_are_listed(face_ratings, face_acts, tmp_path):
    other = face_ratings.table.replace({"face_01.png": "cat_01.png", "face_02.png": "cat_02.png"})
    other.to_csv(tmp_path / "other.csv", index=False)
    res = _rsa(face_acts, tmp_path / "other.csv", *RATINGS_FLAGS)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "Invalid value for '--reference': 2 of its 6 stimulus ids match no target id by id, file name or file " \
           "stem: 'cat_01.png', 'cat_02.png'." in res.output
    assert "look like 'face/face_01', 'face/face_02', 'face/face_03' (and 3 more)" in res.output


def test_the_human_options_are_the_loaders_column_parameters():
    import inspect

    import neurocompare as nc
    from neurocompare.cli._rsa import HUMAN_OPTIONS

    not_columns = {"stimuli", "method", "smoothing", "n_iter", "tol"}
    for format, names in HUMAN_OPTIONS.items():
        loader = getattr(nc.rsa, f"from_{format}")
        params = [n for n, p in inspect.signature(loader).parameters.items()
                  if p.kind is inspect.Parameter.KEYWORD_ONLY and n not in not_columns]
        assert list(names) == params, format
