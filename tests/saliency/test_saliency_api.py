"""The flat public API of neurocompare.saliency, which stands apart from the CAM code."""
import subprocess
import sys

import neurocompare as nc


def test_flat_api_and_metric_names():
    assert nc.saliency.METRICS == ("nss", "auc_judd", "auc_borji", "sauc", "cc", "sim", "kl", "ig")
    assert all(callable(getattr(nc.saliency, m)) for m in nc.saliency.METRICS)
    assert set(nc.saliency.__all__) <= set(dir(nc.saliency))
    assert "saliency" in dir(nc)
    # nothing of it is left in cam
    gone = ("metrics", "compare_to_fixations", "fixation_map", "fixation_density", "load_salicon_fixations",
            "load_mit1003_fixations", "load_mit1003_density", "read_saliency_map", "make_center_bias")
    assert not [name for name in gone if hasattr(nc.cam, name)]


def test_importing_saliency_loads_no_cam_code_and_nothing_heavy():
    code = ("import sys, neurocompare.saliency; "
            "print(sorted(m for m in sys.modules if m.startswith('neurocompare.cam') "
            "or m in ('torch', 'matplotlib', 'xarray', 'pandas', 'scipy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
