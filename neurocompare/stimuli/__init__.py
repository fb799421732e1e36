"""Stimulus sets: the what/where generator, loading and saving.

A StimulusSet is a folder with ``stimuli.csv`` (one row per stimulus:
``stimulus_id``, ``file``, then factor columns) and the image files.
``write_table``, ``read_toml``, ``TOML_NAME`` and ``GENERATOR_VERSION`` are for
the other parts of neurocompare that write stimulus folders.
"""
from ._digits import make_digits
from ._image import read_image, to_mode
from ._io import TOML_NAME, read_toml, write_table
from ._shapes import SHAPES
from ._specs import list_specs, make_from_spec, read_spec
from ._stimulusset import StimulusSet, load, save
from ._whatwhere import BACKGROUNDS, GENERATOR_VERSION, make_whatwhere

__all__ = ["StimulusSet", "make_whatwhere", "make_digits", "make_from_spec", "list_specs", "read_spec", "load", "save",
           "read_image", "to_mode", "SHAPES", "BACKGROUNDS", "GENERATOR_VERSION", "TOML_NAME", "read_toml",
           "write_table"]
