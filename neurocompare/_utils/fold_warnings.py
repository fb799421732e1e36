"""Warnings raised while fitting and scoring folds: counted, then reported once per decode call (or profile).

A permutation test re-runs the cross-validation hundreds of times; scikit-learn warns in every
fold where, e.g., the decoder predicts a class the test fold lacks. Each fit records its
warnings; :func:`summarised_fold_warnings` reports them as one warning per kind, with counts.
Nested blocks (``what_where`` over many layers calling ``decode``) report once, at the outermost.
"""
from __future__ import annotations

import contextlib
import contextvars
import warnings

from .logging import NeurocompareWarning

_ABSENT_CLASS = "y_pred contains classes not in y_true"
_SINK: contextvars.ContextVar = contextvars.ContextVar("neurocompare_fold_warnings", default=None)


class FoldWarnings:
    """Counts of the warnings raised in the fits of one or more decode calls."""

    def __init__(self):
        self.decodes = 0
        self.fits = {"observed": 0, "permuted": 0}
        self.absent = {"observed": 0, "permuted": 0}     # folds in which a predicted class is not in the test fold
        self.other: dict[tuple[type, str], int] = {}

    def add(self, records, *, observed: bool) -> None:
        """Record one fit's warnings (a list of ``(category, message)``)."""
        kind = "observed" if observed else "permuted"
        self.fits[kind] += 1
        seen = set()
        for category, message in records:
            if _ABSENT_CLASS in message:
                if "absent" not in seen:
                    self.absent[kind] += 1
                    seen.add("absent")
            elif (category, message) not in seen:
                seen.add((category, message))
                self.other[(category, message)] = self.other.get((category, message), 0) + 1

    def merge(self, other: "FoldWarnings") -> None:
        """Add the counts of another sink (e.g. one returned by a dask worker)."""
        self.decodes += other.decodes
        for kind in self.fits:
            self.fits[kind] += other.fits[kind]
            self.absent[kind] += other.absent[kind]
        for key, count in other.other.items():
            self.other[key] = self.other.get(key, 0) + count

    def report(self, *, stacklevel: int = 5) -> None:
        """Issue one warning per kind of warning recorded."""
        n = sum(self.fits.values())
        where = "this decode call" if self.decodes <= 1 else f"{self.decodes} decode calls"
        k = sum(self.absent.values())
        if k:
            parts = [f"{self.absent['observed']} of the {self.fits['observed']} observed folds"]
            if self.fits["permuted"]:
                parts.append(f"{self.absent['permuted']} of the {self.fits['permuted']} folds with permuted labels")
            warnings.warn(
                f"In {k} of {n} test folds ({', '.join(parts)}) of {where}, the decoder predicted a class that the "
                "test fold does not hold (scikit-learn: 'y_pred contains classes not in y_true'). Balanced accuracy "
                "is then the mean recall over the classes that the test fold holds, which is still defined. With "
                "permuted labels on fixed folds this is expected (a permuted test fold can lack a class); in the "
                "observed folds it means small or unbalanced test folds. Stratified folds (cv=K, an int) or fewer "
                "folds keep every class in every test fold.", NeurocompareWarning, stacklevel=stacklevel)
        for (category, message), count in self.other.items():
            warnings.warn(f"{message} [raised in {count} of {n} fits of {where}; shown once]", category,
                          stacklevel=stacklevel)


@contextlib.contextmanager
def summarised_fold_warnings():
    """Collect the fold warnings of the decode calls in the block; report them once when it ends."""
    outer = _SINK.get()
    if outer is not None:       # an enclosing block reports
        yield outer
        return
    with collected() as sink:
        yield sink
    sink.report()


@contextlib.contextmanager
def collected():
    """A fresh sink for the decode calls in the block, never reported: a task on a dask worker returns it, and
    the caller merges it into its own."""
    sink = FoldWarnings()
    token = _SINK.set(sink)
    try:
        yield sink
    finally:
        _SINK.reset(token)


@contextlib.contextmanager
def recorded(out: list):
    """Record every warning raised in the block into ``out`` as ``(category, message)`` (picklable, so the records
    return from joblib workers), instead of showing it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield out
        finally:
            out.extend((w.category, str(w.message)) for w in caught)
