"""Forward hooks that capture layer outputs safely, and turn them into (batch, unit) features."""
from __future__ import annotations

import numpy as np

from ._reduce import grid_problem, layout_of, spatial


_SUNK = object()  # marker: the hook already wrote this call's output into its sink


class _Unsupported:
    def __init__(self, what: str, *, bad_reduce: bool = False):
        self.what = what
        self.bad_reduce = bad_reduce  # the output is fine, the reduce= value does not fit it


class LayerRecorder:
    """Registers forward hooks on the chosen layers and collects their outputs.

    Hooks clone what they keep (or reduce it, which makes a new tensor), so in-place
    operations later in the network cannot overwrite a captured output. A module
    called several times in one forward pass (a reused ReLU, an RPN head applied
    to each FPN level) keeps every call; the calls become ``part``\\ s of the layer.
    """

    def __init__(self, wrapper, layers, kind: str, k: int | None):
        self.wrapper = wrapper
        self.layers = list(layers)
        self.kind, self.k = kind, k
        self.calls: dict[str, list] = {n: [] for n in self.layers}
        #: layer -> preallocated (stimuli, units) float32 array that the hook writes into directly
        self.sinks: dict[str, np.ndarray] = {}
        self.position = 0
        #: (H, W) of the current input batch: the patch grid of a transformer's token outputs follows it
        self.input_hw = None
        self.box_counts: list[int] | None = None
        self.det_counts: list[int] | None = None
        self._handles = []

    def region_level(self, layer: str) -> str | None:
        """``"box"`` / ``"detection"`` for detector heads that run once per region, else None."""
        if self.wrapper.family != "detection" or not layer.startswith("roi_heads."):
            return None
        return "detection" if layer.startswith(("roi_heads.mask_", "roi_heads.keypoint_")) else "box"

    def __enter__(self):
        modules = dict(self.wrapper.module.named_modules())
        for name in self.layers:
            self._handles.append(modules[name].register_forward_hook(self._make_hook(name)))
        levels = {self.region_level(n) for n in self.layers}
        if "box" in levels:
            self._handles.append(modules["rpn"].register_forward_hook(self._count_boxes))
        if "detection" in levels:
            self._handles.append(modules["roi_heads"].register_forward_hook(self._count_detections))
        return self

    def __exit__(self, *exc):
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def reset(self) -> None:
        for v in self.calls.values():
            v.clear()
        self.box_counts = self.det_counts = None

    def _make_hook(self, name):
        def hook(module, inputs, output):
            if name in self.sinks and self._sink(name, output):
                self.calls[name].append(_SUNK)
            else:
                self.calls[name].append(self._capture(output, name))
        return hook

    def _layout(self, name, out):
        """``(tensor, layout)``: channels-last maps permuted to (N, C, H, W); transformer tokens get their TokenGrid."""
        if out.dim() == 4 and name in self.wrapper.channels_last:
            return out.permute(0, 3, 1, 2), "map"
        tokens = getattr(self.wrapper, "tokens", None)
        if out.dim() == 3 and tokens is not None:
            grid = tokens.for_output(int(out.shape[1]), self.input_hw)
            if grid is not None:
                return out, grid
        return out, layout_of(out)

    def _sink(self, name, out) -> bool:
        """Copy the (reduced) output straight into the result array: one copy, which is also the clone."""
        import torch

        if not isinstance(out, torch.Tensor):
            return False
        out, layout = self._layout(name, out)
        if self.kind == "grid" and grid_problem(out, self.k, layout):
            return False  # _capture records why
        red = spatial(out.detach(), self.kind, self.k, layout)
        dest = self.sinks[name][self.position:self.position + out.shape[0]]
        if red is None or red[0].numel() != dest.shape[1] or len(red) != len(dest):
            return False
        torch.from_numpy(dest).copy_(red.reshape(len(dest), -1))
        return True

    def _count_boxes(self, module, inputs, output):
        self.box_counts = [len(b) for b in output[0]]

    def _count_detections(self, module, inputs, output):
        self.det_counts = [len(r["boxes"]) for r in output[0]]

    def _capture(self, out, name=""):
        import torch

        from ..models.tokens import TokenGrid

        if isinstance(out, torch.Tensor):
            shape = tuple(out.shape[1:])
            out, layout = self._layout(name, out)
            problem = grid_problem(out, self.k, layout) if self.kind == "grid" else None
            if problem:
                return _Unsupported(problem, bad_reduce=True)
            red = spatial(out.detach(), self.kind, self.k, layout)
            if red is None and self.kind == "cls":
                return _Unsupported(f"reduce='cls' keeps the class token of a transformer's token outputs, but this "
                                    f"output of shape {tuple(out.shape)} is not a token sequence with a known class "
                                    "token; choose the transformer's blocks (or reduce='avgpool')", bad_reduce=True)
            if red is None:
                return _Unsupported(f"('grid', k) needs spatial maps (N, C, H, W); this output has shape "
                                    f"{tuple(out.shape)}")
            if red is out or red.data_ptr() == out.data_ptr():
                red = red.clone()
            kept = layout if isinstance(layout, TokenGrid) and red.dim() == 3 else layout_of(red)
            return (red, shape, kept)
        if isinstance(out, dict):
            return {str(k): self._capture(v, name) for k, v in out.items()}
        if isinstance(out, (list, tuple)):
            return [self._capture(v, name) for v in out]
        return _Unsupported(f"an output of type {type(out).__name__}")

    def features(self, layer: str, batch: int):
        """The batch's features for ``layer``: a (batch, units) float tensor, unit coords and part shapes."""
        import torch

        calls = self.calls[layer]
        if calls == [_SUNK]:
            return None, None, None
        if not calls:
            raise RuntimeError(f"Layer {layer!r} of model {self.wrapper.name!r} did not run during the forward pass, "
                               "so it has no output to extract. Choose another layer.")
        parts = []
        for i, c in enumerate(calls):
            _flatten(c, f"call{i}" if len(calls) > 1 else "", parts, layer)
        level = self.region_level(layer)
        feats, coords, shapes = [], [], []
        for label, t, shape, layout in parts:
            if level:
                t = _pool_regions(t, self.box_counts if level == "box" else self.det_counts, batch, layer)
            if t.shape[0] != batch:
                raise RuntimeError(f"Layer {layer!r} returned an output with {t.shape[0]} rows for a batch of "
                                   f"{batch} images, so it cannot be split per stimulus. Choose another layer.")
            feats.append(t.reshape(batch, -1).float())
            coords.append((label, tuple(t.shape[1:]), layout if t.dim() == 3 else layout_of(t)))
            shapes.append((label, list(shape)))
        return torch.cat(feats, dim=1) if len(feats) > 1 else feats[0], coords, shapes


def _flatten(c, label, parts, layer):
    if isinstance(c, _Unsupported) and c.bad_reduce:
        raise ValueError(f"Invalid value for 'reduce': layer {layer!r} cannot be reduced: {c.what}.")
    if isinstance(c, _Unsupported):
        raise RuntimeError(f"Layer {layer!r} cannot be extracted: {c.what}. Choose another layer"
                           + (" or another reduction." if "grid" in c.what else "."))
    if isinstance(c, tuple):
        parts.append((label, c[0], c[1], c[2]))
    elif isinstance(c, dict):
        for k, v in c.items():
            _flatten(v, f"{label}/{k}" if label else k, parts, layer)
    else:
        for i, v in enumerate(c):
            _flatten(v, f"{label}/{i}" if label else str(i), parts, layer)


def _pool_regions(t, counts, batch, layer):
    """Average the rows of a per-region output within each image (NaN where an image has none)."""
    import torch

    if counts is None or len(counts) != batch or sum(counts) != t.shape[0]:
        raise RuntimeError(f"Could not match the {t.shape[0]} region rows of layer {layer!r} to the {batch} images "
                           "of the batch. Choose a backbone or FPN layer instead.")
    out = torch.full((batch, *t.shape[1:]), float("nan"), dtype=torch.float32, device=t.device)
    start = 0
    for i, n in enumerate(counts):
        if n:
            out[i] = t[start:start + n].float().mean(0)
        start += n
    return out


def unit_coords(coords) -> dict[str, np.ndarray]:
    """Coordinates along ``unit`` from the per-part shapes (C-order flattening within each part).

    ``channel`` is always present. ``unit_y``/``unit_x`` (the position in the feature
    map; named so they never clash with the stimulus factors ``x``/``y``) appear when a part is a spatial map,
    ``token`` when a part is a token sequence, ``part`` when a layer has several
    outputs or calls. Token outputs of a transformer with a known layout also get
    ``token_kind`` (``"cls"``, ``"register"``, ``"distillation"``, ``"patch"``), and their patch tokens the
    ``unit_y``/``unit_x`` of the patch in the grid. Entries that do not apply are -1 (or "").
    """
    from ..models.tokens import TokenGrid

    chans, ys, xs, toks, labels, kinds = [], [], [], [], [], []
    for label, shape, layout in coords:
        n = int(np.prod(shape)) if shape else 1
        if isinstance(layout, TokenGrid):
            t, d = shape
            tt, dd = np.meshgrid(np.arange(t), np.arange(d), indexing="ij")
            p = tt.ravel() - layout.n_prefix
            patch = p >= 0
            chans.append(dd.ravel()); toks.append(tt.ravel())
            ys.append(np.where(patch, p // max(layout.w, 1), -1)); xs.append(np.where(patch, p % max(layout.w, 1), -1))
            kinds.append(np.repeat(np.array(layout.kinds(), dtype=object), d))
            labels.append(np.full(n, label, dtype=object))
            continue
        kinds.append(np.full(n, "", dtype=object))
        if layout == "map":
            c, h, w = shape
            cc, yy, xx = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
            chans.append(cc.ravel()); ys.append(yy.ravel()); xs.append(xx.ravel()); toks.append(np.full(n, -1))
        elif layout == "tokens":
            t, d = shape
            tt, dd = np.meshgrid(np.arange(t), np.arange(d), indexing="ij")
            chans.append(dd.ravel()); toks.append(tt.ravel()); ys.append(np.full(n, -1)); xs.append(np.full(n, -1))
        else:
            chans.append(np.arange(n)); ys.append(np.full(n, -1)); xs.append(np.full(n, -1)); toks.append(np.full(n, -1))
        labels.append(np.full(n, label, dtype=object))
    out = {"channel": np.concatenate(chans)}
    grids = any(isinstance(layout, TokenGrid) for _, _, layout in coords)
    if grids or any(layout == "map" for _, _, layout in coords):
        out["unit_y"], out["unit_x"] = np.concatenate(ys), np.concatenate(xs)
    if grids or any(layout == "tokens" for _, _, layout in coords):
        out["token"] = np.concatenate(toks)
    if grids:
        out["token_kind"] = np.concatenate(kinds).astype(str)
    if len(coords) > 1:
        out["part"] = np.concatenate(labels).astype(str)
    return out
