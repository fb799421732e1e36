import numpy as np
import pytest
import torch
from torchvision.models.feature_extraction import create_feature_extractor

import neurocompare as nc
from neurocompare.extraction import get_layer, iter_layers, to_frame
from neurocompare.models import load, wrap


def _inputs(model, stimuli):
    return torch.stack([model.transform(stimuli.load_image(i)) for i in range(len(stimuli))])


def test_matches_torchvision_feature_extractor(resnet18, small_set):
    nodes = ["layer1", "layer2.1.conv2", "layer4", "avgpool", "fc"]
    tree = nc.extract(resnet18, small_set, layers=nodes, batch_size=7, progress=False)
    fe = create_feature_extractor(resnet18.module.eval(), return_nodes=nodes)
    with torch.no_grad():
        ref = fe(_inputs(resnet18, small_set))
    for n in nodes:
        got = get_layer(tree, n)
        want = ref[n].reshape(len(small_set), -1).numpy()
        assert got.shape == want.shape
        np.testing.assert_allclose(got.values, want, rtol=1e-5, atol=1e-5)


def test_tree_layout_coords_and_provenance(resnet18, small_set):
    tree = nc.extract(resnet18, small_set, layers=["layer3", "fc"], progress=False)
    assert list(tree.children) == ["resnet18"]
    assert list(tree["resnet18"].children) == ["layer3", "fc"]
    da = get_layer(tree, "layer3")
    assert da.dims == ("stimulus", "unit")
    assert list(da.stimulus.values) == list(small_set.ids)
    for factor in small_set.factors + ["file"]:
        np.testing.assert_array_equal(da[factor].values, small_set.coords()[factor][1])
    # C-order unit coordinates
    assert da.sizes["unit"] == 256 * 14 * 14
    assert da.channel.values[14 * 14] == 1 and da.unit_y.values[14] == 1 and da.unit_x.values[1] == 1
    for key in ("model", "layer", "stream", "weights", "reduce", "neurocompare_version"):
        assert key in da.attrs
    assert da.attrs["stream"] == "shared" and da.attrs["layer"] == "layer3"
    assert tree["resnet18"].attrs["n_stimuli"] == len(small_set)
    frame = to_frame(tree)
    assert list(frame.layer) == ["layer3", "fc"] and list(frame.n_units) == [50176, 1000]
    assert [layer for _, layer, _ in iter_layers(tree)] == ["layer3", "fc"]


class _InplaceNet(torch.nn.Module):
    """The hooked ReLU output is later overwritten in place by the next in-place op."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.relu = torch.nn.ReLU(inplace=True)
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        y = self.relu(self.conv(x))
        y.mul_(0).add_(-1)  # clobbers the tensor the hook saw
        return self.fc(y.mean((2, 3)))


@pytest.mark.parametrize("batch_size", [32, 5])  # one batch (clone), several (direct copy into the result)
def test_hooks_are_safe_against_inplace_ops(small_set, batch_size):
    torch.manual_seed(0)
    net = _InplaceNet()
    m = wrap(net, input_size=32)
    tree = nc.extract(m, small_set, layers=["relu"], batch_size=batch_size, progress=False)
    got = get_layer(tree, "relu").values
    with torch.no_grad():
        want = torch.relu(net.conv(_inputs(m, small_set))).reshape(len(small_set), -1).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert got.min() >= 0


def test_model_state_is_restored(small_set):
    m = load("smallcnn", n_classes=6)
    m.module.train()
    m.module.block2.eval()
    m.module.fc.weight.requires_grad_(False)
    before = {k: v.clone() for k, v in m.module.state_dict().items()}
    nc.extract(m, small_set, layers="all", progress=False)
    assert m.module.training and not m.module.block2.training and m.module.block1.training
    assert not m.module.fc.weight.requires_grad and m.module.fc.bias.requires_grad
    assert all(torch.equal(before[k], v) for k, v in m.module.state_dict().items())  # BN stats untouched
    assert not m.module._forward_hooks and not m.module.block1._forward_hooks


def test_layers_by_stream_and_errors(small_set):
    m = load("twostreamnet", n_classes=6, image_size=32)
    tree = nc.extract(m, small_set, layers="where", reduce="avgpool", progress=False)
    layers = list(tree["twostreamnet"].children)
    assert layers and all(layer.startswith("dorsal") for layer in layers)
    assert {da.attrs["stream"] for _, _, da in iter_layers(tree)} == {"where"}
    with pytest.raises(KeyError, match="'ventral.fc1'.*Close matches: 'ventral.fc'"):
        nc.extract(m, small_set, layers=["ventral.fc1"], progress=False)
    with pytest.raises(TypeError, match="ModelWrapper"):
        nc.extract(m.module, small_set)
    with pytest.raises(TypeError, match="StimulusSet"):
        nc.extract(m, "folder")
    with pytest.raises(ValueError, match="'reduce'.*got 'mean'"):
        nc.extract(m, small_set, reduce="mean")
    with pytest.raises(ValueError, match="'batch_size'"):
        nc.extract(m, small_set, batch_size=0)


def test_model_failure_is_explained(small_set):
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3))  # expects grey images
    m = wrap(net, input_size=32)
    with pytest.raises(RuntimeError, match="failed on the batch starting at stimulus 0.*model.transform"):
        nc.extract(m, small_set, layers=["0"], progress=False)


def test_reused_module_keeps_every_call(resnet18, small_set):
    tree = nc.extract(resnet18, small_set.subset(range(2)), layers=["layer1.0.relu"], reduce="avgpool",
                      progress=False)
    da = get_layer(tree, "layer1.0.relu")
    assert list(np.unique(da.part.values)) == ["call0", "call1"] and da.sizes["unit"] == 128


def test_vit_tokens(small_set):
    m = load("vit_b_16")
    tree = nc.extract(m, small_set.subset(range(2)), layers=["encoder.layers.encoder_layer_3", "heads.head"],
                      progress=False)
    da = get_layer(tree, "encoder.layers.encoder_layer_3")
    assert da.sizes["unit"] == 197 * 768 and da.token.values[768] == 1 and da.channel.values[768] == 0
    assert m.tokens is None and "token_kind" not in da.coords  # torchvision's ViT: tokens stay unlabelled
    pooled = nc.extract(m, small_set.subset(range(2)), layers=["encoder.layers.encoder_layer_3"],
                        reduce="avgpool", progress=False)
    np.testing.assert_allclose(get_layer(pooled, "encoder.layers.encoder_layer_3").values,
                               da.values.reshape(2, 197, 768).mean(1), rtol=1e-5, atol=1e-6)


def test_detection_heads_pooled_per_image(small_set):
    m = load("maskrcnn_resnet50_fpn", min_size=64, max_size=64)
    sub = small_set.subset(range(3))
    tree = nc.extract(m, sub, reduce="avgpool", batch_size=2, progress=False)
    frame = to_frame(tree).set_index("layer")
    assert frame.loc["roi_heads.box_predictor.cls_score", "stream"] == "what"
    assert frame.loc["rpn.head.cls_logits", "stream"] == "where"
    assert frame.loc["backbone.fpn", "n_units"] == 5 * 256  # one part per FPN level
    assert frame.loc["rpn.head.cls_logits", "n_units"] == 5 * 3  # five calls, one per level
    cls = get_layer(tree, "roi_heads.box_predictor.cls_score")
    assert "regions" in cls.attrs and cls.sizes["unit"] == 91
    # per-image pooling: extracting one image alone gives the same row
    alone = nc.extract(m, sub.subset([2]), layers=["roi_heads.box_predictor.cls_score"], reduce="avgpool",
                       progress=False)
    np.testing.assert_allclose(get_layer(alone, "roi_heads.box_predictor.cls_score").values[0], cls.values[2],
                               rtol=1e-4, atol=1e-5)


def test_segmentation_and_several_models(small_set):
    seg = load("fcn_resnet50", resize_size=48)
    unet = load("unet", n_classes=6, image_size=32)
    tree = nc.extract([seg, unet], small_set.subset(range(2)), reduce="avgpool", progress=False)
    assert list(tree.children) == ["fcn_resnet50", "unet"]
    assert get_layer(tree, "classifier.4", model="fcn_resnet50").attrs["stream"] == "where"
    assert get_layer(tree, "classifier.fc", model="unet").attrs["stream"] == "what"
    with pytest.raises(ValueError, match="several models"):
        get_layer(tree, "head")
    with pytest.raises(ValueError, match="unique"):
        nc.extract([unet, unet], small_set)


def test_dcgan_generator_from_latents_and_discriminator_from_images(small_set):
    gan = load("dcgan", image_size=32, latent_dim=16)
    z = torch.randn(5, 16, generator=torch.Generator().manual_seed(0))
    tree = nc.extract(gan, z, progress=False)
    layers = list(tree["dcgan"].children)
    assert layers[-1] == "generator.net.tanh" and get_layer(tree, "generator.net.tanh").sizes == {
        "stimulus": 5, "unit": 3 * 32 * 32}
    assert list(get_layer(tree, layers[0]).stimulus.values) == ["0", "1", "2", "3", "4"]
    disc = nc.extract(gan, small_set.subset(range(2)), progress=False)
    assert all(layer.startswith("discriminator") for layer in disc["dcgan"].children)


def test_array_input_equals_stimulus_input(resnet18, small_set):
    x = _inputs(resnet18, small_set)
    a = get_layer(nc.extract(resnet18, x, layers=["fc"], progress=False), "fc")
    b = get_layer(nc.extract(resnet18, small_set, layers=["fc"], progress=False), "fc")
    np.testing.assert_array_equal(a.values, b.values)
    with pytest.raises(ValueError, match="shape"):
        nc.extract(resnet18, np.zeros(3), progress=False)
