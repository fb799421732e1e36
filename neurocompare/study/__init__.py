"""Study files: one TOML file names the stimuli, models, human data and analyses; one command runs them.

:func:`read_study` validates a file (every problem at once, each with its TOML path),
:func:`plan_study` lists its stages, :func:`run_study` runs them into a results folder
(figures, tables, activations, provenance, methods, report), resuming an interrupted run.
"""
from ._run import Stage, plan_study, run_study
from .schema import json_schema
from ._validate import StudyError, StudyFile, read_study

__all__ = ["read_study", "plan_study", "run_study", "json_schema", "StudyError", "StudyFile", "Stage"]
