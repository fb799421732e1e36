"""Token layouts of vision transformers: which tokens are class, register or distillation tokens, and the patch grid."""
from __future__ import annotations

from dataclasses import dataclass

#: Kinds of tokens, in the ``token_kind`` coordinate of extracted token outputs.
TOKEN_KINDS = ("cls", "register", "distillation", "patch")


@dataclass(frozen=True)
class TokenGrid:
    """The layout of one (N, T, C) token output: the prefix tokens, then an h x w grid of patches (row-major)."""

    prefix: tuple[str, ...]
    h: int
    w: int

    @property
    def n_prefix(self) -> int:
        return len(self.prefix)

    def kinds(self) -> list[str]:
        """The kind of every token, in order."""
        return list(self.prefix) + ["patch"] * (self.h * self.w)


@dataclass(frozen=True)
class TokenLayout:
    """A transformer's token layout, recorded by :func:`neurocompare.models.load` as ``wrapper.tokens``.

    Attributes
    ----------
    prefix : tuple of str
        The tokens before the patches, in order: ``"cls"``, ``"distillation"``, ``"register"``.
    patch_size : (int, int)
        Patch height and width in pixels (the stride of the patch embedding).
    grid : (int, int)
        The patch grid (h, w) at the model's configured input size.
    """

    prefix: tuple[str, ...]
    patch_size: tuple[int, int]
    grid: tuple[int, int]

    @property
    def n_prefix(self) -> int:
        return len(self.prefix)

    @property
    def has_cls(self) -> bool:
        return "cls" in self.prefix

    def for_output(self, n_tokens: int, input_hw=None) -> TokenGrid | None:
        """The layout of an output with ``n_tokens`` tokens for inputs of size ``input_hw`` (None: not this layout).

        The grid is the input size divided by the patch size (so non-square inputs work where the model
        takes them), else the configured grid. A sequence of patches only (a patch embedding) has no prefix.
        """
        grids = []
        if input_hw is not None:
            grids.append((int(input_hw[0]) // self.patch_size[0], int(input_hw[1]) // self.patch_size[1]))
        grids.append(tuple(self.grid))
        for h, w in grids:
            if n_tokens == self.n_prefix + h * w:
                return TokenGrid(tuple(self.prefix), h, w)
            if n_tokens == h * w:
                return TokenGrid((), h, w)
        return None

    def to_dict(self) -> dict:
        return {"prefix": list(self.prefix), "patch_size": list(self.patch_size), "grid": list(self.grid)}


def make_layout(*, n_cls: int = 1, n_distillation: int = 0, n_register: int = 0, patch_size, grid,
                order=("cls", "distillation", "register")) -> TokenLayout:
    """A TokenLayout from counts; ``order`` is the order of the prefix tokens in the sequence."""
    counts = {"cls": n_cls, "distillation": n_distillation, "register": n_register}
    prefix = tuple(kind for kind in order for _ in range(int(counts[kind])))
    return TokenLayout(prefix, _pair(patch_size), _pair(grid))


def _pair(v) -> tuple[int, int]:
    if isinstance(v, (tuple, list)):
        return int(v[0]), int(v[-1])
    return int(v), int(v)
