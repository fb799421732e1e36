"""Argument checks that raise clear, user-facing errors at the public boundary."""
from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any


def _fmt(values: Iterable[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def check_option(name: str, value: Any, allowed: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; raise a ValueError otherwise.

    The message names the parameter, the allowed values and what was received,
    and suggests a close match where there is one.
    """
    if value in allowed:
        return value
    msg = f"Invalid value for {name!r}: expected one of {_fmt(allowed)}; got {value!r}."
    if isinstance(value, str):
        close = difflib.get_close_matches(value, [str(a) for a in allowed], n=1)
        if close:
            msg += f" Did you mean {close[0]!r}?"
    raise ValueError(msg)


def close_matches(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """Names in ``candidates`` that look like ``name`` (substring matches first)."""
    candidates = list(candidates)
    subs = [c for c in candidates if name and (name in c or c.endswith(name))]
    fuzzy = difflib.get_close_matches(name, candidates, n=n, cutoff=0.5)
    out: list[str] = []
    for c in subs[:n] + fuzzy:
        if c not in out:
            out.append(c)
    return out[:n]


def unknown_name_error(kind: str, name: str, candidates: Iterable[str], *, hint: str = "") -> KeyError:
    """A KeyError for an unknown name, listing close matches (or a few valid names)."""
    candidates = list(candidates)
    close = close_matches(name, candidates)
    if close:
        extra = f" Close matches: {_fmt(close)}."
    else:
        shown = candidates[:10]
        more = f" (and {len(candidates) - 10} more)" if len(candidates) > 10 else ""
        extra = f" Valid names include: {_fmt(shown)}{more}."
    return _MessageKeyError(f"Unknown {kind}: {name!r}.{extra}{(' ' + hint) if hint else ''}")


class _MessageKeyError(KeyError):
    """KeyError whose str() is the plain message (KeyError quotes it otherwise)."""

    def __str__(self) -> str:  # pragma: no cover - trivial
        return str(self.args[0]) if self.args else ""


def check_positive_int(name: str, value: Any, *, minimum: int = 1, maximum: int | None = None,
                       why: str = "") -> int:
    """Return ``value`` as int if it is an integer >= ``minimum`` (and <= ``maximum`` when given).

    ``why`` explains the upper bound in the message (e.g. ``"larger images do not fit in memory"``).
    """
    import numbers

    ok = not isinstance(value, bool) and isinstance(value, numbers.Integral) and value >= minimum
    if ok and (maximum is None or value <= maximum):
        return int(value)
    expected = f"an integer >= {minimum}" if maximum is None else f"an integer in [{minimum}, {maximum}]"
    reason = f" ({why})" if why and ok else ""
    raise ValueError(f"Invalid value for {name!r}: expected {expected}; got {value!r}{reason}.")


def check_range(name: str, value: Any, *, low: float, high: float) -> tuple[float, float]:
    """Check a ``(lo, hi)`` pair inside ``[low, high]`` with ``lo <= hi``."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid value for {name!r}: expected a pair (low, high); got {value!r}.") from None
    if not (low <= lo <= hi <= high):
        raise ValueError(
            f"Invalid value for {name!r}: expected low <= high, both within [{low}, {high}]; got {value!r}."
        )
    return lo, hi


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a boolean (``True``/``False``, or a numpy bool); raise a TypeError otherwise.

    Strings such as ``"no"`` and numbers are refused: they are truthy or falsy
    in ways that silently do the opposite of what was meant.
    """
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"Invalid value for {name!r}: expected True or False; got {value!r} ({type(value).__name__}).")

def check_finite_activations(values, *, name: str = "acts", stimuli=None, units=None, unit_offset: int = 0) -> None:
    """Raise a ValueError naming the stimuli and units where a (stimulus, unit) array is NaN or infinite.

    ``stimuli`` and ``units`` label the rows and columns (positions, plus ``unit_offset``,
    when omitted). A cheap sum screens the array first, so clean data costs one pass.
    """
    import numpy as np

    values = np.asarray(values)
    with np.errstate(all="ignore"):
        if np.isfinite(values.sum(dtype=np.float64)):
            return
    bad = ~np.isfinite(values)
    if not bad.any():  # the sum overflowed, the values are fine
        return
    rows, cols = np.flatnonzero(bad.any(1)), np.flatnonzero(bad.any(0))
    row_names = [str(stimuli[i]) for i in rows[:5]] if stimuli is not None else [int(i) for i in rows[:5]]
    col_names = [units[i] for i in cols[:5]] if units is not None else [int(i) + unit_offset for i in cols[:5]]
    col_names = [c.item() if hasattr(c, "item") else c for c in col_names]
    raise ValueError(f"Invalid value for {name!r}: {int(bad.sum())} NaN or infinite activations, in {len(rows)} "
                     f"stimuli {row_names}{' ...' if len(rows) > 5 else ''} and {len(cols)} units "
                     f"{col_names}{' ...' if len(cols) > 5 else ''} (e.g. detector heads with no region for some "
                     "images); select other layers or drop those stimuli.")


def check_real(name: str, value: Any, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as float if it is a real number in the interval; raise otherwise.

    ``low``/``high`` of None leave that side unbounded; ``*_open`` excludes the bound.
    Booleans, NaN and non-numbers are refused (TypeError for non-numbers).
    """
    import math
    import numbers

    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    interval = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid type for {name!r}: expected a real number in {interval}; got "
                        f"{type(value).__name__} {value!r}.")
    v = float(value)
    ok = not math.isnan(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        raise ValueError(f"Invalid value for {name!r}: expected a real number in {interval}; got {value!r}.")
    return v


def _missing(values):
    """NaN/None, and the empty text that stores a missing value in string coordinates."""
    import numpy as np
    import pandas as pd

    values = np.asarray(values)
    miss = np.asarray(pd.isna(values), dtype=bool)
    if values.dtype.kind in "OUS":
        miss |= np.array([isinstance(v, (str, bytes)) and not v.strip() for v in values], dtype=bool)
    return miss


def check_complete(values, ids, *, factor: str, param: str) -> None:
    """Refuse a factor with missing values, naming it and the stimuli (a gap must not become a class)."""
    import numpy as np

    bad = np.flatnonzero(_missing(values))
    if len(bad):
        raise ValueError(f"Invalid value for {param!r}: the factor {factor!r} has missing values for {len(bad)} stimuli "
                         f"{[ids[i] for i in bad[:5]]}{' ...' if len(bad) > 5 else ''}; they would otherwise be "
                         "decoded as a class of their own or break the fit. Drop those stimuli first "
                         "(StimulusSet.subset) or fill the values in.")


def numeric_values(values, ids, *, factor: str, param: str):
    """A factor as a float array; text that is not a number is refused, naming the stimuli."""
    import numpy as np
    import pandas as pd

    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return values.astype(float)
    num = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(num) & ~_missing(values))
    if len(bad):
        raise ValueError(f"Invalid value for {param!r}: the factor {factor!r} has values that are not numbers for "
                         f"{len(bad)} stimuli {[ids[i] for i in bad[:5]]}{' ...' if len(bad) > 5 else ''} (e.g. "
                         f"{values[bad[0]]!r}); a regression target must be numeric. Fix or drop those stimuli.")
    return num


def check_columns(name: str, table: Any, columns: Iterable[str], *, expected: str):
    """Return ``table`` if it is a DataFrame with ``columns``; otherwise say what was expected (``expected``)."""
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        hint = " (read a saved table with pandas.read_csv first)" if isinstance(table, (str, bytes)) or \
            hasattr(table, "__fspath__") else ""
        raise TypeError(f"Invalid value for {name!r}: expected a pandas DataFrame, {expected}; got "
                        f"{type(table).__name__}{hint}.")
    missing = sorted(set(columns) - set(table.columns))
    if missing:
        raise ValueError(f"Invalid value for {name!r}: missing column(s) {missing}; expected {expected}.")
    return table
