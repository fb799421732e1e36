"""Fast copies of a model for the many forward passes of Score-CAM and Ablation-CAM.

Both methods run the network hundreds of times per image, so they run a copy
built for inference instead of the caller's module (which is never touched):

- :func:`channels_last_copy`: same definition and weights, channels-last
  memory format (faster convolutions on CPUs and GPUs); hooks on named layers
  still work, so Ablation-CAM uses it.
- :func:`scoring_copy`: batch norm folded into the convolutions (torch.fx), and
  on a CPU the convolutions run by oneDNN with pre-packed weights
  (``torch.fx.experimental.optimization.optimize_for_inference``), elsewhere
  channels-last; the layer structure is gone, which Score-CAM does not need
  (it only scores masked images). Checked against the original module on a
  probe batch and dropped for the channels-last copy if it does not trace or
  does not agree.
"""
from __future__ import annotations

import logging

logger = logging.getLogger("neurocompare")

#: agreement required between the optimised copy and the module on the probe (relative to the output scale)
PROBE_RTOL = 1e-4


class FastModule:
    """A callable copy of a module; ``channels_last`` says whether inputs are converted before the call."""

    def __init__(self, module, *, channels_last: bool, kind: str):
        self.module, self.channels_last, self.kind = module, channels_last, kind

    def __call__(self, batch):
        import torch

        if self.channels_last and isinstance(batch, torch.Tensor) and batch.dim() == 4:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return self.module(batch)


def _has_conv(module) -> bool:
    import torch

    return any(isinstance(m, torch.nn.Conv2d) for m in module.modules())


def channels_last_copy(module, *, convert: bool = True) -> FastModule:
    """A channels-last deep copy of ``module`` (the module itself when it has no 2-D convolution).

    ``convert=False`` gives a plain deep copy (detectors: their list input
    is batched inside the model).
    """
    import copy

    import torch

    if not _has_conv(module):
        return FastModule(module, channels_last=False, kind="original")
    if not convert:
        return FastModule(copy.deepcopy(module), channels_last=False, kind="copy")
    return FastModule(copy.deepcopy(module).to(memory_format=torch.channels_last), channels_last=True,
                      kind="channels-last")


def _leaves(out):
    from torch.utils._pytree import tree_leaves

    import torch

    return [t for t in tree_leaves(out) if isinstance(t, torch.Tensor) and t.is_floating_point()]


def _agree(ref, got) -> bool:
    import torch

    a, b = _leaves(ref), _leaves(got)
    if len(a) != len(b) or not a:
        return False
    for u, v in zip(a, b):
        if u.shape != v.shape or not bool(torch.isfinite(v).all()):
            return False
        scale = float(u.abs().max()) if u.numel() else 0.0
        if u.numel() and float((u - v).abs().max()) > PROBE_RTOL * (1.0 + scale):
            return False
    return True


def _try(build, module, probe, what):
    """``build(copy_of_module)`` if it succeeds and agrees with ``module`` on ``probe``, else None.

    torch.fx prints the generated code of a failing traced module to stderr;
    a failure here only means "not this copy", so that print is swallowed.
    """
    import contextlib
    import copy
    import io
    import warnings

    import torch

    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            fast = build(copy.deepcopy(module))
            with torch.inference_mode():
                ok = _agree(module(probe), fast(probe))
    except Exception as err:  # untraceable, or an op the copy cannot run: the plain copy is as exact
        logger.debug("cam: no %s copy (%s: %s)", what, type(err).__name__, str(err).splitlines()[0] if str(err)
                     else "")
        return None
    if not ok:
        logger.debug("cam: the %s copy disagrees with the model on a probe batch; not used", what)
        return None
    return fast


def _grouped_conv(module) -> bool:
    import torch

    return any(isinstance(m, torch.nn.Conv2d) and m.groups > 1 for m in module.modules())


def scoring_copy(module, probe, *, onednn: bool | None = None) -> FastModule:
    """The fastest faithful copy of ``module`` for scoring batches like ``probe`` (no hooks needed).

    Parameters
    ----------
    module : torch.nn.Module
        The network, in eval mode (it is deep-copied, never changed).
    probe : torch.Tensor
        A small input batch on the module's device, used to check each copy.
    onednn : bool, optional
        Try oneDNN (CPU only). Default: for a float32 CPU probe and a net
        without grouped (depthwise) convolutions: oneDNN is faster for ResNets
        and ViTs (1.3x) but slower for EfficientNets and fails on MobileNetV3.

    Returns
    -------
    FastModule
        ``kind`` is ``"oneDNN (BN folded)"``, ``"channels-last (BN folded)"``,
        or that of :func:`channels_last_copy` (a net torch.fx cannot trace, or
        copies that disagree on the probe). The choice depends on the net and
        the device only, so repeated runs give identical numbers.
    """
    import torch

    params = list(module.parameters())
    if module.training or not _has_conv(module) or probe.dtype != torch.float32 \
            or any(p.dtype != torch.float32 or p.device != probe.device for p in params):
        return channels_last_copy(module)
    if onednn is None:
        onednn = probe.device.type == "cpu" and not _grouped_conv(module)
    from torch.fx.experimental import optimization as fx_opt

    if onednn and probe.device.type == "cpu":
        fast = _try(fx_opt.optimize_for_inference, module, probe, "oneDNN")
        if fast is not None:
            return FastModule(fast, channels_last=False, kind="oneDNN (BN folded)")
    fast = _try(lambda m: fx_opt.fuse(m).to(memory_format=torch.channels_last), module,
                probe.contiguous(memory_format=torch.channels_last), "BN-folded")
    if fast is not None:
        return FastModule(fast, channels_last=True, kind="channels-last (BN folded)")
    return channels_last_copy(module)
