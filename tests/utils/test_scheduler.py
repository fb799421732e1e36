"""scheduler=: the accepted forms, and clear errors for the others (an in-process cluster: fast)."""
from __future__ import annotations

import socket
import sys

import pytest

from neurocompare._utils import scheduler as sched


@pytest.fixture(scope="module")
def inproc():
    distributed = pytest.importorskip("distributed")

    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_none_runs_here():
    assert sched.resolve_scheduler(None) == (None, False)


@pytest.mark.parametrize("bad", ["lcoal", "my cluster", "tcp://", ""])
def test_a_string_that_is_neither_local_nor_an_address_is_refused(bad):
    with pytest.raises(ValueError, match=r"Invalid value for 'scheduler': expected None .*'local'.*'tcp://host:8786'"
                                         r".*distributed.Client; got"):
        sched.resolve_scheduler(bad)


def test_another_type_is_refused():
    with pytest.raises(TypeError, match="Invalid value for 'scheduler'.*got int"):
        sched.check_scheduler(8786)


@pytest.mark.parametrize("text, ok", [("tcp://10.0.0.1:8786", True), ("node12:8786", True), ("tls://h:1", True),
                                      ("local", False), ("node12", False), ("tcp://a b:1", False)])
def test_what_reads_as_an_address(text, ok):
    assert sched.is_address(text) is ok


def test_an_unreachable_address_is_named_with_how_to_start_a_scheduler(monkeypatch):
    pytest.importorskip("distributed")
    with socket.socket() as s:   # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(sched, "CONNECT_TIMEOUT", 1.0)
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(ConnectionError, match=rf"no dask scheduler answered at '{address}' within 1 s.*`dask scheduler`"
                                              rf".*`dask worker {address}`"):
        sched.resolve_scheduler(address)


def test_missing_distributed_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "neurocompare\[dask\]"'):
        sched.resolve_scheduler("local")


def test_a_client_is_used_as_given_and_not_closed(inproc):
    client, owned = sched.resolve_scheduler(inproc, progress=False)
    assert client is inproc and owned is False
    with sched.using_scheduler(inproc, progress=False) as c:
        assert c is inproc
    assert inproc.status == "running"


def test_workers_with_another_version_are_named(inproc, monkeypatch):
    import neurocompare

    sched.check_workers(inproc)   # the same version: accepted
    worker = next(iter(inproc.scheduler_info()["workers"]))
    # an in-process worker shares this process's modules, so its "other version" is this one's
    monkeypatch.setattr(neurocompare, "__version__", "9.9.9")
    real = inproc.run
    monkeypatch.setattr(inproc, "run", lambda fn, *a, **k: {w: "0.0.1" for w in real(fn, *a, **k)})
    with pytest.raises(RuntimeError, match=rf"of the 1 dask workers, 1 run another version \({worker}: 0.0.1\); "
                                           r"this process runs neurocompare 9.9.9"):
        sched.check_workers(inproc)
    monkeypatch.setattr(inproc, "run", lambda fn, *a, **k: {w: None for w in real(fn, *a, **k)})
    with pytest.raises(RuntimeError, match=rf"1 have no neurocompare \({worker}\)"):
        sched.check_workers(inproc)


def test_a_relative_store_on_a_remote_cluster_is_refused(inproc, monkeypatch, tmp_path):
    monkeypatch.setattr(sched, "is_remote", lambda client: True)
    with pytest.raises(ValueError, match="Invalid value for 'out': 'acts.zarr' is a relative path, but some dask "
                                         "workers run on other machines"):
        sched.check_reachable(inproc, "acts.zarr")
    sched.check_reachable(inproc, tmp_path)   # absolute and visible: accepted


def test_a_store_the_workers_cannot_see_is_refused(inproc, tmp_path):
    with pytest.raises(ValueError, match=r"is not visible to 1 of the 1 dask workers"):
        sched.check_reachable(inproc, tmp_path / "nowhere")


def test_local_workers_are_not_remote(inproc):
    assert sched.is_remote(inproc) is False
