"""Sphinx configuration of the neurocompare docs site (``make docs`` builds it into ``docs/_build/html``).

Why Sphinx (and not mkdocs-material with mkdocstrings): the API reference is numpydoc, and Sphinx with
the numpydoc extension renders those sections natively and *validates* them at build time (a parameter
missing from its docstring, or documented but not in the signature, fails the build); autosummary
generates one page per public name from ``__all__``; the pages stay Markdown through MyST, so they read
the same on GitHub; and pydata-sphinx-theme is the theme of NumPy, SciPy, pandas, xarray and MNE, the
sites our users already know. The build runs with ``-W --keep-going``: every warning is an error.

Generated at build time (``docs/_ext/nc_docs.py``, into ``docs/generated/``): the CLI reference from the
typer app, the study-file reference from the pydantic schema, and the API pages from ``__all__``.
The analyses gallery shows the figures the scripts wrote into ``docs/images``; the scripts are not run.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # this checkout's package, also when another is installed
os.environ.setdefault("MPLBACKEND", "Agg")

import nc_docs  # noqa: E402
import neurocompare  # noqa: E402

project = "neurocompare"
author = "neurocompare developers"
copyright = "neurocompare developers"
version = release = neurocompare.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "nc_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates"]
suppress_warnings = []

# -- MyST: the pages are GitHub-flavoured Markdown --------------------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3  # [text](page.md#a-heading) links, as on GitHub

# -- API reference ----------------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc sections state the types
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False  # the class template lists the methods (autodoc :members:)
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# Every parameter documented (PR01), none documented that the signature lacks (PR02); see
# nc_docs.validation_exclude for the names skipped (pending in tests/test_api_vocabulary.py, and result
# dataclasses that document their fields under Attributes).
numpydoc_validation_checks = {"PR01", "PR02"}
numpydoc_validation_exclude = nc_docs.validation_exclude()

# Broken references to neurocompare's own objects are errors; references into other libraries are
# not checked (the build runs offline, without their inventories).
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!neurocompare\b).*")]

# -- HTML -------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"neurocompare {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False
html_context = {"default_mode": "light"}  # an explicit theme mode: without it the theme logs "invalid theme mode" in the browser console
