"""Extraction on a dask.distributed cluster: stimuli sharded into whole batches, each worker writing its rows.

The client keeps the store's bookkeeping (settings hash, ``n_done``, ``complete``, the lock
file), exactly as a local run does, so a store started here resumes anywhere and vice versa.
Workers only fill rows: shards are whole batches, and the zarr chunks are one batch tall, so no
two workers ever write the same chunk.
"""
from __future__ import annotations

import threading
import uuid

from .._utils.logging import logger
from .._utils.progress import progress_bar
from ..models.batches import prepared
from ._store import write_rows

SHARDS_PER_WORKER = 4
#: one shard at a time per worker process: the tasks share the worker's copy of the model (and its hooks)
_MODEL_LOCK = threading.Lock()


def _worker_run(wrapper, source, opts):
    from .._utils.device import resolve_device

    dev = resolve_device(opts["device"])
    return opts["run_type"](wrapper, opts["layers"], source, kind=opts["kind"], k=opts["k"], batch_size=opts["batch_size"],
                device=dev, random_state=opts["random_state"], num_workers=opts["num_workers"],
                amp=opts["amp"] and dev.type == "cuda", progress=False)


def layout_task(wrapper, source, opts) -> dict:
    """On a worker: one stimulus through the model, for each layer's unit coordinates and width."""
    with _MODEL_LOCK:
        run = _worker_run(wrapper, source, opts)
        with prepared(run.m.module, run.device), run.recorder:
            pos, inputs = next(iter(source.batches(run.m, 1, 0, 0)))
            run._forward(pos, inputs)
            units = {layer: int(run._finalise(layer, f).shape[1]) for layer, f in run._batch_features(1).items()}
        return {"unit_coords": run.unit_coords, "shapes": run.shapes, "units": units, "device": run.device.type}


def shard_task(wrapper, source, opts, path, lo: int, hi: int) -> tuple[int, int]:
    """On a worker: stimuli ``lo:hi`` (whole batches) through the model, written into the store."""
    with _MODEL_LOCK:
        run = _worker_run(wrapper, source, opts)
        for pos, batch in run._iterate(lo, stop=hi):
            for layer, values in batch.items():
                write_rows(path, run.m.name, layer, pos, values)
    return lo, hi


def shards(start: int, n: int, batch_size: int, n_workers: int) -> list[tuple[int, int]]:
    """Contiguous ``(lo, hi)`` ranges of whole batches covering ``start:n``, about SHARDS_PER_WORKER per worker."""
    n_batches = -(-(n - start) // batch_size)
    if n_batches <= 0:
        return []
    per = max(1, -(-n_batches // (SHARDS_PER_WORKER * n_workers)))
    out = []
    for b in range(0, n_batches, per):
        lo = start + b * batch_size
        out.append((lo, min(n, lo + per * batch_size)))
    return out


def to_store(client, run, store, opts, *, progress: bool) -> None:
    """One model's extraction into ``store`` on the cluster behind ``client``."""
    import dask.array as da
    import numpy as np
    import torch
    from distributed import as_completed

    from .._utils.scheduler import worker_count

    name, n = run.m.name, run.source.n
    opts = {**opts, "run_type": type(run)}   # the extraction's own class (imported by reference on the workers)
    start = run.store_start(store)
    if start is None:
        return
    wrapper_f = client.scatter(run.m, broadcast=True, hash=False)
    source_f = client.scatter(run.source, broadcast=True, hash=False)
    token = uuid.uuid4().hex[:8]
    layout = client.submit(layout_task, wrapper_f, source_f, opts, key=f"neurocompare-layout-{name}-{token}").result()
    run.unit_coords, run.shapes = layout["unit_coords"], layout["shapes"]
    run.device = torch.device(layout["device"])
    if store.state(name) is None:
        store.create_model(name, {**run.model_attrs(with_hash=True), "n_done": 0, "complete": 0})
    for layer in run.layers:
        units = layout["units"][layer]
        if not store.has_layer(name, layer):
            lazy = da.zeros((n, units), dtype=np.float32, chunks=(run.batch_size, units))
            store.create_layer(name, layer, run._dataset(layer, lazy), chunk_rows=run.batch_size)
        elif store.layer_units(name, layer) != units:
            raise RuntimeError(f"Layer {layer!r} now has {units} units but the store holds "
                               f"{store.layer_units(name, layer)}; pass overwrite=True to start again.")
    parts = shards(start, n, run.batch_size, worker_count(client))
    futures = [client.submit(shard_task, wrapper_f, source_f, opts, str(store.path.resolve()), lo, hi,
                             key=f"neurocompare-extract-{name}-{lo}-{token}") for lo, hi in parts]
    ends = {lo: hi for lo, hi in parts}
    done, frontier = set(), start
    try:
        with progress_bar(n - start, f"{name}: extracting on {worker_count(client)} dask workers",
                          enable=progress) as advance:
            for fut in as_completed(futures):
                lo, hi = fut.result()
                done.add(lo)
                while frontier in done:    # n_done: the finished prefix, as a local run records it
                    frontier = ends[frontier]
                store.set_progress(name, frontier, complete=frontier >= n)
                advance(hi - lo)
    finally:
        client.cancel(futures + [wrapper_f, source_f])
    logger.info("Extracted %d layers of %s for %d stimuli into %s on %d dask workers", len(run.layers), name, n,
                store.path, worker_count(client))
