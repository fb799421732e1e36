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
        self.path = Path(path)
        if self.path.exists():
            if overwrite:
                shutil.rmtree(self.path) if self.path.is_dir() else self.path.unlink()
            elif not (self.path / ".zgroup").is_file():
                raise FileExistsError(f"Invalid value for 'out': {str(self.path)!r} exists and is not a neurocompare "
                                      "zarr store. Choose another path or pass overwrite=True.")
        if not self.path.exists():
            import xarray as xr

            xr.Dataset(attrs={"created_by": "neurocompare.extract"}).to_zarr(
                self.path, mode="w", consolidated=False, zarr_format=ZARR_FORMAT)

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
        arr = self._group(f"{model}/{layer}")["activations"]
        arr[start:start + len(values)] = values

    def set_progress(self, model: str, n_done: int, complete: bool) -> None:
        self._group(model).attrs.update({"n_done": int(n_done), "complete": int(bool(complete))})

    def finish(self) -> None:
        import zarr

        zarr.consolidate_metadata(str(self.path), zarr_format=ZARR_FORMAT)


def open_tree(path, *, models=None):
    """Open a saved activation tree lazily (zarr) or in memory (netCDF)."""
    import xarray as xr

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Invalid value for 'path': {str(path)!r} does not exist.")
    if is_netcdf(path):
        tree = _strings_as(xr.open_datatree(path, engine="h5netcdf").load(), str)
    else:
        if not (path / ".zgroup").is_file():
            raise ValueError(f"Invalid value for 'path': {str(path)!r} is not a zarr store written by neurocompare "
                             "(no .zgroup). Expected a .zarr folder or a .nc file.")
        consolidated = (path / ".zmetadata").is_file()
        tree = xr.open_datatree(path, engine="zarr", chunks={}, consolidated=consolidated)
        for name, child in tree.children.items():
            if "complete" in child.attrs and not child.attrs["complete"]:
                logger.warning("Model %r in %s is incomplete (%s of %s stimuli); rerun neurocompare.extract with "
                               "the same arguments and out=%r to finish it.", name, path, child.attrs.get("n_done"),
                               child.attrs.get("n_stimuli"), str(path))
    return _ordered(tree, models)


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
    """Save an activation tree to zarr (a folder) or netCDF (``.nc``), atomically."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"Invalid value for 'path': {str(path)!r} already exists; pass overwrite=True.")
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if is_netcdf(path):
            _strings_as(tree, object).to_netcdf(tmp, engine="h5netcdf")
        else:
            tree.to_zarr(tmp, mode="w", consolidated=True, zarr_format=ZARR_FORMAT)
        if path.exists():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    return path


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
