"""Transfer learning: frozen backbone vs fine-tuning vs training from scratch, and what changes inside.

:func:`run` re-uses a trained network for a new task (a new StimulusSet and factor) and
returns tidy tables: learning curves, test scores against training-set size per mode and seed,
and per-layer representational change (linear CKA, RSA) between before and after training.
:func:`sweep_freezing` is the layer-by-layer freezing sweep of Yosinski et al. (2014).
"""
from ._run import MODES, TASKS, TransferResult, run, sweep_freezing

__all__ = ["run", "sweep_freezing", "TransferResult", "MODES", "TASKS"]
