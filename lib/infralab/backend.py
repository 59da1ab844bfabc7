"""Where the heavy kernels run: one place decides between the CPU and a CUDA GPU.

Every heavy kernel in ``infralab`` exists twice, side by side in its topic module: a numba CPU
kernel (``@njit``) and a ``@cuda.jit`` twin. The public function asks :func:`resolve` which
one to call. The choice is:

* ``INFRALAB_BACKEND=cpu`` or ``INFRALAB_BACKEND=cuda`` in the environment forces it
  (``cuda`` without a usable GPU or the simulator raises :class:`ValueError`);
* otherwise ``"cuda"`` when numba sees a CUDA GPU, ``"cuda-sim"`` when
  ``NUMBA_ENABLE_CUDASIM=1`` (numba's CUDA simulator: the CUDA twin runs, slowly, in Python on
  the CPU, which is how the twins are tested without a GPU), else ``"cpu"``.

A public function may also take ``backend="cpu"`` or ``backend="cuda"`` to override the choice
for one call (the start-here notebook uses it to time both twins).

Examples
--------
>>> from infralab import backend
>>> backend.info()["backend"] in ("cpu", "cuda", "cuda-sim")
True
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from typing import Any

import numba

#: Names accepted by ``INFRALAB_BACKEND`` and by the ``backend=`` argument of public functions.
ALLOWED = ("cpu", "cuda")
ENV_VAR = "INFRALAB_BACKEND"


def simulator_enabled() -> bool:
    """True when numba's CUDA simulator is on (``NUMBA_ENABLE_CUDASIM=1`` at numba import).

    Limits: no arguments; O(1).
    """
    return bool(numba.config.ENABLE_CUDASIM)


@functools.lru_cache(maxsize=1)
def _gpu_name() -> str | None:
    """Name of the first CUDA device, or None. Cached: probing the driver costs ~0.5 s."""
    if simulator_enabled():
        return None
    try:
        from numba import cuda

        if not cuda.is_available():
            return None
        name = cuda.get_current_device().name
        return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:  # no driver, no toolkit, broken install: all mean "no GPU"
        return None


def cuda_usable() -> bool:
    """True when CUDA twins can run: a real GPU, or the simulator.

    Limits: no arguments; probes the driver once (cached).
    """
    return simulator_enabled() or _gpu_name() is not None


def _auto() -> str:
    if _gpu_name() is not None:
        return "cuda"
    if simulator_enabled():
        return "cuda-sim"
    return "cpu"


def resolve(requested: str | None = None) -> str:
    """Return the backend a kernel call should use: ``"cpu"``, ``"cuda"`` or ``"cuda-sim"``.

    Parameters
    ----------
    requested : {"cpu", "cuda"} or None
        An explicit choice for this call. None means: the ``INFRALAB_BACKEND`` environment
        variable if set, else the automatic choice. Limits: None or a string; O(1) work.

    Returns
    -------
    str
        ``"cpu"``, ``"cuda"`` (real GPU) or ``"cuda-sim"`` (the CUDA twin under the simulator).

    Raises
    ------
    ValueError
        For a name other than ``"cpu"``/``"cuda"``, or ``"cuda"`` when no GPU (and no simulator)
        is usable.
    TypeError
        When ``requested`` is not a string or None.
    """
    source = "backend"
    if requested is None:
        env = os.environ.get(ENV_VAR)
        if env is None or env.strip() == "":
            return _auto()
        requested, source = env.strip().lower(), ENV_VAR
    if not isinstance(requested, str):
        raise TypeError(f"{source} must be a string, one of {ALLOWED}, got {type(requested).__name__}")
    choice = requested.strip().lower()
    if choice not in ALLOWED:
        raise ValueError(f"{source} must be one of {ALLOWED}, got {requested!r}")
    if choice == "cpu":
        return "cpu"
    if _gpu_name() is not None:
        return "cuda"
    if simulator_enabled():
        return "cuda-sim"
    raise ValueError(
        f"{source}='cuda' but no CUDA GPU is usable here; allowed values are {ALLOWED} "
        "(use 'cpu', or set NUMBA_ENABLE_CUDASIM=1 to run the CUDA twins in numba's simulator)"
    )


def is_cuda(name: str) -> bool:
    """True for the backends that run the ``@cuda.jit`` twin (``"cuda"`` and ``"cuda-sim"``).

    Limits: ``name`` a string (TypeError otherwise).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a backend name (str), got {type(name).__name__}")
    return name in ("cuda", "cuda-sim")


def info() -> dict[str, Any]:
    """Describe this machine and the backend kernels will use.

    Returns
    -------
    dict
        ``backend`` (``"cpu"``, ``"cuda"`` or ``"cuda-sim"``), ``numba_version``,
        ``numba_cuda_version`` (None if numba-cuda is not installed), ``cpu_threads`` (numba's
        thread count), ``gpu_name`` (None without a GPU), ``simulator`` (bool) and
        ``forced_by`` (the value of ``INFRALAB_BACKEND`` or None).

    Limits: no arguments; bounded work (one cached driver probe).

    Raises
    ------
    ValueError
        If ``INFRALAB_BACKEND`` holds a value other than ``cpu``/``cuda``, or ``cuda`` without a GPU.
    """
    try:
        from importlib.metadata import version

        cuda_version: str | None = version("numba-cuda")
    except Exception:
        cuda_version = None
    return {
        "backend": resolve(None),
        "numba_version": numba.__version__,
        "numba_cuda_version": cuda_version,
        "cpu_threads": int(numba.config.NUMBA_NUM_THREADS),
        "gpu_name": _gpu_name(),
        "simulator": simulator_enabled(),
        "forced_by": os.environ.get(ENV_VAR) or None,
    }


def launch_config(n_items: int, threads_per_block: int = 128, max_blocks: int = 4096) -> tuple[int, int]:
    """Blocks and threads for a 1-D grid-stride CUDA launch over ``n_items`` items.

    The simulator runs every thread as a Python thread, so under it the grid is kept tiny.
    Limits: ``n_items`` 0..2**63 - 1, ``threads_per_block`` 1..1024 (CUDA's maximum),
    ``max_blocks`` 1..2**31 - 1 (CUDA's grid limit in x).
    """
    n_items = _int_arg("n_items", n_items, 0, 2**63 - 1)
    threads_per_block = _int_arg("threads_per_block", threads_per_block, 1, 1024)
    max_blocks = _int_arg("max_blocks", max_blocks, 1, 2**31 - 1)
    if simulator_enabled():
        threads_per_block, max_blocks = 8, 4
    blocks = max(1, min(max_blocks, (n_items + threads_per_block - 1) // threads_per_block))
    return blocks, threads_per_block


def _int_arg(name, value, low, high):
    from . import _checks   # _checks imports numba only; imported here to keep this module's imports light
    return _checks.integer(name, value, low=low, high=high)


@contextlib.contextmanager
def quiet_simulator():
    """Silence NumPy's integer-overflow warnings while CUDA twins run under the simulator.

    The simulator executes kernels as Python on NumPy scalars, which warn on the 64-bit
    wrap-around that the counter-based generator relies on (compiled code wraps silently).

    Limits: no arguments; changes only warning filters, restored on exit.
    """
    with warnings.catch_warnings():
        if simulator_enabled():
            warnings.filterwarnings("ignore", message=".*overflow encountered", category=RuntimeWarning)
        yield
