"""Running a wrapped model on batches of stimuli without changing it.

For use inside neurocompare (extraction, prediction, CAM, probes, behaviour, generation).
"""
from __future__ import annotations

import contextlib

import numpy as np

from .._utils.hashing import config_hash


@contextlib.contextmanager
def prepared(module, device):
    """Eval mode on ``device`` inside the block; every module's mode and the device are restored after."""
    modes = {name: m.training for name, m in module.named_modules()}
    tensors = list(module.parameters()) + list(module.buffers())
    orig = tensors[0].device if tensors else None
    moved = orig is not None and orig != device
    if moved:
        module.to(device)
    module.eval()
    try:
        yield
    finally:
        if moved:
            module.to(orig)
        for name, m in module.named_modules():
            m.training = modes.get(name, m.training)


def collate(items):
    """Stack ``(image, position)`` items into a batch; keep a list when image sizes differ."""
    import torch

    imgs = [x for x, _ in items]
    if all(i.shape == imgs[0].shape for i in imgs):
        return torch.stack(imgs)
    return imgs


class StimulusSource:
    """Stimuli as batches of model inputs, with their coordinates."""

    def __init__(self, stimuli):
        import torch

        from ..stimuli import StimulusSet

        self.stimuli = None
        self.array = None
        self.latent = False
        if isinstance(stimuli, StimulusSet):
            self.stimuli = stimuli
            self.n = len(stimuli)
            if self.n == 0:  # every model call on stimuli starts here: extract, cam, predict, model_trials, ...
                raise ValueError("Invalid value for 'stimuli': it holds no stimuli (an empty selection?), so there is "
                                 "nothing to compute and nothing is written.")
            self.coords = stimuli.coords()
            self.name = stimuli.name
            self._hash_of = lambda: config_hash({"ids": list(stimuli.ids), "files": list(stimuli.metadata["file"])})
        elif isinstance(stimuli, (torch.Tensor, np.ndarray)):
            arr = torch.as_tensor(stimuli)
            if arr.dim() < 2 or len(arr) == 0:
                raise ValueError(f"Invalid value for 'stimuli': an array input needs shape (n_stimuli, ...) with "
                                 f"n_stimuli >= 1; got shape {tuple(arr.shape)}.")
            self.array = arr.float() if not arr.is_floating_point() else arr
            bad = ~torch.isfinite(self.array.reshape(len(arr), -1)).all(1)
            if bad.any():
                where = torch.nonzero(bad).flatten()[:5].tolist()
                raise ValueError(f"Invalid value for 'stimuli': {int(bad.sum())} of the {len(arr)} input arrays hold "
                                 f"NaN or infinite values (stimuli at positions {where}"
                                 f"{' ...' if int(bad.sum()) > 5 else ''}); every activation of theirs would be NaN. "
                                 "Replace them (e.g. np.nan_to_num) or drop those stimuli.")
            self.latent = arr.dim() == 2
            self.n = len(arr)
            self.coords = {"stimulus": ("stimulus", np.arange(self.n).astype(str))}
            self.name = "array"
            self._hash_of = lambda: config_hash({"shape": list(arr.shape), "sum": float(arr.double().sum())})
        else:
            raise TypeError(f"Invalid value for 'stimuli': expected a StimulusSet, a torch.Tensor or a numpy array; "
                            f"got {type(stimuli).__name__}. Load a folder with neurocompare.stimuli.load(path).")

    @property
    def id_hash(self) -> str:
        """A fingerprint of the stimuli (computed on first use: it reads every array value)."""
        if not hasattr(self, "_id_hash"):
            self._id_hash = self._hash_of()
        return self._id_hash

    def batches(self, wrapper, batch_size: int, start: int, num_workers: int):
        """Yield ``(first_position, inputs)`` from ``start`` on."""
        if self.array is not None:
            for a in range(start, self.n, batch_size):
                yield a, self.array[a:a + batch_size]
            return
        from torch.utils.data import DataLoader

        if wrapper.transform is None:
            raise ValueError(f"Model {wrapper.name!r} has no transform; pass transform= to neurocompare.models.wrap.")
        ds = self.stimuli.to_torch(wrapper.transform, start=start)
        loader = DataLoader(ds, batch_size=batch_size, shuffle=False, num_workers=num_workers, collate_fn=collate)
        pos = start
        for inputs in loader:
            yield pos, inputs
            pos += len(inputs)


def first_tensor(out):
    """The main output tensor of a forward pass: itself, ``what``/``out``/``logits`` of a dict, or the first item."""
    import torch

    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        for key in ("what", "out", "logits"):
            if key in out:
                return out[key]
        return next(iter(out.values()))
    return out[0]
