"""Representational change between two states of a network: linear CKA and RDM correlation per layer."""
from __future__ import annotations

import numpy as np


def activations(module, x, layers, *, reduce=None, device="cpu") -> dict:
    """Activations of ``layers`` on the input batch ``x``: layer -> DataArray ``(stimulus, unit)``."""
    from ..extraction import extract, get_layer
    from ..models import ModelWrapper

    wrapper = ModelWrapper(module, name="net", transform=None)
    tree = extract(wrapper, x, layers=list(layers), reduce=reduce, device=device, progress=False)
    return {la: get_layer(tree, la).load() for la in layers}


def compare_layers(before: dict, after: dict, layers) -> list[dict]:
    """Rows ``layer, metric, value``: linear CKA and the Spearman correlation of correlation-distance RDMs."""
    from ..rsa import cka, compare, compute_rdm

    rows = []
    for la in layers:
        a, b = before[la], after[la]
        rows.append({"layer": la, "metric": "cka", "value": _finite(cka(a, b))})
        try:
            r = compare(compute_rdm(a, "correlation"), compute_rdm(b, "correlation"), "spearman")
        except ValueError:  # every entry NaN (constant patterns)
            r = float("nan")
        rows.append({"layer": la, "metric": "rdm_corr", "value": _finite(r)})
    return rows


def _finite(v) -> float:
    v = float(v)
    return v if np.isfinite(v) else float("nan")
