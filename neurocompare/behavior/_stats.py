"""Vectorised bootstrap helpers (resampling trials with replacement)."""
from __future__ import annotations

import warnings

import numpy as np


def check_bootstrap(n_bootstrap, ci) -> tuple[int, float]:
    from .._utils.checks import check_positive_int

    n_bootstrap = check_positive_int("n_bootstrap", n_bootstrap, minimum=0)
    if not 0 < float(ci) < 1:
        raise ValueError(f"Invalid value for 'ci': expected a coverage in (0, 1), e.g. 0.95; got {ci!r}.")
    return n_bootstrap, float(ci)


def indices(rng, n: int, n_bootstrap: int) -> np.ndarray:
    """``(n_bootstrap, n)`` trial indices drawn with replacement."""
    return rng.integers(0, n, size=(n_bootstrap, n))


def kappa(obs, exp):
    """Cohen's kappa from observed and expected agreement; NaN where expected agreement is 1."""
    obs = np.asarray(obs, dtype=float)
    exp = np.asarray(exp, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(exp < 1, (obs - exp) / (1 - exp), np.nan)


def row_ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks along the last axis (ties share their mean rank), as scipy.stats.rankdata."""
    from scipy.stats import rankdata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rankdata(x, axis=-1)
