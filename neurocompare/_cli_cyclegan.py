"""`neurocompare cyclegan` (registered on the main ``app`` by importing this module)."""
from __future__ import annotations

from .cli import _USER_ERRORS, _fail, app  # noqa: F401
