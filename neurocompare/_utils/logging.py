"""The package logger. Messages go through ``logging.getLogger('neurocompare')``."""
from __future__ import annotations

import logging

logger = logging.getLogger("neurocompare")
logger.addHandler(logging.NullHandler())


def set_log_level(level: str | int = "INFO") -> None:
    """Show neurocompare's messages at ``level`` on stderr (e.g. ``"INFO"``, ``"DEBUG"``).

    Parameters
    ----------
    level : str or int
        The logging level, by name (``"DEBUG"``, ``"INFO"``, ``"WARNING"``, ``"ERROR"``)
        or number (``logging.INFO``); messages below it are not shown. A stderr
        handler is added to the ``neurocompare`` logger the first time.
    """
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.NullHandler)
               for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s neurocompare: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)


class NeurocompareWarning(UserWarning):
    """A result that is computed correctly but may not mean what the caller thinks (e.g. the sign of a
    comparison when similarities were read as dissimilarities)."""


def warn(message: str, *, stacklevel: int = 3) -> None:
    """Issue a :class:`NeurocompareWarning` (shown once per place, as Python does; the CLI prints it as a line)."""
    import warnings

    warnings.warn(message, NeurocompareWarning, stacklevel=stacklevel)


def show_warnings_as_lines() -> None:
    """Print neurocompare's warnings as ``Warning: message`` lines on stderr (for the CLI), others as usual."""
    import sys
    import warnings

    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, NeurocompareWarning):
            print(f"Warning: {message}", file=file or sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    if getattr(warnings.showwarning, "__name__", "") != "show":
        warnings.showwarning = show
