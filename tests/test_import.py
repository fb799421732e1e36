import json
import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_import_is_light():
    out = _run("import sys, json, neurocompare; "
               "print(json.dumps([m for m in ('torch', 'matplotlib', 'xarray', 'pandas', 'sklearn', 'scipy', "
               "'torchvision', 'dask', 'zarr') if m in sys.modules]))")
    assert json.loads(out) == []


def test_import_time_under_a_second():
    # -X importtime reports the cumulative microseconds of each import; the package line is the last one
    res = subprocess.run([sys.executable, "-X", "importtime", "-c", "import neurocompare"], capture_output=True,
                         text=True, check=True)
    line = [ln for ln in res.stderr.splitlines() if ln.rstrip().endswith("| neurocompare")][-1]
    cumulative_us = int(line.split("|")[1])
    assert cumulative_us < 1_000_000


def test_lazy_submodules_and_version():
    import neurocompare as nc

    assert nc.__version__
    assert callable(nc.extract)
    assert nc.stimuli.make_whatwhere is not None
    assert "models" in dir(nc)
    try:
        nc.does_not_exist
    except AttributeError as err:
        assert "does_not_exist" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
