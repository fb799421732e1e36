"""Seeds: every random step takes ``random_state``."""
from __future__ import annotations

import contextlib
import numbers

import numpy as np


def check_random_state(random_state) -> np.random.Generator:
    """Turn ``None``, an int or a Generator into a ``numpy.random.Generator``."""
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(random_state, bool):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    raise ValueError(f"Invalid value for 'random_state': expected None, an int or a numpy Generator; got {random_state!r}.")


def seed_int(random_state) -> int:
    """An int seed for libraries that need one (torch, scikit-learn)."""
    if isinstance(random_state, (numbers.Integral, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"Invalid value for 'random_state': expected a non-negative int; got {random_state!r}.")
        return int(random_state)
    return int(check_random_state(random_state).integers(0, 2**31 - 1))


@contextlib.contextmanager
def torch_seed(random_state):
    """Seed torch inside the block without touching the caller's global RNG state."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed_int(random_state))
        yield
