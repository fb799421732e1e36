"""nc.transfer.run: modes, freezing, representational change, resume, bad input."""
import numpy as np
import pandas as pd
import pytest
import torch


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def source(train_set):
    from neurocompare.models import train

    return train("smallcnn", train_set, epochs=2, options={"image_size": 16, "width": 8}, progress=False)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    from neurocompare.stimuli import make_digits

    full = make_digits(tmp_path_factory.mktemp("digits") / "d", image_size=16)
    return full.subset(list(range(100)))


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_frozen_is_bit_identical_and_finetune_changes(source, digits):
    from neurocompare import transfer

    before = _state(source.module)
    grads = {n: p.requires_grad for n, p in source.module.named_parameters()}
    res = transfer.run(source, digits, modes=("frozen", "finetune"), train_sizes=[40], epochs=2, keep_models=True,
                       progress=False)
    # the caller's model is untouched
    assert all(torch.equal(before[k], v) for k, v in source.module.state_dict().items())
    assert grads == {n: p.requires_grad for n, p in source.module.named_parameters()}
    frozen = res.models[("frozen", "all", 40, 0)].module.state_dict()
    tuned = res.models[("finetune", "none", 40, 0)].module.state_dict()
    backbone = [k for k in before if not k.startswith("fc.")]
    assert any("running_mean" in k for k in backbone) and any("num_batches_tracked" in k for k in backbone)
    for k in backbone:  # parameters AND buffers (batch-norm statistics) bit-identical
        assert torch.equal(frozen[k], before[k]), k
    for k, _ in source.module.named_parameters():
        if not k.startswith("fc."):
            assert not torch.equal(tuned[k], before[k]), k
    assert not torch.equal(tuned["block1.bn.running_mean"], before["block1.bn.running_mean"])
    assert frozen["fc.weight"].shape == (10, 128)  # the new head: one output per digit
    # the trained wrapper carries the source's transform, and the classes of the target
    assert res.models[("frozen", "all", 40, 0)].classes == [str(d) for d in range(10)]


def test_tables_and_representational_change(source, digits):
    from neurocompare import rsa, transfer

    import time

    cpu = time.process_time()
    res = transfer.run(source, digits, train_sizes=[20, 40], epochs=2, progress=False)
    assert time.process_time() - cpu < 30  # a small CPU run takes seconds (about 5 s of CPU time here)
    s = res.scores
    assert set(s["mode"]) == {"frozen", "finetune", "scratch"}
    acc = s[s.metric == "accuracy"]
    assert len(acc) == 6 and acc["n"].eq(20).all()  # 20% of 100 held out for testing
    assert ((acc.ci_low <= acc.value) & (acc.value <= acc.ci_high)).all()
    assert acc["value"].between(0, 1).all() and acc["task"].eq("classification").all()
    h = res.history
    assert set(h["split"]) == {"train", "validation"} and set(h["metric"]) == {"loss", "accuracy"}
    assert sorted(h["epoch"].unique()) == [0, 1, 2]
    c = res.change
    assert list(c.drop_duplicates("layer").layer) == ["block1", "block2", "block3", "block4", "fc1"]
    frozen = c[c["mode"] == "frozen"]
    np.testing.assert_allclose(frozen["value"], 1.0, atol=1e-6)  # nothing moved: CKA and RDM correlation 1
    assert frozen["frozen"].all()
    tuned = c[(c["mode"] == "finetune") & (c.metric == "cka") & (c.n_train == 40)].set_index("layer").value
    assert (tuned < 1 - 1e-6).any() and tuned.between(0, 1 + 1e-9).all()
    assert set(c.loc[c["mode"] == "scratch", "compared_to"]) == {"start", "source"}
    # CKA of a representation with itself is 1
    x = np.random.default_rng(0).normal(size=(30, 12))
    assert rsa.cka(x, x) == pytest.approx(1.0, abs=1e-12)
    summ = res.summary()
    assert set(summ.n_seeds) == {1} and len(summ) == 12


def test_seeded_runs_are_identical_on_cpu(source, digits):
    from neurocompare import transfer

    kw = dict(modes=("finetune",), train_sizes=[30], epochs=1, random_state=[3], device="cpu", progress=False)
    a, b = transfer.run(source, digits, **kw), transfer.run(source, digits, **kw)
    pd.testing.assert_frame_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.history, b.history)
    pd.testing.assert_frame_equal(a.change, b.change)


def test_regression_target_what_to_where(source, train_set):
    from neurocompare import transfer

    res = transfer.run(source, train_set, target="x", modes=("frozen", "finetune"), epochs=2, progress=False)
    s = res.scores[res.scores.metric == "r2"]
    assert res.config["task"] == "regression" and s["task"].eq("regression").all() and len(s) == 2
    assert ((s.ci_low <= s.value) & (s.value <= s.ci_high)).all()
    assert set(res.history.metric) == {"loss", "r2"}
    assert res.config["train_sizes"] == [180 - 36 - 36]


def test_two_stream_source_uses_the_what_head(train_set):
    from neurocompare import models, transfer

    net = models.load("twostreamnet", image_size=16, width=8)
    before = _state(net.module)
    res = transfer.run(net, train_set, target="x", modes=("finetune",), epochs=1, keep_models=True, progress=False)
    assert res.config["head"] == "ventral.fc" and res.config["output_key"] == "what"
    assert "dorsal.block3" not in res.config["layers"] and "ventral.block4" in res.config["layers"]
    tuned = next(iter(res.models.values())).module.state_dict()
    # the dorsal branch does not feed the head: it stays bit-identical even when fine-tuning
    assert all(torch.equal(tuned[k], before[k]) for k in before if k.startswith("dorsal."))
    assert not torch.equal(tuned["ventral.block3.conv.weight"], before["ventral.block3.conv.weight"])


def test_freezing_sweep(source, digits):
    from neurocompare import transfer

    before = _state(source.module)
    res = transfer.sweep_freezing(source, digits, layers=["block1", "block2"], train_sizes=[30], epochs=1,
                                  keep_models=True, progress=False)
    acc = res.scores[res.scores.metric == "accuracy"]
    assert sorted(acc.frozen_depth) == [0, 1, 2]
    assert set(acc.freeze_until) == {"none", "block1", "block2"}
    m1 = res.models[("frozen", "block1", 30, 0)].module.state_dict()
    assert torch.equal(m1["block1.conv.weight"], before["block1.conv.weight"])
    assert torch.equal(m1["block1.bn.running_var"], before["block1.bn.running_var"])
    assert not torch.equal(m1["block2.conv.weight"], before["block2.conv.weight"])
    c = res.change[(res.change["mode"] == "frozen") & (res.change.freeze_until == "block1")]
    assert c.set_index("layer").frozen.to_dict() == {"block1": True, "block2": False}


def test_early_stopping_keeps_the_best_epoch(source, digits):
    from neurocompare import transfer

    res = transfer.run(source, digits, modes=("finetune",), train_sizes=[20], epochs=6, patience=1, lr=0.05,
                       progress=False)
    val = res.history[(res.history.split == "validation") & (res.history.metric == "loss") & (res.history.epoch > 0)]
    best = int(val.loc[val.value.idxmin(), "epoch"])
    assert res.scores["epochs"].iloc[0] == best
    assert val.epoch.max() <= min(6, best + 1)


def test_resume_after_interruption(source, digits, tmp_path, monkeypatch):
    from neurocompare import transfer
    from neurocompare.models import training
    from neurocompare.transfer import _run

    kw = dict(modes=("finetune",), train_sizes=[30], epochs=2, random_state=[0, 1], progress=False)
    ref = transfer.run(source, digits, **kw)
    calls = {"n": 0}
    real = training.recalibrate_batchnorm

    def interrupt(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # seed 1, epoch 2: seed 0 finished, seed 1 half-way
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "recalibrate_batchnorm", interrupt)
    with pytest.raises(KeyboardInterrupt):
        transfer.run(source, digits, out=tmp_path / "exp", **kw)
    assert len(list((tmp_path / "exp" / "runs").glob("*.json"))) == 1
    assert len(list((tmp_path / "exp" / "partial").glob("*.pt"))) == 1
    monkeypatch.setattr(training, "recalibrate_batchnorm", real)
    runs = []
    real_one = _run._one_run
    monkeypatch.setattr(_run, "_one_run", lambda *a, **k: runs.append(k["seed"]) or real_one(*a, **k))
    res = transfer.run(source, digits, out=tmp_path / "exp", **kw)
    assert runs == [1]  # seed 0 loaded; seed 1 resumed from its epoch-1 checkpoint
    pd.testing.assert_frame_equal(res.scores, ref.scores)
    pd.testing.assert_frame_equal(res.history, ref.history)
    pd.testing.assert_frame_equal(res.change, ref.change)
    assert not list((tmp_path / "exp" / "partial").glob("*.pt"))
    for f in ("history.csv", "scores.csv", "summary.csv", "change.csv", "config.json", "provenance.json"):
        assert (tmp_path / "exp" / f).is_file()


def test_bad_input_gets_clear_errors(source, digits, train_set):
    from neurocompare import models, transfer

    one = digits.subset(digits.metadata["category"] == "3")
    with pytest.raises(ValueError, match="single class"):
        transfer.run(source, one, progress=False)
    with pytest.raises(ValueError, match=r"'train_sizes': 500 is larger than the 60 stimuli available"):
        transfer.run(source, digits, train_sizes=[10, 500], progress=False)
    with pytest.raises(KeyError, match=r"freeze_until.*'blok2'.*Close matches: 'block2'"):
        transfer.run(source, digits, freeze_until="blok2", progress=False)
    with pytest.raises(ValueError, match="contains the head 'fc'"):
        transfer.run(source, digits, freeze_until="fc", progress=False)
    with pytest.raises(KeyError, match="factor in 'target'.*'categroy'.*'category'"):
        transfer.run(source, digits, target="categroy", progress=False)
    with pytest.raises(ValueError, match="'modes'.*'fintune'.*Did you mean 'finetune'"):
        transfer.run(source, digits, modes=("fintune",), progress=False)
    with pytest.raises(ValueError, match=r"'random_state'.*list of them.*got None"):
        transfer.run(source, digits, random_state=None, progress=False)
    with pytest.raises(ValueError, match=r"'random_state'.*non-negative ints; got -1"):
        transfer.run(source, digits, random_state=[0, -1], progress=False)

    class Pooled(torch.nn.Module):  # the output is computed after the last layer: no head to find
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return self.conv(x).mean((2, 3))

    wrapped = models.wrap(Pooled(), transform=source.transform)
    with pytest.raises(ValueError, match=r"Cannot find the head.*head="):
        transfer.run(wrapped, digits, progress=False)
    two = models.wrap(models.load("twostreamnet", image_size=16, width=4).module, transform=source.transform)
    with pytest.raises(ValueError, match=r"Cannot tell which head.*'ventral.fc'.*head="):
        transfer.run(two, train_set, progress=False)
    res = transfer.run(two, train_set, head="ventral.fc", modes=("frozen",), epochs=1, train_sizes=[20],
                       progress=False)
    assert res.config["output_key"] == "what"
    with pytest.raises(KeyError, match="head.*'ventral.fcc'"):
        transfer.run(two, train_set, head="ventral.fcc", progress=False)
