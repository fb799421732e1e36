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


def check_positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as int if it is an integer >= ``minimum``."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"Invalid value for {name!r}: expected an integer >= {minimum}; got {value!r}.")
    return int(value)


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
