"""Transformer token outputs as maps: labels, cls/avgpool/grid reductions, equality with plain hooks."""
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import neurocompare as nc  # noqa: E402

pytest.importorskip("timm")


@pytest.fixture(scope="module")
def vit():
    """timm ViT, 32 px inputs, 8 px patches (4 x 4 grid), class token + 2 registers."""
    return nc.models.load("timm:vit_tiny_patch16_224", img_size=32, patch_size=8, reg_tokens=2, depth=3)


def _inputs(m, stimuli):
    ds = stimuli.to_torch(m.transform)
    return torch.stack([ds[i] if isinstance(ds[i], torch.Tensor) else ds[i][0] for i in range(len(ds))])


def _hooked(m, layer, x):
    got = {}
    module = dict(m.module.named_modules())[layer]
    h = module.register_forward_hook(lambda mod, i, o: got.__setitem__("out", o.detach().clone()))
    try:
        with torch.no_grad():
            m.run(x)
    finally:
        h.remove()
    return got["out"]


def _acts(m, stimuli, layer, reduce=None):
    # one batch, as in the reference forward pass (the batch size changes float rounding in some kernels)
    tree = nc.extract(m, stimuli, layers=[layer], reduce=reduce, progress=False, batch_size=len(stimuli))
    return tree[f"{m.name}/{layer}"].ds.activations


def _sources():
    out = [("timm:vit_tiny_patch16_224", dict(img_size=32, patch_size=8, depth=2), "blocks.1")]
    try:
        import open_clip  # noqa: F401
        out.append(("openclip:ViT-S-32", dict(force_image_size=64), "transformer.resblocks.3"))
    except ImportError:
        pass
    try:
        import transformers  # noqa: F401
        out.append(("hf:dinov2_with_registers", dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                                     intermediate_size=64, image_size=32, patch_size=8,
                                                     num_register_tokens=2), "encoder.layer.1"))
    except ImportError:
        pass
    out += [("timm:convnext_atto", {}, "stages.1"),
            ("timm:swin_tiny_patch4_window7_224", dict(img_size=32, window_size=2, embed_dim=8, depths=(1, 1, 1, 1),
                                                       num_heads=(1, 1, 1, 1)), "layers.1")]
    return out


@pytest.mark.parametrize("name, opts, layer", _sources())
def test_extraction_equals_plain_hook(small_set, name, opts, layer):
    m = nc.models.load(name, **opts)
    sub = small_set.subset(list(range(6)))
    x = _inputs(m, sub)
    ref = _hooked(m, layer, x)
    if layer in m.channels_last:  # Swin: (N, H, W, C) maps come out as (N, C, H, W)
        ref = ref.permute(0, 3, 1, 2)
    da = _acts(m, sub, layer)
    assert np.abs(da.values - ref.reshape(len(x), -1).numpy()).max() == 0
    if ref.dim() == 3:  # a transformer block: labelled tokens, patches on the grid
        assert m.tokens is not None
        grid = m.tokens.for_output(ref.shape[1], x.shape[-2:])
        kinds = da.token_kind.values.reshape(ref.shape[1], ref.shape[2])[:, 0]
        assert list(kinds) == list(m.tokens.prefix) + ["patch"] * (grid.h * grid.w)
        pooled = _acts(m, sub, layer, reduce=("grid", 2)).values
        patches = ref[:, m.tokens.n_prefix:].reshape(len(x), grid.h, grid.w, -1).permute(0, 3, 1, 2)
        assert np.abs(pooled - F.adaptive_avg_pool2d(patches, 2).reshape(len(x), -1).numpy()).max() < 1e-6


def test_token_labels_and_reductions(vit, small_set):
    sub = small_set.subset(list(range(4)))
    x = _inputs(vit, sub)
    ref = _hooked(vit, "blocks.1", x)  # (4, 3 + 16, 192)
    assert tuple(ref.shape) == (4, 19, 192)
    da = _acts(vit, sub, "blocks.1")
    first = da.isel(unit=slice(None, None, 192))  # channel 0 of every token
    assert list(first.token.values) == list(range(19))
    assert list(first.token_kind.values) == ["cls", "register", "register"] + ["patch"] * 16
    assert list(first.unit_y.values) == [-1, -1, -1] + [r for r in range(4) for _ in range(4)]
    assert list(first.unit_x.values) == [-1, -1, -1] + list(range(4)) * 4
    assert list(da.channel.values[:3]) == [0, 1, 2]
    # patch (row 2, col 1), channel 5 is token 3 + 2 * 4 + 1
    unit = int(np.flatnonzero((da.unit_y.values == 2) & (da.unit_x.values == 1) & (da.channel.values == 5))[0])
    assert np.array_equal(da.values[:, unit], ref[:, 3 + 9, 5].numpy())
    cls = _acts(vit, sub, "blocks.1", reduce="cls")
    assert cls.shape == (4, 192) and np.array_equal(cls.values, ref[:, 0].numpy())
    avg = _acts(vit, sub, "blocks.1", reduce="avgpool")
    assert np.abs(avg.values - ref[:, 3:].mean(1).numpy()).max() < 1e-6  # patches only, not cls/registers
    assert np.abs(avg.values - ref.mean(1).numpy()).max() > 1e-4
    grid = _acts(vit, sub, "blocks.1", reduce=("grid", 2))
    assert grid.shape == (4, 192 * 4) and set(grid.unit_y.values) == {0, 1}
    # the patch embedding has no prefix tokens: its 16 tokens are all patches
    pe = _acts(vit, sub, "patch_embed")
    assert set(pe.token_kind.values) == {"patch"} and pe.sizes["unit"] == 16 * 192


def test_non_square_inputs_follow_the_patch_grid():
    pytest.importorskip("transformers")
    m = nc.models.load("hf:dinov2", hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                       image_size=32, patch_size=8)
    x = torch.randn(3, 3, 48, 32, generator=torch.Generator().manual_seed(0))
    da = nc.extract(m, x, layers=["encoder.layer.0"], progress=False)["hf:dinov2/encoder.layer.0"].ds.activations
    assert da.sizes["unit"] == (1 + 6 * 4) * 32
    assert da.unit_y.values.max() == 5 and da.unit_x.values.max() == 3
    grid = nc.extract(m, x, layers=["encoder.layer.0"], reduce=("grid", 4), progress=False)
    assert grid["hf:dinov2/encoder.layer.0"].ds.activations.sizes["unit"] == 4 * 4 * 32
    with pytest.raises(ValueError, match=r"\('grid', 5\).*patch grid is 6x4.*largest valid k is 4"):
        nc.extract(m, x, layers=["encoder.layer.0"], reduce=("grid", 5), progress=False)


def test_cls_errors(vit, small_set):
    sub = small_set.subset([0, 1])
    conv = nc.models.load("timm:resnet10t")
    with pytest.raises(ValueError, match=r"'cls' keeps the class token.*'timm:resnet10t' records no token layout"):
        nc.extract(conv, sub, reduce="cls", progress=False)
    with pytest.raises(ValueError, match=r"layer 'patch_embed.proj' cannot be reduced: reduce='cls'"):
        nc.extract(vit, sub, layers=["patch_embed.proj"], reduce="cls", progress=False)
    noclass = nc.models.load("timm:vit_tiny_patch16_224", img_size=32, patch_size=8, depth=1, class_token=False,
                             global_pool="avg")
    with pytest.raises(ValueError, match=r"has no class token"):
        nc.extract(noclass, sub, reduce="cls", progress=False)
    # the patch embedding has no class token
    with pytest.raises(ValueError, match=r"layer 'patch_embed' cannot be reduced: reduce='cls'"):
        nc.extract(vit, sub, reduce="cls", progress=False)
    # vector outputs pass unchanged
    tree = nc.extract(vit, sub, layers=["blocks.0", "norm", "head"], reduce="cls", progress=False)
    assert tree[f"{vit.name}/norm"].ds.activations.shape == (2, 192)
    assert tree[f"{vit.name}/head"].ds.activations.shape == (2, 1000)


def test_what_where_profile_on_a_vit(vit, small_set):
    acts = nc.extract(vit, small_set, layers=["blocks.0", "blocks.2"], reduce=("grid", 2), progress=False)
    res = nc.probes.what_where(acts, small_set, what=["category"], where=["x"], cv=2, progress=False)
    assert set(res.layer) == {"blocks.0", "blocks.2"} and set(res.target) == {"category", "x"}
    assert np.isfinite(res.value).all() and (res.model == vit.name).all()
