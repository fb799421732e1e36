"""The built-in nets' specs: options and their defaults, default layers, families, preprocessing.

For use inside neurocompare (models, generation); users pass these options to
:func:`neurocompare.models.load`.
"""
from __future__ import annotations

from .._utils.checks import check_positive_int
from ._streams import all_shared, onestream_stream, twostream_stream, unet_stream

OPTIONS = {
    "smallcnn": {"n_classes": 8, "width": 16, "image_size": 64},
    "twostreamnet": {"n_classes": 8, "n_where": 3, "width": 16, "image_size": 64},
    "onestreamnet": {"n_classes": 8, "n_where": 3, "width": 16, "image_size": 64},
    "unet": {"n_classes": 8, "width": 16, "image_size": 64},
    "dcgan": {"latent_dim": 64, "image_size": 64, "width": 32},
}
DEFAULT_LAYERS = {
    "smallcnn": ["block1", "block2", "block3", "block4", "fc1", "fc"],
    "twostreamnet": ["block1", "block2", "ventral.block3", "ventral.block4", "ventral.fc", "dorsal.block3",
                     "dorsal.block4", "dorsal.fc1", "dorsal.fc"],
    "onestreamnet": ["block1", "block2", "block3", "block4", "what.flatten", "what.fc", "where.reduce", "where.fc1",
                     "where.fc"],
    "unet": ["enc1", "enc2", "enc3", "bottleneck", "classifier.fc", "dec3", "dec2", "dec1", "head"],
    "dcgan": ["discriminator.net.lrelu0", "discriminator.net.lrelu1", "discriminator.net.lrelu2",
              "discriminator.net.lrelu3", "discriminator.net.logit"],
}
FAMILY = {"smallcnn": "classification", "twostreamnet": "classification", "onestreamnet": "classification",
          "unet": "segmentation", "dcgan": "gan"}
STREAM_FN = {"smallcnn": all_shared, "twostreamnet": twostream_stream, "onestreamnet": onestream_stream,
             "unet": unet_stream, "dcgan": all_shared}
#: image sizes the DCGAN can make: a 4x4 seed doubled by each transposed convolution
DCGAN_SIZES = (16, 32, 64, 128)


def builtin_transform(image_size: int):
    """Resize to ``image_size`` square, scale to [0, 1], then to [-1, 1]."""
    from torchvision import transforms as T

    return T.Compose([T.Resize((image_size, image_size)), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])


def check_options(key: str, options: dict) -> dict:
    """The options of the built-in net ``key`` with their defaults filled in, checked."""
    unknown = [k for k in options if k not in OPTIONS[key]]
    if unknown:
        raise TypeError(f"Unknown option(s) {unknown} for the built-in net {key!r}; valid options are "
                        f"{sorted(OPTIONS[key])} (defaults {OPTIONS[key]}).")
    cfg = {**OPTIONS[key], **options}
    for k, v in cfg.items():
        check_positive_int(k, v, minimum=2 if k == "n_classes" else 1)
    if key in ("twostreamnet", "onestreamnet") and cfg["image_size"] % 8:
        raise ValueError(f"Invalid value for 'image_size': expected a multiple of 8 for {key!r}; got {cfg['image_size']}.")
    if key == "unet" and cfg["image_size"] % 8:
        raise ValueError(f"Invalid value for 'image_size': expected a multiple of 8 for 'unet'; got {cfg['image_size']}.")
    if key == "dcgan" and cfg["image_size"] not in DCGAN_SIZES:
        raise ValueError(f"Invalid value for 'image_size': the DCGAN makes images of {list(DCGAN_SIZES)} pixels "
                         f"(a 4x4 seed doubled by each layer); got {cfg['image_size']}. Resize the stimuli or "
                         "pick one of those sizes.")
    return cfg
