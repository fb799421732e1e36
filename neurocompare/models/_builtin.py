"""The built-in small networks, sized to train on a CPU in a minute or two.

All of them use in-place ReLUs on purpose: extraction must be safe against
them (hooks clone their outputs).
"""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn


def _block(cin: int, cout: int, *, pool: bool = True) -> nn.Sequential:
    layers = [("conv", nn.Conv2d(cin, cout, 3, padding=1, bias=False)), ("bn", nn.BatchNorm2d(cout)),
              ("relu", nn.ReLU(inplace=True))]
    if pool:
        layers.append(("pool", nn.MaxPool2d(2)))
    return nn.Sequential(OrderedDict(layers))


class SmallCNN(nn.Module):
    """A four-block convolutional classifier (one pathway).

    Parameters
    ----------
    n_classes : int
        Number of output classes.
    width : int
        Channels of the first block; later blocks double it.
    """

    def __init__(self, n_classes: int = 8, *, width: int = 16, in_channels: int = 3):
        super().__init__()
        w = width
        self.block1 = _block(in_channels, w)
        self.block2 = _block(w, 2 * w)
        self.block3 = _block(2 * w, 4 * w)
        self.block4 = _block(4 * w, 8 * w, pool=False)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Linear(8 * w, 128)
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(128, n_classes)

    def forward(self, x):
        x = self.block4(self.block3(self.block2(self.block1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(self.relu(self.fc1(x)))


class _Ventral(nn.Module):
    def __init__(self, cin: int, w: int, n_classes: int):
        super().__init__()
        self.block3 = _block(cin, 4 * w)
        self.block4 = _block(4 * w, 8 * w, pool=False)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8 * w, n_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.avgpool(self.block4(self.block3(x))), 1))


class _Dorsal(nn.Module):
    def __init__(self, cin: int, w: int, n_outputs: int, grid: int):
        super().__init__()
        self.block3 = _block(cin, 2 * w)
        self.block4 = _block(2 * w, 2 * w, pool=False)
        # keeps the spatial layout (no global pooling): location stays explicit
        self.fc1 = nn.Linear(2 * w * grid * grid, 64)
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(64, n_outputs)

    def forward(self, x):
        x = torch.flatten(self.block4(self.block3(x)), 1)
        return self.fc(self.relu(self.fc1(x)))


class TwoStreamNet(nn.Module):
    """A shared early stage, then a ventral ("what") and a dorsal ("where") branch.

    The ventral branch pools globally and classifies identity; the dorsal branch
    keeps the spatial layout and regresses location (``x, y, size``). Both losses
    train the shared stem.

    Parameters
    ----------
    n_classes : int
        Categories read out by the ventral branch.
    n_where : int
        Continuous where-targets read out by the dorsal branch.
    width : int
        Channels of the first block.
    image_size : int
        Input side in pixels (fixes the dorsal fully connected layer).

    Returns (forward)
    -----------------
    dict with ``"what"`` (logits, N x n_classes) and ``"where"`` (N x n_where).
    """

    def __init__(self, n_classes: int = 8, n_where: int = 3, *, width: int = 16, image_size: int = 64,
                 in_channels: int = 3):
        super().__init__()
        w = width
        self.block1 = _block(in_channels, w)
        self.block2 = _block(w, 2 * w)
        self.ventral = _Ventral(2 * w, w, n_classes)
        self.dorsal = _Dorsal(2 * w, w, n_where, grid=image_size // 8)

    def forward(self, x):
        x = self.block2(self.block1(x))
        return {"what": self.ventral(x), "where": self.dorsal(x)}


class UNet(nn.Module):
    """A small U-Net segmenter with an image-level category head.

    The encoder is shared; ``classifier`` (global pool + linear on the bottleneck)
    reads out the category ("what"); the decoder and ``head`` produce per-pixel
    logits over background + categories ("where").

    Returns (forward)
    -----------------
    dict with ``"out"`` (N x (n_classes + 1) x H x W) and ``"category"`` (N x n_classes).
    """

    def __init__(self, n_classes: int = 8, *, width: int = 16, in_channels: int = 3):
        super().__init__()
        w = width
        self.enc1 = _double(in_channels, w)
        self.enc2 = _double(w, 2 * w)
        self.enc3 = _double(2 * w, 4 * w)
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = _double(4 * w, 8 * w)
        self.classifier = nn.Sequential(OrderedDict([("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
                                                     ("fc", nn.Linear(8 * w, n_classes))]))
        self.up3 = nn.ConvTranspose2d(8 * w, 4 * w, 2, stride=2)
        self.dec3 = _double(8 * w, 4 * w)
        self.up2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.dec2 = _double(4 * w, 2 * w)
        self.up1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.dec1 = _double(2 * w, w)
        self.head = nn.Conv2d(w, n_classes + 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        e3 = self.enc3(self.pool(e2))
        b = self.bottleneck(self.pool(e3))
        d3 = self.dec3(torch.cat([self.up3(b), e3], 1))
        d2 = self.dec2(torch.cat([self.up2(d3), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return {"out": self.head(d1), "category": self.classifier(b)}


def _double(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(cin, cout, 3, padding=1, bias=False)), ("bn1", nn.BatchNorm2d(cout)),
        ("relu1", nn.ReLU(inplace=True)),
        ("conv2", nn.Conv2d(cout, cout, 3, padding=1, bias=False)), ("bn2", nn.BatchNorm2d(cout)),
        ("relu2", nn.ReLU(inplace=True))]))


class DCGANGenerator(nn.Module):
    """DCGAN generator (Radford et al. 2016): latent (N, latent_dim) -> image in [-1, 1]."""

    def __init__(self, latent_dim: int = 64, *, image_size: int = 64, width: int = 32, channels: int = 3):
        super().__init__()
        if image_size not in (32, 64):
            raise ValueError(f"Invalid value for 'image_size': expected 32 or 64 for the DCGAN; got {image_size!r}.")
        n_up = 3 if image_size == 32 else 4
        mult = 2 ** (n_up - 1)
        self.latent_dim = latent_dim
        layers = [("project", nn.ConvTranspose2d(latent_dim, width * mult, 4, 1, 0, bias=False)),
                  ("bn0", nn.BatchNorm2d(width * mult)), ("relu0", nn.ReLU(True))]
        for i in range(1, n_up):
            cin, cout = width * mult // 2 ** (i - 1), width * mult // 2**i
            layers += [(f"up{i}", nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)), (f"bn{i}", nn.BatchNorm2d(cout)),
                       (f"relu{i}", nn.ReLU(True))]
        layers += [("to_rgb", nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False)), ("tanh", nn.Tanh())]
        self.net = nn.Sequential(OrderedDict(layers))

    def forward(self, z):
        return self.net(z.reshape(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: image (N, C, S, S) -> real/fake logit (N,)."""

    def __init__(self, *, image_size: int = 64, width: int = 32, channels: int = 3):
        super().__init__()
        n_down = 3 if image_size == 32 else 4
        layers = [("conv0", nn.Conv2d(channels, width, 4, 2, 1, bias=False)), ("lrelu0", nn.LeakyReLU(0.2, True))]
        c = width
        for i in range(1, n_down):
            layers += [(f"conv{i}", nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False)), (f"bn{i}", nn.BatchNorm2d(2 * c)),
                       (f"lrelu{i}", nn.LeakyReLU(0.2, True))]
            c *= 2
        layers += [("logit", nn.Conv2d(c, 1, 4, 1, 0, bias=False))]
        self.net = nn.Sequential(OrderedDict(layers))

    def forward(self, x):
        return self.net(x).flatten()


class DCGAN(nn.Module):
    """A DCGAN generator/discriminator pair.

    ``forward`` dispatches on the input: a latent batch (N, latent_dim) runs the
    generator; an image batch (N, C, H, W) runs the discriminator. So images
    (a StimulusSet) can be passed to :func:`neurocompare.extract` for the
    discriminator's layers, and a latent array for the generator's.
    """

    def __init__(self, latent_dim: int = 64, *, image_size: int = 64, width: int = 32, channels: int = 3):
        super().__init__()
        self.latent_dim = latent_dim
        self.generator = DCGANGenerator(latent_dim, image_size=image_size, width=width, channels=channels)
        self.discriminator = DCGANDiscriminator(image_size=image_size, width=width, channels=channels)

    def forward(self, x):
        if x.dim() == 2:
            return self.generator(x)
        return self.discriminator(x)


def init_dcgan_weights(module: nn.Module) -> None:
    """The DCGAN paper's initialisation: N(0, 0.02) convs, N(1, 0.02) batch-norm scales."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
