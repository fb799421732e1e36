"""The torch view of a StimulusSet."""
from __future__ import annotations

import torch
from torch.utils.data import Dataset


class ImageDataset(Dataset):
    """Yields ``(transform(image), position)`` for each stimulus from ``start`` on."""

    def __init__(self, stimuli, transform=None, *, start: int = 0):
        self.stimuli = stimuli
        self.transform = transform
        self.start = int(start)

    def __len__(self) -> int:
        return len(self.stimuli) - self.start

    def __getitem__(self, i: int):
        pos = self.start + i
        img = self.stimuli.load_image(pos)
        if self.transform is not None:
            img = self.transform(img)
        else:
            from torchvision.transforms.functional import pil_to_tensor

            img = pil_to_tensor(img).float() / 255.0
        return img, torch.tensor(pos)
