"""Cache folders and atomic writes."""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """The neurocompare cache folder (``$NEUROCOMPARE_CACHE_DIR`` or the OS cache)."""
    root = os.environ.get("NEUROCOMPARE_CACHE_DIR")
    if root:
        base = Path(root).expanduser()
    else:
        import pooch

        base = Path(pooch.os_cache("neurocompare"))
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike, *, overwrite: bool = False, param: str = "out"):
    """Build a folder in a temporary sibling and move it into place only on success.

    Nothing half-written is left behind: on any error the temporary folder is removed
    and an existing ``out`` is untouched.
    """
    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(
            f"Invalid value for {param!r}: the folder {str(out)!r} already exists. "
            "Choose another path or pass overwrite=True."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write a file through a temporary name so readers never see half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
