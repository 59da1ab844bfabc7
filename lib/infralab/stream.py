"""The course's first kernel: the STREAM triad ``a = b + s*c``, and this machine's memory bandwidth.

The triad (McCalpin's STREAM benchmark, 1995) does 2 floating-point operations per 24 bytes moved,
so on every modern CPU and GPU it is limited by memory bandwidth, not arithmetic. That makes it
two things in this course: the first kernel a reader compiles (notebook 00), and the ruler for
"how fast can this machine move bytes", against which ``python -m infralab.bench`` reports every
memory-bound kernel, and which notebook 04 draws as the slanted roof of this machine's roofline.

The CPU kernel and its CUDA twin sit side by side below: the same loop body, once as a parallel
``prange`` loop over the array, once as a grid-stride loop in which each GPU thread handles every
``stride``-th element.

References
----------
J. D. McCalpin, "Memory Bandwidth and Machine Balance in Current High Performance Computers",
IEEE TCCA Newsletter, 1995. https://www.cs.virginia.edu/stream/
"""

from __future__ import annotations

import numpy as np
from numba import cuda, njit, prange

from . import _checks
from ._timing import best_time
from . import backend as _backend

#: Bytes STREAM counts per triad element: read b, read c, write a (8-byte floats).
TRIAD_BYTES_PER_ELEMENT = 24


# --- the kernel and its CUDA twin -----------------------------------------------------------

@njit(parallel=True, cache=True)
def _triad_cpu(a, b, c, s):
    for i in prange(a.size):
        a[i] = b[i] + s * c[i]


@cuda.jit(cache=True)
def _triad_cuda(a, b, c, s):
    start = cuda.grid(1)
    stride = cuda.gridsize(1)
    for i in range(start, a.size, stride):
        a[i] = b[i] + s * c[i]


# --- reference versions, for timing comparisons ----------------------------------------------

#: Longest vector the plain-Python triad accepts (a Python loop does ~1e7 elements/s; 2e7 floats
#: as Python lists already take ~1.5 GB).
MAX_PYTHON_N = 20_000_000
#: Longest vector :func:`measure_triad_bandwidth` allocates (three arrays: 2.4 GB at the cap).
MAX_N = 100_000_000
#: Element-triads one call of :func:`measure_triad_bandwidth` or :func:`time_versions` may do
#: (about 1e10 at ~3e8 elements/s on a busy 2-core machine: half a minute).
MAX_TRIAD_WORK = 10_000_000_000


def triad_python(b, c, s: float) -> list:
    """The triad as a plain Python loop over lists (the slow baseline notebook 00 times).

    Limits: ``b`` and ``c`` are equal-length sequences of finite numbers, 1..:data:`MAX_PYTHON_N`
    long; ``s`` finite. The result is checked for overflow (ValueError).
    """
    bb = _checks.float_array("b", b, ndim=1, max_size=MAX_PYTHON_N)
    cc = _checks.float_array("c", c, ndim=1, max_size=MAX_PYTHON_N)
    s = _checks.real("s", s)
    if bb.shape != cc.shape:
        raise ValueError(f"b and c must have the same length, got {bb.size} and {cc.size}")
    _check_triad_values(bb, cc, s)
    return _triad_python_loop(b, c, s)


def _triad_python_loop(b, c, s):
    """The unchecked loop: what :func:`time_versions` times, so the checks do not inflate it."""
    return [bi + s * ci for bi, ci in zip(b, c)]


def triad_numpy(b: np.ndarray, c: np.ndarray, s: float, out: np.ndarray | None = None) -> np.ndarray:
    """The triad in NumPy: ``np.multiply`` then ``np.add``, one temporary array between them.

    Limits: as :func:`triad` (non-empty finite 1-D float64 ``b``, ``c``; writable ``out``; no overflow).
    """
    _check_vectors(b, c, out)
    s = _checks.real("s", s)
    _check_triad_values(b, c, s)
    tmp = np.multiply(c, s)
    return np.add(b, tmp, out=out)


# --- public entry point -----------------------------------------------------------------------

def _check_vectors(b, c, out):
    for name, arr in (("b", b), ("c", c)):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, got {type(arr).__name__}")
        if arr.dtype != np.float64 or arr.ndim != 1:
            raise TypeError(f"{name} must be a 1-D float64 array, got {arr.ndim}-D {arr.dtype}")
        if arr.size == 0:
            raise ValueError(f"{name} must not be empty")
    if b.shape != c.shape:
        raise ValueError(f"b and c must have the same length, got {b.size} and {c.size}")
    if out is not None:
        _checks.out_array("out", out, shape=b.shape, dtype=np.float64)


def _check_triad_values(b, c, s):
    """Finite inputs whose triad cannot overflow: max|b| + |s|·max|c| must be a finite float."""
    mb, mc = _checks.max_abs(b), _checks.max_abs(c)
    for name, m in (("b", mb), ("c", mc)):
        if not np.isfinite(m):
            raise ValueError(f"{name} must contain only finite values (no NaN or infinity)")
    with np.errstate(over="ignore"):
        _checks.derived("max|b| + |s|*max|c|", mb + abs(s) * mc, "b, c and s")


def triad(b: np.ndarray, c: np.ndarray, s: float, out: np.ndarray | None = None,
          backend: str | None = None) -> np.ndarray:
    """Compute ``b + s*c`` element-wise with the numba kernel or its CUDA twin.

    Parameters
    ----------
    b, c : numpy.ndarray
        1-D float64 arrays of equal length.
    s : float
        The scalar (finite).
    out : numpy.ndarray, optional
        Where to write the result (float64, same shape); a new array when omitted.
    backend : {"cpu", "cuda"}, optional
        Override :func:`infralab.backend.resolve` for this call.

    Returns
    -------
    numpy.ndarray
        The triad result (``out`` when given).

    Raises
    ------
    TypeError
        Non-array, non-float64 or non-1-D ``b``/``c``; ``out`` of the wrong dtype or shape.
    ValueError
        Empty or non-finite ``b``/``c``, a non-finite ``s``, a read-only or non-contiguous ``out``, or
        values whose triad would overflow (``max|b| + |s|·max|c|`` beyond the float range).

    Notes
    -----
    Limits: the work is one pass over arrays the caller already holds, so there is no count cap;
    the finiteness check reads ``b`` and ``c`` once more (one compiled pass, no temporary).

    Examples
    --------
    >>> import numpy as np
    >>> triad(np.ones(4), np.arange(4.0), 2.0, backend="cpu")
    array([1., 3., 5., 7.])
    """
    _check_vectors(b, c, out)
    s = _checks.real("s", s)
    _check_triad_values(b, c, s)
    where = _backend.resolve(backend)
    b = np.ascontiguousarray(b)
    c = np.ascontiguousarray(c)
    a = np.empty_like(b) if out is None else out
    if _backend.is_cuda(where):
        blocks, threads = _backend.launch_config(a.size, 256)
        d_a = cuda.device_array_like(a)
        with _backend.quiet_simulator():
            _triad_cuda[blocks, threads](d_a, cuda.to_device(b), cuda.to_device(c), s)
        d_a.copy_to_host(a)
    else:
        _triad_cpu(a, b, c, s)
    return a


def measure_triad_bandwidth(n: int = 20_000_000, repeats: int = 5) -> dict:
    """Measure this machine's sustainable memory bandwidth with the numba triad (CPU).

    Parameters
    ----------
    n : int
        Elements per array (default 2e7: three arrays of 160 MB, far larger than any cache).
    repeats : int
        Timed runs after one warm-up; the best is reported, as STREAM does.

    Returns
    -------
    dict
        ``n``, ``seconds`` (best run), ``GBps`` (1e9 bytes/s, counting 24 bytes per element as
        STREAM does; write-allocate traffic is not counted, so the real traffic is up to 4/3 higher).

    Notes
    -----
    Limits: ``n`` 1000..:data:`MAX_N` (24 bytes per element), ``repeats`` 1..1000, and
    ``n · (repeats + 1)`` at most :data:`MAX_TRIAD_WORK` (ValueError with the estimated time).
    """
    n = _checks.integer("n", n, low=1000, high=MAX_N)
    repeats = _checks.integer("repeats", repeats, low=1, high=1000)
    _checks.bound_work("measure_triad_bandwidth", n * (repeats + 1), MAX_TRIAD_WORK, per_second=3e8,
                       bytes_needed=24.0 * n, unit="element-triads")
    b = np.full(n, 1.0)
    c = np.full(n, 2.0)
    a = np.empty(n)
    # the warm-up call compiles (or loads from cache) and faults the pages in
    best = best_time(lambda: _triad_cpu(a, b, c, 3.0), repeats=repeats, warmup=1)
    return {"n": n, "seconds": best, "GBps": TRIAD_BYTES_PER_ELEMENT * n / best / 1e9}


def time_versions(sizes, python_up_to: int = 100_000, repeats: int = 3,
                  backend: str | None = None) -> dict:
    """Time the triad as a Python loop, in NumPy and with the numba kernel, for each size.

    Parameters
    ----------
    sizes : sequence of int
        Array lengths (each 1..10**8).
    python_up_to : int
        The Python loop is timed only up to this length (it runs ~100x slower); NaN beyond.
    repeats : int
        Best of this many runs per point (>= 1).
    backend : {"cpu", "cuda"}, optional
        Backend of the compiled kernel. On "cuda" the host-device copies are included, which is
        the honest cost for data that lives on the host.

    Returns
    -------
    dict
        ``sizes`` (int array) and seconds per call for ``python``, ``numpy`` and ``kernel``.
        The ``python`` entry is NaN, by design, for sizes above ``python_up_to`` (not timed).

    Notes
    -----
    Limits: 1..64 sizes, each 1..10**8; ``repeats`` 1..100; ``python_up_to`` 0..10**7. The total
    work, ``2·repeats·sum(sizes)`` compiled element-triads plus 100 per element of each Python
    loop, is at most :data:`MAX_TRIAD_WORK` (ValueError with the estimated time and memory).
    """
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a sequence of ints, got {type(sizes).__name__}")
    sizes = list(sizes) if len(np.shape(sizes)) <= 1 else None
    if sizes is None or not 1 <= len(sizes) <= 64:
        raise ValueError("sizes must be a flat sequence of 1..64 ints")
    sizes = [_checks.integer("size", s, low=1, high=10**8) for s in sizes]
    repeats = _checks.integer("repeats", repeats, low=1, high=100)
    python_up_to = _checks.integer("python_up_to", python_up_to, low=0, high=10**7)
    _checks.bound_work("time_versions", 2 * repeats * sum(sizes) + 100 * sum(n for n in sizes if n <= python_up_to),
                       MAX_TRIAD_WORK, per_second=3e8, bytes_needed=24.0 * max(sizes), unit="element-triads")
    out = {"sizes": np.array(sizes), "python": [], "numpy": [], "kernel": []}
    rng = np.random.default_rng(0)
    triad(np.ones(8), np.ones(8), 1.0, backend=backend)  # compile (or load from cache) first
    for n in sizes:
        b, c, a = rng.random(n), rng.random(n), np.empty(n)
        out["numpy"].append(best_time(lambda: triad_numpy(b, c, 3.0, out=a), repeats))
        out["kernel"].append(best_time(lambda: triad(b, c, 3.0, out=a, backend=backend), repeats))
        if n <= python_up_to:
            bl, cl = b.tolist(), c.tolist()
            out["python"].append(best_time(lambda: _triad_python_loop(bl, cl, 3.0), 1))
        else:
            out["python"].append(float("nan"))
    for key in ("python", "numpy", "kernel"):
        out[key] = np.array(out[key])
    return out

