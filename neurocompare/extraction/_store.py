"""Activation trees on disk: zarr (streamed, resumable) and netCDF."""
from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from .._utils.hashing import config_hash
from .._utils.logging import logger

ZARR_FORMAT = 2  # stable, readable by every zarr implementation; fixed-width strings have no v3 spec yet


def is_netcdf(path) -> bool:
    return Path(path).suffix.lower() in (".nc", ".nc4", ".netcdf", ".h5")


class ZarrStore:
    """A zarr folder that extraction writes batch by batch.

    Each model group records in its attrs a hash of the extraction settings, the
    number of stimuli done (always whole batches) and whether it is complete, so
    an interrupted run can resume from the last complete batch.
    """

    def __init__(self, path, *, overwrite: bool):
        from .._utils.paths import check_target, remove_ours

        self.path = check_out(path)
        self.created = False
        occupied = self.path.is_file() or (self.path.is_dir() and any(self.path.iterdir()))
        if occupied and overwrite:
            check_target(self.path, overwrite=True)  # refuses anything neurocompare did not write
            remove_ours(self.path)
        elif occupied and not (self.path / ".zgroup").is_file():
            raise FileExistsError(f"Invalid value for 'out': {str(self.path)!r} exists and is not a neurocompare "
                                  "zarr store, so it can be neither resumed nor replaced. Choose another path.")
        elif occupied:
            self._sweep_partial()
        if not self.path.is_dir() or not any(self.path.iterdir()):
            import xarray as xr

            xr.Dataset(attrs={"created_by": "neurocompare.extract"}).to_zarr(
                self.path, mode="w", consolidated=False, zarr_format=ZARR_FORMAT)
            self.created = True

    def _sweep_partial(self) -> None:
        """Remove zarr's temporary ``*.partial`` chunk files left by a killed write (they are never data)."""
        for tmp in self.path.rglob("*.partial"):
            if tmp.is_file():
                tmp.unlink()

    def _group(self, path: str = ""):
        import zarr

        root = zarr.open_group(str(self.path), mode="r+", zarr_format=ZARR_FORMAT)
        return root[path] if path else root

    def state(self, model: str) -> dict | None:
        """The progress attrs of a model group, or None if it does not exist."""
        import zarr

        root = zarr.open_group(str(self.path), mode="r", zarr_format=ZARR_FORMAT)
        if model not in root:
            return None
        return dict(root[model].attrs)

    def reset_model(self, model: str) -> None:
        root = self._group()
        if model in root:
            del root[model]

    def create_model(self, model: str, attrs: dict) -> None:
        import xarray as xr

        xr.Dataset(attrs=attrs).to_zarr(self.path, group=model, mode="a", consolidated=False,
                                        zarr_format=ZARR_FORMAT)

    def has_layer(self, model: str, layer: str) -> bool:
        return f"{layer}" in self._group(model)

    def create_layer(self, model: str, layer: str, ds, chunk_rows: int) -> None:
        """Write a layer's metadata and coordinates; the activations stay unwritten (NaN) until filled."""
        import dask.array as da

        n, u = ds.sizes["stimulus"], ds.sizes["unit"]
        chunk_units = max(1, min(u, (4 * 2**20) // max(1, chunk_rows)))
        ds = ds.copy()
        attrs = dict(ds["activations"].attrs)
        ds["activations"] = (("stimulus", "unit"),
                             da.full((n, u), np.nan, dtype="float32", chunks=(chunk_rows, chunk_units)), attrs)
        ds.to_zarr(self.path, group=f"{model}/{layer}", mode="a", compute=False, consolidated=False,
                   zarr_format=ZARR_FORMAT,
                   encoding={"activations": {"chunks": (chunk_rows, chunk_units), "_FillValue": np.nan}})

    def layer_units(self, model: str, layer: str) -> int:
        return int(self._group(f"{model}/{layer}")["activations"].shape[1])

    def write(self, model: str, layer: str, start: int, values: np.ndarray) -> None:
        write_rows(self.path, model, layer, start, values)

    def set_progress(self, model: str, n_done: int, complete: bool) -> None:
        self._group(model).attrs.update({"n_done": int(n_done), "complete": int(bool(complete))})

    def n_done(self) -> int:
        """Stimuli finished over all models (0 if nothing was written yet)."""
        import zarr

        root = zarr.open_group(str(self.path), mode="r", zarr_format=ZARR_FORMAT)
        return sum(int(root[m].attrs.get("n_done", 0)) for m in root.group_keys())

    def finish(self) -> None:
        import zarr

        self._sweep_partial()
        zarr.consolidate_metadata(str(self.path), zarr_format=ZARR_FORMAT)


def write_rows(path, model: str, layer: str, start: int, values: np.ndarray) -> None:
    """Write stimuli ``start:start + len(values)`` of one layer into an existing store (from any process)."""
    import zarr

    root = zarr.open_group(str(path), mode="r+", zarr_format=ZARR_FORMAT)
    root[f"{model}/{layer}"]["activations"][start:start + len(values)] = values


def open_tree(path, *, models=None, allow_incomplete: bool = False):
    """Open a saved activation tree: lazily (zarr) or in memory (netCDF).

    Parameters
    ----------
    path : path-like
        A ``.zarr`` store or ``.nc`` file written by :func:`neurocompare.extract`
        or :func:`neurocompare.extraction.save`.
    models : list of str, optional
        Only these models, in this order (default: all, in the stored order).
    allow_incomplete : bool
        An interrupted extraction leaves a store that holds only its first
        stimuli. Reading one raises (so a partial result cannot pass for a
        whole one) unless ``allow_incomplete=True``: then the finished stimuli
        of each incomplete model are returned (the rest dropped) and a warning
        says how many.

    Returns
    -------
    xarray.DataTree
        ``/<model>/<layer>`` nodes, as :func:`neurocompare.extract` returns them.
    """
    import xarray as xr

    from .._utils.checks import check_bool

    allow_incomplete = check_bool("allow_incomplete", allow_incomplete)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Invalid value for 'path': {str(path)!r} does not exist.")
    if is_netcdf(path):
        tree = _strings_as(xr.open_datatree(path, engine="h5netcdf").load(), str)
        return _ordered(tree, models)
    if not (path / ".zgroup").is_file():
        raise ValueError(f"Invalid value for 'path': {str(path)!r} is not a zarr store written by neurocompare "
                         "(no .zgroup). Expected a .zarr folder or a .nc file.")
    consolidated = (path / ".zmetadata").is_file()
    tree = xr.open_datatree(path, engine="zarr", chunks={}, consolidated=consolidated)
    tree = _ordered(tree, models)
    incomplete = {name: child.attrs for name, child in tree.children.items()
                  if "complete" in child.attrs and not child.attrs["complete"]}
    if not incomplete:
        return tree
    desc = "; ".join(f"model {name!r} has {int(a.get('n_done', 0))} of {a.get('n_stimuli')} stimuli"
                     for name, a in incomplete.items())
    if not allow_incomplete:
        raise ValueError(
            f"The activation store {str(path)!r} is incomplete ({desc}): its extraction was interrupted or failed. "
            f"Resume it by running the same neurocompare.extract(...) call (or `neurocompare extract` command) "
            f"again with out={str(path)!r}; it continues from the last finished batch. To read the finished part "
            "only, pass allow_incomplete=True.")
    logger.warning("Reading an incomplete activation store %s (%s); only the finished stimuli are returned.",
                   path, desc)
    nodes = {}
    for node in tree.subtree:
        ds = node.to_dataset(inherit=False)
        model = node.path.strip("/").split("/")[0]
        if model in incomplete and "stimulus" in ds.dims:
            ds = ds.isel(stimulus=slice(0, int(incomplete[model].get("n_done", 0))))
        nodes[node.path] = ds
    return xr.DataTree.from_dict(nodes)


def _ordered(tree, models=None):
    """Models in the requested order, layers in extraction order (zarr lists groups alphabetically)."""
    import xarray as xr

    names = list(tree.children) if models is None else [m for m in models if m in tree.children]
    nodes = {"/": tree.to_dataset(inherit=False)}
    for name in names:
        mnode = tree.children[name]
        nodes[f"/{name}"] = mnode.to_dataset(inherit=False)
        order = list(mnode.children)
        try:
            saved = json.loads(mnode.attrs.get("layers", "[]"))
            order = [n for n in saved if n in mnode.children] + [n for n in order if n not in saved]
        except (TypeError, ValueError):
            pass
        for layer in order:
            nodes[f"/{name}/{layer}"] = mnode.children[layer].to_dataset(inherit=False)
    return xr.DataTree.from_dict(nodes)


def save_tree(tree, path, *, overwrite: bool = False) -> Path:
    """Save an activation tree to zarr (a folder) or netCDF (``.nc``), atomically.

    Parameters
    ----------
    tree : xarray.DataTree
        From :func:`neurocompare.extract` or :func:`open_tree`.
    path : path-like
        A ``.zarr`` folder (or a folder name without a suffix) or a ``.nc`` file.
    overwrite : bool
        Replace an existing ``path``; only ever one that neurocompare wrote.

    Returns
    -------
    pathlib.Path
    """
    import xarray as xr

    from .._utils.paths import check_target, make_parent, remove_ours

    if not isinstance(tree, xr.DataTree):
        raise TypeError(f"Invalid value for 'tree': expected an xarray.DataTree; got {type(tree).__name__}.")
    path = check_target(check_out(path, param="path"), overwrite=overwrite, param="path")
    tree = tree.copy()
    tree.attrs = {**tree.attrs, "created_by": tree.attrs.get("created_by", "neurocompare.extraction.save")}
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    make_parent(path, param="path")
    try:
        if is_netcdf(path):
            _strings_as(tree, object).to_netcdf(tmp, engine="h5netcdf")
        else:
            tree.to_zarr(tmp, mode="w", consolidated=True, zarr_format=ZARR_FORMAT)
        if path.exists() and (path.is_file() or any(path.iterdir())):
            remove_ours(path)
        elif path.is_dir():
            path.rmdir()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    return path


def check_out(path, *, param: str = "out") -> Path:
    """``path`` if it names a format activations are written in: ``.zarr``, ``.nc`` or a folder without a suffix."""
    from .._utils.paths import check_parent

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in ("", ".zarr") or is_netcdf(path) or (path.is_dir() and (path / ".zgroup").is_file()):
        return check_parent(path, param=param)
    raise ValueError(f"Invalid value for {param!r}: activations are written as a zarr store (a '.zarr' folder, or a "
                     f"folder name without a suffix) or a netCDF file ('.nc'); got {str(path)!r} (suffix "
                     f"{path.suffix!r}). For a table of one layer's activations use "
                     "neurocompare.extraction.get_layer(tree, layer).to_pandas().")


def settings_hash(settings: dict) -> str:
    return config_hash(settings)


def _strings_as(tree, kind):
    """Fixed-width unicode (in memory, zarr) <-> variable-length strings (netCDF via h5py)."""
    def convert(ds):
        out = ds.copy()
        for name, var in ds.variables.items():
            if kind is object and var.dtype.kind == "U":
                out[name] = var.astype(object)
            elif kind is str and var.dtype.kind == "O":
                out[name] = var.astype(str)
        return out

    return tree.map_over_datasets(convert)
