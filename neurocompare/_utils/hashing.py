"""Stable short hashes of configurations (cache keys, extraction settings)."""
from __future__ import annotations

import hashlib
import json


def config_hash(obj, length: int = 16) -> str:
    """Hex sha256 of ``obj`` as canonical JSON (sorted keys; unknown types as str), cut to ``length``."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:length]
