"""Cross-validation splitters for generalisation tests (scikit-learn compatible)."""
from __future__ import annotations

import numpy as np


class TransferSplit:
    """Train on one group, test on every other group, for each group in turn.

    With groups = bins of position (or size), this is the category-orthogonal
    generalisation test of Hong et al. (2016): a classifier trained on objects at some
    positions is tested on objects at other positions.

    Parameters
    ----------
    groups : array-like
        Group label of every sample.
    """

    def __init__(self, groups):
        self.groups = np.asarray(groups)

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return len(np.unique(self.groups))

    def split(self, X=None, y=None, groups=None):
        idx = np.arange(len(self.groups))
        for g in np.unique(self.groups):
            yield idx[self.groups == g], idx[self.groups != g]


class LeaveOneLevelOut:
    """Test on one level of a factor, train on all others, for each level (e.g. exemplars).

    With levels = ``identity``, the decoder must generalise to an exemplar it never saw.
    """

    def __init__(self, levels):
        self.levels = np.asarray(levels)

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return len(np.unique(self.levels))

    def split(self, X=None, y=None, groups=None):
        idx = np.arange(len(self.levels))
        for lev in np.unique(self.levels):
            yield idx[self.levels != lev], idx[self.levels == lev]


def factor_split(values, *, n_bins: int = 2):
    """The generalisation splitter for a stimulus factor.

    Numeric factors (position, size) are cut into ``n_bins`` quantile bins and give a
    :class:`TransferSplit` (train on one bin, test on the others); categorical factors
    (identity, background) give :class:`LeaveOneLevelOut`.
    """
    import pandas as pd

    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.number) and len(np.unique(values)) > n_bins:
        bins = pd.qcut(values, n_bins, labels=False, duplicates="drop")
        return TransferSplit(np.asarray(bins))
    return LeaveOneLevelOut(values.astype(str))
