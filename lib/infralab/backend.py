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

**Small problems stay on the CPU.** A GPU launch costs tens of microseconds and data on the host
must cross PCIe, so a small problem finishes sooner on the CPU. When the backend was chosen
*automatically* (no ``backend=`` argument, no ``INFRALAB_BACKEND``), :func:`choose` keeps a kernel
on the CPU while its work is below :data:`GPU_MIN_WORK` (one documented threshold per kernel) and
says why in the ``reason`` of the :class:`Choice` it returns; ``info()["gpu_min_work"]`` lists the
thresholds. An explicit choice is always obeyed.

**One launch mechanism.** Topic modules state only their kernel and its sizes:
:func:`to_device` moves host arrays to the GPU once, :func:`launch_config` sizes a 1-D
grid-stride or a coalesced 2-D grid, :func:`launch` does both and runs the kernel inside
:func:`quiet`, which silences the simulator's overflow warnings and numba's performance warnings
for the grids this package launches on purpose (a one-block stepping kernel, a tiny test grid),
so notebooks on a GPU machine print no warnings. :func:`cooperative_blocks` sizes kernels that
step in time with a grid-wide barrier, so a whole time loop is one launch.

**State kept between calls, on purpose.** The package has no hidden global state that changes a
result; this module keeps three caches that change only speed and noise: the GPU's name (probing
the driver costs ~0.5 s), the device scratch buffers of :func:`device_scratch` (freed by
:func:`release_scratch`), and the set of kernels whose cooperative launch failed once (so the
warning is given once and later calls go straight to one launch per step).

Examples
--------
>>> from infralab import backend
>>> backend.info()["backend"] in ("cpu", "cuda", "cuda-sim")
True
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import warnings
from typing import Any, NamedTuple

import numba
import numpy as np

from . import _checks

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
        ``forced_by`` (the value of ``INFRALAB_BACKEND`` or None), ``gpu_min_work`` (kernel ->
        the work below which an automatic choice keeps it on the CPU; see :data:`GPU_MIN_WORK`).

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
        "gpu_min_work": {k: v[0] for k, v in GPU_MIN_WORK.items()},
    }


# --------------------------------------------------------------------------------------------
# Which backend one call uses: small problems stay on the CPU when the choice is automatic
# --------------------------------------------------------------------------------------------

#: kernel -> (smallest work sent to the GPU by an *automatic* choice, unit of work, why).
#: Below the threshold a GPU run costs more in launches and PCIe copies than the CPU kernel takes.
#: Reasoned from a launch cost of ~10-50 us through numba, ~10 GB/s pageable PCIe copies and a CPU
#: kernel doing ~1e8-1e9 items/s on a few cores; not measured on a GPU (see the issue's closing note).
GPU_MIN_WORK: dict[str, tuple[int, str, str]] = {
    "stream.triad": (1 << 20, "elements",
                     "the host arrays cross PCIe (24 B per element) for 2 FLOPs each"),
    "network.bins": (1 << 20, "balls thrown (trials x balls)",
                     "one launch plus copies costs ~0.1 ms, about what the CPU needs for 1e6 balls"),
    "network.latency": (1 << 18, "packet draws (messages x packets)",
                        "the result array comes back over PCIe"),
    "thermal.ftcs": (1 << 16, "grid cells",
                     "a smaller grid cannot fill the GPU; each time step is bound by a grid-wide barrier"),
    "thermal.fv": (1 << 16, "grid cells",
                   "a smaller grid (e.g. the 20 x 200 chip package) is bound by one barrier per time step"),
    "chips.matmul": (1 << 24, "multiply-adds (n x k x m)",
                     "below 256^3 the copies and the launch cost more than the CPU kernel"),
    "enclave.search": (1 << 20, "candidate keys",
                       "the CPU tries ~1e7-1e8 keys/s: below 2^20 keys it is done before a launch pays"),
    "cluster.sample": (1 << 18, "samples",
                       "each sample is a short closed form; its ~16 outputs come back over PCIe"),
}


class Choice(NamedTuple):
    """Where one kernel call runs and why (returned by :func:`choose`)."""
    backend: str
    reason: str


def choose(kernel: str, work: float, requested: str | None = None) -> Choice:
    """Pick the backend for one call of ``kernel`` on ``work`` items, with the reason.

    Parameters
    ----------
    kernel : str
        A key of :data:`GPU_MIN_WORK`, e.g. ``"thermal.fv"``.
    work : float
        The call's work in that kernel's unit (>= 0).
    requested : {"cpu", "cuda"} or None
        The public function's ``backend=`` argument. An explicit choice (or ``INFRALAB_BACKEND``)
        is obeyed whatever the size; only an automatic choice keeps small problems on the CPU.

    Returns
    -------
    Choice
        ``backend`` (``"cpu"``, ``"cuda"`` or ``"cuda-sim"``) and a one-line ``reason``.

    Raises
    ------
    KeyError
        For a kernel not in :data:`GPU_MIN_WORK`.
    ValueError, TypeError
        As :func:`resolve`; also a ``work`` that is not a finite number >= 0 (a NaN would otherwise
        compare as "not below the threshold" and send the call to the GPU).

    Examples
    --------
    >>> choose("thermal.fv", 4000, "cpu")
    Choice(backend='cpu', reason="requested: backend='cpu'")
    >>> choose("thermal.fv", 4000).backend   # automatic: a 4000-cell grid never goes to a GPU
    'cpu'
    """
    need, unit, why = GPU_MIN_WORK[kernel]
    work = _checks.real("work", work, low=0.0)
    env = os.environ.get(ENV_VAR)
    if requested is not None or (env is not None and env.strip() != ""):
        where = resolve(requested)
        how = f"backend={requested!r}" if requested is not None else f"{ENV_VAR}={env.strip()!r}"
        return Choice(where, f"requested: {how}")
    auto = _auto()
    if not is_cuda(auto):
        return Choice("cpu", "automatic: no CUDA GPU (and no simulator) here")
    if work < need:
        return Choice("cpu", f"automatic: {kernel} on {work:,.0f} {unit} is below the GPU threshold "
                             f"{need:,} ({why}), so it stays on the CPU")
    return Choice(auto, f"automatic: {kernel} on {work:,.0f} {unit} >= {need:,}, so it runs on {auto}")


# --------------------------------------------------------------------------------------------
# The one launch mechanism
# --------------------------------------------------------------------------------------------

#: Threads of a 2-D block as (x, y): x runs along the last (unit-stride) axis, so the 32 threads of a
#: warp read 32 neighbouring elements of one row (256 B of float64) in one transaction.
BLOCK_2D = (32, 8)


#: Largest 1-D item count :func:`launch_config` accepts (2**48: far beyond any array a GPU holds).
MAX_LAUNCH_ITEMS = 2**48
#: Largest rows or columns of a 2-D launch (CUDA's grid limits: 2**31 - 1 blocks along x).
MAX_LAUNCH_SIDE = 2**31 - 1
#: Most threads in one CUDA block (every NVIDIA GPU since compute capability 2.0).
MAX_THREADS_PER_BLOCK = 1024


def launch_config(shape, threads_per_block=None, max_blocks: int = 4096):
    """Grid and block of a CUDA launch over ``shape`` items.

    Parameters
    ----------
    shape : int or (int, int)
        An int gives a 1-D grid-stride launch (``threads_per_block`` default 128, at most
        ``max_blocks`` blocks; the kernel loops ``for i in range(cuda.grid(1), n, cuda.gridsize(1))``),
        0 <= shape <= :data:`MAX_LAUNCH_ITEMS`.
        A pair ``(n_rows, n_cols)`` gives a 2-D grid with blocks of :data:`BLOCK_2D` (or the
        ``(x, y)`` pair given), x along the columns: the kernel reads ``j, i = cuda.grid(2)``;
        each side 0 .. :data:`MAX_LAUNCH_SIDE`.
    threads_per_block : int or (int, int), optional
        1-D: an int, 1 .. :data:`MAX_THREADS_PER_BLOCK`. 2-D: a pair of ints >= 1 whose product is
        at most :data:`MAX_THREADS_PER_BLOCK`.
    max_blocks : int
        Cap of the 1-D grid (a grid-stride loop covers the rest), 1 .. 2**31 - 1.

    Returns
    -------
    (blocks, threads)
        Ints for 1-D, ``(x, y)`` pairs for 2-D. Under the simulator (every thread is a Python
        thread) the grid is kept tiny: 8 threads and at most 4 blocks in 1-D, 4 x 4 blocks in 2-D.

    Raises
    ------
    TypeError
        For non-integer counts (floats such as 4.0 included) or a 2-D shape that is not a pair.
    ValueError
        For counts outside the ranges above.

    Examples
    --------
    >>> blocks, threads = launch_config((2048, 2048))
    >>> len(blocks), len(threads)     # 2-D: (64, 256) blocks of (32, 8) on a GPU
    (2, 2)
    """
    if isinstance(shape, tuple):
        if len(shape) != 2:
            raise TypeError(f"shape must be an int or a pair (n_rows, n_cols), got a tuple of {len(shape)}")
        n_rows = _checks.integer("shape[0]", shape[0], low=0, high=MAX_LAUNCH_SIDE)
        n_cols = _checks.integer("shape[1]", shape[1], low=0, high=MAX_LAUNCH_SIDE)
        pair = BLOCK_2D if threads_per_block is None else threads_per_block
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"threads_per_block must be a pair (x, y) for a 2-D shape, got {type(pair).__name__}")
        tx = _checks.integer("threads_per_block[0]", pair[0], low=1, high=MAX_THREADS_PER_BLOCK)
        ty = _checks.integer("threads_per_block[1]", pair[1], low=1, high=MAX_THREADS_PER_BLOCK)
        if tx * ty > MAX_THREADS_PER_BLOCK:
            raise ValueError(f"threads_per_block must have at most {MAX_THREADS_PER_BLOCK} threads "
                             f"in all (x * y), got {tx} x {ty}")
        if simulator_enabled():
            tx, ty = 4, 4
        return ((n_cols + tx - 1) // tx, (n_rows + ty - 1) // ty), (tx, ty)
    n_items = _checks.integer("shape", shape, low=0, high=MAX_LAUNCH_ITEMS)
    threads = 128 if threads_per_block is None else threads_per_block
    threads = _checks.integer("threads_per_block", threads, low=1, high=MAX_THREADS_PER_BLOCK)
    max_blocks = _checks.integer("max_blocks", max_blocks, low=1, high=2**31 - 1)
    if simulator_enabled():
        threads, max_blocks = 8, 4
    return max(1, min(max_blocks, (n_items + threads - 1) // threads)), threads


def to_device(*arrays):
    """Copy host arrays to the GPU once; device arrays (and scalars) pass through unchanged.

    Returns a tuple in the order given. Copying explicitly, once, is what keeps a time loop free of
    host traffic: numba would otherwise copy a host array in and out at every launch.
    """
    from numba import cuda

    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            out.append(cuda.to_device(np.ascontiguousarray(a)))
        else:
            out.append(a)
    return tuple(out)


def device_copy(d_array):
    """A new device array holding a copy of ``d_array`` (device to device: no PCIe traffic)."""
    from numba import cuda

    out = cuda.device_array_like(d_array)
    out.copy_to_device(d_array)
    return out


def launch(kernel, shape, *args, threads_per_block=None, max_blocks: int = 4096, blocks=None,
           cooperative: bool = False) -> tuple | None:
    """Launch ``kernel`` over ``shape`` items and return its arguments, now on the device.

    Parameters
    ----------
    kernel : numba CUDA kernel
    shape : int or (int, int)
        Items to cover, sized by :func:`launch_config` (1-D grid-stride, or 2-D with x along the
        columns).
    *args
        The kernel's arguments. Host NumPy arrays are copied to the device once (:func:`to_device`);
        pass device arrays to keep data there across launches.
    threads_per_block, max_blocks
        As :func:`launch_config`.
    blocks : int, optional
        Set the grid directly (with ``threads_per_block``).
    cooperative : bool
        The kernel synchronizes the whole grid (``cuda.cg.this_grid().sync()``): the grid is capped
        at what the GPU holds at once (:func:`cooperative_blocks`). Returns None, launching
        nothing, when grid synchronization is unavailable, so the caller can fall back.

    Returns
    -------
    tuple or None
        The arguments with host arrays replaced by their device copies, in the order given.

    The launch runs inside :func:`quiet`.
    """
    if blocks is None:
        blocks, threads = launch_config(shape, threads_per_block, max_blocks)
    else:
        threads = threads_per_block
    if cooperative:
        blocks = cooperative_blocks(kernel, args, threads, blocks)
        if blocks == 0:
            return None
    with quiet():
        d_args = to_device(*args)
        kernel[blocks, threads](*d_args)
    return d_args


#: Kernels whose cooperative launch failed once in this process (see :func:`cooperative_blocks`).
_NO_GRID_SYNC: set = set()


def cooperative_blocks(kernel, args, threads_per_block: int, wanted: int) -> int:
    """Blocks for a cooperative launch (a kernel that calls ``cuda.cg.this_grid().sync()``).

    All blocks of such a grid must be resident at once, so the grid is at most what the GPU holds:
    ``min(wanted, kernel's max_cooperative_grid_blocks)``. Under the simulator this is 1 (it
    synchronizes a single block only). Returns 0 when grid synchronization is unavailable (it
    links the CUDA toolkit's ``libcudadevrt.a``; a runtime-only install lacks it): the caller
    then launches one kernel per step instead.

    Raises
    ------
    TypeError
        ``kernel`` is not a CUDA dispatcher (no ``compile``/``typeof_pyval``), or ``args`` is not a
        tuple or list.
    ValueError
        ``threads_per_block`` outside 1..1024 or ``wanted`` outside 1..2**31-1.
    """
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple or list of kernel arguments, got {type(args).__name__}")
    threads_per_block = _checks.integer("threads_per_block", threads_per_block, low=1, high=1024)
    wanted = _checks.integer("wanted", wanted, low=1, high=2**31 - 1)
    if simulator_enabled():
        return 1
    if not (callable(getattr(kernel, "compile", None)) and callable(getattr(kernel, "typeof_pyval", None))):
        raise TypeError(f"kernel must be a numba CUDA kernel (a @cuda.jit dispatcher), got {type(kernel).__name__}")
    if kernel in _NO_GRID_SYNC:
        return 0
    try:
        with quiet():    # a host array and its device copy have the same numba type: no copy needed
            compiled = kernel.compile(tuple(kernel.typeof_pyval(a) for a in args))
            most = int(compiled.max_cooperative_grid_blocks(threads_per_block))
    except Exception as exc:  # a link error from a missing libcudadevrt.a, an old driver
        _NO_GRID_SYNC.add(kernel)            # warn once per kernel, then fall back silently
        warnings.warn(f"grid-wide synchronization unavailable ({type(exc).__name__}: {exc}); "
                      "falling back to one launch per time step", RuntimeWarning, stacklevel=2)
        return 0
    return max(0, min(int(wanted), most))


#: Device buffers kept between calls by :func:`device_scratch`, one per tag.
_SCRATCH: dict[str, Any] = {}


def device_scratch(tag: str, shape, dtype):
    """A device array of ``shape`` and ``dtype`` for scratch use, reused across calls with the same tag.

    Allocating a large device array on every call costs more than the kernel that uses it; this
    keeps one buffer per ``tag`` (a kernel's name) and reallocates only when the shape or dtype
    changes. Its contents are undefined: the kernel must initialize what it reads.
    :func:`release_scratch` frees them all.
    """
    from numba import cuda

    shape = tuple(int(x) for x in shape)
    buf = _SCRATCH.get(tag)
    if buf is None or buf.shape != shape or buf.dtype != np.dtype(dtype):
        _SCRATCH.pop(tag, None)
        buf = cuda.device_array(shape, dtype)
        _SCRATCH[tag] = buf
    return buf


def release_scratch() -> None:
    """Free the device buffers kept by :func:`device_scratch`."""
    _SCRATCH.clear()


@functools.lru_cache(maxsize=1)
def _performance_warnings() -> tuple:
    """numba's NumbaPerformanceWarning and numba-cuda's own class of the same name (not a subclass)."""
    from numba.core.errors import NumbaPerformanceWarning

    classes = [NumbaPerformanceWarning]
    try:
        from numba.cuda.core.errors import NumbaPerformanceWarning as CudaPerformanceWarning
        classes.append(CudaPerformanceWarning)
    except ImportError:      # older numba-cuda raises numba's class
        pass
    return tuple(classes)


@contextlib.contextmanager
def quiet():
    """Silence the warnings that launches of this package raise on purpose.

    * Under the simulator, NumPy's integer-overflow warnings: kernels run as Python on NumPy
      scalars, which warn on the 64-bit wrap-around the counter-based generator relies on
      (compiled code wraps silently).
    * On a GPU, numba's ``NumbaPerformanceWarning`` for grids under 128 blocks ("Grid size N will
      likely result in GPU under-utilization"): small grids here are deliberate (a cooperative
      stepping kernel, a small problem forced onto the GPU), and a warning printed into a notebook's
      output makes nbval fail. Host arrays are never passed to kernels (see :func:`to_device`), so
      the implicit-copy warning is silenced only as a safety net.
    """
    with warnings.catch_warnings():
        for category in _performance_warnings():
            warnings.filterwarnings("ignore", category=category)
        # by message too, whatever class a future numba-cuda raises them with
        warnings.filterwarnings("ignore", message=r"Grid size \d+ will likely result in GPU under-utilization")
        warnings.filterwarnings("ignore", message="Host array used in CUDA kernel")
        if simulator_enabled():
            warnings.filterwarnings("ignore", message=".*overflow encountered", category=RuntimeWarning)
        yield


#: Most elements :func:`ulp_distance` compares in one call (8e7: under a second, 640 MB per operand).
MAX_ULP_ELEMENTS = 80_000_000


def ulp_distance(a, b) -> np.ndarray:
    """Distance in units in the last place between float64 arrays ``a`` and ``b`` (element-wise).

    Used by the twin tests where fused multiply-add changes the last bits (see ``stream``).

    Parameters
    ----------
    a, b : array_like of float
        Finite values (NaN and infinity are refused), broadcastable against each other, not
        empty, at most :data:`MAX_ULP_ELEMENTS` elements each; converted to float64.

    Returns
    -------
    numpy.ndarray of uint64
        The number of doubles between ``a`` and ``b`` (0 when equal; -0.0 and 0.0 are equal).
        Unsigned: across zero the distance between the largest doubles exceeds an int64.

    Examples
    --------
    >>> int(ulp_distance(1.0, np.nextafter(1.0, 2.0)))
    1
    """
    # (float_array returns at least 1-D: keep a scalar's 0-d shape)
    ia = _checks.float_array("a", a, max_size=MAX_ULP_ELEMENTS).reshape(np.shape(a)).view(np.int64)
    ib = _checks.float_array("b", b, max_size=MAX_ULP_ELEMENTS).reshape(np.shape(b)).view(np.int64)
    try:
        shape = np.broadcast_shapes(ia.shape, ib.shape)
    except ValueError:
        raise ValueError(f"a and b must have broadcastable shapes, got {ia.shape} and {ib.shape}") from None
    if math.prod(shape) > MAX_ULP_ELEMENTS:
        raise ValueError(f"a and b broadcast to {math.prod(shape)} elements, more than {MAX_ULP_ELEMENTS}")
    # map the sign-magnitude bit patterns onto a monotone integer line
    mag = np.int64(0x7FFFFFFFFFFFFFFF)
    ia = np.where(ia < 0, -(ia & mag), ia)
    ib = np.where(ib < 0, -(ib & mag), ib)
    hi, lo = np.maximum(ia, ib), np.minimum(ia, ib)
    # hi - lo is in [0, 2**64): exact in uint64 arithmetic (the int64 difference could wrap)
    with np.errstate(over="ignore"):    # the wrap of a negative lo is intended (modular arithmetic)
        return hi.astype(np.uint64) - lo.astype(np.uint64)
