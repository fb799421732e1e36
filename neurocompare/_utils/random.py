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


#: Environment variable: the number of CPU threads torch uses while neurocompare trains a network.
TRAIN_THREADS_ENV = "NEUROCOMPARE_TRAIN_THREADS"


def train_threads() -> int:
    """The CPU thread count used for training: ``$NEUROCOMPARE_TRAIN_THREADS``, default 1.

    Float sums are split over threads, so the thread count changes the rounding of
    every gradient; after a few hundred steps that changes the trained net (and
    conclusions drawn from it). A fixed count makes training give the same weights
    whatever the machine's core count or the caller's ``torch.set_num_threads``.
    """
    import os

    raw = os.environ.get(TRAIN_THREADS_ENV, "").strip()
    if not raw:
        return 1
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"Invalid value for the environment variable {TRAIN_THREADS_ENV}: expected a positive "
                         f"int (the CPU threads used for training); got {raw!r}. Unset it for the default, 1.")
    return n


@contextlib.contextmanager
def reproducible_training():
    """Run the block with what torch offers for run-to-run identical training.

    A fixed CPU thread count (:func:`train_threads`), deterministic algorithms
    (``torch.use_deterministic_algorithms``, warning where an op has no
    deterministic version), deterministic cuDNN without autotuning; the
    caller's settings are restored afterwards. Seeds are set separately
    (:func:`torch_seed`). On CUDA, cuBLAS also needs
    ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` in the environment before the first CUDA
    call; it is set here when absent. Identical weights are guaranteed on one
    machine and torch version; across CPU types (AVX2 against AVX-512 kernels) or
    between CPU and GPU the rounding still differs, which is why the docs state
    the variability over seeds.
    """
    import os

    import torch

    threads = train_threads()
    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
              torch.is_deterministic_algorithms_warn_only_enabled(), torch.backends.cudnn.deterministic,
              torch.backends.cudnn.benchmark)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    try:
        yield threads
    finally:
        torch.set_num_threads(before[0])
        torch.use_deterministic_algorithms(before[1], warn_only=before[2])
        torch.backends.cudnn.deterministic = before[3]
        torch.backends.cudnn.benchmark = before[4]
