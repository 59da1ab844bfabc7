"""The course's first kernel: the STREAM triad ``a = b + s*c``, and this machine's memory bandwidth.

The triad (McCalpin's STREAM benchmark, 1995) does 2 floating-point operations per 24 bytes moved,
so on every modern CPU and GPU it is limited by memory bandwidth, not arithmetic. That makes it
two things in this course: the first kernel a reader compiles (notebook 00), and the ruler for
"how fast can this machine move bytes", against which ``python -m infralab.bench`` reports every
memory-bound kernel, and which notebook 04 draws as the slanted roof of this machine's roofline.

The CPU kernel and its CUDA twin sit side by side below: the same loop body, once as a parallel
``prange`` loop over the array, once as a grid-stride loop in which each GPU thread handles every
``stride``-th element.

The twins agree to the last bit on most machines, but not everywhere: on a GPU, NVVM contracts
``b + s*c`` into one fused multiply-add (PTX ``fma.rn.f64``), which rounds once instead of twice,
and ``fastmath=False`` does not stop it. The result then differs from the CPU's in the last bit
for a fraction of the elements (by 1 ulp when b and s*c have the same sign; cancellation can make it
more; :func:`fma_differences` computes both on the CPU). The simulator never fuses, so there the
twins are equal; the twin test allows 2 ulp and says why.

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


@cuda.jit(cache=True)
def _copy_cuda(dst, src):
    """dst = src, grid-stride: the GPU's ruler, as the triad is the CPU's."""
    for i in range(cuda.grid(1), dst.size, cuda.gridsize(1)):
        dst[i] = src[i]


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


def triad_numpy(b: np.ndarray, c: np.ndarray, s: float, out: np.ndarray | None = None,
                check_finite: bool = True) -> np.ndarray:
    """The triad in NumPy: ``np.multiply`` then ``np.add``, one temporary array between them.

    Limits: as :func:`triad` (non-empty finite 1-D float64 ``b``, ``c``; writable ``out``; no overflow;
    ``check_finite=False`` skips the value checks, as in :func:`triad`).
    """
    _check_vectors(b, c, out)
    s = _checks.real("s", s)
    if _checks.boolean("check_finite", check_finite):
        _check_triad_values(b, c, s)
    elif b.size == 0:
        raise ValueError("b and c must not be empty")
    tmp = np.multiply(c, s)
    return np.add(b, tmp, out=out)


# --- public entry point -----------------------------------------------------------------------

def _check_vectors(b, c, out):
    for name, arr in (("b", b), ("c", c)):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, got {type(arr).__name__}")
        if arr.dtype != np.float64 or arr.ndim != 1:
            raise TypeError(f"{name} must be a 1-D float64 array, got {arr.ndim}-D {arr.dtype}")
    if b.shape != c.shape:
        raise ValueError(f"b and c must have the same length, got {b.size} and {c.size}")
    if out is not None:
        _checks.out_array("out", out, shape=b.shape, dtype=np.float64)


def _check_triad_values(b, c, s):
    """Finite inputs whose triad cannot overflow: max|b| + |s|·max|c| must be a finite float."""
    if b.size == 0:
        raise ValueError("b and c must not be empty")
    mb, mc = _checks.max_abs(b), _checks.max_abs(c)
    for name, m in (("b", mb), ("c", mc)):
        if not np.isfinite(m):
            raise ValueError(f"{name} must contain only finite values (no NaN or infinity)")
    with np.errstate(over="ignore"):
        _checks.derived("max|b| + |s|*max|c|", mb + abs(s) * mc, "b, c and s")


def triad(b: np.ndarray, c: np.ndarray, s: float, out: np.ndarray | None = None,
          backend: str | None = None, check_finite: bool = True) -> np.ndarray:
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
    check_finite : bool
        Check that ``b`` and ``c`` hold finite values whose triad cannot overflow (default). The
        check reads both arrays once more; timings of the kernel itself (notebook 00, the bench)
        pass False, as ``scipy.linalg`` does with its ``check_finite``: NaN or infinity in the
        inputs then propagate to the result.

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
    the finiteness check reads ``b`` and ``c`` once more (one compiled pass, no temporary), unless
    ``check_finite=False``.

    Examples
    --------
    >>> import numpy as np
    >>> triad(np.ones(4), np.arange(4.0), 2.0, backend="cpu")
    array([1., 3., 5., 7.])
    """
    _check_vectors(b, c, out)
    s = _checks.real("s", s)
    if _checks.boolean("check_finite", check_finite):
        _check_triad_values(b, c, s)
    elif b.size == 0:
        raise ValueError("b and c must not be empty")
    where = _backend.choose("stream.triad", b.size, backend).backend
    b = np.ascontiguousarray(b)
    c = np.ascontiguousarray(c)
    a = np.empty_like(b) if out is None else out
    if _backend.is_cuda(where):
        d_a = cuda.device_array_like(a)
        _backend.launch(_triad_cuda, a.size, d_a, b, c, s, threads_per_block=256)
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


def measure_gpu_copy_bandwidth(n: int = 1 << 26, repeats: int = 10) -> dict:
    """Device-to-device copy bandwidth of this machine's GPU, with a copy kernel (needs a CUDA GPU).

    The GPU's ruler for memory-bound kernels: ``python -m infralab.bench`` reports each GPU kernel's
    ``fraction_of_gpu_copy`` against it, measured in the same run.

    Parameters
    ----------
    n : int
        float64 elements per array (default 2**26: two arrays of 512 MiB, far beyond any cache).
    repeats : int
        Timed runs after one warm-up; the best is reported.

    Returns
    -------
    dict
        ``n``, ``seconds`` and ``GBps`` (1e9 bytes/s, counting 16 bytes per element: one read,
        one write).
    """
    n = _checks.integer("n", n, low=1 << 16, high=1 << 30)
    repeats = _checks.integer("repeats", repeats, low=1)
    if _backend.resolve("cuda") != "cuda":
        raise ValueError("measure_gpu_copy_bandwidth needs a CUDA GPU")
    src = cuda.device_array(n)
    dst = cuda.device_array(n)
    blocks, threads = _backend.launch_config(n, 256, 1 << 16)

    def run():
        _backend.launch(_copy_cuda, n, dst, src, blocks=blocks, threads_per_block=threads)
        cuda.synchronize()
    best = best_time(run, repeats=repeats, warmup=1)
    return {"n": n, "seconds": best, "GBps": 16 * n / best / 1e9}


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
        out["numpy"].append(best_time(lambda: triad_numpy(b, c, 3.0, out=a, check_finite=False), repeats))
        out["kernel"].append(best_time(lambda: triad(b, c, 3.0, out=a, backend=backend, check_finite=False),
                                       repeats))
        if n <= python_up_to:
            bl, cl = b.tolist(), c.tolist()
            out["python"].append(best_time(lambda: _triad_python_loop(bl, cl, 3.0), 1))
        else:
            out["python"].append(float("nan"))
    for key in ("python", "numpy", "kernel"):
        out[key] = np.array(out[key])
    return out



# --- fused multiply-add: why the GPU twin differs in the last bit -----------------------------

def fma_differences(b: np.ndarray, c: np.ndarray, s: float) -> dict:
    """Compare the triad ``b + s*c`` rounded twice (CPU, simulator) with it rounded once (GPU FMA).

    The CPU kernel and NumPy round the product ``s*c`` to a double, then round the sum: two
    roundings. On a GPU, NVVM contracts the same source line into one fused multiply-add,
    ``fma.rn.f64`` in PTX, which rounds the exact ``b + s*c`` once (``fastmath=False`` does not
    stop it). Both are correct IEEE 754 operations; they are different expressions, so their
    last bits can differ. This function computes both on the CPU, the fused one exactly.

    Method: Dekker's two-product (with Veltkamp's split) gives the product's rounding error ``e``
    exactly, so ``s*c == p + e`` with ``p = fl(s*c)``; :func:`math.fsum` then returns the correctly
    rounded sum of ``b``, ``p`` and ``e``, which is ``fma(s, c, b)`` (Python 3.13's ``math.fma``
    gives the same). The bounds on the inputs keep both steps exact (no overflow, no underflow).

    Parameters
    ----------
    b, c : numpy.ndarray
        1-D float64 arrays of equal length, 1 to 2,000,000 elements; every element 0 or with
        magnitude in [2**-300, 2**300].
    s : float
        The scalar, 0 or with magnitude in [2**-300, 2**300].

    Returns
    -------
    dict
        ``n`` (elements), ``unfused`` (``b + s*c`` rounded twice, what the CPU kernel returns),
        ``fused`` (rounded once, what ``fma.rn.f64`` returns), ``ulps`` (int64 array: how many
        doubles apart the two are, per element), ``differ`` (elements where they differ),
        ``fraction`` (``differ / n``) and ``max_ulps``. When ``b`` and ``s*c`` have the same sign
        the two differ by at most 1 ulp; under cancellation (``b`` close to ``-s*c``) the gap in
        ulps can be large, because the unfused result has lost the product's low bits.

    Raises
    ------
    TypeError
        When ``b`` or ``c`` is not a 1-D float64 array, or ``s`` is not a real number.
    ValueError
        For arrays of different lengths, lengths outside 1..2,000,000, or values that are not
        finite or lie outside the magnitude range above.

    References
    ----------
    T. J. Dekker, "A floating-point technique for extending the available precision",
    Numerische Mathematik 18, 1971. https://doi.org/10.1007/BF01397083
    J. R. Shewchuk, "Adaptive precision floating-point arithmetic and fast robust geometric
    predicates", Discrete & Computational Geometry 18, 1997 (the algorithm of ``math.fsum``).
    https://doi.org/10.1007/PL00009321
    NVIDIA, "Floating Point and IEEE 754 Compliance for NVIDIA GPUs".
    https://docs.nvidia.com/cuda/floating-point/index.html

    Examples
    --------
    >>> import numpy as np
    >>> r = fma_differences(np.array([0.1, 1.0]), np.array([0.3, 2.0]), 3.0)
    >>> r["unfused"].tolist(), r["fused"].tolist()
    ([0.9999999999999999, 7.0], [1.0, 7.0])
    >>> r["differ"], r["max_ulps"]
    (1, 1)
    """
    import math

    _check_vectors(b, c, None)
    s = _checks.real("s", s)
    n = b.size
    if not 1 <= n <= 2_000_000:
        raise ValueError(f"b and c must have 1 to 2,000,000 elements, got {n}")
    tiny, huge = 2.0 ** -300, 2.0 ** 300
    for name, values in (("b", b), ("c", c), ("s", np.array([s]))):
        mag = np.abs(values)
        bad = ~np.isfinite(values) | (mag > huge) | ((mag < tiny) & (mag != 0))
        if bad.any():
            raise ValueError(f"{name} must be 0 or have magnitude in [2**-300, 2**300] "
                             f"(finite), got {values[bad][0]!r}")
    # Veltkamp's split: x == hi + lo exactly, each half with at most 26 significant bits
    factor = 2.0 ** 27 + 1.0
    t = factor * c
    c_hi = t - (t - c)
    c_lo = c - c_hi
    t = factor * s
    s_hi = t - (t - s)
    s_lo = s - s_hi
    p = s * c                                                          # rounded product
    e = ((s_hi * c_hi - p) + s_hi * c_lo + s_lo * c_hi) + s_lo * c_lo  # s*c - p, exactly
    unfused = b + p                                                    # second rounding
    fused = unfused.copy()
    inexact = np.flatnonzero(e != 0.0)           # where e == 0 the two expressions are equal
    fused[inexact] = [math.fsum(terms) for terms in
                      zip(b[inexact].tolist(), p[inexact].tolist(), e[inexact].tolist())]

    def ordered(x):                              # doubles -> integers in the same order
        bits = x.view(np.int64)
        return np.where(bits < 0, np.int64(-2**63) - bits, bits)

    ulps = np.abs(ordered(fused) - ordered(unfused))
    differ = int(np.count_nonzero(ulps))
    return {"n": n, "unfused": unfused, "fused": fused, "ulps": ulps, "differ": differ,
            "fraction": differ / n, "max_ulps": int(ulps.max())}
