"""Psychometric fits recover known parameters; thresholds of models against humans."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from neurocompare.behavior import compare_thresholds, fit_psychometric, psychometric

LEVELS = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])


def simulate(subject, function, alpha, beta, *, guess=1 / 16, lapse=0.02, n=80, decreasing=True, seed=0,
             levels=LEVELS):
    rng = np.random.default_rng(seed)
    p = psychometric(levels, function=function, location=alpha, spread=beta, guess=guess, lapse=lapse,
                     decreasing=decreasing)
    rows = []
    for lv, pi in zip(levels, p):
        for c in rng.random(n) < pi:
            rows.append({"subject": subject, "stimulus": f"s{len(rows)}", "response": "a" if c else "b",
                         "category": "a", "correct": bool(c), "condition": float(lv)})
    return pd.DataFrame(rows)


def test_psychometric_function_values():
    y = psychometric(np.array([0.3]), function="cumulative_normal", location=0.3, spread=0.1, guess=0.1, lapse=0.1)
    assert y[0] == pytest.approx(0.1 + 0.8 * 0.5)
    y = psychometric(np.array([0.2]), function="logistic", location=0.3, spread=0.1, guess=0, lapse=0)
    assert y[0] == pytest.approx(1 / (1 + np.exp(1)))
    y = psychometric(np.array([2.0]), function="weibull", location=2.0, spread=3.0, guess=0.5, lapse=0)
    assert y[0] == pytest.approx(0.5 + 0.5 * (1 - np.exp(-1)))
    y = psychometric(np.array([0.3]), function="cumulative_normal", location=0.2, spread=0.1, guess=0, lapse=0,
                     decreasing=True)
    assert y[0] == pytest.approx(1 - norm.cdf(1))


@pytest.mark.parametrize("function,alpha,beta", [("cumulative_normal", 0.3, 0.08), ("logistic", 0.25, 0.05)])
def test_fit_recovers_parameters(function, alpha, beta):
    t = simulate("s", function, alpha, beta, n=400, seed=1)
    f = fit_psychometric(t, function=function, guess=1 / 16, n_bootstrap=60, random_state=0).set_index("parameter")
    assert (f["direction"] == "decreasing").all() and (f["n"] == 400 * 7).all()
    assert f.loc["location", "value"] == pytest.approx(alpha, abs=0.02)
    assert f.loc["spread", "value"] == pytest.approx(beta, rel=0.3)
    assert f.loc["threshold", "value"] == pytest.approx(alpha, abs=0.02)
    assert f.loc["guess", "value"] == pytest.approx(1 / 16) and 0 <= f.loc["lapse", "value"] <= 0.1
    assert f.loc["threshold", "ci_low"] < alpha < f.loc["threshold", "ci_high"]
    assert f.loc["slope", "value"] < 0  # accuracy falls with the level
    # the maximum-likelihood estimate beats a nearby parameter set
    nll = t.groupby("condition")["correct"].agg(["sum", "count"])
    x, k, n = nll.index.to_numpy(), nll["sum"].to_numpy(), nll["count"].to_numpy()

    def negll(a, b, lam):
        p = psychometric(x, function=function, location=a, spread=b, guess=1 / 16, lapse=lam, decreasing=True)
        return -np.sum(k * np.log(p) + (n - k) * np.log(1 - p))

    best = negll(f.loc["location", "value"], f.loc["spread", "value"], f.loc["lapse", "value"])
    assert best == pytest.approx(fit_psychometric(t, function=function, guess=1 / 16, n_bootstrap=0)
                                 .attrs["neg_log_likelihood"]["s"], rel=1e-6)
    for da, db in [(0.01, 0), (0, 0.01), (-0.01, 0)]:
        assert best < negll(f.loc["location", "value"] + da, f.loc["spread", "value"] + db, f.loc["lapse", "value"])


def test_weibull_increasing_and_slope_formula():
    lv = np.array([0.5, 1, 1.5, 2, 3, 4, 6])
    t = simulate("s", "weibull", 2.0, 3.0, guess=0.25, lapse=0.0, n=300, decreasing=False, seed=2, levels=lv)
    f = fit_psychometric(t, function="weibull", guess=0.25, lapse=0.0, n_bootstrap=0).set_index("parameter")["value"]
    assert f["location"] == pytest.approx(2.0, rel=0.1) and f["spread"] == pytest.approx(3.0, rel=0.3)
    thr = f["location"] * np.log(2) ** (1 / f["spread"])
    assert f["threshold"] == pytest.approx(thr)
    h = 1e-6  # slope = numerical derivative at the threshold
    num = (psychometric(np.array([thr + h]), function="weibull", location=f["location"], spread=f["spread"], guess=0.25,
                        lapse=0) - psychometric(np.array([thr - h]), function="weibull", location=f["location"],
                                                spread=f["spread"], guess=0.25, lapse=0)) / (2 * h)
    assert f["slope"] == pytest.approx(num[0], rel=1e-4)


def test_compare_thresholds():
    humans = pd.concat([simulate(f"subject-{i}", "cumulative_normal", a, 0.08, seed=i)
                        for i, a in enumerate([0.3, 0.33, 0.36])], ignore_index=True)
    model = simulate("cnn", "cumulative_normal", 0.12, 0.05, seed=9)
    hf = fit_psychometric(humans, n_bootstrap=0)
    mf = fit_psychometric(model, n_bootstrap=30)
    c = compare_thresholds(mf, hf).iloc[0]
    h = hf[hf.parameter == "threshold"]["value"]
    assert c["subject"] == "cnn" and c["human_mean"] == pytest.approx(h.mean())
    assert c["difference"] == pytest.approx(c["value"] - h.mean()) and not c["within_human_range"]
    assert c["value"] < c["human_min"] and c["ratio"] < 0.6
    with pytest.raises(ValueError, match="different functions"):
        compare_thresholds(fit_psychometric(model, function="logistic", n_bootstrap=0), hf)


def test_bad_input():
    t = simulate("s", "cumulative_normal", 0.3, 0.08)
    with pytest.raises(ValueError, match="must hold numbers"):
        fit_psychometric(t.assign(condition="high"))
    with pytest.raises(ValueError, match="at least 3 levels"):
        fit_psychometric(t[t.condition < 0.15])
    with pytest.raises(ValueError, match="Weibull needs positive levels"):
        fit_psychometric(t, function="weibull")
    with pytest.raises(ValueError, match="Invalid value for 'function'"):
        fit_psychometric(t, function="probit")
    with pytest.raises(ValueError, match="Invalid value for 'guess'"):
        fit_psychometric(t, guess=2)
    with pytest.raises(KeyError, match="noise"):
        fit_psychometric(t, level="noise")


def test_threshold_outside_the_levels_is_flagged(caplog):
    t = simulate("flat", "cumulative_normal", -1.0, 0.05, lapse=0.0, seed=3)  # at chance at every level tested
    with caplog.at_level("WARNING", logger="neurocompare"):
        f = fit_psychometric(t, guess=1 / 16, n_bootstrap=0)
    thr = f.set_index("parameter").loc["threshold", "value"]
    assert not 0 <= thr <= 0.6
    assert "lies outside the levels tested" in caplog.text and "'flat'" in caplog.text
