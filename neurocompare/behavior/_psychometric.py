"""Psychometric functions: maximum-likelihood fits with guess and lapse rates, bootstrap CIs, thresholds."""
from __future__ import annotations

import numpy as np

from .._utils.stats import percentile_ci
from ._stats import check_bootstrap

FUNCTIONS = ("cumulative_normal", "logistic", "weibull")
DIRECTIONS = ("auto", "increasing", "decreasing")
PARAMETERS = ("threshold", "slope", "location", "spread", "guess", "lapse")


def _core(function: str, x, alpha, beta):
    """The sigmoid F(x) in [0, 1], increasing in x."""
    from scipy.special import ndtr

    x = np.asarray(x, dtype=float)
    if function == "cumulative_normal":
        return ndtr((x - alpha) / beta)
    if function == "logistic":
        return 0.5 * (1 + np.tanh((x - alpha) / (2 * beta)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(x > 0, -np.expm1(-np.power(np.clip(x, 0, None) / alpha, beta)), 0.0)


def psychometric(x, *, function: str = "cumulative_normal", location: float, spread: float, guess: float,
                 lapse: float, decreasing: bool = False):
    """``guess + (1 - guess - lapse) * F(x)`` (``1 - F`` when ``decreasing``).

    ``F`` is the cumulative normal with mean ``location`` and sd ``spread``, the
    logistic with midpoint ``location`` and scale ``spread``, or the Weibull
    ``1 - exp(-(x / location) ** spread)`` (``x > 0``). These are the alpha and
    beta of Wichmann & Hill (2001).

    Parameters
    ----------
    x : array-like
        Stimulus levels.
    function : {"cumulative_normal", "logistic", "weibull"}
    location : float
        Where ``F`` rises: the mean, the midpoint, or the Weibull scale.
    spread : float
        How spread out the rise is: the sd, the logistic scale, or the Weibull shape
        exponent (for the Weibull, larger is steeper).
    guess, lapse : float
        Guess and lapse rates.
    decreasing : bool
        Use ``1 - F`` (performance falls as the level grows).

    Returns
    -------
    numpy.ndarray
        Proportion correct at each level.
    """
    from .._utils.checks import check_option, check_real

    check_option("function", function, FUNCTIONS)
    check_real("location", location)
    spread = check_real("spread", spread, low=0, low_open=True)
    guess = check_real("guess", guess, low=0, high=1, high_open=True)
    lapse = check_real("lapse", lapse, low=0, high=1, high_open=True)
    if guess + lapse >= 1:
        raise ValueError(f"Invalid values for 'guess' and 'lapse': guess + lapse must be < 1 (performance runs from "
                         f"guess to 1 - lapse); got {guess} + {lapse}.")
    f = _core(function, x, location, spread)
    if decreasing:
        f = 1 - f
    return guess + (1 - guess - lapse) * f


def _threshold_slope(function, alpha, beta, guess, lapse, decreasing):
    """Level where F = 0.5 (performance halfway between guess and 1 - lapse) and dpsi/dx there."""
    if function == "cumulative_normal":
        thr, dF = alpha, 1 / (beta * np.sqrt(2 * np.pi))
    elif function == "logistic":
        thr, dF = alpha, 1 / (4 * beta)
    else:
        thr = alpha * np.log(2) ** (1 / beta)
        dF = 0.5 * beta / thr * np.log(2)  # d/dx [1 - exp(-(x/a)^b)] at F = 0.5
    slope = (1 - guess - lapse) * dF
    return float(thr), float(-slope if decreasing else slope)


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def _unpack(theta, function, guess, lapse, max_lapse, free_guess, free_lapse):
    """Unconstrained parameters -> (alpha, beta, guess, lapse); rates through a scaled logistic."""
    alpha = np.exp(theta[0]) if function == "weibull" else theta[0]
    pos = 2
    g = 0.5 * _sigmoid(theta[pos]) if free_guess else guess
    pos += free_guess
    lam = max_lapse * _sigmoid(theta[pos]) if free_lapse else lapse
    return alpha, np.exp(theta[1]), g, lam


def _nll(theta, function, x, k, n, guess, lapse, max_lapse, decreasing, free_guess, free_lapse):
    alpha, beta, g, lam = _unpack(theta, function, guess, lapse, max_lapse, free_guess, free_lapse)
    f = _core(function, x, alpha, beta)
    p = g + (1 - g - lam) * (1 - f if decreasing else f)
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return -float(np.sum(k * np.log(p) + (n - k) * np.log1p(-p)))


def _logit(p):
    return float(np.log(p / (1 - p)))


def _fit_one(function, x, k, n, guess, lapse, max_lapse, decreasing, start=None):
    """Maximum-likelihood fit (BFGS on unconstrained parameters, from a grid of starts)."""
    import warnings

    from scipy.optimize import minimize

    free_guess = guess == "fit"
    free_lapse = lapse == "fit" and max_lapse > 0
    if lapse == "fit" and not free_lapse:
        lapse = 0.0
    span = max(float(x.max() - x.min()), 1e-6)
    if function == "weibull":
        alphas = np.log(np.geomspace(max(x[x > 0].min(), 1e-6), x.max(), 7))
        betas = np.log([0.5, 1, 2, 4, 8])
    else:
        alphas = np.linspace(x.min(), x.max(), 7)
        betas = np.log(span * np.array([0.02, 0.08, 0.2, 0.5, 1.0]))
    extra0 = ([_logit(0.2)] if free_guess else []) + ([_logit(0.2)] if free_lapse else [])
    args = (function, x, k, n, guess, lapse, max_lapse, decreasing, free_guess, free_lapse)
    if start is not None:  # bootstrap refits: one local search from the estimate of the data
        starts = [np.asarray(start, dtype=float)]
    else:  # coarse grid, then local refinement from the best few starts
        grid = sorted((_nll(np.array([a, b, *extra0]), *args), i, a, b)
                      for i, (a, b) in enumerate((a, b) for a in alphas for b in betas))[:3]
        starts = [np.array([a, b, *extra0], dtype=float) for _, _, a, b in grid]
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for th0 in starts:
            res = minimize(_nll, th0, args=args, method="BFGS")
            if not np.isfinite(res.fun) or res.status not in (0, 2):  # 2: precision loss at the optimum
                alt = minimize(_nll, th0, args=args, method="Nelder-Mead",
                               options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000})
                res = alt if (not np.isfinite(res.fun) or alt.fun <= res.fun) else res
            if best is None or res.fun < best.fun:
                best = res
    alpha, beta, g, lam = _unpack(best.x, *args[:1], guess, lapse, max_lapse, free_guess, free_lapse)
    return float(alpha), float(beta), float(g), float(lam), float(best.fun), best.x


def fit_psychometric(trials, *, level: str = "condition", function: str = "cumulative_normal", guess=None,
                     lapse="fit", max_lapse: float = 0.1, direction: str = "auto", n_bootstrap: int = 200,
                     ci: float = 0.95, random_state=0):
    """Maximum-likelihood fit of a psychometric function per subject (or model).

    ``psi(x) = guess + (1 - guess - lapse) * F(x)`` is fitted to the proportion
    correct at each stimulus level by maximising the binomial likelihood
    (Wichmann & Hill 2001). ``F`` is a cumulative normal, a logistic or a
    Weibull; for a manipulation that makes the task harder as it grows
    (noise), ``1 - F`` is used. The threshold is the level where ``F = 0.5``
    (performance halfway between the guess rate and ``1 - lapse``); the
    slope is ``dpsi/dx`` there (negative for a decreasing function).

    Parameters
    ----------
    trials : pandas.DataFrame
        A standard trial table whose ``level`` column holds numbers.
    level : str
        The column with the stimulus level (noise sd, contrast, ...).
    function : {"cumulative_normal", "logistic", "weibull"}
    guess : float or "fit", optional
        The guess rate; default ``1 / number of categories`` (chance in an
        n-alternative task). ``"fit"`` estimates it in [0, 0.5].
    lapse : float or "fit"
        The lapse rate; ``"fit"`` (default) estimates it in ``[0, max_lapse]``.
    max_lapse : float
    direction : {"auto", "increasing", "decreasing"}
        ``"auto"``: decreasing when proportion correct falls with the level.
    n_bootstrap : int
        Resamples of the trials within each level, each refitted (0: no CI).
    ci : float
    random_state : int, Generator or None

    Returns
    -------
    pandas.DataFrame
        ``subject, function, direction, parameter, value, ci_low, ci_high, n``
        with parameters ``threshold, slope, location, spread, guess, lapse`` (and
        ``n`` the trials), plus ``neg_log_likelihood`` in ``attrs``.
    """
    import pandas as pd

    from .._utils.checks import check_option
    from .._utils.random import check_random_state
    from ._trials import check_trials

    check_trials(trials)
    check_option("function", function, FUNCTIONS)
    check_option("direction", direction, DIRECTIONS)
    if level not in trials:
        from .._utils.checks import unknown_name_error

        raise unknown_name_error("column for 'level'", level, trials.columns)
    lv = pd.to_numeric(trials[level], errors="coerce")
    if lv.isna().any():
        bad = trials.loc[lv.isna(), level].unique()[:5]
        raise ValueError(f"Invalid value for 'level': the column {level!r} must hold numbers (stimulus levels such "
                         f"as noise sd or contrast); got non-numeric values {list(bad)}.")
    if function == "weibull" and (lv <= 0).any():
        raise ValueError(f"Invalid value for 'function': the Weibull needs positive levels; {level!r} has values "
                         f"<= 0 (min {lv.min()}). Use 'cumulative_normal' or 'logistic', or shift the levels.")
    if not 0 <= max_lapse < 0.5:
        raise ValueError(f"Invalid value for 'max_lapse': expected a number in [0, 0.5); got {max_lapse!r}.")
    if guess is None:
        guess = 1 / max(len(set(trials["category"].astype(str))), 2)
    for name, v in (("guess", guess), ("lapse", lapse)):
        if not (v == "fit" or (isinstance(v, (int, float)) and 0 <= v < 1)):
            raise ValueError(f"Invalid value for {name!r}: expected a rate in [0, 1) or 'fit'; got {v!r}.")
    n_bootstrap, ci = check_bootstrap(n_bootstrap, ci)
    rng = check_random_state(random_state)
    rows, nll = [], {}
    data = trials.assign(_level=lv.astype(float))
    for subj, g in data.groupby("subject", sort=False):
        agg = g.groupby("_level")["correct"].agg(["sum", "count"]).sort_index()
        if len(agg) < 3:
            raise ValueError(f"Subject {subj!r} has trials at {len(agg)} level(s) of {level!r}; a psychometric fit "
                             "needs at least 3 levels.")
        x, k, n = agg.index.to_numpy(float), agg["sum"].to_numpy(float), agg["count"].to_numpy(float)
        if direction == "auto":
            dec = np.corrcoef(x, k / n)[0, 1] < 0 if np.std(k / n) > 0 else False
        else:
            dec = direction == "decreasing"
        a, b, gg, lam, f, theta = _fit_one(function, x, k, n, guess, lapse, max_lapse, dec)
        nll[subj] = f
        thr0 = _threshold_slope(function, a, b, gg, lam, dec)[0]
        if not x.min() <= thr0 <= x.max():
            from .._utils.logging import logger

            logger.warning("Subject %r: the fitted threshold %.3g lies outside the levels tested (%g to %g); "
                           "the fit extrapolates (performance may be at chance or at ceiling throughout).",
                           subj, thr0, x.min(), x.max())
        est = dict(zip(("threshold", "slope"), _threshold_slope(function, a, b, gg, lam, dec)),
                   location=a, spread=b, guess=gg, lapse=lam)
        boots = {p: [] for p in PARAMETERS}
        if n_bootstrap:
            kb = rng.binomial(n.astype(int)[None, :], (k / n)[None, :], size=(n_bootstrap, len(n)))
            for kk in kb:  # resampling trials within a level = binomial draws at the observed rate
                a2, b2, g2, l2, _, _ = _fit_one(function, x, kk.astype(float), n, guess, lapse, max_lapse, dec,
                                                start=theta)
                t2, s2 = _threshold_slope(function, a2, b2, g2, l2, dec)
                for p, v in zip(PARAMETERS, (t2, s2, a2, b2, g2, l2)):
                    boots[p].append(v)
        for p in PARAMETERS:
            lo, hi = percentile_ci(np.array(boots[p]), ci) if n_bootstrap else (np.nan, np.nan)
            rows.append((subj, function, "decreasing" if dec else "increasing", p, float(est[p]), lo, hi,
                         int(n.sum())))
    out = pd.DataFrame(rows, columns=["subject", "function", "direction", "parameter", "value", "ci_low", "ci_high",
                                      "n"])
    out.attrs["neg_log_likelihood"] = nll
    out.attrs["level"] = level
    return out


def compare_thresholds(model_fits, human_fits, *, parameter: str = "threshold"):
    """Each model's threshold (or slope) beside the humans': mean, range, difference and ratio.

    Parameters
    ----------
    model_fits, human_fits : pandas.DataFrame
        From :func:`fit_psychometric` (same function and level).
    parameter : {"threshold", "slope"}

    Returns
    -------
    pandas.DataFrame
        ``subject, parameter, value, ci_low, ci_high, human_mean, human_min,
        human_max, human_ci_low, human_ci_high, difference, ratio,
        within_human_range``. ``human_ci_*`` is a 95% bootstrap interval of the
        human mean over subjects (NaN with fewer than 2 humans).
    """
    import pandas as pd

    from .._utils.checks import check_option

    check_option("parameter", parameter, ("threshold", "slope"))
    for name, f in (("model_fits", model_fits), ("human_fits", human_fits)):
        if not isinstance(f, pd.DataFrame) or not {"subject", "parameter", "value"} <= set(f.columns):
            raise ValueError(f"Invalid value for {name!r}: expected the output of fit_psychometric.")
    fm = set(model_fits["function"]) | set(human_fits["function"])
    if len(fm) > 1:
        raise ValueError(f"Invalid value for 'model_fits': models and humans were fitted with different functions "
                         f"{sorted(fm)}; thresholds are only comparable for the same function.")
    h = human_fits[human_fits["parameter"] == parameter]["value"].to_numpy(float)
    hlo = hhi = np.nan
    if len(h) >= 2:
        rng = np.random.default_rng(0)
        hlo, hhi = percentile_ci(h[rng.integers(0, len(h), size=(2000, len(h)))].mean(1), 0.95)
    hm = float(h.mean()) if len(h) else np.nan
    rows = []
    for _, r in model_fits[model_fits["parameter"] == parameter].iterrows():
        v = float(r["value"])
        rows.append((r["subject"], parameter, v, r["ci_low"], r["ci_high"], hm, float(h.min()), float(h.max()), hlo,
                     hhi, v - hm, v / hm if hm else np.nan, bool(h.min() <= v <= h.max())))
    return pd.DataFrame(rows, columns=["subject", "parameter", "value", "ci_low", "ci_high", "human_mean", "human_min",
                                       "human_max", "human_ci_low", "human_ci_high", "difference", "ratio",
                                       "within_human_range"])
