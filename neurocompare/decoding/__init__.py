"""Cross-validated decoding: the general read-out the what/where probes are built on."""
from ._decode import decode, default_estimator, make_cv, pearson_r
from ._splits import LeaveOneLevelOut, TransferSplit, factor_split

__all__ = ["decode", "default_estimator", "make_cv", "pearson_r", "TransferSplit", "LeaveOneLevelOut", "factor_split"]
