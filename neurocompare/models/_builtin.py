"""The built-in small networks, sized to train on a CPU in a minute or two.

All of them use in-place ReLUs on purpose: extraction must be safe against
them (hooks clone their outputs).
"""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .specs import DCGAN_SIZES


_DORSAL_HIDDEN = 64  # hidden units of the dorsal (location) read-out


def _block(cin: int, cout: int, *, pool: bool = True, kernel: int = 3) -> nn.Sequential:
    layers = [("conv", nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False)), ("bn", nn.BatchNorm2d(cout)),
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
        self.fc1 = nn.Linear(2 * w * grid * grid, _DORSAL_HIDDEN)
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(_DORSAL_HIDDEN, n_outputs)

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


def _block_params(cin: int, cout: int, k: int = 3) -> int:
    """Parameters of a conv (no bias) + batch-norm block."""
    return k * k * cin * cout + 2 * cout


def twostream_n_parameters(n_classes: int = 8, n_where: int = 3, *, width: int = 16, image_size: int = 64,
                           in_channels: int = 3) -> int:
    """The number of trainable parameters of a :class:`TwoStreamNet` (without building it)."""
    w, g = width, image_size // 8
    stem = _block_params(in_channels, w) + _block_params(w, 2 * w)
    ventral = _block_params(2 * w, 4 * w) + _block_params(4 * w, 8 * w) + 8 * w * n_classes + n_classes
    dorsal = (2 * _block_params(2 * w, 2 * w) + 2 * w * g * g * _DORSAL_HIDDEN + _DORSAL_HIDDEN
              + _DORSAL_HIDDEN * n_where + n_where)
    return stem + ventral + dorsal


def onestream_n_parameters(trunk_width: int, n_classes: int = 8, n_where: int = 3, *, width: int = 16,
                           image_size: int = 64, in_channels: int = 3, where_hidden: int = _DORSAL_HIDDEN) -> int:
    """The number of trainable parameters of a :class:`OneStreamNet` with a given trunk width."""
    u, g, h = trunk_width, image_size // 8, where_hidden
    trunk = (_block_params(in_channels, u) + _block_params(u, 2 * u) + _block_params(2 * u, 4 * u)
             + _block_params(4 * u, 8 * u))
    what = 8 * u * n_classes + n_classes
    where = _block_params(8 * u, 2 * width, k=1) + 2 * width * g * g * h + h + h * n_where + n_where
    return trunk + what + where


def matched_trunk_width(n_classes: int = 8, n_where: int = 3, *, width: int = 16, image_size: int = 64,
                        in_channels: int = 3) -> tuple[int, int]:
    """The sizes that give a :class:`OneStreamNet` as many parameters as the matching :class:`TwoStreamNet`.

    Every trunk width from 1 up is tried (until the net with the dorsal
    branch's 64 hidden units in its location head is the larger one). For each,
    the location head's hidden units are set to the number that brings the
    count closest to the TwoStreamNet's; the integer steps of the trunk width
    alone can leave a gap of several percent in small nets. Among the widths
    that come within 1%, the one whose hidden units are closest to 64 wins
    (without one, the closest count wins). For the default sizes (``width=16``,
    64 px, 8 classes) that is a trunk of 17 channels with 65 hidden units:
    249,106 parameters against the TwoStreamNet's 248,603 (+0.2%).

    Returns
    -------
    trunk_width, where_hidden : int
    """
    kw = dict(width=width, image_size=image_size, in_channels=in_channels)
    target = twostream_n_parameters(n_classes, n_where, **kw)
    candidates, u = [], 1
    while True:
        base = onestream_n_parameters(u, n_classes, n_where, where_hidden=0, **kw)
        per_unit = onestream_n_parameters(u, n_classes, n_where, where_hidden=1, **kw) - base
        hidden = max(1, int(round((target - base) / per_unit)))
        gap = abs(base + hidden * per_unit - target) / target
        candidates.append((gap, abs(hidden - _DORSAL_HIDDEN), u, hidden))
        if base + _DORSAL_HIDDEN * per_unit >= target:
            break
        u += 1
    close = [c for c in candidates if c[0] <= 0.01]
    _, _, u, hidden = min(close, key=lambda c: (c[1], c[0])) if close else min(candidates)
    return u, hidden


class _WhatHead(nn.Module):
    def __init__(self, cin: int, n_classes: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(cin, n_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.pool(x)))


class _WhereHead(nn.Module):
    def __init__(self, cin: int, channels: int, n_outputs: int, grid: int, hidden: int):
        super().__init__()
        # a 1x1 block down to the dorsal branch's channel count, then the dorsal read-out (layout kept)
        self.reduce = _block(cin, channels, pool=False, kernel=1)
        self.fc1 = nn.Linear(channels * grid * grid, hidden)
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(hidden, n_outputs)

    def forward(self, x):
        x = torch.flatten(self.reduce(x), 1)
        return self.fc(self.relu(self.fc1(x)))


class OneStreamNet(nn.Module):
    """One shared pathway with a category ("what") head and a location ("where") head.

    The control for :class:`TwoStreamNet` in the one-stream-against-two
    experiment (Han & Sereno 2022, 2023): as deep (four convolutional blocks
    from the image to either read-out), but every block is shared by both
    tasks. The category head (``what``) pools globally and classifies, as the
    ventral branch does. The location head (``where``) keeps the spatial
    layout: a 1x1 block down to ``2 * width`` channels (as many as the dorsal
    branch has), then the dorsal branch's read-out (``fc1``, about 64 hidden
    units, ReLU, ``fc`` to ``x, y, size``). The trunk width and the hidden
    units are chosen so that the whole net has as many parameters as a
    TwoStreamNet with the same ``n_classes``, ``n_where``, ``width`` and
    ``image_size`` (within 1% for the default sizes); see
    :func:`matched_trunk_width`.

    Parameters
    ----------
    n_classes : int
        Categories read out by the category head.
    n_where : int
        Continuous where-targets read out by the location head.
    width : int
        The ``width`` of the TwoStreamNet this net is matched to.
    image_size : int
        Input side in pixels (fixes the location head's fully connected layer).
    trunk_width, where_hidden : int, optional
        Channels of the trunk's first block (later blocks double it) and hidden
        units of the location head. Default: the parameter-matched sizes.

    Attributes
    ----------
    trunk_width, where_hidden : int

    Returns (forward)
    -----------------
    dict with ``"what"`` (logits, N x n_classes) and ``"where"`` (N x n_where).
    """

    def __init__(self, n_classes: int = 8, n_where: int = 3, *, width: int = 16, image_size: int = 64,
                 in_channels: int = 3, trunk_width: int | None = None, where_hidden: int | None = None):
        super().__init__()
        if trunk_width is None or where_hidden is None:
            u, h = matched_trunk_width(n_classes, n_where, width=width, image_size=image_size,
                                       in_channels=in_channels)
            trunk_width = u if trunk_width is None else trunk_width
            where_hidden = h if where_hidden is None else where_hidden
        u = self.trunk_width = int(trunk_width)
        self.where_hidden = int(where_hidden)
        self.block1 = _block(in_channels, u)
        self.block2 = _block(u, 2 * u)
        self.block3 = _block(2 * u, 4 * u)
        self.block4 = _block(4 * u, 8 * u, pool=False)
        self.what = _WhatHead(8 * u, n_classes)
        self.where = _WhereHead(8 * u, 2 * width, n_where, grid=image_size // 8, hidden=self.where_hidden)

    def forward(self, x):
        x = self.block4(self.block3(self.block2(self.block1(x))))
        return {"what": self.what(x), "where": self.where(x)}


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


def dcgan_depth(image_size: int) -> int:
    """Number of up-sampling (generator) / down-sampling (discriminator) stages: log2(size) - 2."""
    return int(image_size).bit_length() - 3


class DCGANGenerator(nn.Module):
    """DCGAN generator (Radford et al. 2016): latent (N, latent_dim) -> image in [-1, 1]."""

    def __init__(self, latent_dim: int = 64, *, image_size: int = 64, width: int = 32, channels: int = 3):
        super().__init__()
        if image_size not in DCGAN_SIZES:
            raise ValueError(f"Invalid value for 'image_size': expected one of {DCGAN_SIZES} for the DCGAN; "
                             f"got {image_size!r}.")
        n_up = dcgan_depth(image_size)
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
        n_down = dcgan_depth(image_size)
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
