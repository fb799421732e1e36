"""Models from timm, OpenCLIP and Hugging Face: names, weights, preprocessing, default layers (random init only)."""
import os
import sys

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import neurocompare as nc  # noqa: E402
from neurocompare.models import WeightsDownloadError  # noqa: E402

pytest.importorskip("timm")


def _state(m):
    return {k: v.clone() for k, v in m.module.state_dict().items()}


def test_timm_vit_layout_layers_and_preprocessing(small_set):
    m = nc.models.load("timm:vit_tiny_patch16_224", img_size=32, patch_size=8, reg_tokens=2)
    assert m.name == "timm:vit_tiny_patch16_224" and m.family == "classification"
    assert m.tokens.prefix == ("cls", "register", "register") and m.tokens.grid == (4, 4)
    assert m.tokens.patch_size == (8, 8)
    assert m.default_layers == ["patch_embed"] + [f"blocks.{i}" for i in range(12)] + ["norm", "head"]
    assert m.config["source"] == "timm" and m.config["img_size"] == 32
    pre = m.config["preprocessing"]
    assert pre["input_size"] == [3, 32, 32] and pre["mean"] == [0.5, 0.5, 0.5]
    x = m.transform(small_set.load_image(small_set.ids[0]))
    assert tuple(x.shape) == (3, 32, 32)
    assert len(m.classes) == 1000 and m.classes[0].startswith("tench")


def test_timm_convnet_default_layers_and_streams():
    r = nc.models.load("timm:resnet10t")
    assert r.default_layers == ["maxpool", "layer1", "layer2", "layer3", "layer4", "global_pool", "fc"]
    assert r.tokens is None and set(r.streams.values()) == {"shared"}
    c = nc.models.load("timm:convnext_atto")
    assert c.default_layers == ["stem", "stages.0", "stages.1", "stages.2", "stages.3", "head"]
    assert c.config["preprocessing"]["input_size"] == [3, 224, 224]


def test_timm_swin_stages_are_channels_last():
    s = nc.models.load("timm:swin_tiny_patch4_window7_224", img_size=32, window_size=2, embed_dim=8,
                       depths=(1, 1, 1, 1), num_heads=(1, 1, 1, 1))
    assert s.default_layers == ["patch_embed", "layers.0", "layers.1", "layers.2", "layers.3", "norm", "head"]
    assert {"patch_embed", "layers.0", "layers.3", "layers.0.blocks.0", "norm"} <= s.channels_last
    assert "patch_embed.proj" not in s.channels_last and s.tokens is None


def test_seeded_random_init_and_local_checkpoint(tmp_path):
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = nc.models.load("timm:resnet10t", random_state=1)
    assert torch.equal(torch.rand(1), before)  # the global RNG is left alone
    b = nc.models.load("timm:resnet10t", random_state=1)
    c = nc.models.load("timm:resnet10t", random_state=2)
    sa, sb, sc = _state(a), _state(b), _state(c)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["conv1.0.weight"], sc["conv1.0.weight"])
    assert a.weights == "none (random init, seed 1)"
    path = tmp_path / "resnet10t.pth"
    torch.save(c.module.state_dict(), path)
    d = nc.models.load("timm:resnet10t", weights=str(path))
    assert d.weights == str(path) and torch.equal(_state(d)["conv1.0.weight"], sc["conv1.0.weight"])


def test_timm_download_offline_names_the_cache(monkeypatch):
    import timm.models._builder as builder

    def offline(*args, **kwargs):
        raise ConnectionError("Network is unreachable")

    monkeypatch.setattr(builder, "load_pretrained", offline)
    with pytest.raises(WeightsDownloadError, match=r"resnet10t\.c3_in1k.*Network is unreachable.*HF_HOME.*"
                                                   r"huggingface-cli download timm/resnet10t\.c3_in1k"):
        nc.models.load("timm:resnet10t", weights="DEFAULT")
    with pytest.raises(ValueError, match=r"weight tags of 'resnet10t' \('c3_in1k'\); got 'c3_in1'.*Close matches"):
        nc.models.load("timm:resnet10t", weights="c3_in1")


def test_timm_default_is_timms_default_tag(monkeypatch):
    # timm lists vit_tiny_patch16_224's tags as augreg_in21k, augreg_in21k_ft_in1k; its default is the second
    import timm.models._builder as builder

    def offline(*args, **kwargs):
        raise ConnectionError("Network is unreachable")

    monkeypatch.setattr(builder, "load_pretrained", offline)
    with pytest.raises(WeightsDownloadError, match=r"'vit_tiny_patch16_224\.augreg_in21k_ft_in1k'"):
        nc.models.load("timm:vit_tiny_patch16_224", weights="DEFAULT", img_size=32, depth=1)


def test_openclip_vit_tower():
    pytest.importorskip("open_clip")
    m = nc.models.load("openclip:ViT-S-32", force_image_size=64)
    assert type(m.module).__name__ == "VisionTransformer"
    assert m.tokens.prefix == ("cls",) and m.tokens.grid == (2, 2) and m.tokens.patch_size == (32, 32)
    assert m.default_layers == ["conv1"] + [f"transformer.resblocks.{i}" for i in range(12)] + ["ln_post"]
    assert m.config["preprocessing"]["size"] == [64, 64]
    assert m.config["preprocessing"]["mean"][0] == pytest.approx(0.48145466)
    from PIL import Image

    assert tuple(m.transform(Image.new("RGB", (80, 70))).shape) == (3, 64, 64)


def test_openclip_weight_tags_and_offline(monkeypatch):
    open_clip = pytest.importorskip("open_clip")
    with pytest.raises(ValueError, match=r"pretrained tags of 'ViT-B-32'.*got 'laion2b'.*Close matches: "
                                         r"'laion2b_e16', 'laion2b_s34b_b79k'"):
        nc.models.load("openclip:ViT-B-32", weights="laion2b")
    with pytest.raises(ValueError, match="no pretrained weights for 'ViT-S-32'"):
        nc.models.load("openclip:ViT-S-32", weights="DEFAULT")

    def offline(*args, **kwargs):
        raise ConnectionError("Network is unreachable")

    monkeypatch.setattr(open_clip.factory, "download_pretrained", offline)
    monkeypatch.setattr(open_clip.factory, "download_pretrained_from_hf", offline)
    with pytest.raises(WeightsDownloadError, match=r"'laion2b_s34b_b79k'.*Network is unreachable.*HF_HOME"):
        nc.models.load("openclip:ViT-B-32", weights="laion2b_s34b_b79k")


def _tiny(**kw):
    return dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, image_size=32,
                patch_size=8, **kw)


def test_hf_model_types_and_token_layouts():
    pytest.importorskip("transformers")
    d = nc.models.load("hf:dinov2", **_tiny())
    assert d.tokens.prefix == ("cls",) and d.tokens.grid == (4, 4)
    assert d.default_layers == ["embeddings", "encoder.layer.0", "encoder.layer.1", "layernorm"]
    assert d.config["preprocessing"]["kind"] == "imagenet_fallback"
    assert d.config["preprocessing"]["crop_size"] == 32 and d.config["hidden_size"] == 32
    r = nc.models.load("hf:dinov2_with_registers", num_register_tokens=3, **_tiny())
    assert r.tokens.prefix == ("cls", "register", "register", "register")
    t = nc.models.load("hf:deit", **_tiny())
    assert t.tokens.prefix == ("cls", "distillation")
    with pytest.raises(ValueError, match="model type built from its default config"):
        nc.models.load("hf:dinov2", weights="DEFAULT", **_tiny())


def test_hf_local_folder_and_offline_repo(tmp_path, monkeypatch):
    transformers = pytest.importorskip("transformers")
    transformers.Dinov2Config(**_tiny()).save_pretrained(tmp_path / "tiny")
    m = nc.models.load(f"hf:{tmp_path / 'tiny'}")
    assert m.tokens.grid == (4, 4) and m.config["model_type"] == "dinov2"
    with pytest.raises(FileNotFoundError, match=r"config of 'hf:facebook/dinov2-small' could not be found.*"
                                                r"huggingface-cli download facebook/dinov2-small.*HF_HOME"):
        nc.models.load("hf:facebook/dinov2-small")

    def offline(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained",
                        lambda *a, **k: transformers.Dinov2Config(**_tiny()))
    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", offline)
    with pytest.raises(WeightsDownloadError, match=r"facebook/dinov2-small.*couldn't connect.*HF_HOME"):
        nc.models.load("hf:facebook/dinov2-small", weights="DEFAULT")


@pytest.mark.parametrize("name, match", [
    ("tim:vit_tiny_patch16_224", r"Unknown model source 'tim:'.*'timm:', 'openclip:', 'hf:'.*Did you mean "
                                 r"'timm:vit_tiny_patch16_224'"),
    ("timm:convnxt_tiny", r"Unknown timm model: 'convnxt_tiny'. Close matches: 'convnext_tiny'"),
    ("openclip:ViT-B-33", r"Unknown OpenCLIP model: 'ViT-B-33'. Close matches: 'ViT-B-32'"),
    ("hf:dinov", r"Unknown Hugging Face model type: 'dinov'. Close matches: 'dinov2'"),
])
def test_unknown_names(name, match):
    with pytest.raises(KeyError, match=match):
        nc.models.load(name)


def test_missing_extra_names_pip(monkeypatch):
    for prefix, package, extra in [("timm", "timm", "timm"), ("openclip", "open_clip", "clip"),
                                   ("hf", "transformers", "hf")]:
        monkeypatch.setitem(sys.modules, package, None)  # import now fails as if not installed
        with pytest.raises(ImportError, match=rf'pip install "neurocompare\[{extra}\]"'):
            nc.models.load(f"{prefix}:anything")


def test_listed_and_cli_layers():
    from typer.testing import CliRunner

    from neurocompare.cli import app

    table = nc.models.list_models()
    assert {"timm", "openclip", "hf"} <= set(table.source)
    assert "timm:convnext_tiny" in set(table.name)
    res = CliRunner().invoke(app, ["models", "layers", "timm:resnet10t"])
    assert res.exit_code == 0, res.output
    assert res.output.split() == ["shared", "maxpool", "shared", "layer1", "shared", "layer2", "shared", "layer3",
                                  "shared", "layer4", "shared", "global_pool", "shared", "fc"]
