"""The table of a traversal (StimulusSet from :func:`traverse`): shared by the analysis and its plots
(for use inside neurocompare)."""
from __future__ import annotations

from ._latent import OWN_COLUMNS


def traversal_table(traversal):
    """The table of a traversal (StimulusSet or DataFrame) with its chain/step/offset/axis columns checked."""
    import pandas as pd
    from ..stimuli import StimulusSet

    if isinstance(traversal, StimulusSet):
        md = traversal.metadata.reset_index()
    elif isinstance(traversal, pd.DataFrame):
        md = traversal.reset_index() if traversal.index.name == "stimulus_id" else traversal
    else:
        raise TypeError(f"Invalid value for 'traversal': expected the StimulusSet from traverse() or its table; "
                        f"got {type(traversal).__name__}.")
    missing = [c for c in ("chain", "step", "offset", "axis") if c not in md.columns]
    if missing:
        raise ValueError(f"Invalid value for 'traversal': the table lacks {missing}; it does not come from "
                         "neurocompare.generation.traverse.")
    return md


def decoded_factors(md) -> list[str]:
    """The factor columns a labeller decoded in a traversal table."""
    skip = set(OWN_COLUMNS) | {"stimulus_id", "mask_file"}
    return [c for c in md.columns if c not in skip]
