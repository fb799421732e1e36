"""From a model's classes to the response categories of an experiment.

The standard mapping of Geirhos et al. (2019) and model-vs-human: each of the
16 entry-level categories owns the ImageNet-1000 classes whose WordNet ids fall
under it, and a category's score is the mean softmax probability of its member
classes. The model's decision is the category with the highest score (ties go
to the first category in alphabetical order).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

#: The 16 categories of Geirhos et al. (2019) / model-vs-human, in alphabetical order.
CATEGORIES_16 = ("airplane", "bear", "bicycle", "bird", "boat", "bottle", "car", "cat", "chair", "clock", "dog",
                 "elephant", "keyboard", "knife", "oven", "truck")

# ImageNet-1000 class indices of each category (rgeirhos/texture-vs-shape, code/helper/human_categories.py).
_DOG_SKIP = {192, 204, 227, 242, 251, 258, 260, 264}
IMAGENET_16: dict[str, tuple[int, ...]] = {
    "airplane": (404,),
    "bear": (294, 295, 296, 297),
    "bicycle": (444, 671),
    "bird": (8, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 23, 24, 80, 81, 82, 83, 87, 88, 89, 90, 91, 92, 93, 94,
             95, 96, 98, 99, 100, 127, 128, 129, 130, 131, 132, 133, 135, 136, 137, 138, 139, 140, 141, 142, 143,
             144, 145),
    "boat": (472, 554, 625, 814, 914),
    "bottle": (440, 720, 737, 898, 899, 901, 907),
    "car": (436, 511, 817),
    "cat": (281, 282, 283, 284, 285, 286),
    "chair": (423, 559, 765, 857),
    "clock": (409, 530, 892),
    "dog": tuple(i for i in range(152, 269) if i not in _DOG_SKIP),
    "elephant": (385, 386),
    "keyboard": (508, 878),
    "knife": (499,),
    "oven": (766,),
    "truck": (555, 569, 656, 675, 717, 734, 864, 867),
}

AGGREGATIONS = ("mean", "sum", "max")


class CategoryMapping:
    """Turns class probabilities ``(n_stimuli, n_classes)`` into category scores ``(n_stimuli, n_categories)``.

    Parameters
    ----------
    members : mapping of str to sequence of int
        ``{category: class indices}``; the categories keep this order.
    aggregation : {"mean", "sum", "max"}
        How the member probabilities are combined into a category score.
    n_classes : int, optional
        The number of model outputs this mapping expects (checked when applied).
    name : str
    """

    def __init__(self, members: Mapping[str, object], *, aggregation: str = "mean", n_classes: int | None = None,
                 name: str = "custom"):
        from .._utils.checks import check_option

        check_option("aggregation", aggregation, AGGREGATIONS)
        if not members:
            raise ValueError("Invalid value for 'mapping': expected at least one category; got an empty mapping.")
        self.members = {}
        for cat, idx in members.items():
            arr = np.atleast_1d(np.asarray(idx))
            if arr.size == 0 or not np.issubdtype(arr.dtype, np.integer) or (arr < 0).any():
                raise ValueError(f"Invalid value for 'mapping[{cat!r}]': expected a non-empty list of class indices "
                                 f"(non-negative ints); got {idx!r}.")
            self.members[str(cat)] = arr.astype(int)
        self.categories = tuple(self.members)
        self.aggregation = aggregation
        self.n_classes = n_classes
        self.name = name

    def __repr__(self) -> str:
        return (f"<CategoryMapping {self.name!r}: {len(self.categories)} categories, "
                f"{sum(len(v) for v in self.members.values())} classes, {self.aggregation}>")

    def __call__(self, probs: np.ndarray) -> np.ndarray:
        probs = np.asarray(probs, dtype=float)
        top = max(int(v.max()) for v in self.members.values())
        if self.n_classes is not None and probs.shape[1] != self.n_classes:
            raise ValueError(f"Invalid value for 'mapping': {self.name!r} expects a model with {self.n_classes} "
                             f"outputs; the model has {probs.shape[1]}.")
        if top >= probs.shape[1]:
            raise ValueError(f"Invalid value for 'mapping': it uses class index {top}, but the model has only "
                             f"{probs.shape[1]} outputs.")
        fn = {"mean": np.mean, "sum": np.sum, "max": np.max}[self.aggregation]
        return np.stack([fn(probs[:, idx], axis=1) for idx in self.members.values()], axis=1)


def imagenet_16(*, aggregation: str = "mean") -> CategoryMapping:
    """The standard ImageNet-1000 -> 16-category mapping (Geirhos et al. 2019; model-vs-human).

    Parameters
    ----------
    aggregation : {"mean", "sum", "max"}
        ``"mean"`` (the default) is the published convention.

    Returns
    -------
    CategoryMapping
    """
    return CategoryMapping(IMAGENET_16, aggregation=aggregation, n_classes=1000, name="imagenet16")


def resolve_mapping(mapping, classes, n_outputs: int) -> tuple[Callable[[np.ndarray], np.ndarray], tuple[str, ...]]:
    """A ``probs -> scores`` function and its category names from a ``mapping`` argument."""
    if isinstance(mapping, CategoryMapping):
        return mapping, mapping.categories
    if mapping is None or (isinstance(mapping, str) and mapping == "identity"):
        if classes is None:
            raise ValueError("Invalid value for 'mapping': 'identity' needs the model's class names, but "
                             "model.classes is None; pass mapping={category: [class indices], ...}.")
        if len(classes) != n_outputs:
            raise ValueError(f"Invalid value for 'mapping': 'identity' needs one class name per output; the model "
                             f"has {n_outputs} outputs and {len(classes)} class names.")
        return (lambda p: np.asarray(p, dtype=float)), tuple(str(c) for c in classes)
    if isinstance(mapping, str):
        if mapping == "imagenet16":
            m = imagenet_16()
            return m, m.categories
        from .._utils.checks import check_option

        check_option("mapping", mapping, ("identity", "imagenet16"))
    if isinstance(mapping, Mapping):
        members = {}
        for cat, items in mapping.items():
            items = [items] if isinstance(items, (str, int, np.integer)) else list(items)
            idx = []
            for it in items:
                if isinstance(it, str):
                    if classes is None or it not in classes:
                        from .._utils.checks import unknown_name_error

                        raise unknown_name_error(f"class name in mapping[{cat!r}]", it, classes or [])
                    idx.append(list(classes).index(it))
                else:
                    idx.append(int(it))
            members[cat] = idx
        m = CategoryMapping(members)
        return m, m.categories
    if callable(mapping):
        raise TypeError("Invalid value for 'mapping': a plain function has no category names; wrap it as "
                        "CategoryMapping({category: [class indices]}) or pass a dict.")
    raise TypeError(f"Invalid value for 'mapping': expected None, 'identity', 'imagenet16', a dict "
                    f"{{category: [class indices or names]}} or a CategoryMapping; got {type(mapping).__name__}.")
