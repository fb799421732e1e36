"""Paper-ready figures. Every function takes ``ax=None`` and returns the Axes."""
from ._activations import plot_layer_pca, plot_training_history
from ._behavior import (plot_accuracy_by_condition, plot_consistency, plot_error_consistency_matrix,
                        plot_psychometric, plot_shape_bias)
from ._cyclegan import plot_cyclegan_history, plot_dissociation, plot_translation_grid
from ._cam import plot_cam_overlay, plot_cam_scores, plot_randomization_test
from ._generation import plot_axis_cosines, plot_gan_history, plot_sample_grid, plot_traversal
from ._probes import plot_cross_readout, plot_probe_profile, plot_stream_experiment, plot_units_curve
from ._rsa import plot_layer_profile, plot_mds, plot_model_comparison, plot_rdm
from ._saliency import plot_fixations, plot_saliency_scores
from ._stimuli import plot_predictions, plot_stimuli
from ._style import PALETTE, STREAM_COLOURS, add_panel_letters, paper_style, save_figure
from ._transfer import plot_freezing_sweep, plot_learning_curves, plot_representational_change, plot_score_vs_n

__all__ = ["plot_stimuli", "plot_predictions", "plot_layer_pca", "plot_training_history", "plot_rdm", "plot_mds",
           "plot_layer_profile", "plot_model_comparison", "plot_probe_profile", "plot_cross_readout",
           "plot_units_curve", "plot_stream_experiment", "plot_learning_curves", "plot_score_vs_n",
           "plot_representational_change", "plot_freezing_sweep", "paper_style",
           "save_figure", "add_panel_letters", "PALETTE", "STREAM_COLOURS"]
__all__ += ["plot_cam_overlay", "plot_cam_scores", "plot_randomization_test"]
__all__ += ["plot_cyclegan_history", "plot_translation_grid", "plot_dissociation"]
__all__ += ["plot_error_consistency_matrix", "plot_accuracy_by_condition", "plot_consistency", "plot_shape_bias",
            "plot_psychometric"]
__all__ += ["plot_saliency_scores", "plot_fixations"]
__all__ += ["plot_gan_history", "plot_sample_grid", "plot_traversal", "plot_axis_cosines"]
