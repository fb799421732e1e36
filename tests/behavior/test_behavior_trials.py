"""load_trials: the common exports, a column mapping, and clear errors for bad tables."""
import numpy as np
import pandas as pd
import pytest

from neurocompare.behavior import TRIAL_COLUMNS, load_trials

EDGE = "geirhos2019/raw-data/edge-experiment"


def test_geirhos_format_real_csv(data_dir):
    path = data_dir / EDGE / "edge-experiment_subject-01_session_1.csv"
    raw = pd.read_csv(path)
    t = load_trials(path)
    assert list(t.columns[:9]) == list(TRIAL_COLUMNS) and "imagename" in t.columns
    assert len(t) == 160 and (t["subject"] == "subject-01").all()
    assert t["stimulus"].iloc[0] == "oven10"  # 0001_edg_s01_0_oven_00_oven10.png
    assert t["stimulus"].nunique() == 160
    assert t["correct"].sum() == (raw["object_response"] == raw["category"]).sum()
    np.testing.assert_array_equal(t["rt"].to_numpy(), raw["rt"].to_numpy())
    # a model file: NaN rts are fine
    m = load_trials(data_dir / EDGE / "edge-experiment_vgg_session_1.csv")
    assert m["rt"].isna().all() and m["subject"].iloc[0] == "vgg"
    # a folder reads every CSV in it
    both = load_trials(data_dir / EDGE)
    assert both["subject"].nunique() == 13 and len(both) == 13 * 160


def test_no_response_becomes_nan_and_counts_as_error(data_dir):
    path = data_dir / "geirhos2019/raw-data/style-transfer-512-nomask-experiment/" \
                      "style-transfer-512-nomask-experiment_subject-01_session_1.csv"
    raw = pd.read_csv(path, keep_default_na=False)
    t = load_trials(path)
    n_na = int((raw["object_response"] == "na").sum())
    assert n_na > 0 and t["response"].isna().sum() == n_na
    assert not t.loc[t["response"].isna(), "correct"].any()


def test_psychopy_export():
    df = pd.DataFrame({"participant": ["p01"] * 3, "session": [2] * 3, "trials.thisN": [0, 1, 2],
                       "image": ["a.png", "b.png", "c.png"], "category": ["cat", "dog", "cat"],
                       "key_resp.keys": ["cat", "cat", "cat"], "key_resp.rt": [0.5, 0.7, np.nan],
                       "key_resp.corr": [1, 0, 1], "frameRate": 60})
    t = load_trials(df)
    assert list(t["subject"]) == ["p01"] * 3 and list(t["stimulus"]) == ["a.png", "b.png", "c.png"]
    assert list(t["correct"]) == [True, False, True] and list(t["trial"]) == [0, 1, 2]
    assert np.isnan(t["rt"].iloc[2]) and "frameRate" in t.columns
    assert list(df.columns)[0] == "participant"  # the caller's frame is untouched


def test_jspsych_export_ms_to_seconds_and_instructions_dropped(tmp_path):
    df = pd.DataFrame({"subject": ["s1"] * 4, "trial_index": [0, 1, 2, 3],
                       "trial_type": ["instructions", "image-button-response", "image-button-response",
                                      "image-button-response"],
                       "time_elapsed": [100, 900, 1900, 2500],
                       "stimulus": [None, "img/cat3.png", "img/dog1.png", "img/dog2.png"],
                       "response": [None, "cat", "cat", "dog"], "category": [None, "cat", "dog", "dog"],
                       "rt": [None, 812.0, 640.0, 700.0]})
    path = tmp_path / "s1.csv"
    df.to_csv(path, index=False)
    t = load_trials(path)
    assert len(t) == 3 and list(t["rt"]) == pytest.approx([0.812, 0.64, 0.7])
    assert list(t["correct"]) == [True, False, True] and list(t["trial"]) == [1, 2, 3]


def test_column_mapping_and_subject_argument():
    df = pd.DataFrame({"img": ["x1", "x2"], "answer": ["cat", "dog"], "truth": ["cat", "cat"], "noise": [0.1, 0.2]})
    t = load_trials(df, columns={"stimulus": "img", "response": "answer", "category": "truth", "condition": "noise"},
                    subject="anna", categories=["cat", "dog"])
    assert list(t["subject"]) == ["anna", "anna"] and list(t["condition"]) == [0.1, 0.2]
    assert list(t["correct"]) == [True, False] and list(t["session"]) == [1, 1] and list(t["trial"]) == [1, 2]
    with pytest.raises(ValueError, match=r"1 response\(s\).*outside the category set \['cat'\]: \{'dog': 1\}"):
        load_trials(df, columns={"stimulus": "img", "response": "answer", "category": "truth"}, subject="anna")
    with pytest.raises(KeyError, match="Unknown standard column in 'columns': 'stimuli'.*'stimulus'"):
        load_trials(df, columns={"stimuli": "img"})
    with pytest.raises(KeyError, match="'imgs'.*'img'"):
        load_trials(df, columns={"stimulus": "imgs"})


def test_missing_columns_are_all_listed():
    df = pd.DataFrame({"img": ["x1"], "answer": ["cat"]})
    with pytest.raises(ValueError) as err:
        load_trials(df)
    msg = str(err.value)
    assert "['subject', 'stimulus', 'response', 'category']" in msg and "['img', 'answer']" in msg
    assert "columns={" in msg


def test_responses_outside_the_category_set():
    df = pd.DataFrame({"subject": "a", "stimulus": ["s1", "s2", "s3"], "response": ["cat", "kat", "dgo"],
                       "category": ["cat", "dog", "dog"]})
    with pytest.raises(ValueError, match=r"2 response\(s\).*outside the category set \['cat', 'dog'\].*'kat'"):
        load_trials(df)
    t = load_trials(df, categories=["cat", "dog", "kat", "dgo"])
    assert t["correct"].sum() == 1
    ok = load_trials(df.assign(response=["cat", "timeout", "dog"]))
    assert ok["response"].isna().sum() == 1


def test_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_trials(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError, match="no \\*.csv files"):
        load_trials(tmp_path)
    with pytest.raises(ValueError, match="Invalid value for 'format'"):
        load_trials(pd.DataFrame({"a": [1]}), format="eprime")
    with pytest.raises(ValueError, match="no rows"):
        load_trials(pd.DataFrame({"subject": []}))
