"""Maps against human fixations: the MIT-benchmark metrics, fixation maps and loaders.

Works with any map, one 2-D array per stimulus: a class-activation map from
:func:`neurocompare.cam.compute`, a saliency model's output, a centre bias from
:func:`make_center_bias`, or a hand-made array.

- Metrics of one map (each returns a float): :func:`nss`, :func:`auc_judd`,
  :func:`auc_borji`, :func:`sauc`, :func:`cc`, :func:`sim`, :func:`kl`, :func:`ig`;
  their names in :data:`METRICS`.
- Many maps at once, one row per map: :func:`compare_to_fixations`.
- The fixation table and its maps: :func:`check_fixations`, :func:`fixation_map`,
  :func:`fixation_density`.
- Readers: :func:`load_salicon_fixations`, :func:`load_mit1003_fixations`,
  :func:`load_mit1003_density`, :func:`read_saliency_map`.
"""
from ._compare import compare_to_fixations
from ._fixations import (FIXATION_COLUMNS, SIGMA_MIT1003, SIGMA_SALICON, check_fixations, fixation_density,
                         fixation_map)
from ._io import load_mit1003_density, load_mit1003_fixations, load_salicon_fixations, read_saliency_map
from ._metrics import EPS, METRICS, auc_borji, auc_judd, cc, ig, kl, make_center_bias, nss, sauc, sim

__all__ = ["nss", "auc_judd", "auc_borji", "sauc", "cc", "sim", "kl", "ig", "make_center_bias", "METRICS", "EPS",
           "compare_to_fixations", "check_fixations", "fixation_map", "fixation_density", "load_salicon_fixations",
           "load_mit1003_fixations", "load_mit1003_density", "read_saliency_map", "FIXATION_COLUMNS",
           "SIGMA_SALICON", "SIGMA_MIT1003"]
