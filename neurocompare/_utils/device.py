"""Choosing a torch device."""
from __future__ import annotations

from .checks import check_option


def resolve_device(device="auto"):
    """Return a ``torch.device``; ``"auto"`` picks cuda, then mps, then cpu."""
    import torch

    if isinstance(device, torch.device):
        return device
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if not isinstance(device, str):
        raise TypeError(f"Invalid type for 'device': expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; got {device!r}.")
    kind = device.split(":")[0]
    check_option("device", kind if ":" in device else device, ["auto", "cpu", "cuda", "mps"])
    if kind == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device={device!r} was requested but CUDA is not available here. Use device='cpu' or 'auto'.")
    if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise RuntimeError(f"device={device!r} was requested but MPS is not available here. Use device='cpu' or 'auto'.")
    return torch.device(device)
