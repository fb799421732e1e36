"""Representational similarity analysis.

RDMs are DataArrays with dims ``(..., stimulus_a, stimulus_b)`` that follow
rsatoolbox's numerical conventions exactly and convert losslessly with
:func:`to_rsatoolbox` / :func:`from_rsatoolbox`.
"""
from ._cka import cka
from ._ceiling import noise_ceiling
from ._compare import COMPARE_METHODS, compare, pair_counts
from ._compute import METHODS, compute_rdm
from ._evaluate import assign_layers, evaluate, fdr_bh, pairwise_tests
from ._format import as_rdm, from_rsatoolbox, make_rdm, match_stimuli, to_rsatoolbox, vectors
from ._io import CSV_FORMATS, load_rdms
from ._human import (from_arrangement_distances, from_arrangements, from_confusions, from_ratings, from_triplets,
                     group_rdm)

__all__ = ["compute_rdm", "compare", "pair_counts", "cka", "noise_ceiling", "evaluate", "pairwise_tests", "assign_layers", "fdr_bh",
           "from_ratings", "from_arrangements", "from_arrangement_distances", "from_triplets", "from_confusions",
           "group_rdm", "load_rdms", "match_stimuli", "as_rdm", "make_rdm", "vectors", "to_rsatoolbox",
           "from_rsatoolbox", "METHODS", "COMPARE_METHODS", "CSV_FORMATS"]
