"""``compute``: class-activation maps of a layer for a set of stimuli."""
from __future__ import annotations

import numpy as np

from .._utils.checks import check_option, check_positive_int, unknown_name_error
from .._utils.logging import logger
from ._targets import Target, check_class_range, check_target, describe_target, logits_of, seg_logits_of, true_classes

#: Every method :func:`compute` knows (canonical names).
#: input pixels per Score-/Ablation-CAM pass on a CPU (measured fastest on resnet18 from 64 to 224 px)
CPU_PIXELS_PER_PASS = 393_216
METHODS = ("cam", "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "scorecam", "ablationcam", "eigencam")
GRADIENT_METHODS = ("gradcam", "gradcam++", "hirescam", "xgradcam", "layercam")
_ALIASES = {"gradcamplusplus": "gradcam++", "gradcampp": "gradcam++", "gradcampluplus": "gradcam++"}


def check_method(method) -> str:
    """The canonical name of a CAM method (``"Grad-CAM++"``, ``"grad_cam++"`` and ``"gradcam++"`` are the same).

    Parameters
    ----------
    method : str
        A method name, in any spelling of :data:`METHODS`.

    Returns
    -------
    str
    """
    if not isinstance(method, str):
        raise TypeError(f"Invalid value for 'method': expected a method name (str), one of {', '.join(METHODS)}; "
                        f"got {type(method).__name__}.")
    key = method.lower().replace("-", "").replace("_", "").replace(" ", "")
    key = _ALIASES.get(key, key)
    if key not in METHODS:
        check_option("method", method, METHODS)
    return key


def compute(model, stimuli, *, method: str = "gradcam", layer: str | None = None, target="predicted",
            normalize: bool = True, batch_size: int = 32, score_batch_size: int | None = None, device="auto",
            progress: bool = True):
    """Class-activation maps: where in each image the evidence for a class lies, by one layer's features.

    Parameters
    ----------
    model : ModelWrapper
        From :func:`neurocompare.models.load`, :func:`~neurocompare.models.train`
        or :func:`~neurocompare.models.wrap`. Classifiers, segmenters and
        detectors (torchvision R-CNNs) are supported; GANs are not.
        The model is never changed: its modes, device, ``requires_grad`` flags
        and parameters are as before, and every hook is removed.
    stimuli : StimulusSet or tensor
        A StimulusSet (images go through ``model.transform``) or an already
        preprocessed tensor (N, C, H, W).
    method : str
        ``"cam"`` (Zhou et al. 2016; needs a global-average-pool + linear head
        right after ``layer``), ``"gradcam"``, ``"gradcam++"``, ``"hirescam"``,
        ``"xgradcam"``, ``"layercam"``, ``"scorecam"``, ``"ablationcam"`` or
        ``"eigencam"``. Spelling is free (``"Grad-CAM++"`` works).
    layer : str, optional
        A module name from ``model.layers`` with a spatial output (N, C, h, w),
        or a layer of a vision transformer with a token output (N, tokens, C):
        torchvision ViTs, and the ViT/DeiT/DINOv2 models of timm, OpenCLIP's
        visual transformer and Hugging Face ViTs (``model.tokens``). Their patch
        tokens are put back on the patch grid of the input (class, register and
        distillation tokens dropped), exactly as pytorch-grad-cam's
        ``reshape_transform`` does; Swin's channels-last maps (N, H, W, C)
        (``model.channels_last``) are permuted to (N, C, H, W). Default: the
        last spatial layer of ``model.default_layers`` outside the "where"
        stream (``layer4`` for a ResNet, ``block4`` for the SmallCNN,
        ``ventral.block4`` for the TwoStreamNet, ``norm`` for a timm Swin). For a
        transformer with a class token, the first LayerNorm of the last block,
        the input of its attention, since after the last block only the class
        token reaches the head: ``encoder.layers.encoder_layer_11.ln_1`` for
        ``vit_b_16``, ``blocks.11.norm1`` for a timm ViT,
        ``transformer.resblocks.11.ln_1`` for OpenCLIP (``visual.`` first for a
        zero-shot CLIP), the last block's ``layernorm_before`` for a Hugging
        Face ViT. Hugging Face models return output objects: pass a callable
        ``target`` (e.g. ``lambda out: out.pooler_output[:, k]``).
    target : "predicted", "true", int, sequence of int or callable
        Which score the map explains. ``"predicted"``: each image's top class.
        ``"true"``: each stimulus' ``category`` (matched to ``model.classes``).
        An int: that class for every image; a sequence: one class per stimulus.
        A callable: ``model output -> 1-d tensor`` with one score per image.
        Segmenters: the summed logit of the class inside a mask (the
        stimulus' mask for ``"true"``, else the pixels predicted as that class).
        Detectors: the class score of one detection (for ``"true"`` the one
        that best overlaps the stimulus' ``bbox_*`` box; else the top-scoring
        detection of the class).
    normalize : bool
        ``True`` (default): exactly pytorch-grad-cam's scaling. The map at the
        layer's resolution is ReLU'd, min-max scaled per image
        (``(m - min) / (max - min + 1e-7)``), resized bilinearly to the input
        (half-pixel centres, like ``cv2.resize``) and min-max scaled again, so
        every map spans [0, 1]. ``False``: the ReLU'd map is only resized, so
        its units are the method's own (e.g. class logit per unit of activation
        for Grad-CAM) and strength can be compared across stimuli and conditions.
    batch_size : int
        Images per forward pass.
    score_batch_size : int, optional
        Masked (Score-CAM) or ablated (Ablation-CAM) copies per forward pass.
        Default: on a CPU about 400,000 input pixels per pass (96 copies at
        64 px, 7 at 224 px; larger passes fall out of the caches and run
        slower), 128 elsewhere. Changes speed and memory, not the maps.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"mps"``.
    progress : bool
        Show a progress bar over the images (and, for Score-CAM and
        Ablation-CAM, over the masked or ablated passes within a batch).

    Returns
    -------
    xarray.DataArray
        Dims ``(stimulus, y, x)`` at the resolution of the tensor the model sees,
        float32. Every stimulus factor is a coordinate on ``stimulus``, plus
        ``target_class`` (-1 for a callable), ``target_label`` (that class's name in
        ``model.classes``; ``""`` where the model has no names) and ``target_score`` (the
        explained score on the intact image). ``attrs``: ``method, layer, target,
        normalize, model, weights, family, geometry`` (how image pixels map to
        the map grid, used by :func:`localization`) and the package version.
    """
    import xarray as xr

    from .. import __version__
    from .._utils.device import resolve_device
    from .._utils.progress import progress_bar
    from ..models import ModelWrapper
    from ..models.batches import StimulusSource, prepared
    from ..stimuli import StimulusSet
    from .geometry import encode_steps, transform_steps

    if not isinstance(model, ModelWrapper):
        raise TypeError(f"Invalid value for 'model': expected a ModelWrapper (neurocompare.models.load or wrap); "
                        f"got {type(model).__name__}.")
    if model.family == "gan":
        raise ValueError("Invalid value for 'model': class-activation maps need a classifier, segmenter or detector; "
                         f"{model.name!r} is a GAN.")
    method = check_method(method)
    batch_size = check_positive_int("batch_size", batch_size)
    if score_batch_size is not None:
        score_batch_size = check_positive_int("score_batch_size", score_batch_size)
    if not isinstance(normalize, bool):
        raise TypeError(f"Invalid value for 'normalize': expected True or False; got {normalize!r}.")
    source = StimulusSource(stimuli)
    if source.latent:
        raise ValueError("Invalid value for 'stimuli': expected images (a StimulusSet or an (N, C, H, W) tensor); "
                         "got 2-d (latent) vectors.")
    is_set = isinstance(stimuli, StimulusSet)
    target = check_target(target, source.n, has_stimulus_set=is_set)
    dev = resolve_device(device)
    module = model.module
    layer = _check_layer(model, layer)
    run = _Runner(model, method, target, normalize, score_batch_size, stimuli if is_set else None)
    maps, classes, scores = [], [], []
    with prepared(module, dev), progress_bar(source.n, f"{model.name}: {method}", enable=progress) as advance:
        run.advance = advance
        batches = source.batches(model, 1 if model.family == "detection" else batch_size, 0, 0)
        for pos, inputs in batches:
            if isinstance(inputs, list) and model.input_kind != "list":
                raise ValueError("The stimuli have different sizes after the model's transform; resize them first.")
            x = [t.to(dev) for t in inputs] if isinstance(inputs, list) else inputs.to(dev)
            if model.family == "detection" and not isinstance(x, list):
                x = list(x)
            if layer is None:
                layer = _default_layer(model, x)
            rows = np.arange(pos, pos + len(inputs))
            run.advanced = 0.0
            m, c, s = run.batch(x, rows, layer)
            maps.append(m)
            classes.append(c)
            scores.append(s)
            advance(len(rows) - run.advanced)
    shapes = {m.shape[1:] for m in maps}
    if len(shapes) > 1:
        raise ValueError(f"The stimuli give maps of different sizes {sorted(shapes)}; resize the images to one size.")
    data = np.concatenate(maps).astype(np.float32)
    coords = dict(source.coords)
    coords["target_class"] = ("stimulus", np.concatenate(classes).astype(int))
    coords["target_score"] = ("stimulus", np.concatenate(scores).astype(np.float64))
    names = list(model.classes or [])
    coords["target_label"] = ("stimulus", np.array([str(names[k]) if 0 <= k < len(names) else ""
                                                    for k in coords["target_class"][1]], dtype=str))
    coords["y"] = np.arange(data.shape[1])
    coords["x"] = np.arange(data.shape[2])
    steps = transform_steps(model.transform) if is_set else []
    attrs = {"method": method, "layer": layer, "target": describe_target(target), "normalize": int(normalize),
             "model": model.name, "weights": str(model.weights), "family": model.family,
             "stimulus_set": source.name, "geometry": encode_steps(steps) if steps is not None else "",
             "neurocompare_version": __version__}
    return xr.DataArray(data, dims=("stimulus", "y", "x"), coords=coords, name="cam", attrs=attrs)


def _check_layer(model, layer):
    if layer is None:
        return None
    if not isinstance(layer, str):
        raise TypeError(f"Invalid value for 'layer': expected one layer name (str); got {type(layer).__name__}.")
    if layer not in model.streams:
        raise unknown_name_error(f"layer of model {model.name!r}", layer, model.layers,
                                 hint="See model.layers for every name.")
    return layer


def _is_vit(module) -> bool:
    return hasattr(module, "patch_size") and hasattr(module, "image_size") and hasattr(module, "class_token")


def _default_layer(model, x) -> str:
    """The last spatial layer of ``model.default_layers`` outside the "where" stream.

    For a transformer with a class token (``model.tokens``) it is the first LayerNorm of the last block (the
    input of its attention): after the last block only the class token reaches the head, so a block's own output
    has no gradient on the patch tokens.
    """
    import torch

    if _is_vit(model.module):
        blocks = [n for n in model.layers if n.startswith("encoder.layers.encoder_layer_") and n.count(".") == 2]
        return f"{blocks[-1]}.ln_1"
    modules = dict(model.module.named_modules())
    cands = [n for n in model.default_layers if model.streams.get(n) != "where"]
    shapes, handles = {}, []
    for n in cands:
        handles.append(modules[n].register_forward_hook(
            lambda m, i, o, n=n: shapes.__setitem__(n, tuple(o.shape) if isinstance(o, torch.Tensor) else None)))
    try:
        with torch.no_grad():
            model.run(x[:1])
    finally:
        for h in handles:
            h.remove()
    hw = tuple((x[0] if isinstance(x, list) else x).shape[-2:])
    if model.tokens is not None:
        blocks = [n for n in cands if shapes.get(n) and len(shapes[n]) == 3
                  and model.tokens.for_output(shapes[n][1], hw) is not None and _first_layernorm(modules, n)]
        if blocks:
            name = _first_layernorm(modules, blocks[-1]) if model.tokens.has_cls else blocks[-1]
            logger.info("cam.compute: using layer %r", name)
            return name
    for n in cands:
        if n in model.channels_last and shapes.get(n) and len(shapes[n]) == 4:   # (N, H, W, C) -> (N, C, H, W)
            shapes[n] = (shapes[n][0], shapes[n][3], shapes[n][1], shapes[n][2])
    ok = [n for n in cands if shapes.get(n) and len(shapes[n]) == 4 and shapes[n][2] * shapes[n][3] > 1]
    if not ok:
        raise ValueError(f"Model {model.name!r} has no default layer with a spatial output (N, C, h, w); pass "
                         "layer= with the name of a convolutional layer.")
    logger.info("cam.compute: using layer %r", ok[-1])
    return ok[-1]


def _first_layernorm(modules, name) -> str | None:
    """The first LayerNorm strictly inside module ``name`` (a transformer block's pre-attention norm), else None."""
    import torch

    for n, m in modules.items():
        if n.startswith(name + ".") and isinstance(m, torch.nn.LayerNorm):
            return n
    return None


def _spatial_layers_hint(model) -> str:
    import torch

    convs = [n for n, m in model.module.named_modules() if isinstance(m, torch.nn.Conv2d)]
    tops = [n for n in model.default_layers if any(c.startswith(n + ".") for c in convs)]
    names = tops or convs[-5:]
    return f" Spatial layers of this model include {', '.join(repr(n) for n in names[-6:])}."


def default_score_chunk(height: int, width: int, device_type: str) -> int:
    """Masked or ablated copies per pass: about CPU_PIXELS_PER_PASS input pixels on a CPU (4-256), 128 elsewhere."""
    if device_type != "cpu":
        return 128
    return max(4, min(256, CPU_PIXELS_PER_PASS // (height * width)))


class _Runner:
    """Computes the maps of one batch for one method."""

    def __init__(self, model, method, target, normalize, score_batch_size, stimuli):
        self.model, self.method, self.target = model, method, target
        self.normalize, self.score_batch_size, self.stimuli = normalize, score_batch_size, stimuli
        self.advance, self.advanced = (lambda n=1: None), 0.0     # progress inside a batch (Score-/Ablation-CAM)

    def _progress(self, done_passes: int, n_passes: int, n_images: int) -> None:
        """Advance the bar by the share of a batch's images that ``done_passes`` of ``n_passes`` stand for."""
        if n_passes:
            step = n_images * done_passes / n_passes
            self.advance(step)
            self.advanced += step

    def _chunk(self, x) -> int:
        """Copies per pass: ``score_batch_size``, or about CPU_PIXELS_PER_PASS input pixels on a CPU, 128 elsewhere."""
        if self.score_batch_size is not None:
            return self.score_batch_size
        img = x[0] if isinstance(x, list) else x
        return default_score_chunk(img.shape[-2], img.shape[-1], img.device.type)

    # -- capture -------------------------------------------------------------------------------
    def _to_spatial(self, t, layer):
        """Layer output -> (N, C, h, w).

        Transformer tokens (N, tokens, C) are put back on the patch grid of ``model.tokens`` (class, register and
        distillation tokens dropped; the grid follows the input size); Swin's channels-last maps
        (``model.channels_last``) are permuted; torchvision ViT tokens use the model's own grid.
        """
        model = self.model
        module = model.module
        if t.dim() == 4 and layer in model.channels_last:
            return t.permute(0, 3, 1, 2)
        if t.dim() == 3 and model.tokens is not None:
            grid = model.tokens.for_output(t.shape[1], self.input_hw)
            if grid is None:
                h, w = (self.input_hw[0] // model.tokens.patch_size[0], self.input_hw[1] // model.tokens.patch_size[1])
                raise ValueError(f"Invalid value for 'layer': {layer!r} outputs {t.shape[1]} tokens, not the "
                                 f"{h} x {w} patches (+ {model.tokens.n_prefix} prefix tokens: "
                                 f"{', '.join(model.tokens.prefix) or 'none'}) of this transformer at "
                                 f"{self.input_hw[0]} x {self.input_hw[1]} px; pick a transformer block.")
            return t[:, grid.n_prefix:].reshape(t.shape[0], grid.h, grid.w, t.shape[2]).permute(0, 3, 1, 2)
        if t.dim() == 3 and _is_vit(module):
            g = module.image_size // module.patch_size
            if t.shape[1] != g * g + 1:
                raise ValueError(f"Invalid value for 'layer': {layer!r} outputs {t.shape[1]} tokens, not the "
                                 f"{g * g} patches + 1 class token of this ViT; pick an encoder block.")
            return t[:, 1:].reshape(t.shape[0], g, g, t.shape[2]).permute(0, 3, 1, 2)
        if t.dim() != 4 or t.shape[2] * t.shape[3] <= 1:
            raise ValueError(f"Invalid value for 'layer': {layer!r} outputs shape {tuple(t.shape)}, which has no "
                             f"spatial grid; the {self.method!r} method needs a convolutional feature map "
                             f"(N, C, h, w) with h * w > 1, or transformer tokens.{_spatial_layers_hint(self.model)}")
        return t

    def _forward(self, x, layer, *, grad: bool):
        """Run the model; return its output and the layer's output (a grad-requiring leaf when ``grad``).

        With ``grad``, everything before the layer runs without autograd; the graph starts at the layer.
        """
        import torch

        store = {}

        def hook(m, inp, out):
            if not isinstance(out, torch.Tensor):
                raise ValueError(f"Invalid value for 'layer': {layer!r} outputs a {type(out).__name__}, not a "
                                 f"tensor.{_spatial_layers_hint(self.model)}")
            if grad:
                torch.set_grad_enabled(True)
                leaf = out.detach().requires_grad_(True)
                store["act"] = leaf
                return leaf.clone()
            store["act"] = out.detach().clone()
            return None

        handle = dict(self.model.module.named_modules())[layer].register_forward_hook(hook)
        prev = torch.is_grad_enabled()
        try:
            torch.set_grad_enabled(False)
            out = self.model.run(x)
        finally:
            torch.set_grad_enabled(prev)
            handle.remove()
        if "act" not in store:
            raise ValueError(f"Invalid value for 'layer': {layer!r} was not called in the forward pass.")
        return out, store["act"]

    # -- targets -------------------------------------------------------------------------------
    def _resolve(self, out, x, rows) -> tuple[Target, np.ndarray]:
        """Turn the ``target`` argument into a :class:`Target` for these rows (and the class of each row)."""
        fam, tgt, n = self.model.family, self.target, len(rows)
        if callable(tgt) and not isinstance(tgt, str):
            return Target("callable", fn=tgt), np.full(n, -1)
        if fam == "detection":
            return self._resolve_detection(out, rows)
        if fam == "segmentation":
            return self._resolve_segmentation(out, rows)
        logits = logits_of(out)
        if logits.dim() != 2:
            raise ValueError(f"The output of model {self.model.name!r} has shape {tuple(logits.shape)}, not "
                             "(N, classes); pass target=<callable> that returns one score per image.")
        if isinstance(tgt, str) and tgt == "predicted":
            cls = logits.argmax(1).cpu().numpy()
        elif isinstance(tgt, str) and tgt == "true":
            cls = true_classes(self.model, self.stimuli, rows)
        elif isinstance(tgt, int):
            cls = np.full(n, tgt)
        else:
            cls = np.asarray(tgt)[rows]
        check_class_range(cls, logits.shape[1])
        full = np.zeros(rows.max() + 1, int)
        full[rows] = cls
        return Target("class", classes=full), cls

    def _resolve_segmentation(self, out, rows):
        import torch

        logits = seg_logits_of(out)
        builtin = self.model.config.get("name") == "unet"
        offset = 1 if builtin else 0
        n_classes = logits.shape[1] - offset
        pred = logits.argmax(1)
        tgt = self.target
        if isinstance(tgt, str) and tgt == "true":
            cls = true_classes(self.model, self.stimuli, rows)
        elif isinstance(tgt, str) and tgt == "predicted":
            cls = []
            for b in range(len(rows)):
                counts = torch.bincount(pred[b].flatten(), minlength=logits.shape[1])
                counts[0] = 0  # background
                if int(counts.sum()) == 0:  # nothing but background: the class with the highest mean logit
                    ch = 1 + int(logits[b, 1:].detach().mean((-1, -2)).argmax())
                else:
                    ch = int(counts.argmax())
                cls.append(ch - offset)
            cls = np.asarray(cls)
        elif isinstance(tgt, int):
            cls = np.full(len(rows), tgt)
        else:
            cls = np.asarray(tgt)[rows]
        check_class_range(cls, n_classes)
        full = np.zeros(rows.max() + 1, int)
        full[rows] = cls
        masks = {}
        use_true = isinstance(tgt, str) and tgt == "true" and self.stimuli is not None and self.stimuli.has_masks
        if isinstance(tgt, str) and tgt == "true" and not use_true:
            logger.info("cam.compute: no stimulus masks; using the pixels predicted as the true class")
        for b, r in enumerate(rows):
            if use_true:
                from .geometry import to_map_grid, transform_steps

                steps = transform_steps(self.model.transform)
                m = to_map_grid(self.stimuli.load_mask(int(r)), None if steps is None else _json(steps),
                                tuple(logits.shape[-2:]))
                masks[int(r)] = torch.from_numpy(m).float()
            else:
                masks[int(r)] = (pred[b] == int(cls[b]) + offset).float().detach()
        return Target("segment", classes=full, masks=masks, offset=offset), cls

    def _resolve_detection(self, out, rows):
        import torch

        tgt = self.target
        boxes, cls = {}, []
        for b, r in enumerate(rows):
            det = out[b]
            if len(det["scores"]) == 0:
                boxes[int(r)] = None
                cls.append(-1)
                continue
            if isinstance(tgt, str) and tgt == "true":
                row = self.stimuli.metadata.iloc[int(r)]
                cols = ("bbox_x0", "bbox_y0", "bbox_x1", "bbox_y1")
                if not all(c in row.index for c in cols):
                    raise ValueError("Invalid value for 'target': 'true' for a detector needs the bbox_x0, bbox_y0, "
                                     "bbox_x1, bbox_y1 columns in the stimulus table.")
                from torchvision.ops import box_iou

                gt = torch.tensor([[float(row[c]) for c in cols]], dtype=det["boxes"].dtype, device=det["boxes"].device)
                j = int(box_iou(gt, det["boxes"].detach())[0].argmax())
            else:
                if isinstance(tgt, str):
                    keep = torch.ones_like(det["labels"], dtype=torch.bool)
                else:
                    c = int(tgt) if isinstance(tgt, int) else int(np.asarray(tgt)[r])
                    n_cls = self.model.module.roi_heads.box_predictor.cls_score.out_features
                    check_class_range(np.asarray([c]), n_cls)
                    keep = det["labels"] == c
                if not bool(keep.any()):
                    boxes[int(r)] = None
                    cls.append(-1)
                    continue
                idx = keep.nonzero().flatten()
                j = int(idx[det["scores"][idx].argmax()])
            boxes[int(r)] = (det["boxes"][j].detach(), int(det["labels"][j]))
            cls.append(int(det["labels"][j]))
        return Target("detection", boxes=boxes), np.asarray(cls)

    # -- one batch -----------------------------------------------------------------------------
    def batch(self, x, rows, layer):
        import torch

        method = self.method
        grad = method in GRADIENT_METHODS
        self.input_hw = self._input_size(x)
        out, act = self._forward(x, layer, grad=grad)
        target, cls = self._resolve(out, x, rows)
        valid = np.ones(len(rows), bool)
        if self.model.family == "detection":
            valid = np.asarray([target.boxes[int(r)] is not None for r in rows])
            if not valid.all():
                logger.warning("cam.compute: no matching detection for %d stimulus(es); their maps are NaN",
                               int((~valid).sum()))
        if valid.any():
            with torch.enable_grad() if grad else torch.no_grad():
                s = target.score(out, rows) if valid.all() else None
            if s is None:
                s = torch.stack([target.score([out[b]], [r])[0] if valid[b] else torch.zeros((), device=act.device)
                                 for b, r in enumerate(rows)])
        else:
            s = torch.zeros(len(rows), device=act.device)
        score = s.detach().float().cpu().numpy()
        score[~valid] = np.nan
        if grad:
            if not s.requires_grad:
                raise ValueError(f"The target score does not depend on layer {layer!r} (no gradient flows from it); "
                                 "pick a layer that feeds the explained output.")
            g = torch.autograd.grad(s[torch.as_tensor(valid, device=s.device)].sum(), act, allow_unused=True)[0]
            if g is None:
                g = torch.zeros_like(act)
            A, G = self._to_spatial(act.detach(), layer), self._to_spatial(g, layer)
            cam = _gradient_cam(method, A, G)
        else:
            A = self._to_spatial(act, layer)
            if method == "cam":
                cam = self._cam(A, out, cls, layer)
            elif method == "eigencam":
                cam = _eigen(A)
            elif not valid.any():                                   # no detection to explain: NaN maps
                cam = A.new_zeros((A.shape[0],) + tuple(A.shape[2:]))
            elif method == "scorecam":
                cam = self._score_cam(x, A, target, rows, layer)
            else:
                cam = self._ablation_cam(x, act, A, target, rows, layer, s.detach())
        size = self._input_size(x)
        maps = self._finish(cam.float(), size, x)
        maps[~valid] = np.nan
        return maps, cls, score

    def _input_size(self, x):
        return tuple(x[0].shape[-2:]) if isinstance(x, list) else tuple(x.shape[-2:])

    def _finish(self, cam, size, x):
        """ReLU, (min-max), resize to the input, (min-max) -> numpy (N, H, W)."""
        import torch.nn.functional as F

        cam = cam.clamp_min(0)
        if self.model.family == "detection":
            cam = self._detection_grid(cam, x)
        if self.normalize:
            cam = _minmax(cam)
        if tuple(cam.shape[-2:]) != tuple(size):
            cam = F.interpolate(cam[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
        if self.normalize:
            cam = _minmax(cam)
        return cam.detach().cpu().numpy()

    def _detection_grid(self, cam, x):
        """R-CNN feature maps cover the resized, padded batch: crop the image's part before resizing."""
        import torch.nn.functional as F

        hp, wp, sizes = self._detection_geometry(x)
        out = []
        for b, (h, w) in enumerate(sizes):
            up = F.interpolate(cam[b:b + 1, None], size=(hp, wp), mode="bilinear", align_corners=False)[0, 0]
            out.append(F.interpolate(up[None, None, :h, :w], size=(max(1, cam.shape[-2] * h // hp),
                                                                    max(1, cam.shape[-1] * w // wp)),
                                     mode="bilinear", align_corners=False)[0, 0])
        return out[0][None] if len(out) == 1 else _stack_same(out)

    # -- methods without gradients -------------------------------------------------------------
    def _cam(self, A, out, cls, layer):
        """Zhou et al. (2016): the class's weights of the linear head applied to the feature maps."""
        import torch

        if self.model.family != "classification" or callable(self.target):
            raise ValueError("Invalid value for 'method': 'cam' needs a classifier with a global-average-pool + "
                             "linear head and a class target; use 'gradcam' (identical to CAM for such heads), "
                             "'scorecam', 'ablationcam' or 'eigencam'.")
        logits = logits_of(out).float()
        pooled = A.float().mean((2, 3))
        fc = None
        for name, m in self.model.module.named_modules():
            if isinstance(m, torch.nn.Linear) and m.in_features == A.shape[1] and m.out_features == logits.shape[1]:
                fc = m
        ok = fc is not None
        if ok:
            pred = pooled @ fc.weight.float().T + (fc.bias.float() if fc.bias is not None else 0)
            ok = bool(torch.allclose(pred, logits, rtol=1e-3, atol=1e-4 * (1 + float(logits.abs().max()))))
        if not ok:
            raise ValueError(f"Invalid value for 'method': 'cam' needs the logits to be a linear function of the "
                             f"global average of layer {layer!r} (a GAP + linear head right after it); model "
                             f"{self.model.name!r} has other layers in between. Use 'gradcam' (the generalisation "
                             "of CAM), 'gradcam++', 'hirescam', 'xgradcam', 'layercam', 'scorecam', 'ablationcam' or "
                             "'eigencam' instead.")
        w = fc.weight.float()[torch.as_tensor(cls, device=A.device)]
        return (w[:, :, None, None] * A.float()).sum(1)

    def _fast_module(self):
        """A channels-last copy of the module (hooks on named layers work), built once per call."""
        from ._fast import channels_last_copy

        if not hasattr(self, "_fast"):
            self._fast = channels_last_copy(self.model.module, convert=self.model.input_kind != "list")
        return self._fast

    def _scoring_module(self, x):
        """The fastest faithful copy for scoring masked images (see ``_fast.scoring_copy``), built once per call."""
        from ._fast import scoring_copy

        if self.model.input_kind == "list":
            return self._fast_module()
        if not hasattr(self, "_scoring"):
            self._scoring = scoring_copy(self.model.module, x[:2])
            logger.debug("cam: Score-CAM scores masked images with a %s copy of the model", self._scoring.kind)
        return self._scoring

    def _score_cam(self, x, A, target, rows, layer):
        """Wang et al. (2020), as pytorch-grad-cam: softmax over channels of the scores of masked inputs.

        Each channel is upsampled to the input (bilinear, corners aligned),
        min-max scaled to a mask in [0, 1] and multiplied with the image; the
        masked images of all images of the batch are scored in chunks of
        ``score_batch_size``, masks made chunk by chunk (memory grows with the
        chunk, not with channels x images). A channel that is constant on its
        grid gives an all-zero mask (0/0 is taken as 0), hence the zero image:
        its score is computed once per batch, not once per channel.

        Detectors: the feature map covers the resized, padded batch, so each
        channel is upsampled to it, the image's part cropped and resized to
        the image (as the maps are) before scaling; the masked copies are
        scored by the detection matched to the reference box and class.
        """
        import torch
        import torch.nn.functional as F

        A = A.float()
        detector = isinstance(x, list)
        if detector:
            xt = x[0][None]
            hp, wp, ((h, w),) = self._detection_geometry(x[:1])

            def masks_of(a):
                up = F.interpolate(a[:, None], size=(hp, wp), mode="bilinear", align_corners=False)
                return F.interpolate(up[..., :h, :w], size=tuple(xt.shape[-2:]), mode="bilinear",
                                     align_corners=False)
        else:
            xt = x

            def masks_of(a):
                return F.interpolate(a[:, None], size=tuple(xt.shape[-2:]), mode="bilinear", align_corners=True)
        weights = torch.empty(A.shape[:2], dtype=torch.float32, device=A.device)
        flat = A.detach().flatten(2)
        const = flat.amax(-1) == flat.amin(-1)
        pairs = (~const).nonzero()                                      # (image, channel) to score
        chunk = self._chunk(x)
        net = self._scoring_module(xt)
        score_net = (lambda b: net(list(b))) if detector else net
        with torch.inference_mode():
            if const.any():
                zero_out = score_net(torch.zeros_like(xt[:1]))
                for b, r in enumerate(rows):
                    if const[b].any():
                        weights[b, const[b]] = target.score(zero_out, [r]).float()[0]
            for i in range(0, len(pairs), chunk):
                img, ch = pairs[i:i + chunk].unbind(1)
                up = masks_of(A[img, ch])
                lo, hi = up.amin((2, 3), keepdim=True), up.amax((2, 3), keepdim=True)
                batch = xt[img] * ((up - lo) / (hi - lo + 1e-8))
                weights[img, ch] = target.score(score_net(batch), rows[img.cpu().numpy()]).float()
                self._progress(len(img), len(pairs), len(rows))
        weights = weights.softmax(-1)
        return (weights[:, :, None, None] * A).sum(1)

    def _detection_geometry(self, x):
        """Padded height and width of the R-CNN's batch of ``x``, and each image's resized (height, width)."""
        images, _ = self.model.module.transform([t.detach() for t in x])
        hp, wp = images.tensors.shape[-2:]
        return int(hp), int(wp), [(int(h), int(w)) for h, w in images.image_sizes]

    def _ablation_cam(self, x, act, A, target, rows, layer, s0):
        """Desai & Ramaswamy (2020), as pytorch-grad-cam: relative drop of the score when a channel is ablated.

        An ablated channel is set to 0 where the layer's minimum is 0 (after a
        ReLU), else to ``min - 1e7`` (pytorch-grad-cam lowers it further for
        every later copy in its batch; where a ReLU follows, as in every block of
        a ResNet or the built-in nets, both give the same maps). The copies of all
        images of the batch are run in chunks of ``score_batch_size``. ViT
        tokens (N, tokens, D): channel ``d`` is ablated in every token, the
        prefix tokens included (pytorch-grad-cam's ``AblationLayerVit``); Swin's
        (N, H, W, C) maps: channel ``c`` is the last axis.
        """
        import torch

        tokens = act.dim() == 3 and (self.model.tokens is not None or _is_vit(self.model.module))
        nhwc = act.dim() == 4 and layer in self.model.channels_last     # Swin: (N, H, W, C)
        if act.dim() != 4 and not tokens:
            raise ValueError(f"Invalid value for 'method': 'ablationcam' needs a convolutional layer (N, C, h, w) or "
                             f"ViT tokens; {layer!r} outputs shape {tuple(act.shape)}. Use 'gradcam' or 'eigencam' "
                             "for it.")
        fast = self._fast_module()
        C = act.shape[2] if tokens else act.shape[3] if nhwc else act.shape[1]
        weights = torch.empty((len(rows), C), dtype=torch.float32, device=act.device)
        state = {}
        handle = dict(fast.module.named_modules())[layer].register_forward_hook(lambda m, i, o: state["act"])
        try:
            with torch.inference_mode():
                lows = act.flatten(1).min(1).values
                values = torch.where(lows == 0, torch.zeros_like(lows), lows - 1e7)
                pairs = torch.cartesian_prod(torch.arange(len(rows), device=act.device),
                                             torch.arange(C, device=act.device))
                chunk = self._chunk(x)
                for i in range(0, len(pairs), chunk):
                    p = pairs[i:i + chunk]
                    batch = act[p[:, 0]].clone()
                    k = torch.arange(len(p), device=act.device)
                    if tokens:
                        batch[k, :, p[:, 1]] = values[p[:, 0], None]
                    elif nhwc:
                        batch[k, :, :, p[:, 1]] = values[p[:, 0], None, None]
                    else:
                        batch[k, p[:, 1]] = values[p[:, 0], None, None]
                    if fast.channels_last and batch.dim() == 4 and not nhwc:
                        batch = batch.contiguous(memory_format=torch.channels_last)
                    state["act"] = batch
                    out = fast([x[int(j)] for j in p[:, 0]] if isinstance(x, list) else x[p[:, 0]])
                    weights[p[:, 0], p[:, 1]] = target.score(out, rows[p[:, 0].cpu().numpy()]).float()
                    self._progress(len(p), len(pairs), len(rows))
        finally:
            handle.remove()
        s0 = s0.float()[:, None]
        weights = (s0 - weights) / s0
        return (weights[:, :, None, None] * A.float()).sum(1)


def _json(steps):
    from .geometry import encode_steps

    return encode_steps(steps)


def _stack_same(maps):
    import torch

    return torch.stack(maps)


def _minmax(cam):
    """pytorch-grad-cam's ``scale_cam_image``: ``(m - min) / (1e-7 + max(m - min))`` per image."""
    flat = cam.flatten(1)
    cam = cam - flat.min(1).values[:, None, None]
    return cam / (1e-7 + cam.flatten(1).max(1).values[:, None, None])


def _gradient_cam(method, A, G):
    """The gradient-based maps, each exactly as pytorch-grad-cam defines it."""
    A, G = A.float(), G.float()
    if method == "gradcam":
        return (G.mean((2, 3))[:, :, None, None] * A).sum(1)
    if method == "hirescam":
        return (G * A).sum(1)
    if method == "layercam":
        return (G.clamp_min(0) * A).sum(1)
    if method == "xgradcam":
        s = A.sum((2, 3), keepdim=True)
        w = (G * A / (s + 1e-7)).sum((2, 3))
        return (w[:, :, None, None] * A).sum(1)
    # gradcam++ (Chattopadhay et al. 2018, eq. 19)
    import torch

    g2 = G ** 2
    g3 = g2 * G
    s = A.sum((2, 3), keepdim=True)
    aij = g2 / (2 * g2 + s * g3 + 1e-6)
    aij = torch.where(G != 0, aij, torch.zeros_like(aij))
    w = (G.clamp_min(0) * aij).sum((2, 3))
    return (w[:, :, None, None] * A).sum(1)


def _eigen(A):
    """Muhammad & Yeasin (2020), as pytorch-grad-cam: projection on the first principal direction of the channels.

    Computed with numpy's SVD, as pytorch-grad-cam does, so the (arbitrary) sign
    of the component is the same.
    """
    import torch

    acts = A.detach().float().cpu().numpy().copy()
    acts[np.isnan(acts)] = 0
    out = []
    for a in acts:
        r = a.reshape(a.shape[0], -1).T
        r = r - r.mean(axis=0)
        _, _, vt = np.linalg.svd(r, full_matrices=True)
        out.append((r @ vt[0]).reshape(a.shape[1:]))
    return torch.from_numpy(np.float32(out)).to(A.device)
