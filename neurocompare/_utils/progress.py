"""Progress bars (rich) that can be switched off."""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def progress_bar(total: int, description: str, *, enable: bool = True):
    """Yield an ``advance(n)`` callable that drives a rich progress bar."""
    if not enable:
        yield lambda n=1: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        transient=True,
    ) as prog:
        task = prog.add_task(description, total=total)
        yield lambda n=1: prog.advance(task, n)
