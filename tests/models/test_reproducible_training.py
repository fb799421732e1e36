"""Training gives the same weights whatever the caller's torch thread count (fixed threads, deterministic ops)."""
from __future__ import annotations

import pytest
import torch

from neurocompare.models import train
from neurocompare.models.training import _plan, state_hash


def _train(stimuli, key="twostreamnet"):
    return train(key, stimuli, epochs=3, options={"image_size": 32}, cache=False, progress=False)


@pytest.fixture
def threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_same_weights_whatever_the_callers_thread_count(train_set, threads):
    torch.set_num_threads(1)
    one = _train(train_set)
    torch.set_num_threads(2)
    two = _train(train_set)
    assert torch.get_num_threads() == 2  # the caller's setting is restored
    assert not torch.are_deterministic_algorithms_enabled()
    assert state_hash(one.module, length=None) == state_hash(two.module, length=None)
    assert one.history.equals(two.history)


def test_other_training_threads_are_another_cache_entry(train_set, monkeypatch):
    kw = dict(epochs=3, lr=None, batch_size=None, val_fraction=0.2, weight_decay=0.0, random_state=0, options=None)
    default = _plan("smallcnn", train_set, **kw)["path"]
    monkeypatch.setenv("NEUROCOMPARE_TRAIN_THREADS", "1")
    assert _plan("smallcnn", train_set, **kw)["path"] == default
    monkeypatch.setenv("NEUROCOMPARE_TRAIN_THREADS", "4")
    assert _plan("smallcnn", train_set, **kw)["path"] != default


@pytest.mark.parametrize("raw", ["0", "two", "-1"])
def test_bad_thread_setting_names_the_variable(train_set, monkeypatch, raw):
    monkeypatch.setenv("NEUROCOMPARE_TRAIN_THREADS", raw)
    with pytest.raises(ValueError, match=r"NEUROCOMPARE_TRAIN_THREADS.*positive int.*" + repr(raw)):
        _train(train_set, "smallcnn")
