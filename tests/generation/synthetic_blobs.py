"""A synthetic generator with a known linear latent -> attribute map, and its exact labeller (shared by the GAN
axis, traverse and plot tests)."""
import numpy as np
import pandas as pd
import torch

D, S = 16, 24
_GRID_Y, _GRID_X = torch.meshgrid(torch.linspace(0, 1, S), torch.linspace(0, 1, S), indexing="ij")


def _directions():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, D))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    w[1] = 0.6 * w[0] + 0.8 * (w[1] - (w[1] @ w[0]) * w[0]) / np.linalg.norm(w[1] - (w[1] @ w[0]) * w[0])
    return w  # x, y (cosine 0.6 with x), size


W = _directions()


class BlobGenerator(torch.nn.Module):
    """z -> a Gaussian blob whose x, y and radius are linear in z (within the image)."""

    latent_dim = D

    def __init__(self):
        super().__init__()
        self.register_buffer("w", torch.tensor(W, dtype=torch.float32))

    def forward(self, z):
        a = (z @ self.w.T) * 0.1                      # x, y, size: linear in z
        cx, cy, r = 0.5 + a[:, 0], 0.5 + a[:, 1], 0.12 + 0.2 * a[:, 2]
        d2 = (_GRID_X - cx[:, None, None]) ** 2 + (_GRID_Y - cy[:, None, None]) ** 2
        img = torch.exp(-d2 / (2 * r.clamp(min=0.03)[:, None, None] ** 2))
        return (img * 2 - 1)[:, None].repeat(1, 3, 1, 1)


def centroid_labeler(x):
    """Decode x, y (centroid), size (sqrt of mass) and a brightness category."""
    w = (x[:, 0] + 1) / 2
    m = w.sum((1, 2))
    return pd.DataFrame({"x": ((w * _GRID_X).sum((1, 2)) / m).numpy(), "y": ((w * _GRID_Y).sum((1, 2)) / m).numpy(),
                         "size": m.sqrt().numpy(), "category": np.where(m.numpy() > m.median().item(), "big", "small")})
