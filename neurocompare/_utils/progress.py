"""Progress that can be switched off: a rich bar in a terminal or notebook, plain timed lines elsewhere."""
from __future__ import annotations

import contextlib
import sys
import time

LINE_INTERVAL = 30.0    # seconds between plain progress lines (log files, pipes, batch jobs)


def interactive() -> bool:
    """Whether stderr is a terminal or the code runs in a Jupyter kernel (where a live bar renders)."""
    try:
        if sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):
        return False
    shell = sys.modules.get("IPython")
    ip = shell.get_ipython() if shell is not None and hasattr(shell, "get_ipython") else None
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def format_seconds(s: float) -> str:
    """``42 s``, ``3 min 05 s``, ``2 h 07 min``."""
    s = max(0.0, float(s))
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


class LineProgress:
    """``advance(n)`` that writes ``description: done/total (pct), elapsed, about T left`` to ``stream`` at
    most every ``interval`` seconds (the first line after ``interval`` seconds, so short steps print
    nothing), and a last line when a step that printed finishes."""

    def __init__(self, total: int, description: str, *, interval: float = LINE_INTERVAL, stream=None,
                 clock=time.monotonic):
        self.total, self.description, self.interval = max(0, int(total)), description, float(interval)
        self.base = description  # the whole task's name, for the last line
        self.stream, self.clock = stream if stream is not None else sys.stderr, clock
        self.done, self.start = 0.0, clock()
        self.last, self.printed = self.start, False

    def __call__(self, n: float = 1) -> None:
        self.done += n
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            self._write(now)

    def describe(self, text: str) -> None:
        """A new step begins: say so at once (a study's stages in a log file)."""
        self.description = text
        self.last = self.clock()
        print(self.line(self.last), file=self.stream, flush=True)
        self.printed = True

    def line(self, now: float) -> str:
        elapsed = now - self.start
        if not self.total:
            return f"{self.description}: {self.done:.0f} done, {format_seconds(elapsed)} elapsed"
        frac = min(1.0, self.done / self.total)
        left = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        eta = f", about {format_seconds(left)} left" if frac < 1 and left == left else ""
        return (f"{self.description}: {min(self.done, self.total):.0f}/{self.total} ({100 * frac:.0f}%), "
                f"{format_seconds(elapsed)} elapsed{eta}")

    def _write(self, now: float) -> None:
        self.printed = True
        print(self.line(now), file=self.stream, flush=True)

    def finish(self) -> None:
        if self.printed:
            now = self.clock()
            print(f"{self.base}: done in {format_seconds(now - self.start)}", file=self.stream, flush=True)


@contextlib.contextmanager
def progress_bar(total: int, description: str, *, enable: bool = True):
    """Yield an ``advance(n)`` callable: a rich bar where one renders (a terminal, Jupyter), plain lines
    with the time left every 30 s otherwise (a log file, a pipe, a cluster job), nothing when disabled.

    ``advance.describe(text)`` names the step now running (the bar's label; a line at once in a log).
    """
    if not enable:
        yield _Silent()
        return
    if not interactive():
        lines = LineProgress(total, description, interval=LINE_INTERVAL)
        yield lines
        lines.finish()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        transient=True,
    ) as prog:
        task = prog.add_task(description, total=total)
        yield _RichAdvance(prog, task)


class _Silent:
    def __call__(self, n: float = 1) -> None:
        pass

    def describe(self, text: str) -> None:
        pass


class _RichAdvance:
    """``advance(n)`` on a rich task; ``describe(text)`` renames it (the step now running)."""

    def __init__(self, prog, task):
        self.prog, self.task = prog, task

    def __call__(self, n: float = 1) -> None:
        self.prog.advance(self.task, n)

    def describe(self, text: str) -> None:
        self.prog.update(self.task, description=text)
