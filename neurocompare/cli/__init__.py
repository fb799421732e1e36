"""The ``neurocompare`` command: ``neurocompare --help`` lists the commands.

The app and its groups live in ``_app``; importing a command module registers its commands on them.
"""
from __future__ import annotations

# Not sorted: the order of registration is the order of ``neurocompare --help``.
from . import _study, _demo, _stimuli, _models, _extract, _rsa, _probe, _behavior, _cam, _transfer, _cyclegan, _gan
from ._app import app

_COMMAND_MODULES = (_study, _demo, _stimuli, _models, _extract, _rsa, _probe, _behavior, _cam, _transfer, _cyclegan, _gan)

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - entry point
    app()
