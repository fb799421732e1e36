"""Generation experiments: GAN training, latent feature axes, stimulus continua, CycleGAN."""
from __future__ import annotations

__all__: list[str] = []

# --- GAN training, FID/KID, feature axes, traversals ---
from ._axes import FeatureAxes, feature_axes, gram_schmidt, load_axes  # noqa: E402
from ._gan import image_grid, train_gan  # noqa: E402
from ._quality import frechet_distance, image_quality, kernel_distance  # noqa: E402
from ._traverse import traversal_effects, traversal_summary, traverse  # noqa: E402

__all__ += ["train_gan", "image_grid", "frechet_distance", "kernel_distance", "image_quality", "feature_axes",
            "FeatureAxes", "gram_schmidt", "load_axes", "traverse", "traversal_effects", "traversal_summary"]

# --- CycleGAN ---
from ._cyclegan import CycleGAN, load_cyclegan, train_cyclegan  # noqa: E402
from ._cyclegan_metrics import cycle_metrics, style_features, translation_dissociation  # noqa: E402

__all__ += ["CycleGAN", "train_cyclegan", "load_cyclegan", "cycle_metrics", "translation_dissociation",
            "style_features"]
