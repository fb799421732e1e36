"""CycleGAN networks (Zhu et al. 2017): ResNet-block generator, PatchGAN discriminator, image pool.

The layer recipe follows the paper's appendix and the official pytorch-CycleGAN-and-pix2pix code:
generator ``c7s1-k, d2k, d4k, R4k x n_blocks, u2k, uk, c7s1-3`` with instance norm (no affine
parameters, so convolutions keep their bias), reflection padding and a tanh output; discriminator
``C64-C128-C256-C512`` style PatchGAN (4x4 convolutions, LeakyReLU 0.2, no norm on the first layer)
ending in a one-channel map of patch scores. Weights are initialised from N(0, 0.02), biases at 0.
"""
from __future__ import annotations

import torch
from torch import nn

#: downsampling steps of the generator (the image side must be a multiple of 2 ** N_DOWN)
N_DOWN = 2
#: smallest image side the networks accept
MIN_SIZE = 16


def patch_receptive_field(n_layers: int) -> int:
    """Receptive field (pixels) of a PatchGAN with ``n_layers`` strided layers (1 -> 16, 2 -> 34, 3 -> 70)."""
    r = 1
    for stride in [1, 1] + [2] * n_layers:
        r = (r - 1) * stride + 4
    return r


def default_d_layers(size: int) -> int:
    """Strided layers of the discriminator for images of side ``size``: the 70x70 PatchGAN (3 layers) scaled
    down so the patch is no larger than the image (32 px -> 16x16 patches, 64 px -> 34x34, >= 128 px -> 70x70)."""
    n = 1
    while n < 3 and patch_receptive_field(n + 1) <= size:
        n += 1
    return n


def patch_output_side(size: int, n_layers: int) -> int:
    """Side of the discriminator's output map for an input side ``size``."""
    for _ in range(n_layers):
        size = (size + 2 - 4) // 2 + 1
    for _ in range(2):
        size = size + 2 - 4 + 1
    return size


class ResnetBlock(nn.Module):
    """Two 3x3 convolutions (reflection padding, instance norm) with a skip connection."""

    def __init__(self, dim: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    """The CycleGAN generator: ``c7s1-w, d2w, d4w, R4w x n_blocks, u2w, uw, c7s1-channels``, tanh output.

    Parameters
    ----------
    channels : int
        Image channels (in and out).
    width : int
        Filters of the first layer (64 in the paper); the bottleneck has ``4 * width``.
    n_blocks : int
        Residual blocks at the bottleneck (6 for 128 px and 9 for 256 px in the paper).
    """

    def __init__(self, channels: int = 3, *, width: int = 64, n_blocks: int = 9):
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(channels, width, 7), nn.InstanceNorm2d(width),
                                   nn.ReLU(True)]
        for i in range(N_DOWN):
            cin = width * 2 ** i
            layers += [nn.Conv2d(cin, 2 * cin, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * cin), nn.ReLU(True)]
        dim = width * 2 ** N_DOWN
        layers += [ResnetBlock(dim) for _ in range(n_blocks)]
        for i in range(N_DOWN):
            cin = width * 2 ** (N_DOWN - i)
            layers += [nn.ConvTranspose2d(cin, cin // 2, 3, stride=2, padding=1, output_padding=1),
                       nn.InstanceNorm2d(cin // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN discriminator: one real/fake score per overlapping image patch (LSGAN: no sigmoid).

    Parameters
    ----------
    channels : int
    width : int
        Filters of the first layer (64 in the paper), doubled per layer up to ``8 * width``.
    n_layers : int
        Strided 4x4 layers; 3 gives the paper's 70x70 patches, 2 gives 34x34, 1 gives 16x16.
    """

    def __init__(self, channels: int = 3, *, width: int = 64, n_layers: int = 3):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            layers += [nn.Conv2d(width * prev, width * mult, 4, stride=2, padding=1), nn.InstanceNorm2d(width * mult),
                       nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        layers += [nn.Conv2d(width * prev, width * mult, 4, stride=1, padding=1), nn.InstanceNorm2d(width * mult),
                   nn.LeakyReLU(0.2, True), nn.Conv2d(width * mult, 1, 4, stride=1, padding=1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


def init_weights(module: nn.Module, gain: float = 0.02) -> None:
    """N(0, gain) for convolution weights, zero biases (the official ``init_type='normal'``)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class ImagePool:
    """A buffer of up to ``size`` earlier fakes (Shrivastava et al. 2017), as in the official code.

    Until the pool is full every fake is stored and returned. After that each fake is, with
    probability 1/2, swapped for a random stored one (which it replaces) and otherwise returned
    as it is. The draws come from ``rng`` (a numpy Generator), so training is reproducible.
    """

    def __init__(self, size: int, rng):
        self.size = int(size)
        self.rng = rng
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for img in images.detach():
            img = img.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif self.rng.random() > 0.5:
                j = int(self.rng.integers(0, self.size))
                out.append(self.images[j].clone())
                self.images[j] = img.clone()
            else:
                out.append(img)
        return torch.cat(out, 0)

    def state(self) -> list[torch.Tensor]:
        return [t.cpu() for t in self.images]

    def load(self, images, device) -> None:
        self.images = [t.to(device) for t in images]
