"""Provenance records saved beside every result."""
from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from importlib import metadata


def versions() -> dict[str, str]:
    """Versions of Python and the scientific stack that are installed."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for pkg in ("neurocompare", "numpy", "scipy", "pandas", "xarray", "zarr", "scikit-learn", "torch",
                "torchvision", "rsatoolbox"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def provenance(**config) -> dict:
    """A JSON-serialisable record: versions, time, and the given configuration."""
    return {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "versions": versions(),
            "config": config}
