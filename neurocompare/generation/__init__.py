"""Generation experiments: GAN training, latent feature axes, stimulus continua, CycleGAN."""
from __future__ import annotations

__all__: list[str] = []

# --- GAN training, FID/KID, feature axes, traversals ---

# --- CycleGAN ---
