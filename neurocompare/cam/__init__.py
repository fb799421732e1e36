"""Class-activation maps: where in an image a network's decision comes from.

Maps (:func:`compute`), their localisation against ground-truth masks and boxes,
and their faithfulness (deletion/insertion). Their agreement with where people
look is scored in :mod:`neurocompare.saliency` (which takes any map).
"""
from __future__ import annotations

__all__: list[str] = []

# --- maps: compute, localisation, faithfulness (owned by the maps work) ---
from ._compute import METHODS, check_method, compute  # noqa: E402
from ._faithfulness import curve_auc, faithfulness, faithfulness_curves  # noqa: E402
from ._localization import localization, regions, summarize_scores  # noqa: E402
from ._sanity import randomization_test, randomized_copies  # noqa: E402

__all__ += ["compute", "METHODS", "check_method", "localization", "regions", "summarize_scores", "faithfulness",
            "faithfulness_curves", "curve_auc", "randomization_test",
            "randomized_copies"]
