"""Stimulus sets: the what/where generator, loading and saving.

A StimulusSet is a folder with ``stimuli.csv`` (one row per stimulus:
``stimulus_id``, ``file``, then factor columns) and the image files.
"""
from ._digits import make_digits
from ._image import read_image, to_mode
from ._io import load, save
from ._shapes import SHAPES
from ._specs import list_specs, make_from_spec, read_spec
from ._stimulusset import StimulusSet
from ._whatwhere import BACKGROUNDS, make_whatwhere

__all__ = ["StimulusSet", "make_whatwhere", "make_digits", "make_from_spec", "list_specs", "read_spec", "load", "save",
           "read_image", "to_mode", "SHAPES", "BACKGROUNDS"]
