import urllib.error

import pytest
import torch

import neurocompare as nc
from neurocompare.models import BUILTINS, CLASSIFIERS, DETECTORS, SEGMENTERS, WeightsDownloadError, list_models, load


def test_list_models_covers_the_zoo():
    table = list_models()
    assert {"name", "family", "source", "description"} <= set(table.columns)
    for name in CLASSIFIERS + SEGMENTERS + DETECTORS + BUILTINS:
        assert name in set(table.name)
    assert set(table.family) == {"classification", "segmentation", "detection", "gan"}


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifiers_load_with_streams_and_transform(name, small_set):
    m = load(name)
    assert m.family == "classification" and m.name == name
    assert set(m.streams.values()) == {"shared"}
    assert m.default_layers and all(layer in m.layers for layer in m.default_layers)
    x = m.transform(small_set.load_image(0))
    assert tuple(x.shape) == (3, 224, 224)
    assert m.classes is not None and len(m.classes) == 1000
    assert "random init" in m.weights


def test_random_init_is_seeded_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a, b, c = load("resnet18", random_state=1), load("resnet18", random_state=1), load("resnet18", random_state=2)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(a.module.conv1.weight, b.module.conv1.weight)
    assert not torch.equal(a.module.conv1.weight, c.module.conv1.weight)


@pytest.mark.parametrize("name, where, what", [
    ("fcn_resnet50", ["classifier", "classifier.4"], ["classifier.0", "classifier.2"]),
    ("deeplabv3_resnet50", ["classifier.4"], ["classifier.0", "classifier.3"]),
    ("lraspp_mobilenet_v3_large", ["classifier.low_classifier", "classifier.high_classifier"], ["classifier.cbr"]),
])
def test_segmentation_stream_maps(name, where, what):
    m = load(name, resize_size=64)
    assert m.family == "segmentation"
    for layer in where:
        assert m.streams[layer] == "where"
    for layer in what:
        assert m.streams[layer] == "what"
    assert all(s == "shared" for n, s in m.streams.items() if n.startswith("backbone"))
    assert m.transform.resize_size == [64]


@pytest.mark.parametrize("name, extra_where", [
    ("fasterrcnn_resnet50_fpn", []),
    ("maskrcnn_resnet50_fpn", ["roi_heads.mask_head", "roi_heads.mask_predictor"]),
    ("keypointrcnn_resnet50_fpn", ["roi_heads.keypoint_head", "roi_heads.keypoint_predictor"]),
])
def test_detection_stream_maps(name, extra_where):
    m = load(name, min_size=96, max_size=96)
    assert m.family == "detection" and m.input_kind == "list"
    assert m.module.transform.min_size == (96,)
    s = m.streams
    for layer in ["backbone.body.layer1", "backbone.fpn", "roi_heads.box_head.fc6", "roi_heads.box_head.fc7"]:
        assert s[layer] == "shared"
    assert s["roi_heads.box_predictor.cls_score"] == "what"
    for layer in ["rpn.head.cls_logits", "rpn.head.bbox_pred", "roi_heads.box_predictor.bbox_pred", *extra_where]:
        assert s[layer] == "where"
    for hidden in ["transform", "rpn", "roi_heads", "rpn.anchor_generator"]:
        assert hidden not in s
    assert m.classes[1] == "person"


@pytest.mark.parametrize("name, family, streams", [
    ("smallcnn", "classification", {"block1": "shared", "fc": "shared"}),
    ("twostreamnet", "classification", {"block2": "shared", "ventral.fc": "what", "dorsal.fc": "where"}),
    ("unet", "segmentation", {"enc1": "shared", "bottleneck": "shared", "classifier.fc": "what", "dec1": "where",
                              "head": "where"}),
    ("dcgan", "gan", {"generator.net.project": "shared", "discriminator.net.logit": "shared"}),
])
def test_builtin_stream_maps(name, family, streams):
    m = load(name)
    assert m.family == family
    for layer, stream in streams.items():
        assert m.streams[layer] == stream
    assert m.default_layers


def test_builtin_options_are_checked():
    assert load("smallcnn", n_classes=3).module.fc.out_features == 3
    with pytest.raises(TypeError, match="Unknown option.*'depth'"):
        load("smallcnn", depth=3)
    with pytest.raises(ValueError, match="multiple of 8"):
        load("twostreamnet", image_size=30)
    with pytest.raises(ValueError, match="no downloadable weights"):
        load("smallcnn", weights="DEFAULT")


def test_unknown_model_suggests_names():
    with pytest.raises(KeyError, match="Unknown model: 'resnet19'.*'resnet18'"):
        load("resnet19")
    with pytest.raises(TypeError, match="wrap"):
        load(torch.nn.Linear(2, 2))


def test_offline_default_weights_say_what_to_do(monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "urlopen", offline)
    with pytest.raises(WeightsDownloadError) as info:
        load("resnet18", weights="DEFAULT")
    msg = str(info.value)
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in msg
    assert "checkpoints" in msg and "weights='/path/to/resnet18-f37072fd.pth'" in msg
    with pytest.raises(ValueError, match="IMAGENET1K_V1"):
        load("resnet18", weights="IMAGENET")


def test_cached_default_weights_load_without_network(tmp_path, monkeypatch):
    # a file already in the torch hub cache is used as torchvision's download (no network touched)
    from pathlib import Path

    ref = load("resnet18", random_state=3)
    ckpt = Path(torch.hub.get_dir()) / "checkpoints" / "resnet18-f37072fd.pth"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ref.module.state_dict(), ckpt)
    monkeypatch.setattr(torch.hub, "urlopen", lambda *a, **k: (_ for _ in ()).throw(AssertionError("network")))
    monkeypatch.setattr("torchvision.models._api.WeightsEnum.get_state_dict",
                        lambda self, *a, **k: torch.load(ckpt, weights_only=True))
    m = load("resnet18", weights="DEFAULT")
    assert torch.equal(m.module.conv1.weight, ref.module.conv1.weight)
    assert "IMAGENET1K_V1" in m.weights


def test_local_weight_file(tmp_path):
    ref = load("resnet18", random_state=7)
    path = tmp_path / "r18.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in ref.module.state_dict().items()}}, path)
    m = load("resnet18", weights=path)
    assert torch.equal(m.module.fc.weight, ref.module.fc.weight) and m.weights == str(path)
    torch.save(load("resnet34").module.state_dict(), tmp_path / "wrong.pth")
    with pytest.raises(ValueError, match="does not fit the architecture 'resnet18'.*unexpected key"):
        load("resnet18", weights=tmp_path / "wrong.pth")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load("resnet18", weights=tmp_path / "missing.pth")
    (tmp_path / "junk.pth").write_bytes(b"junk")
    with pytest.raises(ValueError, match="not a PyTorch file: it is neither the zip archive"):
        load("resnet18", weights=tmp_path / "junk.pth")
    torch.save({"model": torch.nn.Linear(2, 2)}, tmp_path / "pickled.pth")
    with pytest.raises(ValueError, match=r"holds Python objects other than tensors.*never runs code.*"
                                         r"It holds a torch.nn.modules.linear.Linear\."):
        load("resnet18", weights=tmp_path / "pickled.pth")


def test_wrap_user_module():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.LazyLinear(2))
    m = nc.models.wrap(net, name="mine", streams={"3": "what"}, input_size=32)
    assert m.module is net and m.name == "mine"
    assert m.layers == ["0", "1", "2", "3"] and m.streams["3"] == "what" and m.streams["0"] == "shared"
    assert m.resolve_layers("what") == ["3"]
    with pytest.raises(KeyError, match="Unknown layer in 'streams'"):
        nc.models.wrap(net, streams={"9": "what"})
    with pytest.raises(ValueError, match=r"streams\['3'\].*got 'ventral'"):
        nc.models.wrap(net, streams={"3": "ventral"})
    with pytest.raises(ValueError, match="'family'"):
        nc.models.wrap(net, family="classifier")


def test_resolve_layers(resnet18):
    assert resnet18.resolve_layers(None) == resnet18.default_layers
    assert resnet18.resolve_layers("all") == resnet18.layers
    assert resnet18.resolve_layers("layer4") == ["layer4"]
    with pytest.raises(ValueError, match="no layer in the 'where' stream"):
        resnet18.resolve_layers("where")
    with pytest.raises(KeyError, match="'layer5'.*Close matches: 'layer4'"):
        resnet18.resolve_layers(["layer1", "layer5"])


def test_other_torchvision_models_and_bad_options():
    m = load("convnext_tiny")
    assert m.default_layers[:2] == ["features.0", "features.1"] and m.default_layers[-1] == "classifier"
    with pytest.raises(TypeError, match=r"Invalid option\(s\) \['foo'\] for 'resnet18'"):
        load("resnet18", foo=1)
    assert load("resnet18", num_classes=10).module.fc.out_features == 10
    assert load("resnet18", num_classes=10).classes is None  # ImageNet names no longer apply
