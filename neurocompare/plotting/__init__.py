"""Paper-ready figures. Every function takes ``ax=None`` and returns the Axes."""
from ._activations import plot_layer_pca, plot_training_history
from ._probes import plot_cross_readout, plot_probe_profile, plot_stream_experiment, plot_units_curve
from ._rsa import plot_layer_profile, plot_mds, plot_model_comparison, plot_rdm
from ._stimuli import plot_predictions, plot_stimuli
from ._style import PALETTE, STREAM_COLOURS, paper_style, save_figure

__all__ = ["plot_stimuli", "plot_predictions", "plot_layer_pca", "plot_training_history", "plot_rdm", "plot_mds",
           "plot_layer_profile", "plot_model_comparison", "plot_probe_profile", "plot_cross_readout",
           "plot_units_curve", "plot_stream_experiment", "paper_style",
           "save_figure", "PALETTE", "STREAM_COLOURS"]
