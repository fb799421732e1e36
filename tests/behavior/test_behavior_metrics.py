"""Metrics on hand-made trials with known answers; bootstrap against a loop reference."""
import numpy as np
import pandas as pd
import pytest

from neurocompare import behavior as B


def trials(subject, correct, *, stimuli=None, condition="c", category="cat", wrong="dog", rt=None):
    correct = np.asarray(correct, bool)
    n = len(correct)
    stimuli = [f"s{i}" for i in range(n)] if stimuli is None else stimuli
    return pd.DataFrame({"subject": subject, "stimulus": stimuli,
                         "response": np.where(correct, category, wrong), "category": category, "correct": correct,
                         "rt": np.nan if rt is None else rt, "condition": condition, "session": 1,
                         "trial": np.arange(1, n + 1)})


def test_kappa_known_values():
    a = trials("a", [1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    b = trials("b", [1, 1, 1, 1, 0, 0, 0, 0, 1, 1])
    r = B.error_consistency(a, b, n_bootstrap=0).iloc[0]
    # observed 6/10, expected .6*.6 + .4*.4 = .52, kappa = .08 / .48
    assert r["observed"] == pytest.approx(0.6) and r["expected"] == pytest.approx(0.52)
    assert r["kappa"] == pytest.approx(1 / 6)
    assert (r["subject_a"], r["subject_b"], r["n"]) == ("a", "b", 10)
    assert r["accuracy_a"] == pytest.approx(0.6) and np.isnan(r["ci_low"])
    # identical error patterns: kappa 1 (and every bootstrap sample too)
    r = B.error_consistency(a, a.assign(subject="a2"), n_bootstrap=200).iloc[0]
    assert r["kappa"] == 1 and r["ci_low"] == 1 and r["ci_high"] == 1 and r["observed"] == 1
    # opposite patterns at 50% accuracy: kappa -1
    c = trials("c", [1, 0] * 5)
    d = trials("d", [0, 1] * 5)
    assert B.error_consistency(c, d, n_bootstrap=0)["kappa"].iloc[0] == pytest.approx(-1)
    # both always right: expected agreement 1, kappa undefined
    assert np.isnan(B.error_consistency(trials("e", [1] * 5), trials("f", [1] * 5), n_bootstrap=0)["kappa"].iloc[0])


def test_two_different_errors_are_agreement_and_matching_is_by_stimulus():
    a = trials("a", [1, 0, 0, 1])
    b = trials("b", [1, 0, 0, 1], wrong="bird")  # other wrong answers: still both wrong
    b = b.iloc[::-1].reset_index(drop=True)  # another trial order
    r = B.error_consistency(a, b, n_bootstrap=0).iloc[0]
    assert r["observed"] == 1 and r["kappa"] == 1


def test_independent_observers_give_kappa_near_zero():
    rng = np.random.default_rng(1)
    a = trials("a", rng.random(4000) < 0.7)
    b = trials("b", rng.random(4000) < 0.7)
    r = B.error_consistency(a, b, n_bootstrap=300, random_state=0).iloc[0]
    assert abs(r["kappa"]) < 0.04
    assert r["ci_low"] < 0 < r["ci_high"] or abs(r["kappa"]) < 0.01
    assert r["ci_high"] - r["ci_low"] < 0.1


def test_bootstrap_equals_a_loop_reference():
    rng = np.random.default_rng(3)
    a = trials("a", rng.random(60) < 0.6)
    b = trials("b", (rng.random(60) < 0.3) | a["correct"].to_numpy())
    got = B.error_consistency(a, b, n_bootstrap=500, random_state=7).iloc[0]
    order = np.argsort(a["stimulus"].to_numpy())  # matched trials are in stimulus order
    ca, cb = a["correct"].to_numpy()[order], b["correct"].to_numpy()[order]
    gen = np.random.default_rng(7)
    idx = gen.integers(0, 60, size=(500, 60))
    ks, obs = [], []
    for row in idx:
        x, y = ca[row], cb[row]
        o = np.mean(x == y)
        e = x.mean() * y.mean() + (1 - x.mean()) * (1 - y.mean())
        ks.append((o - e) / (1 - e))
        obs.append(o)
    assert got["ci_low"] == pytest.approx(np.percentile(ks, 2.5))
    assert got["ci_high"] == pytest.approx(np.percentile(ks, 97.5))
    assert got["observed_ci_low"] == pytest.approx(np.percentile(obs, 2.5))


def test_accuracy_and_difference():
    t = pd.concat([trials("a", [1] * 70 + [0] * 30), trials("b", [1] * 50 + [0] * 50)], ignore_index=True)
    acc = B.accuracy(t, n_bootstrap=2000, random_state=0)
    assert list(acc.columns) == ["subject", "condition", "metric", "value", "ci_low", "ci_high", "n"]
    a = acc.set_index("subject")
    assert a.loc["a", "value"] == 0.7 and a.loc["a", "n"] == 100
    se = np.sqrt(0.7 * 0.3 / 100)  # binomial standard error
    assert a.loc["a", "ci_low"] == pytest.approx(0.7 - 1.96 * se, abs=0.015)
    assert a.loc["a", "ci_high"] == pytest.approx(0.7 + 1.96 * se, abs=0.015)
    d = B.accuracy_difference(t[t.subject == "a"], t[t.subject == "b"], n_bootstrap=500).iloc[0]
    assert d["value"] == pytest.approx(0.2) and d["ci_low"] < 0.2 < d["ci_high"] and d["ci_low"] > 0


def test_consistency_table_pairs_and_summary():
    rng = np.random.default_rng(0)
    truth = rng.random(200) < 0.7
    humans = pd.concat([trials(f"h{i}", truth ^ (rng.random(200) < 0.1)) for i in range(4)], ignore_index=True)
    models = pd.concat([trials("m1", truth ^ (rng.random(200) < 0.3)), trials("m2", rng.random(200) < 0.7)],
                       ignore_index=True)
    tab = B.consistency_table(models, humans, n_bootstrap=100)
    assert tab.groupby("pair").size().to_dict() == {"model-human": 8, "human-human": 6, "model-model": 1}
    s = B.summarize_consistency(tab).set_index("subject")
    hh = tab[tab.pair == "human-human"]["kappa"]
    assert s.loc["humans", "value"] == pytest.approx(hh.mean()) and s.loc["humans", "n_pairs"] == 6
    assert s.loc["m1", "human_value"] == pytest.approx(hh.mean())
    m1 = tab[(tab.pair == "model-human") & (tab.subject_a == "m1")]
    assert s.loc["m1", "value"] == pytest.approx(m1.kappa.mean())
    # humans share one error source (the 'truth'), m2 is independent of it
    assert s.loc["humans", "value"] > s.loc["m1", "value"] > s.loc["m2", "value"]
    assert abs(s.loc["m2", "value"]) < 0.15


def test_shape_bias_rules():
    stims = ["cat1-dog1", "cat2-dog2", "cat3-bird1", "cat4-cat2", "dog1-cat1", "dog2-bird3"]
    t = pd.DataFrame({"subject": "x", "stimulus": stims, "category": ["cat", "cat", "cat", "cat", "dog", "dog"],
                      "response": ["cat", "dog", "car", "cat", "cat", np.nan], "correct": False, "condition": "cc"})
    sb = B.shape_bias(t, n_bootstrap=0).set_index("metric")
    # cat4-cat2 is excluded (same shape and texture); 5 conflict trials: shape 1 (cat1-dog1), texture 2
    # (cat2-dog2 -> dog, dog1-cat1 -> cat), 'car' and no answer count toward neither
    assert sb.loc["shape_bias", "value"] == pytest.approx(1 / 3)
    assert sb.loc["fraction_shape", "value"] == pytest.approx(1 / 5)
    assert sb.loc["fraction_texture", "value"] == pytest.approx(2 / 5)
    assert (sb["n"] == 5).all()
    per = B.shape_bias(t, by_category=True, n_bootstrap=0)
    cat = per[(per.category == "cat") & (per.metric == "shape_bias")]["value"].iloc[0]
    assert cat == pytest.approx(0.5)
    # an explicit texture column wins over the names
    t2 = t.assign(stimulus=[f"img{i}" for i in range(6)], texture=["dog", "dog", "bird", "cat", "cat", "bird"])
    assert B.shape_bias(t2, n_bootstrap=0)["value"].iloc[0] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="texture category from the stimulus name 'img0'"):
        B.shape_bias(t2.drop(columns="texture"))
    with pytest.raises(ValueError, match="no cue-conflict trial"):
        B.shape_bias(t[t.stimulus == "cat4-cat2"])


def test_confusions():
    t = pd.DataFrame({"subject": "a", "stimulus": list("pqrstu"), "category": ["x", "x", "x", "y", "y", "z"],
                      "response": ["x", "y", np.nan, "y", "x", "z"], "correct": [1, 0, 0, 1, 0, 1],
                      "condition": 1})
    cm = B.confusion_matrix(t).set_index(["category", "response"])
    assert len(cm) == 9
    assert cm.loc[("x", "y"), "count"] == 1 and cm.loc[("x", "y"), "proportion"] == pytest.approx(1 / 3)
    assert cm.loc[("x", "x"), "proportion"] == pytest.approx(1 / 3)  # the no-answer trial is in the row total
    assert cm.loc[("y", "x"), "proportion"] == pytest.approx(0.5)
    r = B.confusion_correlation(t, t.assign(subject="b"), n_bootstrap=50).iloc[0]
    assert r["value"] == pytest.approx(1) and r["ci_low"] == pytest.approx(1)


def test_rt_confidence_matches_scipy():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    conf = rng.random(80)
    model = trials("m", rng.random(80) < 0.5).assign(confidence=conf)
    rt1 = 1.5 - conf + rng.normal(0, 0.2, 80)
    rt1[3] = np.nan  # NaN rts are allowed and left out
    h = pd.concat([trials("h1", rng.random(80) < 0.8, rt=rt1),
                   trials("h2", rng.random(80) < 0.8, rt=1.5 - conf + rng.normal(0, 0.2, 80))], ignore_index=True)
    res = B.rt_confidence(model, h, n_bootstrap=200)
    r = res[(res.pair == "model-human") & (res.subject_b == "h1")].iloc[0]
    ok = ~np.isnan(rt1)
    assert r["value"] == pytest.approx(spearmanr(conf[ok], rt1[ok])[0]) and r["n"] == 79
    assert r["value"] < -0.6 and r["ci_high"] < 0
    hh = res[res.pair == "human-human"].iloc[0]
    assert hh["metric"] == "spearman_rt_rt" and hh["value"] > 0.4
    with pytest.raises(ValueError, match="no 'confidence' column"):
        B.rt_confidence(model.drop(columns="confidence"), h)


# -- bad input -------------------------------------------------------------------------------------
def test_stimuli_missing_from_the_human_table_are_named():
    h = trials("h", [1, 0, 1])
    m = trials("m", [1, 1, 1, 1, 1], stimuli=["s0", "s1", "s2", "extra1", "extra2"])
    with pytest.raises(ValueError, match=r"2 of 5 stimuli in 'models' are missing from 'humans'.*'extra1'.*'extra2'"):
        B.consistency_table(m, h)


def test_subject_without_trials_in_a_condition():
    t = pd.concat([trials("a", [1, 0], condition="x"), trials("a", [1, 1], condition="y"),
                   trials("b", [0, 1], condition="x")], ignore_index=True)
    with pytest.raises(ValueError, match=r"Subject 'b' in 'trials' has no trials in condition\(s\) \['y'\]"):
        B.accuracy(t)


def test_bad_arguments():
    t = trials("a", [1, 0])
    with pytest.raises(ValueError, match="missing column\\(s\\) \\['correct'\\]"):
        B.accuracy(t.drop(columns="correct"))
    with pytest.raises(ValueError, match="Invalid value for 'n_bootstrap'"):
        B.accuracy(t, n_bootstrap=-1)
    with pytest.raises(ValueError, match="Invalid value for 'ci'"):
        B.accuracy(t, ci=95)
    with pytest.raises(ValueError, match="repeat a stimulus"):
        B.error_consistency(pd.concat([t, t]))
    with pytest.raises(ValueError, match="also human subjects"):
        B.consistency_table(t, t)
    with pytest.raises(TypeError, match="expected a trial table"):
        B.accuracy([1, 2])
