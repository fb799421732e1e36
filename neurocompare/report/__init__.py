"""``report.html``: one self-contained page from a study's results folder."""
from ._build import build_report

__all__ = ["build_report"]
