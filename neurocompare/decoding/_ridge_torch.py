"""Ridge regression and ridge classification in torch (CPU or GPU), equal to scikit-learn's on the same folds.

Used by :func:`decode` with ``backend="torch"``: standardisation inside the fold, an
intercept, and the closed-form solution (primal or dual, whichever is smaller). All
permuted copies of the target are solved in one factorisation.
"""
from __future__ import annotations

import numpy as np


def fit_predict(x_train, y_train, x_test, *, alpha: float, device, dtype) -> np.ndarray:
    """Standardise with the training fold, fit ridge for every column of ``y_train``, predict ``x_test``.

    ``y_train`` is (n_train, k); returns (n_test, k) predictions.
    """
    import torch

    xt = torch.as_tensor(x_train, dtype=dtype, device=device)
    xs = torch.as_tensor(x_test, dtype=dtype, device=device)
    y = torch.as_tensor(y_train, dtype=dtype, device=device)
    mu = xt.mean(0)
    sd = xt.std(0, unbiased=False)
    sd = torch.where(sd == 0, torch.ones_like(sd), sd)          # StandardScaler leaves constant features at 0
    xt = (xt - mu) / sd
    xs = (xs - mu) / sd
    xm = xt.mean(0)
    ym = y.mean(0)
    xc = xt - xm
    yc = y - ym
    n, p = xc.shape
    if p <= n:
        a = xc.T @ xc + alpha * torch.eye(p, dtype=dtype, device=device)
        w = torch.linalg.solve(a, xc.T @ yc)
    else:  # dual: w = X^T (X X^T + alpha I)^-1 y
        k = xc @ xc.T + alpha * torch.eye(n, dtype=dtype, device=device)
        w = xc.T @ torch.linalg.solve(k, yc)
    pred = (xs - xm) @ w + ym
    return pred.cpu().numpy()


def ridge_classifier_scores(x_train, y_train, x_test, classes, *, alpha, device, dtype) -> np.ndarray:
    """Decision values of scikit-learn's ``RidgeClassifier`` (targets +1/-1 per class, one vs rest)."""
    y = np.asarray(y_train)
    if len(classes) == 2:
        targets = np.where(y == classes[1], 1.0, -1.0)[:, None]
    else:
        targets = np.where(y[:, None] == np.asarray(classes)[None, :], 1.0, -1.0)
    return fit_predict(x_train, targets, x_test, alpha=alpha, device=device, dtype=dtype)
