"""What/where probes: the two-pathway analyses (Hong et al. 2016; Han & Sereno 2022/2023)."""
from ._experiment import stream_experiment, summarize_stream_experiment
from ._profile import cross_readout, units_curve, what_where

__all__ = ["what_where", "cross_readout", "units_curve", "stream_experiment", "summarize_stream_experiment"]
