"""Reading reference RDMs from files: .npy, .mat (MATLAB / rsatoolbox demos), .csv (matrix or tidy human data)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .._utils.checks import check_option
from ._format import make_rdm, n_from_length

#: What a CSV file for load_rdms can hold (its ``format``): a square matrix, or tidy human data.
CSV_FORMATS = ("matrix", "ratings", "triplets", "arrangements", "confusions")
_CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def load_rdms(path, *, format: str | None = None, variable: str | None = None, stimulus_ids=None, **options):
    """Load reference RDMs from a file.

    Parameters
    ----------
    path : path-like
        - ``.npy``: a square matrix ``(n, n)``, a stack ``(k, n, n)`` or upper-triangle vectors;
        - ``.mat``: a numeric matrix/stack, or a struct array with an ``RDM`` field (and
          optionally ``name``), as in rsatoolbox's and the RSA toolbox's demo files;
        - ``.csv``: ``format="matrix"`` (a square table whose header and first column are
          stimulus ids) or tidy human data for :func:`from_ratings`, :func:`from_triplets`,
          :func:`from_arrangements` or :func:`from_confusions` (``format`` names which).
    format : str, optional
        For CSV files, what the table holds: one of ``matrix, ratings, triplets,
        arrangements, confusions``.
    variable : str, optional
        For .mat files with several variables: the one to read.
    stimulus_ids : sequence of str, optional
        Ids of the rows/columns for .npy and .mat files (in their order). Without them the
        ids are ``"0", "1", ...``; pass the ids of your stimulus set (in the same order) to
        compare with model RDMs.
    **options
        For tidy CSV files: passed to the human-data loader of ``format`` (its column names;
        for ratings also ``kind="similarity"`` and ``scale``). An option that loader does not
        take raises an error.

    Returns
    -------
    xarray.DataArray
        An RDM, or RDMs with a leading ``subject`` (or ``rdm``) dim.

    Examples
    --------
    A rating study with its own column names, 1-7 similarity ratings::

        rdms = nc.rsa.load_rdms("ratings.csv", format="ratings", kind="similarity", scale=(1, 7),
                                subject="participant", stimulus_a="stim_a", stimulus_b="stim_b",
                                rating="rating")
    """
    if options.get("kind") in CSV_FORMATS:
        raise ValueError(f"Invalid value for 'kind': {options['kind']!r} is a table format, and the table's format "
                         f"is now format={options['kind']!r}. 'kind' belongs to the ratings: 'dissimilarity' or "
                         "'similarity' (what a high rating means).")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Invalid value for 'path': the reference file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if format is not None:
        check_option("format", format, CSV_FORMATS)
        if suffix not in _CSV_SUFFIXES:
            raise ValueError(f"Invalid value for 'format': it is only for CSV files (what the table holds); got "
                             f"format={format!r} for a {suffix!r} file ({str(path)!r}). Leave it out.")
    if options and (suffix not in _CSV_SUFFIXES or format == "matrix"):
        what = "a matrix CSV" if suffix in _CSV_SUFFIXES else f"a {suffix!r} file"
        raise ValueError(f"Invalid option(s) {', '.join(map(repr, sorted(options)))}: they are for tidy human data "
                         f"(format= one of {', '.join(map(repr, CSV_FORMATS[1:]))}); {what} ({str(path)!r}) takes "
                         "none. Leave them out.")
    if suffix == ".npy":
        return _from_array(_read_npy(path), stimulus_ids, source=str(path))
    if suffix == ".mat":
        return _from_mat(path, variable, stimulus_ids)
    if suffix in _CSV_SUFFIXES:
        if format is None:
            raise ValueError(f"Invalid value for 'format': the CSV file {str(path)!r} needs one of "
                             f"{', '.join(map(repr, CSV_FORMATS))} (a square matrix, or tidy human data); got None.")
        if format == "matrix":
            return _from_matrix_csv(path)
        loader = _loader(format)
        _check_options(loader, format, options)
        return loader(path, **options)
    raise ValueError(f"Invalid value for 'path': expected a .npy, .mat or .csv file; got {path.suffix!r} "
                     f"({str(path)!r}).")


def _loader(format: str):
    """The loader of a tidy human-data format: ``"ratings"`` -> :func:`from_ratings`, ..."""
    from . import _human

    return {"ratings": _human.from_ratings, "triplets": _human.from_triplets,
            "arrangements": _human.from_arrangements, "confusions": _human.from_confusions}[format]


def _check_options(loader, format, options):
    import inspect

    takes = [name for name, p in inspect.signature(loader).parameters.items()
             if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(takes))
    if unknown:
        raise ValueError(f"Invalid option(s) {', '.join(map(repr, unknown))} for format={format!r}: "
                         f"{loader.__name__} takes {', '.join(map(repr, takes))}.")


def _read_npy(path):
    """A numeric .npy array; other files are named as what they are (no pickle is ever loaded)."""
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as err:
        if "allow_pickle" in str(err):
            raise ValueError(f"The reference {str(path)!r} is a .npy file of Python objects; expected a numeric array "
                             "of RDMs (objects are never unpickled). Save the matrices with np.save(path, "
                             "np.asarray(rdms, dtype=float)).") from None
        raise ValueError(f"The reference {str(path)!r} is not a readable .npy file ({err}); expected a numeric array "
                         "saved with numpy.save.") from None
    except (OSError, EOFError) as err:
        raise ValueError(f"The reference {str(path)!r} is not a readable .npy file ({err}); expected a numeric array "
                         "saved with numpy.save.") from None


def _from_array(arr, stimulus_ids, *, source, names=None):
    try:
        arr = np.asarray(arr, dtype=float)
    except (TypeError, ValueError):
        kind = type(arr).__name__ if not hasattr(arr, "dtype") else f"an array of {arr.dtype}"
        raise ValueError(f"The reference in {source!r} is not numeric ({kind}); expected RDMs as a matrix (n, n), a "
                         "stack of matrices or upper-triangle vectors, or (in .mat files) structs with an 'RDM' "
                         "field.") from None
    if arr.ndim == 2 and arr.shape[0] != arr.shape[1]:
        try:
            n_from_length(arr.shape[1])
        except ValueError:
            raise ValueError(f"The reference in {source!r} has shape {arr.shape}: not a square (n, n) matrix, and its "
                             f"rows of {arr.shape[1]} entries are not upper-triangle vectors (n*(n-1)/2 entries)."
                             ) from None
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

    try:
        raw = loadmat(path, squeeze_me=True, struct_as_record=False)
    except NotImplementedError:  # MATLAB v7.3 (HDF5)
        raise ValueError(f"The reference {str(path)!r} is a MATLAB v7.3 (HDF5) file, which scipy cannot read; save it "
                         "with save(..., '-v7') in MATLAB, or load it with h5py and pass the array.") from None
    except Exception as err:  # scipy's MatReadError, ValueError and friends for files that are not .mat
        raise ValueError(f"The reference {str(path)!r} is not a readable MATLAB .mat file ({err}); expected a file "
                         "saved by MATLAB's save or scipy.io.savemat.") from None
    data = {k: v for k, v in raw.items() if not k.startswith("__")}
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
    from .._utils.tables import read_csv_table

    table = read_csv_table(path, what="The matrix CSV", index_col=0)
    table.index = table.index.astype(str)
    table.columns = table.columns.astype(str)
    if list(table.index) != list(table.columns):
        raise ValueError(f"The matrix CSV {str(path)!r} must have the same stimulus ids, in the same order, in its "
                         "header and first column.")
    return _from_array(table.to_numpy(dtype=float), list(table.index), source=str(path))
