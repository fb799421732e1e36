"""The package logger. Messages go through ``logging.getLogger('neurocompare')``."""
from __future__ import annotations

import logging

logger = logging.getLogger("neurocompare")
logger.addHandler(logging.NullHandler())


def set_log_level(level: str | int = "INFO") -> None:
    """Show neurocompare's messages at ``level`` on stderr (e.g. ``"INFO"``, ``"DEBUG"``)."""
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.NullHandler)
               for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s neurocompare: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
