"""The source network of a transfer experiment: loading it, finding its head, freezing parts of it."""
from __future__ import annotations

from dataclasses import dataclass, field

from .._utils.checks import unknown_name_error
from ..models import ModelWrapper

#: The output layer ("head") of the built-in nets, and the output key it feeds.
KNOWN_HEADS = {"smallcnn": ("fc", None), "twostreamnet": ("ventral.fc", "what"), "onestreamnet": ("what.fc", "what"),
               "unet": ("classifier.fc", "category")}


@dataclass
class SourceSpec:
    """What :func:`run` needs to know about the source network."""

    head: str
    output_key: str | None
    head_input_shape: tuple
    module_order: list  # module names in registration order ("" excluded)
    unused: set = field(default_factory=set)  # parameter names the head's output does not depend on

    def index(self, name: str) -> int:
        return self.module_order.index(name) if name else -1

    def subtree_end(self, name: str) -> int:
        """Index of the last module inside ``name`` (``name`` itself when it has no children)."""
        return max(i for i, m in enumerate(self.module_order) if m == name or m.startswith(name + "."))

    def in_head(self, name: str) -> bool:
        return name == self.head or name.startswith(self.head + ".")


def resolve_source(source, source_weights=None) -> ModelWrapper:
    """A ModelWrapper from a wrapper, a model name or a checkpoint file."""
    from pathlib import Path

    from .. import models

    if isinstance(source, ModelWrapper):
        wrapper = source
    elif isinstance(source, (str, Path)) and Path(source).is_file():
        from ..models.checkpoints import read_state_file

        meta = read_state_file(source).get("neurocompare")
        if not isinstance(meta, dict) or "name" not in meta:
            raise ValueError(f"Invalid value for 'source': {str(source)!r} is a bare state dict, so the network it "
                             "belongs to is unknown. Load it first, e.g. nc.models.load('resnet18', "
                             "weights=path), and pass the wrapper.")
        wrapper = models.load(meta["name"], weights=str(source))
    elif isinstance(source, str):
        key = source.lower()
        if key in models.BUILTINS:
            wrapper = models.load(key, weights="whatwhere" if source_weights is None else source_weights,
                                  train_if_missing=True)
        else:
            wrapper = models.load(source, weights="DEFAULT" if source_weights is None else source_weights)
    else:
        raise TypeError(f"Invalid value for 'source': expected a ModelWrapper, a model name or the path of a saved "
                        f"checkpoint; got {type(source).__name__}.")
    if wrapper.family not in ("classification", "segmentation") or wrapper.input_kind != "tensor":
        raise ValueError(f"Invalid value for 'source': transfer experiments take classifiers and segmenters that "
                         f"map an image batch to outputs; {wrapper.name!r} is a {wrapper.family} model.")
    if wrapper.transform is None:
        raise ValueError(f"Invalid value for 'source': model {wrapper.name!r} has no transform; pass transform= to "
                         "neurocompare.models.wrap.")
    return wrapper


def inspect_source(wrapper: ModelWrapper, example, head: str | None) -> SourceSpec:
    """Find the head (the layer whose output is the model's output) with one forward and backward pass.

    ``example`` is a small input batch. The wrapper's module is not changed (a copy is run).
    """
    import copy

    import torch

    module = copy.deepcopy(wrapper.module).float()
    module.eval()
    for p in module.parameters():  # a source with frozen parameters still has them feed the head
        p.requires_grad_(True)
    order = [n for n, _ in module.named_modules() if n]
    outputs, inputs = {}, {}

    def hook(name):
        def fn(_mod, args, out):
            outputs[name] = out
            if args and isinstance(args[0], torch.Tensor):
                inputs[name] = tuple(args[0].shape)
        return fn

    handles = [m.register_forward_hook(hook(n)) for n, m in module.named_modules() if n]
    try:
        out = module(example)
    finally:
        for h in handles:
            h.remove()
    if isinstance(out, torch.Tensor):
        final = {None: out}
    elif isinstance(out, dict):
        final = {k: v for k, v in out.items() if isinstance(v, torch.Tensor)}
    else:
        raise ValueError(f"Invalid value for 'source': model {wrapper.name!r} returns a {type(out).__name__}; "
                         "transfer needs a model that returns a tensor or a dict of tensors.")
    leaves = {n for n, m in module.named_modules() if n and not list(m.children())}
    hint = ("Name it with head=..., the layer whose output is the model's output (e.g. head='fc' for a ResNet, "
            "head='classifier.6' for VGG); see model.layers.")

    def key_of(name):
        got = outputs.get(name)
        return next((k for k, v in final.items() if got is v), "missing")

    if head is None:
        known = KNOWN_HEADS.get(wrapper.config.get("name", ""))
        if known is not None and known[0] in wrapper.layers:
            head = known[0]
        else:
            found = [(n, key_of(n)) for n in order if n in leaves and key_of(n) != "missing"]
            keys = {k for _, k in found}
            if not found:
                raise ValueError(f"Cannot find the head of {wrapper.name!r}: no layer's output is the model's output "
                                 f"(it is computed after the last layer). {hint}")
            if len(keys) > 1:
                raise ValueError(f"Cannot tell which head of {wrapper.name!r} to replace: it returns a dict with "
                                 f"outputs {sorted(map(str, keys))} from layers {[n for n, _ in found]}. {hint}")
            head = found[-1][0]
    if not isinstance(head, str) or head not in wrapper.layers:
        raise unknown_name_error(f"layer of model {wrapper.name!r} in 'head'", str(head), wrapper.layers, hint=hint)
    key = key_of(head)
    if key == "missing":
        raise ValueError(f"Invalid value for 'head': the output of {head!r} is not an output of {wrapper.name!r} "
                         f"(later layers transform it). {hint}")
    if head not in inputs:
        raise ValueError(f"Invalid value for 'head': {head!r} does not take a tensor input. {hint}")
    # which parameters feed the head? (the other branch of a two-stream net does not)
    module.zero_grad(set_to_none=True)
    final[key].float().sum().backward()
    unused = {n for n, p in module.named_parameters() if p.grad is None}
    return SourceSpec(head=head, output_key=key, head_input_shape=inputs[head][1:], module_order=order,
                      unused=unused)


def replace_head(module, spec: SourceSpec, n_outputs: int):
    """Put a freshly initialised linear layer in place of the head (in ``module``, a copy)."""
    import math

    from torch import nn

    shape = spec.head_input_shape
    if len(shape) == 1:
        new = nn.Linear(shape[0], n_outputs)
    else:
        new = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(shape), n_outputs))
    parent_name, _, child = spec.head.rpartition(".")
    parent = module.get_submodule(parent_name) if parent_name else module
    setattr(parent, child, new)
    return module


def default_layers(wrapper: ModelWrapper, spec: SourceSpec) -> list[str]:
    """The wrapper's default layers that feed the head (the head itself and unused branches left out)."""
    params = dict(wrapper.module.named_parameters())
    out = []
    for name in wrapper.default_layers:
        if spec.in_head(name) or spec.head.startswith(name + "."):
            continue
        own = [p for p in params if p.startswith(name + ".")]
        if own and all(p in spec.unused for p in own):
            continue
        out.append(name)
    return sorted(out, key=spec.index)


def check_freeze_until(value, wrapper: ModelWrapper, spec: SourceSpec):
    """Check ``freeze_until`` (None, a layer name, or a list of them) and return a list."""
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise ValueError("Invalid value for 'freeze_until': expected None, a layer name or a list of them; got an "
                         "empty list.")
    for v in values:
        if v is None:
            continue
        if not isinstance(v, str):
            raise TypeError(f"Invalid value for 'freeze_until': expected None or a layer name; got {v!r}.")
        if v not in wrapper.layers:
            raise unknown_name_error(f"layer of model {wrapper.name!r} in 'freeze_until'", v, wrapper.layers,
                                     hint="See model.layers for every name.")
        if spec.in_head(v) or spec.head.startswith(v + "."):
            raise ValueError(f"Invalid value for 'freeze_until': {v!r} contains the head {spec.head!r}, which is "
                             "always trained. Use freeze_until=None to freeze everything but the head.")
    return list(dict.fromkeys(values))


def frozen_parameters(module, spec: SourceSpec, mode: str, freeze_until) -> set:
    """Names of the parameters that stay fixed in a run."""
    names = [n for n, _ in module.named_parameters()]
    fixed = set(spec.unused)
    if mode == "frozen":
        if freeze_until is None:
            fixed |= {n for n in names if not spec.in_head(n.rpartition(".")[0])}
        else:
            cut = spec.subtree_end(freeze_until)
            fixed |= {n for n in names if not spec.in_head(n.rpartition(".")[0])
                      and spec.index(n.rpartition(".")[0]) <= cut}
    return fixed


def frozen_leaves(module, spec: SourceSpec, mode: str, freeze_until, fixed: set) -> list[str]:
    """Leaf modules kept in eval mode while training (batch-norm statistics and dropout of the frozen part)."""
    out = []
    cut = None if mode != "frozen" else (len(spec.module_order) if freeze_until is None
                                         else spec.subtree_end(freeze_until))
    for name, m in module.named_modules():
        if not name or list(m.children()) or spec.in_head(name):
            continue
        own = [f"{name}.{p}" for p, _ in m.named_parameters(recurse=False)]
        if own and all(p in fixed for p in own):
            out.append(name)
        elif not own and cut is not None and name in spec.module_order and spec.index(name) <= cut:
            out.append(name)
    return out
