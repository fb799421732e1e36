"""Cross-validation splitters for generalisation tests (scikit-learn compatible)."""
from __future__ import annotations

import numpy as np


class _LevelSplit:
    """One fold per level of a label vector; subclasses say which side the level is on."""

    train_on_level = True

    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of folds: one per level.

        Parameters
        ----------
        X, y, groups : optional
            Ignored; scikit-learn's splitter protocol.

        Returns
        -------
        int
        """
        return len(np.unique(self.labels))

    def split(self, X=None, y=None, groups=None):
        """Yield ``(train, test)`` index arrays, one pair per level.

        Parameters
        ----------
        X, y, groups : optional
            Ignored (the labels were given to the constructor); scikit-learn's splitter protocol.

        Yields
        ------
        tuple of numpy.ndarray
        """
        idx = np.arange(len(self.labels))
        for level in np.unique(self.labels):
            inside, outside = idx[self.labels == level], idx[self.labels != level]
            yield (inside, outside) if self.train_on_level else (outside, inside)


class TransferSplit(_LevelSplit):
    """Train on one group, test on every other group, for each group in turn.

    With groups = bins of position (or size), this is the category-orthogonal
    generalisation test of Hong et al. (2016): a classifier trained on objects at some
    positions is tested on objects at other positions.

    Parameters
    ----------
    labels : array-like
        Group label of every sample.
    """

    train_on_level = True


class LeaveOneLevelOut(_LevelSplit):
    """Test on one level of a factor, train on all others, for each level (e.g. exemplars).

    With levels = ``exemplar``, the decoder must generalise to an exemplar it never saw.

    Parameters
    ----------
    labels : array-like
        Level of every sample.
    """

    train_on_level = False


def factor_split(values, *, n_bins: int = 2):
    """The generalisation splitter for a stimulus factor.

    Numeric factors (position, size) are cut into ``n_bins`` quantile bins and give a
    :class:`TransferSplit` (train on one bin, test on the others); categorical factors
    (identity, background) give :class:`LeaveOneLevelOut`.

    Parameters
    ----------
    values : array-like
        The factor's value for every stimulus.
    n_bins : int
        Quantile bins of a numeric factor.

    Returns
    -------
    TransferSplit or LeaveOneLevelOut
    """
    import pandas as pd

    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.number) and len(np.unique(values)) > n_bins:
        bins = pd.qcut(values, n_bins, labels=False, duplicates="drop")
        return TransferSplit(np.asarray(bins))
    return LeaveOneLevelOut(values.astype(str))
