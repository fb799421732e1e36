"""Behavioural comparison of models with people, trial by trial.

Trial tables (one row per trial: ``subject, stimulus, response, category,
correct, rt, condition, session, trial``) come from :func:`load_trials` (human
exports) and :func:`model_trials` (a model on the same stimuli). The metrics
match trials on stimulus and return tidy tables with bootstrap CIs; the
human-to-human baseline comes with every model score.
"""
from ._mapping import CATEGORIES_16, IMAGENET_16, CategoryMapping, imagenet_16
from ._metrics import (accuracy, accuracy_difference, confusion_correlation, confusion_matrix, consistency_table,
                       error_consistency, rt_confidence, shape_bias, summarize_consistency, texture_categories)
from ._model import model_trials
from ._psychometric import compare_thresholds, fit_psychometric, psychometric
from ._trials import TRIAL_COLUMNS, load_trials

__all__ = ["load_trials", "model_trials", "accuracy", "accuracy_difference", "error_consistency",
           "consistency_table", "summarize_consistency", "shape_bias", "texture_categories", "confusion_matrix",
           "confusion_correlation", "rt_confidence", "fit_psychometric", "compare_thresholds", "psychometric",
           "imagenet_16", "CategoryMapping", "CATEGORIES_16", "IMAGENET_16", "TRIAL_COLUMNS"]
