"""Class-activation maps: where in an image a network's decision comes from.

Maps (:func:`compute`), their localisation against ground-truth masks and boxes,
their faithfulness (deletion/insertion), and their agreement with where people
look (:func:`compare_to_fixations`, :mod:`neurocompare.cam.metrics`).
"""
from __future__ import annotations

__all__: list[str] = []

# --- maps: compute, localisation, faithfulness (owned by the maps work) ---

# --- human fixations: metrics, loaders, comparison (owned by the fixations work) ---
