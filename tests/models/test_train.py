import pandas as pd
import pytest
import torch

from neurocompare.models import load, save, train


def _final(history, split, metric):
    h = history[(history.split == split) & (history.metric == metric)]
    return h[h.epoch == h.epoch.max()].value.iloc[0]


def test_twostream_learns_what_and_where(trained_twostream):
    h = trained_twostream.history
    assert list(h.columns) == ["model", "epoch", "split", "metric", "value"]
    assert set(h.metric) == {"loss", "accuracy", "where_mse"}
    # 6 categories: chance is 1/6; standardised where targets: chance MSE is about 1
    assert _final(h, "validation", "accuracy") > 0.5
    assert _final(h, "validation", "where_mse") < 0.6
    assert trained_twostream.classes == sorted(trained_twostream.classes) and len(trained_twostream.classes) == 6
    assert len(trained_twostream.config["where_mean"]) == 3


def test_unet_learns_masks(trained_unet):
    assert _final(trained_unet.history, "validation", "mask_iou") > 0.8


def test_training_is_cached_and_deterministic(train_set, monkeypatch):
    import neurocompare.models.training as tr

    a = train("smallcnn", train_set, epochs=2, options={"image_size": 32}, progress=False)
    calls = []
    monkeypatch.setattr(tr, "_fit", lambda *args, **kw: calls.append(1))
    b = train("smallcnn", train_set, epochs=2, options={"image_size": 32}, progress=False)
    assert not calls, "second call must load from the cache"
    for (k, v), w in zip(a.module.state_dict().items(), b.module.state_dict().values()):
        assert torch.equal(v, w), k
    pd.testing.assert_frame_equal(a.history, b.history)
    monkeypatch.undo()
    c = train("smallcnn", train_set, epochs=2, options={"image_size": 32}, progress=False, cache=False)
    assert torch.equal(a.module.fc.weight, c.module.fc.weight)


def test_training_from_a_wrapper_leaves_it_alone(train_set):
    start = load("smallcnn", n_classes=6, image_size=32)
    before = {k: v.clone() for k, v in start.module.state_dict().items()}
    trained = train(start, train_set, epochs=1, progress=False, cache=False)
    assert all(torch.equal(before[k], v) for k, v in start.module.state_dict().items())
    assert not torch.equal(trained.module.fc.weight, start.module.fc.weight)
    with pytest.raises(ValueError, match="8 output classes.*6 categories"):
        train(load("smallcnn"), train_set, epochs=1, progress=False)


def test_save_and_load_checkpoint(trained_twostream, tmp_path):
    path = save(trained_twostream, tmp_path / "ts.pt")
    again = load("twostreamnet", weights=path)
    assert again.classes == trained_twostream.classes
    assert again.config["where_std"] == trained_twostream.config["where_std"]
    assert torch.equal(again.module.dorsal.fc.weight, trained_twostream.module.dorsal.fc.weight)
    assert isinstance(again.history, pd.DataFrame)
    raw = torch.load(path, weights_only=True)
    assert set(raw) == {"state_dict", "neurocompare"}
    with pytest.raises(ValueError, match="holds a 'twostreamnet', not a 'unet'"):
        load("unet", weights=path)
    with pytest.raises(ValueError, match="contradict"):
        load("twostreamnet", weights=path, width=8)


def test_bad_training_input(train_set, small_set, tmp_path):
    with pytest.raises(ValueError, match="'model'.*'resnet18'"):
        train("resnet18", train_set)
    with pytest.raises(TypeError, match="StimulusSet"):
        train("smallcnn", "folder")
    one = small_set.subset(small_set.metadata.category == "circle")
    with pytest.raises(ValueError, match="single value"):
        train("smallcnn", one)
    no_masks = small_set.subset(range(len(small_set)))
    no_masks.metadata = no_masks.metadata.drop(columns="mask_file")
    with pytest.raises(ValueError, match="needs masks"):
        train("unet", no_masks)
    with pytest.raises(ValueError, match="'epochs'"):
        train("smallcnn", small_set, epochs=0)


def test_the_dcgan_is_trained_by_generation(train_set):
    with pytest.raises(ValueError, match=r"does not train the DCGAN; use neurocompare\.generation\.train_gan"):
        train("dcgan", train_set)
    with pytest.raises(ValueError, match="train_gan"):
        train(load("dcgan", image_size=16, latent_dim=8, width=8), train_set)


def test_whatwhere_weights_load_from_the_cache_and_never_train_silently(monkeypatch):
    import neurocompare.models.training as tr

    opts = {"image_size": 16, "width": 4}
    calls = []
    real_fit = tr._fit
    monkeypatch.setattr(tr, "_fit", lambda *a, **kw: calls.append(1) or real_fit(*a, **kw))
    with pytest.raises(FileNotFoundError) as err:
        load("smallcnn", weights="whatwhere", **opts)
    msg = str(err.value)
    assert "nc.models.train('smallcnn', nc.stimuli.make_from_spec('whatwhere-default'), options=" in msg
    assert "train_if_missing=True" in msg and "neurocompare models train smallcnn" in msg
    assert not calls
    # the call the message gives fills the cache that load reads
    from neurocompare.stimuli import make_from_spec

    trained = train("smallcnn", make_from_spec("whatwhere-default"), options=opts, progress=False)
    assert calls == [1]
    again = load("smallcnn", weights="whatwhere", **opts)
    assert calls == [1] and again.classes == trained.classes
    assert torch.equal(again.module.fc.weight, trained.module.fc.weight)
    # train_if_missing=True trains what is not cached (here: another seed), and caches it
    other = load("smallcnn", weights="whatwhere", random_state=1, train_if_missing=True, **opts)
    assert calls == [1, 1] and not torch.equal(other.module.fc.weight, trained.module.fc.weight)
    with pytest.raises(ValueError, match="generation.train_gan"):
        load("dcgan", weights="whatwhere")
