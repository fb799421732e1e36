"""Getting layers out of an activation tree."""
from __future__ import annotations

from collections.abc import Iterator

from .._utils.checks import unknown_name_error


def iter_layers(tree) -> Iterator[tuple[str, str, "object"]]:
    """Yield ``(model, layer, DataArray)`` for every layer node of an activation tree, in order.

    Parameters
    ----------
    tree : xarray.DataTree
        Activations as returned by :func:`neurocompare.extract` (``/<model>/<layer>``
        nodes, each with an ``activations`` variable). Nodes without one are skipped.

    Yields
    ------
    model : str
    layer : str
    activations : xarray.DataArray
        ``(stimulus, unit)``.
    """
    for model, mnode in tree.children.items():
        for layer, lnode in mnode.children.items():
            if "activations" in lnode.dataset.data_vars:
                yield model, layer, lnode.dataset["activations"]


def get_layer(tree, layer: str, *, model: str | None = None):
    """The activations of one layer as a DataArray ``(stimulus, unit)``.

    Parameters
    ----------
    tree : xarray.DataTree
        Activations as returned by :func:`neurocompare.extract`.
    layer : str
        The layer's name (a child of the model's node). Unknown names are an
        error listing close matches.
    model : str, optional
        The model's name in the tree; may be left out when the tree holds a
        single model.

    Returns
    -------
    xarray.DataArray
    """
    models = list(tree.children)
    if model is None:
        if len(models) != 1:
            raise ValueError(f"Invalid value for 'model': the tree holds several models {models}; name one.")
        model = models[0]
    if model not in tree.children:
        raise unknown_name_error("model in the activation tree", model, models)
    node = tree.children[model]
    if layer not in node.children:
        raise unknown_name_error(f"layer of {model!r} in the activation tree", layer, list(node.children))
    return node.children[layer].dataset["activations"]


def to_frame(tree):
    """A tidy summary, one row per layer: ``model, layer, stream, n_stimuli, n_units, reduce``.

    Parameters
    ----------
    tree : xarray.DataTree
        Activations as returned by :func:`neurocompare.extract`.

    Returns
    -------
    pandas.DataFrame
        ``stream`` and ``reduce`` come from each layer's attributes (``""`` when absent).
    """
    import pandas as pd

    rows = []
    for model, layer, da in iter_layers(tree):
        rows.append({"model": model, "layer": layer, "stream": da.attrs.get("stream", ""),
                     "n_stimuli": da.sizes["stimulus"], "n_units": da.sizes["unit"],
                     "reduce": da.attrs.get("reduce", "")})
    return pd.DataFrame(rows, columns=["model", "layer", "stream", "n_stimuli", "n_units", "reduce"])
