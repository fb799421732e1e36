"""Class-activation maps: where in an image a network's decision comes from.

Maps (:func:`compute`), their localisation against ground-truth masks and boxes,
their faithfulness (deletion/insertion), and their agreement with where people
look (:func:`compare_to_fixations`, :mod:`neurocompare.cam.metrics`).
"""
from __future__ import annotations

__all__: list[str] = []

# --- maps: compute, localisation, faithfulness (owned by the maps work) ---
from ._compute import METHODS, compute  # noqa: E402
from ._faithfulness import curve_auc, faithfulness, faithfulness_curves  # noqa: E402
from ._localization import localization, regions, summarize_scores  # noqa: E402
from ._sanity import randomization_test, randomized_copies  # noqa: E402

__all__ += ["compute", "METHODS", "localization", "regions", "summarize_scores", "faithfulness",
            "faithfulness_curves", "curve_auc", "randomization_test",
            "randomized_copies"]

# --- human fixations: metrics, loaders, comparison (owned by the fixations work) ---
from . import metrics  # noqa: E402
from ._compare import compare_to_fixations  # noqa: E402
from ._fixations import (  # noqa: E402
    fixation_density,
    fixation_map,
    load_mit1003_density,
    load_mit1003_fixations,
    load_salicon_fixations,
    read_saliency_map,
)
from .metrics import make_center_bias  # noqa: E402

__all__ += ["metrics", "compare_to_fixations", "fixation_map", "fixation_density", "load_salicon_fixations",
            "load_mit1003_fixations", "load_mit1003_density", "read_saliency_map", "make_center_bias"]
