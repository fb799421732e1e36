"""The model wrapper every neurocompare function takes."""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from .._utils.checks import check_option, unknown_name_error
from ._streams import STREAMS, all_shared

FAMILIES = ("classification", "segmentation", "detection", "gan")


class ModelWrapper:
    """A network plus what is needed to analyse it.

    Build one with :func:`neurocompare.models.load` (zoo and built-in nets) or
    :func:`neurocompare.models.wrap` (your own ``nn.Module``).

    Parameters
    ----------
    module : torch.nn.Module
        The network. It is held, not copied.
    name : str
        The model's name in result tables and activation trees.
    family : {"classification", "segmentation", "detection", "gan"}
        What the network outputs; it decides how :meth:`run` calls it and how
        predictions and CAM targets are read.
    transform : callable, optional
        PIL image -> tensor: exactly what the model sees.
    stream_fn : callable, optional
        layer name -> ``"shared" | "what" | "where"``, applied to every layer
        (default: every layer is ``"shared"``).
    streams : dict, optional
        layer -> stream, overriding ``stream_fn`` for the layers named; unknown
        layers are an error with close matches.
    default_layers : sequence of str, optional
        The layers extracted when ``layers=None`` (default: the module's
        top-level children).
    classes : sequence of str, optional
        Output class names, by class index.
    weights : str
        Where the weights came from, recorded in provenance.
    input_kind : {"tensor", "list"}
        How a batch is passed: one stacked tensor, or a list of image tensors
        (torchvision detectors).
    config : dict, optional
        The options the network was built with (copied).
    exclude : sequence of str
        Module names left out of :attr:`layers` (for example a detector's
        modules whose outputs are not per-image tensors: anchors, proposals).
    tokens : TokenLayout, optional
        A vision transformer's token layout (prefix tokens, patch grid).
    channels_last : sequence of str
        Layers whose 4-D outputs are (N, H, W, C) maps.

    Attributes
    ----------
    module : torch.nn.Module
        The network itself (never modified by neurocompare functions).
    transform : callable
        PIL image -> tensor: exactly what the model sees.
    family : {"classification", "segmentation", "detection", "gan"}
    name : str
        Used in result tables and as the group name in activation trees.
    layers : list of str
        Every extractable layer (module names as in ``module.named_modules()``).
    streams : dict
        layer -> ``"shared" | "what" | "where"``.
    default_layers : list of str
        The layers extracted when ``layers=None``.
    classes : list of str or None
        Output class names, where known.
    weights : str
        Where the weights came from: ``"none (seed 0)"``, ``"DEFAULT"``, a file path, ...
    config : dict
        The options the network was built with (for models from timm, OpenCLIP and Hugging Face also
        ``source`` and the ``preprocessing`` settings).
    tokens : TokenLayout or None
        For vision transformers loaded from timm, OpenCLIP or Hugging Face: the prefix tokens (class,
        distillation, register) and the patch grid, used to label and reduce token outputs. None otherwise.
    channels_last : set of str
        Layers whose 4-D outputs are (N, H, W, C) maps (Swin stages); extraction permutes them to (N, C, H, W).
    text_encoder : object or None
        For CLIP models (``openclip:``): the text tower and tokenizer, kept outside ``module``; used for the
        zero-shot classes (``labels=``) and by :func:`neurocompare.models.text_embeddings`. None otherwise.
    """

    text_encoder = None

    def __init__(self, module, *, name: str, family: str = "classification", transform: Callable | None = None,
                 stream_fn: Callable[[str], str] | None = None, streams: dict[str, str] | None = None,
                 default_layers: Sequence[str] | None = None, classes: Sequence[str] | None = None,
                 weights: str = "unknown", input_kind: str = "tensor", config: dict | None = None,
                 exclude: Sequence[str] = (), tokens=None, channels_last: Sequence[str] = ()):
        import torch

        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"Invalid value for 'module': expected a torch.nn.Module; got {type(module).__name__}.")
        check_option("family", family, FAMILIES)
        check_option("input_kind", input_kind, ("tensor", "list"))
        self.module = module
        self.name = str(name)
        self.family = family
        self.transform = transform
        self.classes = list(classes) if classes is not None else None
        self.weights = weights
        self.input_kind = input_kind
        self.config = dict(config or {})
        self.tokens = tokens
        self.channels_last = set(channels_last)
        names = [n for n, _ in module.named_modules() if n]
        excluded = set(exclude)
        self.layers = [n for n in names if n not in excluded]
        fn = stream_fn or all_shared
        self.streams = {n: fn(n) for n in self.layers}
        if streams:
            unknown = [k for k in streams if k not in self.streams]
            if unknown:
                raise unknown_name_error("layer in 'streams'", unknown[0], self.layers)
            for k, v in streams.items():
                check_option(f"streams[{k!r}]", v, STREAMS)
            self.streams.update(streams)
        if default_layers is None:
            default_layers = [n for n, _ in module.named_children() if n in self.streams]
        self.default_layers = [n for n in default_layers if n in self.streams]
        #: layers extracted by default when the inputs are latent vectors (GAN generators)
        self.latent_default_layers: list[str] | None = None
        #: training curves (long DataFrame) for nets trained by neurocompare.models.train
        self.history = None

    def __repr__(self) -> str:
        counts = {s: sum(v == s for v in self.streams.values()) for s in STREAMS}
        return (f"<ModelWrapper {self.name!r} ({self.family}; weights={self.weights}); {len(self.layers)} layers "
                f"(shared {counts['shared']}, what {counts['what']}, where {counts['where']})>")

    def resolve_layers(self, layers=None) -> list[str]:
        """Turn a ``layers`` argument into a list of layer names.

        Parameters
        ----------
        layers : None, str or list of str
            ``None`` gives :attr:`default_layers`; ``"all"`` every layer;
            ``"shared"``, ``"what"`` or ``"where"`` the layers of that stream;
            otherwise a layer name or a list of names (duplicates dropped, order
            kept). Unknown names raise a KeyError listing close matches.

        Returns
        -------
        list of str
        """
        if layers is None:
            return list(self.default_layers)
        if isinstance(layers, str):
            if layers == "all":
                return list(self.layers)
            if layers in STREAMS:
                found = [n for n in self.layers if self.streams[n] == layers]
                if not found:
                    raise ValueError(f"Invalid value for 'layers': model {self.name!r} has no layer in the "
                                     f"{layers!r} stream; its streams are {sorted(set(self.streams.values()))}.")
                return found
            layers = [layers]
        from collections.abc import Iterable, Mapping, Set

        if not isinstance(layers, Iterable) or isinstance(layers, (Mapping, Set)):  # a set has no order
            raise TypeError(f"Invalid value for 'layers': expected None, 'all', a stream ('shared', 'what', 'where'), "
                            f"a layer name or a list of names; got {layers!r} ({type(layers).__name__}).")
        out = []
        for n in layers:
            if not isinstance(n, str):
                raise TypeError(f"Invalid value in 'layers': expected layer names (str); got {n!r}.")
            if n not in self.streams:
                raise unknown_name_error(f"layer of model {self.name!r}", n, self.layers,
                                         hint="See model.layers for every name, or pass 'all', 'what' or 'where'.")
            if n not in out:
                out.append(n)
        if not out:
            raise ValueError("Invalid value for 'layers': expected at least one layer name; got an empty list.")
        return out

    def run(self, batch):
        """Call the module on a batch the way its family expects (list input for detectors).

        Parameters
        ----------
        batch : torch.Tensor or sequence of torch.Tensor
            Preprocessed inputs on the module's device: a stacked (N, C, H, W)
            tensor, or for ``input_kind="list"`` one (C, H, W) tensor per image.

        Returns
        -------
        object
            The module's raw output (no gradient context is set here).
        """
        if self.input_kind == "list":
            return self.module(list(batch))
        return self.module(batch)

    def copy(self) -> "ModelWrapper":
        """A deep copy (module included)."""
        new = copy.copy(self)
        new.module = copy.deepcopy(self.module)
        new.streams = dict(self.streams)
        new.config = dict(self.config)
        new.channels_last = set(self.channels_last)
        return new
