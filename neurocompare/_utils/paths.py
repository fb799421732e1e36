"""Cache folders, atomic writes, and what an ``overwrite=True`` may replace.

Every folder neurocompare writes carries a marker file (:data:`MARKER`); zarr
stores and netCDF files carry a ``created_by`` attribute. ``overwrite=True``
replaces only what carries one of these: neurocompare never deletes files it
did not write.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path

from .checks import check_bool

MARKER = ".neurocompare"
"""Name of the marker file in every folder neurocompare writes."""

OVERWRITE_HINT = "pass overwrite=True"  # the CLI shows its own flag (--overwrite)


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


def write_marker(folder: str | os.PathLike, kind: str) -> None:
    """Mark ``folder`` as written by neurocompare (``kind`` says what it holds)."""
    (Path(folder) / MARKER).write_text(json.dumps({"written_by": "neurocompare", "kind": kind}) + "\n")


def is_ours(path: str | os.PathLike) -> bool:
    """Whether ``path`` was written by neurocompare: a marked folder, a zarr store or a netCDF file of ours."""
    path = Path(path)
    if path.is_dir():
        if (path / MARKER).is_file():
            return True
        return _created_by_us(_zarr_attrs(path))
    if path.is_file():
        return _created_by_us(_hdf5_attrs(path))
    return False


def _created_by_us(attrs: dict) -> bool:
    value = attrs.get("created_by", "")
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return isinstance(value, str) and value.startswith("neurocompare")


def _zarr_attrs(path: Path) -> dict:
    for name in (".zattrs", "zarr.json"):
        try:
            data = json.loads((path / name).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return data.get("attributes", data) if name == "zarr.json" else data
    return {}


def _hdf5_attrs(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            if fh.read(8) != b"\x89HDF\r\n\x1a\n":
                return {}
        import h5py

        with h5py.File(path, "r") as f:
            return dict(f.attrs)
    except (OSError, ImportError, ValueError):
        return {}


def check_parent(path: str | os.PathLike, *, param: str = "out") -> Path:
    """``path`` if no file stands where one of its folders should be (nothing is created)."""
    path = Path(path)
    for parent in (path.parent, *path.parent.parents):
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise NotADirectoryError(f"Invalid value for {param!r}: {str(path)!r} cannot be written because "
                                         f"{str(parent)!r} is a file, not a folder. Choose another path.")
            break
    return path


def make_parent(path: str | os.PathLike, *, param: str = "out") -> Path:
    """Create the folder that will hold ``path``; a file in the way is named, not a raw errno."""
    path = check_parent(path, param=param)
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except PermissionError:
        raise PermissionError(f"Invalid value for {param!r}: no permission to create the folder {str(parent)!r} "
                              f"for {str(path)!r}. Choose a path you can write to.") from None
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"Invalid value for {param!r}: the folder {str(parent)!r} is not writable, so "
                              f"{str(path)!r} cannot be written. Choose a path you can write to.")
    return path


def check_target(out: str | os.PathLike, *, overwrite, param: str = "out") -> Path:
    """Check that ``out`` may be written: new, an empty folder, or ours with ``overwrite=True``.

    Raises
    ------
    TypeError
        ``overwrite`` is not a boolean.
    FileExistsError
        ``out`` exists (and is not an empty folder) without ``overwrite=True``, or
        it exists and neurocompare did not write it: then nothing is deleted even
        with ``overwrite=True``.
    """
    overwrite = check_bool("overwrite", overwrite)
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        return out
    if out.is_dir() and not out.is_symlink() and not any(out.iterdir()):
        return out
    what = "folder" if out.is_dir() else "file"
    if not overwrite:
        raise FileExistsError(f"Invalid value for {param!r}: the {what} {str(out)!r} already exists. Choose another "
                              f"path, or {OVERWRITE_HINT} to replace it.")
    if out.is_symlink() or not is_ours(out):
        raise FileExistsError(
            f"Invalid value for {param!r}: the {what} {str(out)!r} exists and was not written by neurocompare (it has "
            f"no {MARKER!r} marker or neurocompare 'created_by' attribute), so it is not replaced even with "
            "overwrite=True: neurocompare never deletes files it did not write. Choose another path, or move or "
            "delete it yourself.")
    return out


def remove_ours(path: str | os.PathLike) -> None:
    """Delete a folder or file that :func:`is_ours` recognises; refuse anything else."""
    path = Path(path)
    if not is_ours(path):  # a last guard: callers check first
        raise FileExistsError(f"Refusing to delete {str(path)!r}: it was not written by neurocompare.")
    shutil.rmtree(path) if path.is_dir() else path.unlink()


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike, *, overwrite=False, param: str = "out", kind: str = "results",
               in_cache: bool = False):
    """Build a folder in a temporary sibling and move it into place only on success.

    Nothing half-written is left behind: on any error the temporary folder is removed
    and an existing ``out`` is untouched. The new folder carries the marker file, and
    an existing ``out`` is replaced only if it is empty or ours (see :func:`check_target`).
    ``in_cache=True`` is for folders inside neurocompare's own cache (:func:`cache_dir`),
    which are always ours.
    """
    out = Path(out) if in_cache else check_target(out, overwrite=overwrite, param=param)
    if in_cache and out.exists() and not overwrite:
        raise FileExistsError(f"The cache folder {str(out)!r} already exists.")
    make_parent(out, param=param)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write_marker(tmp, kind)
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


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, param: str = "path") -> None:
    """Write a file through a temporary name so readers never see half of it."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"Invalid value for {param!r}: {str(path)!r} is a folder; expected the path of a "
                                f"file to write (e.g. {str(path / 'model.pt')!r}).")
    make_parent(path, param=param)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def write_lock(path: str | os.PathLike, *, what: str = "store"):
    """Hold an exclusive lock on ``path`` (a hidden sibling lock file) while writing it.

    A second writer is refused at once with a clear error instead of interleaving.
    """
    from filelock import FileLock, Timeout

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path.parent / f".{path.name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RuntimeError(f"Another process is writing the {what} {str(path)!r} right now (its lock file "
                           f"{str(path.parent / ('.' + path.name + '.lock'))!r} is held). Wait until it has "
                           "finished, or write to another path.") from None
    try:
        yield
    finally:
        lock.release()
