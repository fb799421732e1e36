"""The one-stream-against-two experiment: OneStreamNet, its parameter match, stream_experiment and its summary."""
import numpy as np
import pandas as pd
import pytest
import torch

from neurocompare.models import BUILTINS, list_models, load, train
from neurocompare.models._builtin import (OneStreamNet, TwoStreamNet, onestream_n_parameters,
                                          twostream_n_parameters)
from neurocompare.probes._experiment import (RESULT_COLUMNS, SUMMARY_COLUMNS, _train_test, stream_experiment,
                                             summarize_stream_experiment)
from neurocompare.stimuli import StimulusSet

EPOCHS = 3  # the experiment below trains with these settings, so the history test reuses its cached net
OPTIONS = {"image_size": 32, "width": 16}


def _n(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("n_classes, n_where, width, image_size", [
    (8, 3, 16, 64), (6, 3, 16, 32), (6, 3, 8, 32), (2, 1, 4, 32), (8, 3, 32, 64), (100, 3, 8, 16), (8, 3, 8, 8),
])
def test_parameter_counts_match_within_5_percent(n_classes, n_where, width, image_size):
    two = TwoStreamNet(n_classes, n_where, width=width, image_size=image_size)
    one = OneStreamNet(n_classes, n_where, width=width, image_size=image_size)
    assert abs(_n(one) / _n(two) - 1) <= 0.05
    # the closed-form counts used by the width search are exact
    assert twostream_n_parameters(n_classes, n_where, width=width, image_size=image_size) == _n(two)
    assert onestream_n_parameters(one.trunk_width, n_classes, n_where, width=width, image_size=image_size,
                                  where_hidden=one.where_hidden) == _n(one)
    out = one(torch.zeros(2, 3, image_size, image_size))
    assert set(out) == {"what", "where"}
    assert out["what"].shape == (2, n_classes) and out["where"].shape == (2, n_where)


def test_onestreamnet_is_registered_with_its_stream_map():
    assert "onestreamnet" in BUILTINS and "onestreamnet" in set(list_models().name)
    m = load("onestreamnet")
    assert m.family == "classification"
    assert m.config["trunk_width"] == m.module.trunk_width
    assert abs(_n(m.module) / _n(load("twostreamnet").module) - 1) <= 0.05
    for layer in ["block1", "block2", "block3", "block4", "block4.conv"]:
        assert m.streams[layer] == "shared"
    for layer in ["what", "what.pool", "what.flatten", "what.fc"]:
        assert m.streams[layer] == "what"
    for layer in ["where", "where.reduce", "where.reduce.conv", "where.fc1", "where.fc"]:
        assert m.streams[layer] == "where"
    assert {m.streams[layer] for layer in m.default_layers} == {"shared", "what", "where"}
    with pytest.raises(ValueError, match="'image_size'.*multiple of 8"):
        load("onestreamnet", image_size=30)


def test_onestreamnet_trains_like_twostreamnet(train_set, trained_twostream, tmp_path):
    net = train("onestreamnet", train_set, epochs=EPOCHS, options=OPTIONS, progress=False)
    h, h2 = net.history, trained_twostream.history
    assert list(h.columns) == list(h2.columns)
    assert set(zip(h.split, h.metric)) == set(zip(h2.split, h2.metric))
    assert set(h.model) == {"onestreamnet"} and h.epoch.max() == EPOCHS
    assert net.config["where_targets"] == ["x", "y", "size"] and len(net.config["where_std"]) == 3
    assert net.classes == trained_twostream.classes
    from neurocompare.models import save

    again = load("onestreamnet", weights=save(net, tmp_path / "one.pt"))
    assert torch.equal(again.module.where.fc.weight, net.module.where.fc.weight)
    assert again.config["where_mean"] == net.config["where_mean"]


@pytest.fixture(scope="module")
def experiment(train_set, test_set):
    return stream_experiment(train_set, test_stimuli=test_set, n_seeds=2, epochs=EPOCHS, criterion=0.3,
                             image_size=32, width=16, probe_cv=3, progress=False)


def test_stream_experiment_table(experiment, test_set):
    df = experiment
    assert list(df.columns) == RESULT_COLUMNS
    assert set(df.analysis) == {"stream_experiment"} and set(df.test_set) == {"given"}
    assert set(df.architecture) == {"one-stream", "two-stream"} and set(df.seed) == {0, 1}
    metrics = {"what_accuracy", "where_r2", "where_r2_x", "where_r2_y", "where_r2_size", "epochs_to_criterion",
               "reached_criterion", "cross_what_from_where", "cross_where_from_what", "probe_what_from_what",
               "probe_where_from_where"}
    assert set(df.metric) == metrics
    assert len(df) == 2 * 2 * len(metrics) and not df.duplicated(["architecture", "seed", "metric"]).any()
    assert (df.n == len(test_set)).all()
    wide = df.pivot_table(index=["architecture", "seed"], columns="metric", values="value", dropna=False)
    rest = wide.drop(columns="epochs_to_criterion")
    assert np.isfinite(rest.to_numpy()).all()
    assert ((wide.what_accuracy >= 0) & (wide.what_accuracy <= 1)).all()
    assert np.allclose(wide.where_r2, wide[["where_r2_x", "where_r2_y", "where_r2_size"]].mean(axis=1))
    # epochs to criterion: an epoch of training where reached, NaN otherwise
    reached = wide.reached_criterion == 1
    assert wide.epochs_to_criterion[reached].between(1, EPOCHS).all()
    assert wide.epochs_to_criterion[~reached].isna().all()
    n_par = df.groupby("architecture").n_parameters.unique()
    assert all(len(v) == 1 for v in n_par)
    assert abs(n_par["one-stream"][0] / n_par["two-stream"][0] - 1) <= 0.05


def test_stream_experiment_summary(experiment):
    s = summarize_stream_experiment(experiment)
    assert list(s.columns) == SUMMARY_COLUMNS
    assert set(s.architecture) == {"one-stream", "two-stream", "two-stream - one-stream"}
    acc = s[s.metric == "what_accuracy"].set_index("architecture")
    raw = experiment[experiment.metric == "what_accuracy"].set_index(["architecture", "seed"]).value
    assert acc.loc["one-stream", "mean"] == pytest.approx(raw["one-stream"].mean())
    assert acc.loc["two-stream", "n"] == 2
    diff = raw["two-stream"] - raw["one-stream"]
    assert acc.loc["two-stream - one-stream", "mean"] == pytest.approx(diff.mean())
    p = acc.loc["two-stream - one-stream", "p"]
    assert np.isnan(p) or 0 <= p <= 1


def test_summary_paired_t_test_and_missing_values():
    from scipy import stats

    one, two = [0.5, 0.6, 0.7], [0.6, 0.8, 0.75]
    rows = [{"architecture": a, "seed": s, "metric": "what_accuracy", "value": v}
            for a, vals in (("one-stream", one), ("two-stream", two)) for s, v in enumerate(vals)]
    rows += [{"architecture": "one-stream", "seed": s, "metric": "epochs_to_criterion", "value": v}
             for s, v in enumerate([4.0, np.nan, 6.0])]
    rows += [{"architecture": "two-stream", "seed": s, "metric": "epochs_to_criterion", "value": v}
             for s, v in enumerate([3.0, 2.0, np.nan])]
    s = summarize_stream_experiment(pd.DataFrame(rows)).set_index(["metric", "architecture"])
    d = s.loc[("what_accuracy", "two-stream - one-stream")]
    ref = stats.ttest_rel(two, one)
    assert d.t == pytest.approx(ref.statistic) and d.p == pytest.approx(ref.pvalue)
    assert d["sd"] == pytest.approx(np.std(np.subtract(two, one), ddof=1))
    assert s.loc[("epochs_to_criterion", "one-stream"), "n"] == 2
    assert s.loc[("epochs_to_criterion", "two-stream - one-stream"), "n"] == 1  # one complete pair
    assert np.isnan(s.loc[("epochs_to_criterion", "two-stream - one-stream"), "p"])


def test_default_test_set(train_set, tmp_path):
    # generated with the training set's generator parameters and the next seed
    tr, te, label = _train_test(train_set, None, 0)
    assert tr is train_set and label == "generated (random_state=2)"
    assert len(te) == len(train_set) and set(te.metadata.category) == set(train_set.metadata.category)
    assert not set(zip(te.metadata.x, te.metadata.y)) & set(zip(tr.metadata.x, tr.metadata.y))
    # no generator record: a stratified 25% hold-out, and training on the rest only
    bare = StimulusSet(tmp_path, train_set.metadata.reset_index())
    tr, te, label = _train_test(bare, None, 0)
    assert label == "held out (25%)" and len(te) == 45 and len(tr) == 135
    assert not set(tr.ids) & set(te.ids)
    assert te.metadata.category.value_counts().between(7, 8).all()  # stratified


@pytest.mark.parametrize("kwargs, match", [
    ({"n_seeds": 0}, "'n_seeds'.*>= 1; got 0"),
    ({"criterion": 0}, r"'criterion'.*\(0, 1\]; got 0"),
    ({"criterion": 1.5}, r"'criterion'.*\(0, 1\]; got 1.5"),
    ({"epochs": 0}, "'epochs'.*>= 1; got 0"),
    ({"image_size": 30}, "'image_size'.*multiple of 8; got 30"),
    ({"probe_cv": 1}, "'probe_cv'.*>= 2; got 1"),
    ({"probe_cv": 6}, "'probe_cv'.*6 folds.*5"),
    ({"reduce": "max"}, "'reduce'"),
    ({"random_state": -1}, "'random_state'"),
])
def test_bad_input_names_the_parameter(train_set, test_set, kwargs, match):
    with pytest.raises(ValueError, match=match):
        stream_experiment(train_set, test_stimuli=test_set, progress=False, **kwargs)


def test_bad_stimuli(train_set, test_set, tmp_path):
    with pytest.raises(TypeError, match="'stimuli'.*StimulusSet; got list"):
        stream_experiment([1, 2], progress=False)
    no_where = StimulusSet(tmp_path, train_set.metadata.reset_index().drop(columns=["size"]))
    with pytest.raises(ValueError, match=r"'stimuli'.*missing \['size'\]"):
        stream_experiment(no_where, progress=False)
    fewer = train_set.subset(train_set.metadata.category != "circle")
    with pytest.raises(ValueError, match=r"'test_stimuli'.*\['circle'\]"):
        stream_experiment(fewer, test_stimuli=test_set, progress=False)
    with pytest.raises(TypeError, match="'df'"):
        summarize_stream_experiment([1])
    with pytest.raises(ValueError, match=r"'df'.*missing \['seed'"):
        summarize_stream_experiment(pd.DataFrame({"architecture": ["one-stream"], "metric": ["a"], "value": [1]}))
