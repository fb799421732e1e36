"""The typer app and its command groups, the error handling every command runs inside, and shared helpers.

The command modules (``_demo``, ``_rsa``, ...) import only this module and the library; importing them
registers their commands on these apps.
"""
from __future__ import annotations

import csv
import pickle
import re
import sys
import traceback
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperCommand

_PACKAGE = Path(__file__).resolve().parents[1]
_BUG_NOTE = ("This looks like a bug in neurocompare or an input it does not check yet; please report it with the "
             "traceback below.")
# Raised by neurocompare's own checks; from anywhere else they are bugs (or inputs nothing checks yet).
_CHECKED_ERRORS = (ValueError, TypeError, KeyError, RuntimeError, IndexError)
# typer's (or click's) own exits and usage errors pass through.
_SIGNALS = (typer.Exit, typer.Abort, *(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"))


class _Command(TyperCommand):
    """A command that reports its errors for people, with exit code 1.

    A user error prints one red line in the command's words; anything else (a bug) a note and the traceback.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _SIGNALS:
            raise
        except Exception as err:
            if _is_user_error(err):
                from rich.console import Console
                from rich.markup import escape

                msg = escape(_in_cli_words(_message(err), self.params))
                Console(stderr=True).print(f"[bold red]Error:[/] {msg}", markup=True, highlight=False, soft_wrap=True)
            else:
                typer.echo(_BUG_NOTE + "\n\n" + "".join(traceback.format_exception(err)).rstrip(), err=True)
            raise typer.Exit(code=1) from None


class _Typer(typer.Typer):
    """A typer app whose commands are all :class:`_Command`."""

    def command(self, *args, **kwargs):
        return super().command(*args, cls=_Command, **kwargs)


def _user_error_types() -> tuple:
    """OSError (ConnectionError included), ImportError and the file readers' own errors."""
    types = [OSError, ImportError, csv.Error, pickle.UnpicklingError]
    # Only readers already imported can have raised; importing them here would be slow or fail.
    pil, pil_image, matlab = (sys.modules.get(m) for m in ("PIL", "PIL.Image", "scipy.io.matlab"))
    for module, name in ((pil, "UnidentifiedImageError"), (pil_image, "DecompressionBombError"),
                         (matlab, "MatReadError")):
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            types.append(cls)
    return tuple(types)


def _raised_by_neurocompare(err: BaseException) -> bool:
    """Whether the innermost frame of the traceback is a file of the neurocompare package."""
    tb = err.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return _PACKAGE in Path(tb.tb_frame.f_code.co_filename).resolve().parents


def _is_user_error(err: BaseException) -> bool:
    return isinstance(err, _user_error_types()) or (isinstance(err, _CHECKED_ERRORS) and _raised_by_neurocompare(err))


def _message(err: BaseException) -> str:
    """The error's message; an OSError names its file(s)."""
    if isinstance(err, KeyError) and err.args:
        return str(err.args[0])
    if isinstance(err, OSError) and err.filename is not None:
        files = " -> ".join(repr(str(f)) for f in (err.filename, err.filename2) if f is not None)
        if err.strerror:
            return f"{err.strerror}: {files}"
        if repr(str(err.filename)) not in str(err):
            return f"{err}: {files}"
    return str(err) or type(err).__name__


_QUOTED = r"""(?:'[^']*'|"[^"]*")"""
# Quoted words that are never parameters: column names ("column 'rating'", "the columns are 'a', 'b'", "columns
# ['a', 'b']", "subset=['a']") and received values ("got 'x'"), even where they spell a parameter's name.
_NOT_PARAMETERS = re.compile(rf"\bcolumns?:?\s+(?:are\s+)?\[?{_QUOTED}(?:(?:,\s*|,?\s+(?:and|or)\s+){_QUOTED})*\]?"
                             rf"|\bsubset=\[[^\]]*\]|\bgot\s+{_QUOTED}")


def _in_cli_words(text: str, params: list) -> str:
    """The command's Python parameter names -> its flags (``'n_bootstrap'`` -> ``'--n-bootstrap'``).

    Only names of ``params`` (the command's), quoted or followed by ``=``: an argument becomes its metavar,
    ``flag=True`` / ``flag=False`` the flag itself, ``name=value`` an option with its value. Quoted column names
    (``column 'rating'``, ``columns 'a', 'b'``) and received values (``got 'x'``) stay as they are.
    """
    params = {p.name: p for p in params if p.name}
    if not params:
        return text
    names = "|".join(re.escape(n) for n in sorted(params, key=len, reverse=True))
    pattern = re.compile(rf"(['\"])({names})\1|(?<![\w.\-])({names})=(?!=)(True\b|False\b)?")

    def swap(match: re.Match) -> str:
        quote, quoted, name, value = match.groups()
        if quoted is not None:
            return f"{quote}{_cli_name(params[quoted])}{quote}"
        param = params[name]
        if param.param_type_name == "argument":
            return f"{_cli_name(param)}={value or ''}"
        if getattr(param, "is_bool_flag", False):
            if value == "True":
                return _cli_name(param)
            secondary = [o for o in param.secondary_opts if o.startswith("--")]
            return secondary[0] if value == "False" and secondary else match.group(0)
        return f"{_cli_name(param)} {value or ''}"

    out, end = [], 0
    for kept in _NOT_PARAMETERS.finditer(text):
        out += [pattern.sub(swap, text[end:kept.start()]), kept.group(0)]
        end = kept.end()
    return "".join(out) + pattern.sub(swap, text[end:])


def _cli_name(param) -> str:
    """An option's long flag, or an argument's metavar."""
    if param.param_type_name == "argument":
        return param.metavar or param.name.upper()
    return next((o for o in param.opts if o.startswith("--")), param.opts[0])


app = _Typer(help="neurocompare: compare deep networks with each other and with human data.",
             no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
stimuli_app = _Typer(help="Make and inspect stimulus sets.", no_args_is_help=True)
models_app = _Typer(help="The model zoo and the built-in nets.", no_args_is_help=True)
cyclegan_app = _Typer(help="CycleGAN: translate between two stimulus sets (e.g. blank -> texture backgrounds).",
                      no_args_is_help=True)
gan_app = _Typer(help="GAN stimulus factory: train a DCGAN, find latent feature axes, make continua.",
                 no_args_is_help=True)
app.add_typer(stimuli_app, name="stimuli")
app.add_typer(models_app, name="models")
app.add_typer(cyclegan_app, name="cyclegan")
app.add_typer(gan_app, name="gan")


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show progress messages.")):
    from .._utils.logging import set_log_level, show_warnings_as_lines

    set_log_level("INFO" if verbose else "WARNING")
    show_warnings_as_lines()


def _table(df, *, index: bool = False, digits: int = 3) -> str:
    """A table for the console: numbers to ``digits`` decimals; p-values too small to show as ``<0.001``."""
    import numpy as np

    show = df.copy()
    floor = 10.0 ** -digits
    for col in show.columns:
        if str(col) == "p" or str(col).startswith("p_"):
            vals = show[col].to_numpy(dtype=float)
            show[col] = [f"<{floor:.{digits}f}" if np.isfinite(v) and v < floor else
                         (f"{v:.{digits}f}" if np.isfinite(v) else "NaN") for v in vals]
    return show.to_string(index=index, float_format=lambda v: f"{v:.{digits}f}")


def _split(text: Optional[str]) -> Optional[list[str]]:
    """A comma-separated option as a list of stripped, non-empty items; None stays None."""
    return None if text is None else [s.strip() for s in text.split(",") if s.strip()]


def _parse_options(options: list[str]) -> dict:
    """``--option KEY=VALUE`` items as load() keywords: ints, floats, strings; ``resize=HxW`` (or ``N``) a pair."""
    out = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"Invalid value for '--option': expected KEY=VALUE; got {item!r}.")
        if key.strip() == "resize":
            from ..models.resizing import parse_resize

            out["resize"] = parse_resize(value, param="--option resize")
            continue
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out
