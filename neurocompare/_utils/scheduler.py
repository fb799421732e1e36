"""``scheduler=``: where the work runs. ``None`` here, or a dask.distributed cluster (imported lazily)."""
from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import socket
import sys

from .logging import logger

CONNECT_TIMEOUT = 10.0     # seconds to reach a scheduler address
WORKER_TIMEOUT = 10.0      # seconds to wait for a first worker at an address
PIP_HINT = 'pip install "neurocompare[dask]"'
_ADDRESS = re.compile(r"^(?:(tcp|tls|ucx|ws|wss|inproc)://)?[^\s/:]+(?::\d+)?$")
_ACCEPTED = ("None (run here), 'local' (a LocalCluster on this machine), a scheduler address such as "
             "'tcp://host:8786', or a distributed.Client")


def _distributed():
    try:
        import distributed
    except ImportError as err:
        raise ImportError("scheduler= runs on dask.distributed, which is not installed. Install it with: "
                          f"{PIP_HINT}") from err
    return distributed


def is_address(text: str) -> bool:
    """Whether ``text`` reads as a scheduler address (``tcp://host:port``, ``host:port``)."""
    return bool(_ADDRESS.match(text)) and ("://" in text or ":" in text)


def check_scheduler(scheduler, *, param: str = "scheduler"):
    """Refuse a ``scheduler=`` value of the wrong form, without connecting to anything."""
    if scheduler is None:
        return None
    if isinstance(scheduler, str):
        if scheduler.strip() != "local" and not is_address(scheduler.strip()):
            raise ValueError(f"Invalid value for {param!r}: expected {_ACCEPTED}; got {scheduler!r}.")
        return scheduler
    if type(scheduler).__name__ != "Client" or not type(scheduler).__module__.startswith("distributed"):
        raise TypeError(f"Invalid value for {param!r}: expected {_ACCEPTED}; got {type(scheduler).__name__}.")
    return scheduler


def resolve_scheduler(scheduler, *, param: str = "scheduler", progress: bool = True):
    """A ``(client, owned)`` pair for a ``scheduler=`` value: ``(None, False)`` for ``None``.

    ``"local"`` starts a ``distributed.LocalCluster`` sized to this machine (worker
    processes, one thread each); an address connects to a running scheduler (refusing,
    with how to start one, when it cannot be reached); a ``distributed.Client`` is used
    as it is. ``owned`` says whether the caller must close the client. Workers must run
    neurocompare at this version. The dashboard address is logged (and written to stderr
    with ``progress``).
    """
    check_scheduler(scheduler, param=param)
    if scheduler is None:
        return None, False
    if isinstance(scheduler, str):
        text = scheduler.strip()
        distributed = _distributed()
        if text == "local":
            n = os.cpu_count() or 1
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                               dashboard_address=":0")
            client = distributed.Client(cluster)
        else:
            client = _connect(distributed, text, param)
        owned = True
    else:
        client, owned = scheduler, False
    try:
        check_workers(client, param=param)
    except BaseException:
        if owned:
            close(client)
        raise
    link = getattr(client, "dashboard_link", None)
    if link:
        logger.info("dask dashboard: %s", link)
        if progress:
            print(f"dask dashboard: {link}", file=sys.stderr, flush=True)
    return client, owned


def _connect(distributed, address: str, param: str):
    how = (f"Start one with `dask scheduler` on the scheduler machine and `dask worker {address}` on each worker "
           "machine (one per GPU), or pass scheduler='local' for a cluster on this machine.")
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as err:
        raise ConnectionError(f"Invalid value for {param!r}: no dask scheduler answered at {address!r} within "
                              f"{CONNECT_TIMEOUT:g} s ({type(err).__name__}). {how}") from None
    try:
        client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
    except (OSError, TimeoutError):
        close(client)
        raise RuntimeError(f"Invalid value for {param!r}: the dask scheduler at {address!r} has no workers (waited "
                           f"{WORKER_TIMEOUT:g} s). Start them with `dask worker {address}` on each worker machine."
                           ) from None
    return client


def check_workers(client, *, param: str = "scheduler") -> None:
    """Refuse workers that lack neurocompare or run another version of it, naming them."""
    def version():  # defined here so that it travels by value to workers without neurocompare
        import importlib

        try:
            return importlib.import_module("neurocompare").__version__
        except ImportError:
            return None

    __version__ = version()   # this process's, read the way the workers read theirs
    found = client.run(version)
    if not found:
        raise RuntimeError(f"Invalid value for {param!r}: the cluster has no workers.")
    bad = {w: v for w, v in found.items() if v != __version__}
    if bad:
        missing = sorted(w for w, v in bad.items() if v is None)
        other = {w: v for w, v in sorted(bad.items()) if v is not None}
        parts = []
        if missing:
            parts.append(f"{len(missing)} have no neurocompare ({', '.join(missing[:5])})")
        if other:
            parts.append(f"{len(other)} run another version ({', '.join(f'{w}: {v}' for w, v in list(other.items())[:5])})")
        raise RuntimeError(f"Invalid value for {param!r}: of the {len(found)} dask workers, {'; '.join(parts)}; "
                           f"this process runs neurocompare {__version__}. Install the same version in the workers' "
                           "environment and restart them.")


def close(client) -> None:
    """Close a client and, where this process started it, its cluster."""
    cluster = getattr(client, "cluster", None)
    with contextlib.suppress(Exception):
        client.close()
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close()


@contextlib.contextmanager
def using_scheduler(scheduler, *, param: str = "scheduler", progress: bool = True):
    """Yield the client for ``scheduler`` (None for local work); close it after if this call opened it."""
    client, owned = resolve_scheduler(scheduler, param=param, progress=progress)
    try:
        yield client
    finally:
        if owned:
            close(client)


def _local_hosts() -> set[str]:
    hosts = {"localhost", socket.gethostname(), socket.getfqdn()}
    with contextlib.suppress(OSError):
        hosts.update(socket.gethostbyname_ex(socket.gethostname())[2])
    return hosts


def is_remote(client) -> bool:
    """Whether any worker runs on another machine than this process."""
    local = _local_hosts()
    for addr in client.scheduler_info().get("workers", {}):
        if addr.startswith("inproc://"):   # threads of this process
            continue
        host = addr.split("://")[-1].rsplit(":", 1)[0].strip("[]")
        try:
            if ipaddress.ip_address(host).is_loopback:
                continue
        except ValueError:
            pass
        if host not in local:
            return True
    return False


def worker_count(client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def check_reachable(client, path, *, param: str = "out") -> None:
    """Refuse a store that the workers cannot see: a relative path on a remote cluster, or a folder they lack."""
    from pathlib import Path

    path = Path(path)
    if not path.is_absolute() and is_remote(client):
        raise ValueError(f"Invalid value for {param!r}: {str(path)!r} is a relative path, but some dask workers run "
                         "on other machines, where it would name another folder. Pass an absolute path on storage "
                         "that every worker mounts at the same place (a shared file system).")
    target = str(path.resolve())
    seen = client.run(os.path.isdir, target)
    blind = sorted(w for w, ok in seen.items() if not ok)
    if blind:
        raise ValueError(f"Invalid value for {param!r}: {target!r} is not visible to {len(blind)} of the {len(seen)} "
                         f"dask workers ({', '.join(blind[:5])}). Put the store on storage that every worker mounts at "
                         "the same path.")
