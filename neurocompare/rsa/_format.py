"""The RDM data model: labelled DataArrays with dims ``(..., stimulus_a, stimulus_b)``.

Conventions follow rsatoolbox exactly: the vector form of an RDM is its upper
triangle in row-major order (``np.triu_indices(n, k=1)``, scipy's ``squareform``
order); the diagonal is zero; missing entries are NaN.
"""
from __future__ import annotations

import numpy as np

DIMS = ("stimulus_a", "stimulus_b")


def triu_indices(n: int):
    return np.triu_indices(n, k=1)


def n_from_length(length: int) -> int:
    n = int(round((1 + np.sqrt(1 + 8 * length)) / 2))
    if n * (n - 1) // 2 != length:
        raise ValueError(f"Invalid RDM vector: {length} entries is not n*(n-1)/2 for any n.")
    return n


def square(vectors: np.ndarray) -> np.ndarray:
    """(..., P) upper-triangle vectors -> (..., n, n) symmetric matrices with a zero diagonal."""
    vectors = np.asarray(vectors, dtype=float)
    n = n_from_length(vectors.shape[-1])
    out = np.zeros(vectors.shape[:-1] + (n, n))
    iu = triu_indices(n)
    out[..., iu[0], iu[1]] = vectors
    out[..., iu[1], iu[0]] = vectors
    return out


def make_rdm(values, stimulus_ids=None, *, method: str = "unknown", leading: dict | None = None,
             factors: dict | None = None, attrs: dict | None = None):
    """Build an RDM DataArray from square matrices ``(..., n, n)`` or vectors ``(..., P)``.

    Parameters
    ----------
    values : array
        Square matrices or upper-triangle vectors; leading axes become the dims named in ``leading``.
    stimulus_ids : sequence of str, optional
        Default ``"0", "1", ...``.
    leading : dict, optional
        ``{dim: coords}`` for each leading axis, in order; ``coords`` is a sequence of labels or a
        dict of ``{coord_name: values}`` (the first entry is the index).
    method : str
        The dissimilarity measure, kept in ``attrs["method"]``.
    factors : dict, optional
        Stimulus factors ``{name: values}``, attached along ``stimulus_a``.
    attrs : dict, optional
        More attributes of the DataArray.

    Returns
    -------
    xarray.DataArray
        Dims ``(*leading, stimulus_a, stimulus_b)``.
    """
    import xarray as xr

    arr = np.asarray(values, dtype=float)
    leading = dict(leading or {})
    if arr.ndim == len(leading) + 1:
        arr = square(arr)
    if arr.ndim != len(leading) + 2 or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"Invalid RDM: expected square matrices (..., n, n) or vectors (..., n*(n-1)/2) with "
                         f"{len(leading)} leading dim(s) (pass leading={{dim: labels}} for stacks of RDMs); got shape "
                         f"{np.shape(values)}.")
    n = arr.shape[-1]
    ids = np.arange(n).astype(str) if stimulus_ids is None else np.asarray([str(s) for s in stimulus_ids])
    if len(ids) != n:
        raise ValueError(f"Invalid 'stimulus_ids': {len(ids)} ids for an RDM of {n} stimuli.")
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"Invalid 'stimulus_ids': the ids must be unique, because RDMs are matched by stimulus id; "
                         f"{list(uniq[counts > 1][:5])} occur more than once. For repeated measurements of a "
                         "stimulus, pass compute_rdm(..., descriptor=...) to average them.")
    coords = {"stimulus_a": ("stimulus_a", ids), "stimulus_b": ("stimulus_b", ids)}
    dims = []
    for axis, (dim, labels) in enumerate(leading.items()):
        dims.append(dim)
        if isinstance(labels, dict):
            for j, (name, vals) in enumerate(labels.items()):
                vals = np.asarray(vals)
                if len(vals) != arr.shape[axis]:
                    raise ValueError(f"Invalid coordinate {name!r}: {len(vals)} values for {arr.shape[axis]} RDMs.")
                coords[dim if j == 0 else name] = (dim, vals)
        else:
            labels = np.asarray(labels)
            if len(labels) != arr.shape[axis]:
                raise ValueError(f"Invalid coordinate {dim!r}: {len(labels)} labels for {arr.shape[axis]} RDMs.")
            coords[dim] = (dim, labels)
    for name, vals in (factors or {}).items():
        coords[name] = ("stimulus_a", np.asarray(vals))
    return xr.DataArray(arr, dims=(*dims, *DIMS), coords=coords, attrs={"method": method, **(attrs or {})})


def as_rdm(obj, *, name: str = "rdms", check_symmetric: bool = True):
    """Any supported RDM input as a DataArray ``(..., stimulus_a, stimulus_b)``.

    Accepts RDM DataArrays, rsatoolbox ``RDMs``, and numpy arrays (square ``(n, n)``,
    stacked ``(k, n, n)``, or upper-triangle vectors ``(P,)`` / ``(k, P)``).

    Parameters
    ----------
    obj : xarray.DataArray, rsatoolbox.rdm.RDMs or numpy.ndarray
        The RDM(s).
    name : str
        The parameter name used in error messages.
    check_symmetric : bool
        Raise a ValueError naming ``name`` for non-square or asymmetric matrices.

    Returns
    -------
    xarray.DataArray
    """
    import xarray as xr

    if isinstance(obj, xr.DataArray):
        if not set(DIMS) <= set(obj.dims):
            raise ValueError(f"Invalid value for {name!r}: expected an RDM DataArray with dims 'stimulus_a' and "
                             f"'stimulus_b'; got dims {obj.dims}.")
        da = obj.transpose(..., *DIMS) if obj.dims[-2:] != DIMS else obj
    elif _is_rsatoolbox(obj):
        da = from_rsatoolbox(obj)
    else:
        arr = np.asarray(obj, dtype=float)
        if arr.ndim == 1:
            da = make_rdm(arr)
        elif arr.ndim == 2 and arr.shape[0] == arr.shape[1]:
            da = make_rdm(arr)
        elif arr.ndim == 2:
            try:
                n_from_length(arr.shape[1])
            except ValueError:
                raise ValueError(f"Invalid value for {name!r}: a 2-D array must be a square (n, n) matrix or "
                                 f"(k, n*(n-1)/2) vectors; got shape {arr.shape}.") from None
            da = make_rdm(arr, leading={"rdm": np.arange(arr.shape[0])})
        elif arr.ndim == 3:
            if arr.shape[1] != arr.shape[2]:
                raise ValueError(f"Invalid value for {name!r}: expected square matrices; got shape {arr.shape} "
                                 "(not square).")
            da = make_rdm(arr, leading={"rdm": np.arange(arr.shape[0])})
        else:
            raise ValueError(f"Invalid value for {name!r}: expected an RDM (square matrix, stack of matrices or "
                             f"upper-triangle vectors); got an array of shape {arr.shape}.")
    if da.sizes["stimulus_a"] != da.sizes["stimulus_b"]:
        raise ValueError(f"Invalid value for {name!r}: the matrix is not square ({da.sizes['stimulus_a']} x "
                         f"{da.sizes['stimulus_b']}).")
    if check_symmetric:
        m = np.asarray(da.values, dtype=float)
        mt = np.swapaxes(m, -1, -2)
        finite = np.isfinite(m).any()
        tol = 1e-8 * max(1.0, float(np.nanmax(np.abs(m))) if finite else 1.0)
        with np.errstate(invalid="ignore"):
            bad = (np.abs(m - mt) > tol) | (np.isnan(m) != np.isnan(mt))
        if bad.any():
            i, j = np.argwhere(bad)[0][-2:]
            raise ValueError(f"Invalid value for {name!r}: the matrix is not symmetric (entry [{i}, {j}] = "
                             f"{m.reshape(-1, *m.shape[-2:])[0, i, j]:.6g} but [{j}, {i}] = "
                             f"{m.reshape(-1, *m.shape[-2:])[0, j, i]:.6g}). Pass a symmetric matrix or the "
                             "upper-triangle vector.")
        diag = np.diagonal(m, axis1=-2, axis2=-1)
        with np.errstate(invalid="ignore"):
            off = np.abs(diag) > 1e-6 * max(1.0, float(np.nanmax(np.abs(m))) if finite else 1.0)
        if off.any():
            k = np.argwhere(off)[0][-1]
            raise ValueError(f"Invalid value for {name!r}: the diagonal is not zero (entry [{k}, {k}] = "
                             f"{diag.reshape(-1, diag.shape[-1])[0, k]:.6g}); an RDM holds dissimilarities, so every "
                             "stimulus is 0 from itself. A similarity or correlation matrix S is an RDM as 1 - S "
                             "(or pass its upper-triangle vector).")
    return da


def vectors(da) -> np.ndarray:
    """The upper-triangle vectors of an RDM DataArray, leading dims flattened: (n_rdm, P).

    Parameters
    ----------
    da : xarray.DataArray
        RDM(s) with dims ``(..., stimulus_a, stimulus_b)``.

    Returns
    -------
    numpy.ndarray
        ``(n_rdm, P)``, in rsatoolbox's row-major upper-triangle order.
    """
    m = np.asarray(da.values, dtype=float)
    n = m.shape[-1]
    iu = triu_indices(n)
    return m.reshape(-1, n, n)[:, iu[0], iu[1]]


def n_rdms(da) -> int:
    return int(np.prod([da.sizes[d] for d in da.dims[:-2]])) if da.ndim > 2 else 1


def leading_labels(da) -> list[dict]:
    """One dict of coordinate values per RDM (flattened leading dims), for result tables."""
    import itertools

    lead = list(da.dims[:-2])
    if not lead:
        return [{}]
    per_dim = []
    for d in lead:
        names = [c for c in da.coords if da[c].dims == (d,)]
        per_dim.append([{c: _scalar(da[c].values[i]) for c in names} for i in range(da.sizes[d])])
    return [{k: v for part in combo for k, v in part.items()} for combo in itertools.product(*per_dim)]


def _scalar(v):
    return v.item() if hasattr(v, "item") else v


def align(a, b, *, names=("rdms", "reference")):
    """Check two RDM DataArrays cover the same stimuli; return ``b`` reordered to ``a``'s order.

    Raises a ValueError naming the ids missing on either side.
    """
    ida, idb = list(map(str, a["stimulus_a"].values)), list(map(str, b["stimulus_a"].values))
    if ida == idb:
        return b
    sa, sb = set(ida), set(idb)
    if sa != sb:
        only_a, only_b = sorted(sa - sb), sorted(sb - sa)
        unnamed = [str(i) for i in range(max(len(ida), len(idb)))]
        if ida == unnamed[:len(ida)] and idb == unnamed[:len(idb)]:  # two unlabelled arrays
            raise ValueError(f"The RDMs have different sizes: {names[0]!r} has {len(ida)} stimuli and {names[1]!r} "
                             f"has {len(idb)} (upper-triangle vectors of {len(ida) * (len(ida) - 1) // 2} and "
                             f"{len(idb) * (len(idb) - 1) // 2} entries). Compare RDMs of the same stimuli.")
        raise ValueError(f"The RDMs cover different stimuli: {len(only_a)} in {names[0]!r} but not in "
                         f"{names[1]!r} (e.g. {only_a[:5]}), {len(only_b)} in {names[1]!r} but not in "
                         f"{names[0]!r} (e.g. {only_b[:5]}). Select the common stimuli first.")
    return b.sel(stimulus_a=ida, stimulus_b=ida)


_MATCH_RULES = ("file name", "file stem")


def match_stimuli(rdm, stimulus_ids, *, name: str = "rdm"):
    """Rename the stimulus ids of an RDM to the matching ``stimulus_ids``: by id, file name or file stem.

    Human data often name a stimulus by its file (``face_01.png`` or ``face_01``) while a
    stimulus set loaded from a folder of class subfolders names it ``category/stem``
    (``face/face_01``). Each stimulus id of ``rdm`` is matched to a target id of
    ``stimulus_ids`` by the first of these rules that finds it:

    1. the same id (``face/face_01`` and ``face/face_01``);
    2. the same file name, i.e. the last path component with its extension, on both sides
       (``images/face_01.png`` and ``face_01.png``);
    3. the same file stem, i.e. the file name without its extension, on both sides
       (``face_01.png``, ``face_01`` and ``face/face_01``).

    A rule is used only where it is one-to-one: a file name or stem shared by several target
    ids (``a/x.png`` and ``b/x.png`` for ``x``) is ambiguous, and two ids of ``rdm`` may not
    match the same target id (``face_01.png`` and ``face_01.jpg``); both raise, as do ids
    that match no target id. Path components are separated by ``/`` or ``\\``.

    Parameters
    ----------
    rdm : xarray.DataArray
        RDM(s) with dims ``(..., stimulus_a, stimulus_b)``, e.g. from :func:`from_ratings`.
    stimulus_ids : sequence of str
        The target ids, e.g. a StimulusSet's ``ids`` or the ``stimulus_a`` ids of the model
        RDMs from :func:`compute_rdm`.
    name : str
        The name of ``rdm`` in error messages.

    Returns
    -------
    xarray.DataArray
        ``rdm`` with every stimulus id replaced by the target id it matches, in ``rdm``'s own
        order; values, other coordinates and attributes unchanged (``rdm`` itself when every id
        matched exactly). :func:`compare` and :func:`evaluate` then align the stimuli by id.

    Examples
    --------
    >>> human = nc.rsa.from_ratings("ratings.csv", kind="similarity", scale=(1, 7))  # doctest: +SKIP
    >>> human = nc.rsa.match_stimuli(human, stimuli.ids)  # 'face_01.png' -> 'face/face_01'  # doctest: +SKIP
    """
    from .._utils.logging import logger

    rdm = as_rdm(rdm, name=name, check_symmetric=False)
    if isinstance(stimulus_ids, (str, bytes)) or not hasattr(stimulus_ids, "__iter__"):
        raise TypeError(f"Invalid value for 'stimulus_ids': expected a sequence of stimulus ids; got "
                        f"{stimulus_ids!r}.")
    targets = [str(s) for s in stimulus_ids]
    seen, dup = set(), []
    for t in targets:
        if t in seen and t not in dup:
            dup.append(t)
        seen.add(t)
    if dup:
        raise ValueError(f"Invalid value for 'stimulus_ids': the ids must be unique; got duplicates "
                         f"{_listed(dup)}.")
    have = [str(s) for s in rdm["stimulus_a"].values]
    if have == targets or set(have) <= seen:
        return rdm
    tables = []
    for key in (_file_name, _file_stem):
        table: dict[str, list[str]] = {}
        for t in targets:
            table.setdefault(key(t), []).append(t)
        tables.append((key, table))
    mapped, unmatched, ambiguous, rules = [], [], [], {}
    for h in have:
        match = h if h in seen else None
        if match is None:
            for rule, (key, table) in zip(_MATCH_RULES, tables):
                found = table.get(key(h), [])
                if len(found) == 1:
                    match = found[0]
                    rules[rule] = rules.get(rule, 0) + 1
                elif len(found) > 1:
                    ambiguous.append(f"{h!r} ({rule} {key(h)!r}) -> {_listed(found)}")
                    match = ""
                if found:
                    break
            else:
                unmatched.append(h)
        mapped.append(match)
    problems = []
    if unmatched:
        problems.append(f"{len(unmatched)} of its {len(have)} stimulus ids match no target id by id, file name or "
                        f"file stem: {_listed(unmatched)}.")
    if ambiguous:
        problems.append(f"{len(ambiguous)} of its stimulus ids match several target ids (ambiguous): "
                        f"{'; '.join(ambiguous[:5])}{'; ...' if len(ambiguous) > 5 else ''}. Name those stimuli by "
                        "their full id (e.g. 'category/stem').")
    hits: dict[str, list[str]] = {}
    for h, m in zip(have, mapped):
        if m:
            hits.setdefault(m, []).append(h)
    twice = [f"{m!r} <- {_listed(hs)}" for m, hs in hits.items() if len(hs) > 1]
    if twice:
        problems.append(f"{len(twice)} target id(s) are matched by several of its stimulus ids: "
                        f"{'; '.join(twice[:5])}{'; ...' if len(twice) > 5 else ''}. Merge or drop the duplicates "
                        "first.")
    if problems:
        raise ValueError(f"Invalid value for {name!r}: {' '.join(problems)} The {len(targets)} target ids look "
                         f"like {_listed(targets, 3)}.")
    logger.info("match_stimuli: matched %s of the %d stimulus ids of %r to the target ids.",
                " and ".join(f"{n} by {rule}" for rule, n in rules.items()), len(have), name)
    return rdm.assign_coords(stimulus_a=mapped, stimulus_b=mapped)


def _file_name(stimulus_id: str) -> str:
    return stimulus_id.replace("\\", "/").rsplit("/", 1)[-1]


def _file_stem(stimulus_id: str) -> str:
    name = _file_name(stimulus_id)
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


def _listed(items, k: int = 5) -> str:
    """The first ``k`` items, quoted, and how many more there are."""
    items = list(items)
    shown = ", ".join(map(repr, items[:k]))
    return shown + (f" (and {len(items) - k} more)" if len(items) > k else "")


def _is_rsatoolbox(obj) -> bool:
    return type(obj).__name__ == "RDMs" and type(obj).__module__.startswith("rsatoolbox")


def to_rsatoolbox(da):
    """An RDM DataArray as ``rsatoolbox.rdm.RDMs`` (vectors, measure, rdm and pattern descriptors).

    Parameters
    ----------
    da : xarray.DataArray
        RDM(s) with dims ``(..., stimulus_a, stimulus_b)``.

    Returns
    -------
    rsatoolbox.rdm.RDMs
    """
    from rsatoolbox.rdm import RDMs

    da = as_rdm(da, check_symmetric=False)
    labels = leading_labels(da)
    rdm_desc = {}
    if da.ndim > 2:
        for key in labels[0]:
            rdm_desc[key] = np.array([lab[key] for lab in labels])
    patt = {"stimulus": list(map(str, da["stimulus_a"].values))}
    for c in da.coords:
        if da[c].dims == ("stimulus_a",) and c != "stimulus_a":
            patt[c] = list(da[c].values)
    descriptors = {k: v for k, v in da.attrs.items() if k != "method"}
    return RDMs(vectors(da), dissimilarity_measure=da.attrs.get("method"), descriptors=descriptors,
                rdm_descriptors=rdm_desc or None, pattern_descriptors=patt)


def from_rsatoolbox(rdms):
    """``rsatoolbox.rdm.RDMs`` as an RDM DataArray (dims ``rdm, stimulus_a, stimulus_b``).

    Pattern descriptors become stimulus coordinates (``stimulus`` or ``index`` gives
    the ids); rdm descriptors become coordinates on ``rdm``.

    Parameters
    ----------
    rdms : rsatoolbox.rdm.RDMs

    Returns
    -------
    xarray.DataArray
    """
    vec = rdms.get_vectors()
    pd_ = dict(rdms.pattern_descriptors)
    ids = pd_.pop("stimulus", None)
    if ids is None:
        ids = pd_.pop("index", None)
    else:
        pd_.pop("index", None)
    rd = {k: np.asarray(v) for k, v in rdms.rdm_descriptors.items()}
    index = rd.pop("index", np.arange(rdms.n_rdm))
    leading = {"rdm": {"rdm": index, **rd}}
    attrs = {k: v for k, v in (rdms.descriptors or {}).items() if isinstance(v, (str, int, float))}
    return make_rdm(vec, ids, method=rdms.dissimilarity_measure or "unknown", leading=leading,
                    factors={k: np.asarray(v) for k, v in pd_.items()}, attrs=attrs)
