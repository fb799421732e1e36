"""Reading reference RDMs from files: .npy, .mat (MATLAB / rsatoolbox demos), .csv (matrix or tidy human data)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._utils.checks import check_option
from ._format import make_rdm

CSV_KINDS = ("matrix", "ratings", "triplets", "arrangements", "confusions")


def load_rdms(path, *, kind: str | None = None, variable: str | None = None, stimulus_ids=None, **options):
    """Load reference RDMs from a file.

    Parameters
    ----------
    path : path-like
        - ``.npy``: a square matrix ``(n, n)``, a stack ``(k, n, n)`` or upper-triangle vectors;
        - ``.mat``: a numeric matrix/stack, or a struct array with an ``RDM`` field (and
          optionally ``name``), as in rsatoolbox's and the RSA toolbox's demo files;
        - ``.csv``: ``kind="matrix"`` (a square table whose header and first column are
          stimulus ids) or tidy human data for :func:`from_ratings`, :func:`from_triplets`,
          :func:`from_arrangements` or :func:`from_confusions` (``kind`` names which).
    kind : str, optional
        For CSV files: one of ``matrix, ratings, triplets, arrangements, confusions``.
    variable : str, optional
        For .mat files with several variables: the one to read.
    stimulus_ids : sequence of str, optional
        Ids of the rows/columns for .npy and .mat files (in their order). Without them the
        ids are ``"0", "1", ...``; pass the ids of your stimulus set (in the same order) to
        compare with model RDMs.
    **options
        Passed to the human-data loader (column names, ``kind`` of ratings, ...).

    Returns
    -------
    xarray.DataArray
        An RDM, or RDMs with a leading ``subject`` (or ``rdm``) dim.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for 'path': the reference file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if kind is not None:
        check_option("kind", kind, CSV_KINDS)
        if suffix not in (".csv", ".tsv", ".txt"):
            raise ValueError(f"Invalid value for 'kind': it is only for CSV files (what the table holds); got "
                             f"kind={kind!r} for a {suffix!r} file ({str(path)!r}). Leave it out.")
    if suffix == ".npy":
        return _from_array(np.load(path, allow_pickle=False), stimulus_ids, source=str(path))
    if suffix == ".mat":
        return _from_mat(path, variable, stimulus_ids)
    if suffix in (".csv", ".tsv", ".txt"):
        if kind is None:
            raise ValueError(f"Invalid value for 'kind': the CSV file {str(path)!r} needs kind= one of {CSV_KINDS} "
                             "(a square matrix, or tidy human data).")
        check_option("kind", kind, CSV_KINDS)
        if kind == "matrix":
            return _from_matrix_csv(path)
        from . import _human

        loader = {"ratings": _human.from_ratings, "triplets": _human.from_triplets,
                  "arrangements": _human.from_arrangements, "confusions": _human.from_confusions}[kind]
        return loader(path, **options)
    raise ValueError(f"Invalid value for 'path': expected a .npy, .mat or .csv file; got {path.suffix!r} "
                     f"({str(path)!r}).")


def _from_array(arr, stimulus_ids, *, source, names=None):
    arr = np.asarray(arr, dtype=float)
    if arr.ndim == 2 and arr.shape[0] == arr.shape[1]:
        rdm = make_rdm(arr, stimulus_ids)
    elif arr.ndim == 3 and arr.shape[1] == arr.shape[2]:
        rdm = make_rdm(arr, stimulus_ids, leading={"subject": names if names is not None else np.arange(len(arr))})
    elif arr.ndim == 3 and arr.shape[0] == arr.shape[1]:  # MATLAB's (n, n, k)
        rdm = make_rdm(np.moveaxis(arr, -1, 0), stimulus_ids,
                       leading={"subject": names if names is not None else np.arange(arr.shape[-1])})
    elif arr.ndim in (1, 2):
        lead = {} if arr.ndim == 1 else {"subject": names if names is not None else np.arange(len(arr))}
        rdm = make_rdm(arr, stimulus_ids, leading=lead)
    else:
        raise ValueError(f"The reference in {source!r} has shape {arr.shape}; expected (n, n), (k, n, n), (n, n, k) or "
                         "upper-triangle vectors.")
    from ._format import as_rdm

    rdm.attrs.update(method="reference", source=source)
    return as_rdm(rdm, name=source)


def _from_mat(path, variable, stimulus_ids):
    from scipy.io import loadmat

    data = {k: v for k, v in loadmat(path, squeeze_me=True, struct_as_record=False).items() if not k.startswith("__")}
    if variable is None:
        if len(data) != 1:
            raise ValueError(f"Invalid value for 'variable': {str(path)!r} holds several variables {sorted(data)}; "
                             "name the one with the RDMs.")
        variable = next(iter(data))
    if variable not in data:
        raise ValueError(f"Invalid value for 'variable': {variable!r} is not in {str(path)!r}; it holds "
                         f"{sorted(data)}.")
    value = data[variable]
    items = np.atleast_1d(value)
    if items.dtype == object and hasattr(items.flat[0], "RDM"):
        mats = np.stack([np.asarray(it.RDM, dtype=float) for it in items.flat])
        names = [str(getattr(it, "name", i)) for i, it in enumerate(items.flat)]
        if mats.ndim == 2:  # vectors
            return _from_array(mats, stimulus_ids, source=f"{path}:{variable}", names=names)
        return _from_array(mats if len(mats) > 1 else mats[0], stimulus_ids, source=f"{path}:{variable}",
                           names=names if len(mats) > 1 else None)
    return _from_array(value, stimulus_ids, source=f"{path}:{variable}")


def _from_matrix_csv(path):
    import pandas as pd

    table = pd.read_csv(path, index_col=0)
    table.index = table.index.astype(str)
    table.columns = table.columns.astype(str)
    if list(table.index) != list(table.columns):
        raise ValueError(f"The matrix CSV {str(path)!r} must have the same stimulus ids, in the same order, in its "
                         "header and first column.")
    return _from_array(table.to_numpy(dtype=float), list(table.index), source=str(path))
