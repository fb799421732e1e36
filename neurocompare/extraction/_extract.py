"""``extract``: layer activations of one or more models on a stimulus set, as an xarray DataTree."""
from __future__ import annotations

import contextlib
import json

import numpy as np

from .._utils.checks import check_bool, check_positive_int
from .._utils.logging import logger
from .._utils.paths import check_target, remove_ours, write_lock
from .._utils.progress import progress_bar
from .._version import __version__
from ..models.batches import StimulusSource, prepared
from ._hooks import LayerRecorder, unit_coords
from ._reduce import RandomProjection, StreamingPCA, describe, parse_reduce
from ._store import ZarrStore, check_out, is_netcdf, open_tree, save_tree, settings_hash

_MIXED_FIXES = ("Either pass resize=(h, w) to neurocompare.models.load or wrap (command line: --option resize=HxW, "
                "e.g. --option resize=224x224) so that every image is resized to one size first, or use batch_size=1 "
                "with a reduce that pools each map to a fixed length (reduce='avgpool', or ('grid', k)).")
REGION_NOTE = ("per-region outputs averaged over the regions of each image (RPN proposals for box heads, "
               "final detections for mask/keypoint heads); NaN where an image has none")


def extract(model, stimuli, *, layers=None, batch_size: int = 32, reduce=None, device="auto", out=None,
            overwrite: bool = False, random_state: int = 0, num_workers: int = 0, amp: bool = False,
            progress: bool = True, scheduler=None):
    """Extract layer activations.

    Parameters
    ----------
    model : ModelWrapper or list of ModelWrapper
        From :func:`neurocompare.models.load` or :func:`neurocompare.models.wrap`.
        It is left exactly as it was (mode, device, ``requires_grad``).
    stimuli : StimulusSet, torch.Tensor or numpy.ndarray
        A StimulusSet (each image goes through ``model.transform``), or a batch
        of ready model inputs, first dim = stimuli (e.g. latent vectors for a
        DCGAN generator). Array inputs get ids ``"0", "1", ...``.
    layers : None, str or list of str
        Layer names (see ``model.layers``), ``"all"``, or a stream: ``"shared"``,
        ``"what"``, ``"where"``. ``None`` takes ``model.default_layers``.
    batch_size : int
    reduce : None, "avgpool", "cls", ("grid", k), ("project", k) or ("pca", k)
        ``None`` keeps every unit. ``"avgpool"`` averages over space (maps) or
        tokens (transformers; for transformers with a known token layout,
        ``model.tokens``, the patch tokens only). ``"cls"`` keeps the class
        token of such a transformer (vector outputs pass unchanged; an error
        for models without a class token). ``("grid", k)`` average-pools each
        map, or a transformer's patch grid, to k x k.
        ``("project", k)`` applies a seeded sparse random projection to k dims
        (Li et al. 2006; the matrix of scikit-learn's ``SparseRandomProjection``).
        ``("pca", k)`` fits an incremental PCA over all stimuli (one extra
        forward pass) and keeps k components.
    device : str
        ``"auto"`` picks cuda, then mps, then cpu.
    out : path-like, optional
        A ``.zarr`` folder (or a folder name without a suffix): batches stream
        to disk (memory stays flat), and an interrupted run resumes from the
        last complete batch when called again with the same arguments; the tree
        returned is lazy (dask). While it runs, a lock file beside the store
        (``.<name>.lock``) refuses a second writer. A ``.nc`` file: extracted
        in memory, then written as netCDF. Other suffixes are refused.
    overwrite : bool
        Replace ``out`` instead of resuming or refusing. Only ever a store or
        file that neurocompare wrote: anything else is refused, never deleted.
    random_state : int
        Seed of the random projection.
    num_workers : int
        DataLoader worker processes for image decoding.
    amp : bool
        Mixed precision (float16 autocast) on CUDA; ignored elsewhere.
    progress : bool
        Show a progress bar.
    scheduler : None, "local", str or distributed.Client
        Where the forward passes run. ``None``: here. ``"local"``: a dask
        ``LocalCluster`` on this machine; an address (``"tcp://host:8786"``) or a
        ``distributed.Client``: that cluster. The stimuli are split into shards of
        whole batches; each worker receives the model once, runs its shards (on its
        own GPU with ``device="auto"``) and writes its rows of the ``out`` store,
        which must then be a ``.zarr`` path that every worker reaches. The result is
        identical to a local run, and the store resumes like a local one. Needs
        ``pip install "neurocompare[dask]"``; see the cluster guide.

    Returns
    -------
    xarray.DataTree
        ``/<model>/<layer>`` nodes, each a Dataset with ``activations`` (dims
        ``stimulus, unit``), every stimulus factor as a coordinate on
        ``stimulus``, ``channel`` (and ``unit_y, unit_x`` / ``token`` /
        ``token_kind`` / ``part``) on ``unit``, and provenance in attrs. Detector heads that run per region
        (``roi_heads.*``) are averaged over each image's regions (see attrs
        ``regions``).

    Notes
    -----
    A module called more than once per forward pass keeps every call, as
    separate ``part``\\ s (``call0``, ``call1``, ...) along ``unit``.
    """
    from .._utils.device import resolve_device

    models = _check_models(model)
    kind, k = parse_reduce(reduce)
    batch_size = check_positive_int("batch_size", batch_size)
    num_workers = check_positive_int("num_workers", num_workers, minimum=0)
    overwrite = check_bool("overwrite", overwrite)
    source = StimulusSource(stimuli)  # refuses an empty selection before anything is written
    if kind == "cls":
        for m in models:
            _check_cls(m)
    if scheduler is not None:
        return _extract_on_cluster(models, layers, source, scheduler, kind=kind, k=k, batch_size=batch_size,
                                   device=device, out=out, overwrite=overwrite, random_state=random_state,
                                   num_workers=num_workers, amp=check_bool("amp", amp), progress=progress)
    dev = resolve_device(device)
    runs = [_Run(m, _layers_for(m, layers, source), source, kind=kind, k=k, batch_size=batch_size, device=dev,
                 random_state=random_state, num_workers=num_workers, amp=amp and dev.type == "cuda",
                 progress=progress) for m in models]
    if out is not None:
        out = check_out(out)
        if is_netcdf(out):
            check_target(out, overwrite=overwrite)  # refuse before the work, not after it
            tree = _extract_in_memory(runs)
            save_tree(tree, out, overwrite=overwrite)
            return tree
        with write_lock(out, what="activation store"):
            store = ZarrStore(out, overwrite=overwrite)
            try:
                for run in runs:
                    run.to_store(store)
            except BaseException:
                if store.created and store.n_done() == 0:  # nothing to resume: leave nothing behind
                    remove_ours(store.path)
                raise
            store.finish()
        return open_tree(store.path, models=[m.name for m in models])
    return _extract_in_memory(runs)


def _extract_on_cluster(models, layers, source, scheduler, *, kind, k, batch_size, device, out, overwrite,
                        random_state, num_workers, amp, progress):
    """``extract`` with ``scheduler=``: the workers fill the rows of a zarr store that this process keeps."""
    import torch

    from .._utils.scheduler import check_reachable, check_scheduler, using_scheduler
    from . import _distributed

    check_scheduler(scheduler)
    if out is None or is_netcdf(check_out(out)):
        got = "None" if out is None else repr(str(out))
        raise ValueError(f"Invalid value for 'out': with scheduler= the workers write the activations into a zarr "
                         f"store, so out= must be a '.zarr' path that every worker can reach; got {got}.")
    if kind == "pca":
        raise ValueError("Invalid value for 'reduce': ('pca', k) fits one PCA over all stimuli before it writes "
                         "anything, which is not distributed; run it without scheduler=, or use ('project', k).")
    if not isinstance(device, (str, torch.device)) and device is not None:
        raise TypeError(f"Invalid type for 'device': expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; got "
                        f"{device!r}.")
    out = check_out(out)
    placeholder = torch.device("cpu")   # the workers choose their own device; the store records theirs
    runs = [_Run(m, _layers_for(m, layers, source), source, kind=kind, k=k, batch_size=batch_size,
                 device=placeholder, random_state=random_state, num_workers=num_workers, amp=False,
                 progress=progress) for m in models]
    with using_scheduler(scheduler, progress=progress) as client, write_lock(out, what="activation store"):
        store = ZarrStore(out, overwrite=overwrite)
        try:
            check_reachable(client, store.path)
            for run in runs:
                opts = {"layers": run.layers, "kind": kind, "k": k, "batch_size": batch_size,
                        "device": str(device) if device is not None else "auto", "random_state": random_state,
                        "num_workers": num_workers, "amp": amp}
                _distributed.to_store(client, run, store, opts, progress=progress)
        except BaseException:
            if store.created and store.n_done() == 0:
                remove_ours(store.path)
            raise
        store.finish()
    return open_tree(store.path, models=[m.name for m in models])


def _extract_in_memory(runs):
    import xarray as xr

    nodes = {"/": xr.Dataset(attrs={"created_by": "neurocompare.extract"})}
    for run in runs:
        nodes.update(run.in_memory())
    return xr.DataTree.from_dict(nodes)


def _check_models(model) -> list:
    from ..models import ModelWrapper

    models = [model] if isinstance(model, ModelWrapper) else model
    if not isinstance(models, (list, tuple)) or not models or not all(isinstance(m, ModelWrapper) for m in models):
        got = type(model).__name__
        hint = " Wrap an nn.Module with neurocompare.models.wrap(module)." if got not in ("list", "tuple") else ""
        raise TypeError(f"Invalid value for 'model': expected a ModelWrapper or a list of them; got {got}.{hint}")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"Invalid value for 'model': model names must be unique in one tree; got {names}. "
                         "Set distinct names (wrapper.name = ...).")
    return list(models)


def _check_cls(m) -> None:
    tokens = getattr(m, "tokens", None)
    if tokens is None or not tokens.has_cls:
        what = "records no token layout" if tokens is None else f"has no class token (prefix tokens {list(tokens.prefix)})"
        raise ValueError(f"Invalid value for 'reduce': 'cls' keeps the class token of a vision transformer, but "
                         f"model {m.name!r} {what}. Use reduce='avgpool' or ('grid', k); the class token is known for "
                         "transformers loaded with a 'timm:', 'openclip:' or 'hf:' name.")


def _layers_for(m, layers, source) -> list[str]:
    if layers is None and source.latent and getattr(m, "latent_default_layers", None):
        return list(m.latent_default_layers)
    return m.resolve_layers(layers)


class _Run:
    """One model's extraction."""

    def __init__(self, wrapper, layers, source, *, kind, k, batch_size, device, random_state, num_workers, amp,
                 progress):
        self.m, self.layers, self.source = wrapper, layers, source
        self.kind, self.k = kind, k
        self.batch_size, self.device, self.random_state = batch_size, device, random_state
        self.num_workers, self.amp, self.progress = num_workers, amp, progress
        self.recorder = LayerRecorder(wrapper, layers, kind, k)
        self.unit_coords: dict[str, dict] = {}
        self.shapes: dict[str, list] = {}
        self.projections: dict[str, RandomProjection] = {}
        self.pcas: dict[str, StreamingPCA] = {}

    # -- settings and attrs ---------------------------------------------------------
    def settings(self) -> dict:
        return {"model": self.m.name, "family": self.m.family, "weights": self.m.weights,
                "config": self.m.config, "layers": self.layers, "reduce": describe(self.kind, self.k),
                "batch_size": self.batch_size, "random_state": self.random_state, "stimuli": self.source.id_hash,
                "n_stimuli": self.source.n}

    def model_attrs(self, *, with_hash: bool = False) -> dict:
        import torch

        attrs = {"model": self.m.name, "family": self.m.family, "weights": self.m.weights,
                 "config": json.dumps(self.m.config, sort_keys=True, default=str), "layers": json.dumps(self.layers),
                "reduce": describe(self.kind, self.k), "batch_size": self.batch_size,
                "random_state": self.random_state, "stimuli": self.source.name, "n_stimuli": self.source.n,
                "device": self.device.type, "neurocompare_version": __version__, "torch_version": str(torch.__version__)}
        if with_hash:  # fingerprints every input value, so only for resumable stores
            attrs["extraction_hash"] = settings_hash(self.settings())
        return attrs

    def layer_attrs(self, layer: str) -> dict:
        attrs = {"model": self.m.name, "layer": layer, "stream": self.m.streams[layer], "family": self.m.family,
                 "weights": self.m.weights, "reduce": describe(self.kind, self.k), "random_state": self.random_state,
                 "output_shape": json.dumps(self.shapes[layer]), "neurocompare_version": __version__}
        if self.recorder.region_level(layer):
            attrs["regions"] = REGION_NOTE
        if layer in self.pcas:
            attrs["pca_method"] = self.pcas[layer].method
            attrs["pca_explained_variance"] = [float(v) for v in self.pcas[layer].explained_variance_]
        return attrs

    # -- running --------------------------------------------------------------------
    def _forward(self, pos, inputs):
        import torch

        self.recorder.reset()
        self.recorder.position = pos
        if isinstance(inputs, list):
            if self.m.input_kind != "list":
                raise ValueError(self._mixed_sizes(pos, [tuple(t.shape[-2:]) for t in inputs]))
            inputs = [t.to(self.device) for t in inputs]
        else:
            inputs = inputs.to(self.device)
        first = inputs[0] if isinstance(inputs, list) else inputs
        self.recorder.input_hw = tuple(first.shape[-2:]) if first.dim() >= 3 else None
        ctx = torch.autocast("cuda", dtype=torch.float16) if self.amp else contextlib.nullcontext()
        try:
            with torch.inference_mode(), ctx:
                self.m.run(inputs)
        except (RuntimeError, ValueError, TypeError, AssertionError, IndexError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            shape = [tuple(t.shape) for t in inputs[:1]] if isinstance(inputs, list) else tuple(inputs.shape)
            raise RuntimeError(f"Model {self.m.name!r} failed on the batch starting at stimulus {pos} (input shape "
                               f"{shape}): {type(err).__name__}: {first}. Check that the stimuli match what the "
                               "model expects (model.transform, number of channels, image size).") from err

    def _mixed_sizes(self, pos: int, input_sizes: list) -> str:
        """The error for a batch whose inputs differ in size: a few ids with their sizes, and the fixes."""
        from PIL import Image

        st = self.source.stimuli
        seen, examples = set(), []
        for i, size in enumerate(input_sizes):
            if size in seen:
                continue
            seen.add(size)
            sid = st.ids[pos + i]
            try:
                with Image.open(st.path(pos + i)) as img:
                    image = f"image {img.height}x{img.width}, "
            except OSError:
                image = ""
            examples.append(f"{sid!r} ({image}input {size[0]}x{size[1]})")
        more = f" and {len(seen) - 4} more size(s)" if len(seen) > 4 else ""
        return (f"The images have different sizes, so the transform of model {self.m.name!r} gives inputs of "
                f"different sizes that cannot be stacked into one batch (height x width): "
                f"{', '.join(examples[:4])}{more}. "
                f"{_MIXED_FIXES}")

    def _batch_features(self, n: int) -> dict:
        """Per-layer (n, units) tensors after spatial reduction, plus coords on the first batch."""
        out = {}
        for layer in self.layers:
            feats, coords, shapes = self.recorder.features(layer, n)
            if feats is None:  # already written into its sink by the hook
                out[layer] = None
                continue
            if layer not in self.unit_coords:
                self.unit_coords[layer] = {"_parts": coords}
                self.shapes[layer] = shapes
            elif coords != self.unit_coords[layer]["_parts"]:
                raise RuntimeError(f"Layer {layer!r} gave outputs of shape {[c[1] for c in coords]} for some stimuli "
                                   f"and {[c[1] for c in self.unit_coords[layer]['_parts']]} for others, so they "
                                   "cannot be stacked into one array: the images (or the model's inputs) have "
                                   f"different sizes. {_MIXED_FIXES}")
            out[layer] = feats
        return out

    def _finalise(self, layer: str, feats) -> np.ndarray:
        if self.kind == "project":
            if layer not in self.projections:
                d = feats.shape[1]
                self.projections[layer] = RandomProjection(d, self.k, self.random_state, feats.device)
            feats = self.projections[layer](feats)
        arr = feats.float().cpu().numpy()
        if self.kind == "pca":
            arr = self.pcas[layer].transform(arr)
        return arr.astype(np.float32, copy=False)

    def _coords(self, layer: str) -> dict:
        if self.kind in ("project", "pca"):
            return {"component": ("unit", np.arange(self.k))}
        return {k: ("unit", v) for k, v in unit_coords(self.unit_coords[layer]["_parts"]).items()}

    def _fit_pca(self) -> None:
        self.pcas = {}
        with progress_bar(self.source.n, f"{self.m.name}: fitting PCA", enable=self.progress) as advance:
            for pos, inputs in self.source.batches(self.m, self.batch_size, 0, self.num_workers):
                n = len(inputs)
                self._forward(pos, inputs)
                for layer, feats in self._batch_features(n).items():
                    if layer not in self.pcas:
                        if feats.shape[1] < self.k:
                            raise ValueError(f"Invalid value for 'reduce': ('pca', {self.k}) asks for more "
                                             f"components than layer {layer!r} has units ({feats.shape[1]}).")
                        self.pcas[layer] = StreamingPCA(self.k, feats.shape[1])
                    self.pcas[layer].add(feats.float().cpu().numpy())
                advance(n)
        if self.source.n < self.k:
            raise ValueError(f"Invalid value for 'reduce': ('pca', {self.k}) asks for more components than there are "
                             f"stimuli ({self.source.n}).")
        for p in self.pcas.values():
            p.finish()

    def _dataset(self, layer: str, values):
        import xarray as xr

        coords = dict(self.source.coords)
        unit = self._coords(layer)
        clash = sorted(set(unit) & set(coords))
        if clash:
            raise ValueError(f"The stimulus factor(s) {clash} have the name of a unit coordinate of layer {layer!r}; "
                             "rename those columns in stimuli.csv.")
        coords.update(unit)
        attrs = self.layer_attrs(layer)
        return xr.Dataset({"activations": xr.Variable(("stimulus", "unit"), values, attrs=attrs)}, coords=coords,
                          attrs=attrs)

    def _allocate_sinks(self, arrays: dict) -> None:
        """Run one stimulus to learn each layer's size, then let hooks write straight into the result arrays.

        Costs one extra single-image forward pass and saves a full copy of every
        single-output layer (the dominant cost when ``reduce=None``).
        """
        pos, inputs = next(iter(self.source.batches(self.m, 1, 0, 0)))
        self._forward(pos, inputs)
        for layer, feats in self._batch_features(1).items():
            parts = self.unit_coords[layer]["_parts"]
            if len(parts) == 1 and not self.recorder.region_level(layer):
                arrays[layer] = _empty((self.source.n, feats.shape[1]))
                self.recorder.sinks[layer] = arrays[layer]

    def _iterate(self, start: int, arrays: dict | None = None, stop: int | None = None):
        """Yield (position, {layer: float32 array or None if already written}) batch by batch from ``start``
        (to ``stop``, a batch boundary, or the end)."""
        stop = self.source.n if stop is None else stop
        with prepared(self.m.module, self.device), self.recorder:
            if self.kind == "pca":
                self._fit_pca()
            # only worth its extra one-image forward pass when every unit is kept
            if arrays is not None and self.kind == "none" and self.m.family != "detection":
                self._allocate_sinks(arrays)
            remaining = stop - start
            with progress_bar(remaining, f"{self.m.name}: extracting", enable=self.progress) as advance:
                for pos, inputs in self.source.batches(self.m, self.batch_size, start, self.num_workers):
                    if pos >= stop:
                        break
                    n = len(inputs)
                    self._forward(pos, inputs)
                    feats = self._batch_features(n)
                    yield pos, {layer: None if f is None else self._finalise(layer, f) for layer, f in feats.items()}
                    advance(n)

    def in_memory(self) -> dict:
        import xarray as xr

        arrays: dict[str, np.ndarray] = {}
        for pos, batch in self._iterate(0, arrays):
            for layer, values in batch.items():
                if values is None:
                    continue
                if layer not in arrays:
                    arrays[layer] = _empty((self.source.n, values.shape[1]))
                arrays[layer][pos:pos + len(values)] = values
        nodes = {f"/{self.m.name}": xr.Dataset(attrs=self.model_attrs())}
        for layer in self.layers:
            nodes[f"/{self.m.name}/{layer}"] = self._dataset(layer, arrays[layer])
        logger.info("Extracted %d layers of %s for %d stimuli", len(self.layers), self.m.name, self.source.n)
        return nodes

    def store_start(self, store: ZarrStore) -> int | None:
        """Where this model's extraction into ``store`` starts (None: already complete); other settings refused."""
        name = self.m.name
        state = store.state(name)
        if state is not None and state.get("extraction_hash") != settings_hash(self.settings()):
            raise FileExistsError(
                f"Invalid value for 'out': {str(store.path)!r} already holds activations of {name!r} extracted with "
                "different settings (layers, reduce, batch_size, weights or stimuli). Pass overwrite=True to "
                "replace them, or choose another path.")
        if state is not None and state.get("complete"):
            logger.info("%s in %s is already complete; nothing to do", name, store.path)
            return None
        start = int(state["n_done"]) if state is not None else 0
        if start:
            logger.info("Resuming %s at stimulus %d of %d", name, start, self.source.n)
        return start

    def to_store(self, store: ZarrStore) -> None:
        name = self.m.name
        start = self.store_start(store)
        if start is None:
            return
        if store.state(name) is None:
            store.create_model(name, {**self.model_attrs(with_hash=True), "n_done": 0, "complete": 0})
        for pos, batch in self._iterate(start):
            for layer, values in batch.items():
                if not store.has_layer(name, layer):
                    import dask.array as da

                    lazy = da.zeros((self.source.n, values.shape[1]), dtype=np.float32,
                                    chunks=(self.batch_size, values.shape[1]))
                    store.create_layer(name, layer, self._dataset(layer, lazy), chunk_rows=self.batch_size)
                elif store.layer_units(name, layer) != values.shape[1]:
                    raise RuntimeError(f"Layer {layer!r} now has {values.shape[1]} units but the store holds "
                                       f"{store.layer_units(name, layer)}; pass overwrite=True to start again.")
                store.write(name, layer, pos, values)
            end = pos + len(next(iter(batch.values())))
            store.set_progress(name, end, complete=end >= self.source.n)
        logger.info("Extracted %d layers of %s for %d stimuli into %s", len(self.layers), name, self.source.n,
                    store.path)


def _empty(shape) -> np.ndarray:
    """An uninitialised float32 array from torch's allocator (measured much cheaper than np.empty for
    hundreds of MiB: pages come back warm)."""
    import torch

    return torch.empty(shape, dtype=torch.float32).numpy()
