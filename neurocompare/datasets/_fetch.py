"""The fetch machinery shared by every dataset: the registry, the data folder, the download."""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from .._utils.logging import logger
from .._utils.paths import cache_dir

ENV_VAR = "NEUROCOMPARE_DATA_DIR"

_HERE = Path(__file__).parent
_REGISTRY_FILE = _HERE / "registry.txt"


class DatasetDownloadError(ConnectionError):
    """A dataset file could not be downloaded (no network, address unreachable, HTTP error).

    The message says which address failed, where the file can be put by hand,
    and how to work offline with ``NEUROCOMPARE_DATA_DIR``.
    """


@dataclass(frozen=True)
class RemoteFile:
    """One registered file of a dataset.

    Attributes
    ----------
    dataset : str
        Name of the dataset (the name of its subfolder in a data folder).
    path : str
        Path of the file inside the dataset folder (POSIX, relative).
    url : str
        Public raw-file address, pinned to a commit.
    sha256 : str
        Hex digest of the file's bytes.
    """

    dataset: str
    path: str
    url: str
    sha256: str


def _read_registry(path: Path) -> dict[str, dict[str, RemoteFile]]:
    """``{dataset: {relative path: RemoteFile}}`` from a pooch registry file, in file order.

    Each line is ``<dataset>/<path> sha256:<hex> <url>``, split as pooch's
    ``Pooch.load_registry`` splits it; ``#`` lines are comments.
    """
    out: dict[str, dict[str, RemoteFile]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = shlex.split(line)
        if len(fields) != 3 or "/" not in fields[0] or not fields[1].startswith("sha256:"):
            raise ValueError(f"Invalid line {number} of {str(path)!r}: expected '<dataset>/<path> sha256:<hex> "
                             f"<url>'; got {line!r}.")
        name, sha, url = fields
        dataset, rel = name.split("/", 1)
        out.setdefault(dataset, {})[rel] = RemoteFile(dataset, rel, url, sha.split(":", 1)[1].lower())
    return out


#: ``{dataset: {relative path: RemoteFile}}``, read from ``registry.txt``. To add a dataset, add its lines there.
REGISTRY: dict[str, dict[str, RemoteFile]] = _read_registry(_REGISTRY_FILE)


def read_description(dataset: str) -> str:
    """The long description of ``dataset`` (what it is, the source, the licence, the citation) from ``descr/``."""
    return (_HERE / "descr" / f"{dataset}.md").read_text(encoding="utf-8").rstrip("\n")


def read_citation(dataset: str) -> str:
    """The references to cite for ``dataset``: the lines after ``Please cite:`` in its description."""
    return read_description(dataset).split("Please cite:\n", 1)[1].split("\n\n", 1)[0]


def fetch_files(dataset: str, paths=None, *, data_dir=None) -> dict[str, Path]:
    """Local paths of registered dataset files, downloading them when needed.

    Parameters
    ----------
    dataset : str
        A key of :data:`REGISTRY`, e.g. ``"kriegeskorte92"``.
    paths : sequence of str, optional
        Relative paths of the files wanted (default: every registered file).
    data_dir : path-like, optional
        A folder with one subfolder per dataset (``<data_dir>/<dataset>/...``).
        Files are read from there and nothing is downloaded. Default: the
        environment variable ``NEUROCOMPARE_DATA_DIR`` if set; otherwise the
        files are downloaded once into the neurocompare cache.

    Returns
    -------
    dict of str to pathlib.Path
        ``{relative path: local file}``, in the order asked for. Every file's
        sha256 has been checked.

    Raises
    ------
    FileNotFoundError
        A file is missing from the data folder (the message names the path expected).
    ValueError
        A file's sha256 does not match the registry (corrupted or another version).
    DatasetDownloadError
        The download failed (a ``ConnectionError``); the message says how to work offline.
    """
    from .._utils.checks import check_option, unknown_name_error

    check_option("dataset", dataset, list(REGISTRY))
    entries = REGISTRY[dataset]
    if paths is None:
        wanted = list(entries)
    else:
        wanted = [paths] if isinstance(paths, str) else list(paths)
        for p in wanted:
            if p not in entries:
                raise unknown_name_error(f"file of dataset {dataset!r}", str(p), entries)
    root, origin = _resolve_data_dir(data_dir)
    out = {}
    for p in wanted:
        entry = entries[p]
        out[p] = _download(entry) if root is None else _local(entry, root, origin)
    return out


def _resolve_data_dir(data_dir) -> tuple[Path | None, str]:
    """The local data folder (or None to download) and a phrase saying where it came from."""
    if data_dir is not None:
        root, origin = Path(data_dir).expanduser(), "data_dir"
    else:
        env = os.environ.get(ENV_VAR, "").strip()
        if not env:
            return None, ""
        root, origin = Path(env).expanduser(), f"the environment variable {ENV_VAR}"
    if not root.is_dir():
        what = "'data_dir'" if origin == "data_dir" else ENV_VAR
        raise FileNotFoundError(f"Invalid value for {what}: expected a folder holding one subfolder per dataset "
                                f"(e.g. <folder>/kriegeskorte92/); {str(root)!r} does not exist or is not a folder.")
    return root, origin


def _pooch():
    from .._utils.imports import require

    return require("pooch", purpose="fetching datasets")


def _local(entry: RemoteFile, root: Path, origin: str) -> Path:
    path = root / entry.dataset / entry.path
    if not path.is_file():
        hint = ""
        if (root / entry.path).is_file():
            hint = (f" A file {str(root / entry.path)!r} exists: the folder given seems to be the dataset folder "
                    f"itself; pass its parent (the folder that holds {entry.dataset}/) instead.")
        raise FileNotFoundError(
            f"Missing file {entry.path!r} of dataset {entry.dataset!r}: expected {str(path)!r} (data folder "
            f"{str(root)!r} from {origin}). Put the file there (it can be downloaded from {entry.url}), or leave "
            f"out data_dir and unset {ENV_VAR} to download it automatically.{hint}")
    got = _pooch().file_hash(str(path), alg="sha256")
    if got != entry.sha256:
        raise ValueError(
            f"The file {str(path)!r} of dataset {entry.dataset!r} does not match its known sha256: expected "
            f"{entry.sha256}; got {got}. It is corrupted or another version; replace it with a fresh copy of "
            f"{entry.url}.")
    return path


def _network_errors() -> tuple[type[BaseException], ...]:
    import requests

    return (requests.exceptions.RequestException, ConnectionError, TimeoutError)


def _download(entry: RemoteFile) -> Path:
    pooch = _pooch()
    rel = Path(entry.path)
    folder = cache_dir("datasets", entry.dataset, *rel.parent.parts)
    target = folder / rel.name
    if not target.is_file():
        logger.info("Downloading %s of dataset %r from %s to %s", entry.path, entry.dataset, entry.url, target)
    try:
        got = pooch.retrieve(entry.url, known_hash=f"sha256:{entry.sha256}", fname=rel.name, path=folder,
                             progressbar=False)
    except _network_errors() as err:
        raise DatasetDownloadError(
            f"Could not download {entry.path!r} of dataset {entry.dataset!r} from {entry.url} "
            f"({type(err).__name__}: {err}). If this computer is offline, download that file elsewhere and put "
            f"it at {str(target)!r}; or put all files of the dataset in a folder /path/to/folder/{entry.dataset}/ "
            f"and set {ENV_VAR}=/path/to/folder (or pass data_dir='/path/to/folder'), which works offline."
        ) from None
    except ValueError as err:  # pooch: hash of the downloaded file does not match
        raise ValueError(
            f"The file downloaded from {entry.url} for dataset {entry.dataset!r} does not match its known sha256 "
            f"{entry.sha256} ({err}). The download may have been corrupted; try again, or put a verified copy at "
            f"{str(target)!r}.") from None
    return Path(got)
