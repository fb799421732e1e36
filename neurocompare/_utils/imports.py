"""Lazy and optional imports with install hints."""
from __future__ import annotations

import importlib
from types import ModuleType

_PIP_NAMES = {"sklearn": "scikit-learn", "PIL": "pillow", "grad_cam": "grad-cam"}


def require(module: str, *, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise an ImportError that says what to ``pip install``."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        pip_name = _PIP_NAMES.get(top, top)
        why = f" (needed for {purpose})" if purpose else ""
        raise ImportError(
            f"The optional package {top!r} is not installed{why}. Install it with: pip install {pip_name}"
        ) from err
