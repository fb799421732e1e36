"""A small results folder written by hand: what build_report reads, without running a study."""
import json

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    import matplotlib.pyplot as plt

    root = tmp_path_factory.mktemp("results")
    (root / "tables").mkdir()
    (root / "figures").mkdir()
    layers = ["conv1", "layer1", "layer2", "layer3"]
    rsa = pd.DataFrame({"model": "resnet18", "layer": layers, "stream": "shared", "analysis": "rsa",
                        "target": "judgments", "metric": "corr", "value": [0.05, 0.12, 0.31, 0.22],
                        "ci_low": [-0.02, 0.04, 0.22, 0.13], "ci_high": [0.12, 0.2, 0.4, 0.31],
                        "p": [0.2, 0.01, 0.0005, 0.001], "n": 16, "n_stimuli": 92,
                        "noise_ceiling_lower": 0.51, "noise_ceiling_upper": 0.62})
    rsa.to_csv(root / "tables" / "rsa.csv", index=False)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(np.arange(4), rsa["value"])
    fig.savefig(root / "figures" / "rsa_judgments.png")
    fig.savefig(root / "figures" / "rsa_judgments.pdf")
    plt.close(fig)
    config = {"study": {"title": "A <b>bold</b> study", "description": "Networks & people.", "authors": ["A. B."],
                        "random_state": 3},
              "stimuli": {"objects": {"dataset": "kriegeskorte92"}},
              "models": {"resnet18": {"model": "resnet18", "weights": "DEFAULT"}}}
    (root / "provenance.json").write_text(json.dumps({"created": "2026-12-04T00:00:00+00:00",
                                                      "versions": {"neurocompare": "0.1.0.dev0"},
                                                      "config": {"resolved_config": config, "device": "cpu"}}))
    (root / "methods.md").write_text("# Methods\n\n## Stimuli\n\n**objects**: 92 images; `code` and *emphasis*.\n\n"
                                     "- one\n- two\n")
    return root
