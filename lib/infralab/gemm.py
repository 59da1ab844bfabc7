"""Matrix multiply, from three loops to BLAS-class speed (notebook 04, "From three loops to BLAS").

Four CPU kernels compute ``C = A @ B`` in float32, one step of the lesson each (:data:`STEPS`):

* ``"naive"``: the textbook triple loop ``c[i, j] += a[i, k] * b[k, j]`` with ``k`` innermost. It walks
  a column of ``b``, one new cache line per multiply-add: its traffic comes from DRAM.
* ``"ikj"``: the same loops in the order i-k-j. The inner loop now runs along a row of ``b`` and of
  ``c`` (contiguous), so it becomes SIMD fused multiply-adds, streaming rows through the caches (L2).
* ``"blocked"``: cache blocking. A ``BLOCKED_K x BLOCKED_J`` block of ``b`` stays in L2 while groups of
  four rows of ``a`` stream past it, and each loaded element of ``b`` feeds four multiply-adds.
* ``"packed"``: BLIS-style (Van Zee & van de Geijn 2015). ``a`` and ``b`` are copied once per call into
  packed panels (``MR`` rows of ``a``, ``NR`` columns of ``b``, contiguous along ``k``); a register
  micro-kernel keeps an ``MR x NR`` tile of ``c`` in SIMD registers for ``KC`` steps of ``k``; the loops
  around it block ``k`` (``KC``, for L1) and ``n`` (``NC``, for L2), and ``prange`` splits the rows of
  ``c`` into tasks of ``MC`` rows. This is :func:`matmul`'s CPU path (``chips.matmul``).

The micro-kernel is shaped for AVX2 (16 registers of 8 float32): its 4 x 3 tile of ``c`` is 12
registers, each holding 8 partial sums along ``k``, and the 4 rows of ``a`` take the other 4; one
step (8 values of ``k``) loads 7 vectors and issues 12 vector FMAs, with no spill (checked in the
generated assembly: ``_packed_kernel.inspect_asm``). :func:`step_intensity` gives each step's FLOPs
per byte at the level its traffic comes from, :func:`machine_peak` this machine's compute ceiling,
and :func:`measure_steps` each step's GFLOP/s beside NumPy's BLAS.

The CUDA twin ``_matmul_cuda`` (shared-memory tiles, 8 x 8 register tiles per thread) is beside the
CPU kernel, with :func:`measure_matmul_cuda`.

References
----------
F. G. Van Zee, R. A. van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality",
ACM TOMS 41(3), 2015, section 2 (the loops around the micro-kernel). K. Goto, R. van de Geijn,
"Anatomy of High-Performance Matrix Multiplication", ACM TOMS 34(3), 2008 (packing, cache blocking).
S. Williams, A. Waterman, D. Patterson, "Roofline", CACM 52(4), 2009.
"""

from __future__ import annotations

import os
import re

import numpy as np
from numba import cuda, njit, prange

from . import _checks
from . import backend as _backend
from ._timing import best_time

__all__ = ["STEPS", "LEVELS", "MAX_MATMUL_FLOPS", "MAX_STEP_FLOPS", "MR", "NR", "KC", "NC", "MC",
           "BLOCKED_K", "BLOCKED_J", "matmul", "matmul_step", "step_level", "step_intensity",
           "machine_peak", "fma_lanes", "measure_matmul", "measure_steps", "measure_matmul_cuda"]

#: Work cap of :func:`matmul`, FLOPs (2·m·n·k): ~1.5e10 FLOP/s on 2 cores, about 30 s at the cap.
MAX_MATMUL_FLOPS = 5 * 10**11

#: The lesson's steps, slowest first.
STEPS = ("naive", "ikj", "blocked", "packed")

#: Where each step's operands come from: the level whose bandwidth bounds it on a roofline.
LEVELS = {"naive": "DRAM", "ikj": "L2", "blocked": "L2", "packed": "registers"}

#: Work cap of :func:`matmul_step` per step, FLOPs, sized so one call stays near 30 s on a busy 2-core
#: machine (the naive loop sustains well under 1 GFLOP/s there).
MAX_STEP_FLOPS = {"naive": 2 * 10**10, "ikj": 10**11, "blocked": MAX_MATMUL_FLOPS, "packed": MAX_MATMUL_FLOPS}
_STEP_RATE = {"naive": 5e8, "ikj": 3e9, "blocked": 1.5e10, "packed": 1.5e10}   # FLOP/s, for the estimate

# --------------------------------------------------------------------------------------------
# Step 4 (the fast kernel): constants
# --------------------------------------------------------------------------------------------

#: Rows of ``c`` in the register tile (rows of ``a`` in a packed panel). With ``NR`` = 3 the tile is
#: 12 AVX2 registers and the 4 rows of ``a`` take 4 more: all 16 ymm registers, no spill.
MR = 4
#: Columns of ``c`` in the register tile (columns of ``b`` in a packed panel).
NR = 3
#: Depth of ``k`` per pass of the micro-kernel: a panel of ``a`` (MR·KC·4 B = 8 KiB) and one of ``b``
#: (NR·KC·4 B = 6 KiB) together fill under half of a 32 KiB L1 data cache, and the 12 horizontal
#: sums at the end of a pass are spread over 64 vector steps.
KC = 512
#: Columns of ``c`` per block: the packed block of ``b`` (KC·NC·4 B = 384 KiB) stays in a 512 KiB L2
#: while one panel of ``a`` (in L1) meets each of its NC / NR = 64 panels in turn.
NC = 192
#: Rows of ``c`` per parallel task (a multiple of MR): 16 tasks at n = 1024 and 32 at 2048, so two
#: cores get equal shares.
MC = 64
#: Cache blocking of step 3 (``"blocked"``): a (BLOCKED_K x BLOCKED_J) block of ``b`` (512 KB in
#: float32) stays in the L2 cache while every group of four rows of ``a`` streams past it.
BLOCKED_K, BLOCKED_J = 256, 512


# --------------------------------------------------------------------------------------------
# Step 1: the triple loop (k innermost: a column walk of b)
# --------------------------------------------------------------------------------------------

@njit(parallel=True, cache=True)
def _naive_kernel(a, b, c):
    """c = a @ b, k innermost, in program order (no fastmath: the sum is not reordered)."""
    n, kk = a.shape
    m = b.shape[1]
    for i in prange(n):
        for j in range(m):
            s = np.float32(0.0)
            for k in range(kk):
                s += a[i, k] * b[k, j]
            c[i, j] = s


# --------------------------------------------------------------------------------------------
# Step 2: loop order i-k-j (the inner loop runs along rows: SIMD)
# --------------------------------------------------------------------------------------------

@njit(parallel=True, fastmath={"contract"}, cache=True)
def _ikj_kernel(a, b, c):
    """c += a @ b with j innermost; fastmath only contracts a*b+c into one FMA (a single rounding)."""
    n, kk = a.shape
    m = b.shape[1]
    for i in prange(n):
        crow = c[i]
        for k in range(kk):
            x = a[i, k]
            brow = b[k]
            for j in range(m):
                crow[j] += x * brow[j]


# --------------------------------------------------------------------------------------------
# Step 3: cache blocking, four rows of c per pass
# --------------------------------------------------------------------------------------------

@njit(parallel=True, fastmath=True, cache=True)
def _blocked_kernel(a, b, c):
    """c += a @ b (float32), b blocked for L2, groups of four rows of c sharing each load of b.

    One parallel region per call: ``prange`` hands each core tasks of ``MC`` rows, and inside a task
    the loops run over the (BLOCKED_K x BLOCKED_J) blocks of b, then over the task's groups of four
    rows, so a block of b is reused by the 16 groups of a task while it sits in L2. Each element of
    b, once loaded, feeds four multiply-adds; the four accumulator rows are allocated once per task,
    and the inner loop over j becomes SIMD FMAs. What it lacks: a tile of c that stays in registers
    (every FMA still loads and stores its partial sum in L1), and packed copies of a and b.
    """
    n, kk = a.shape
    m = b.shape[1]
    for task in prange((n + MC - 1) // MC):
        acc = np.empty((4, BLOCKED_J), np.float32)
        i_end = min(task * MC + MC, n)
        for j0 in range(0, m, BLOCKED_J):
            w = min(BLOCKED_J, m - j0)
            for k0 in range(0, kk, BLOCKED_K):
                k1 = min(k0 + BLOCKED_K, kk)
                for i0 in range(task * MC, i_end, 4):
                    rows = min(4, n - i0)
                    r0, r1, r2, r3 = acc[0, :w], acc[1, :w], acc[2, :w], acc[3, :w]
                    r0[:] = 0.0
                    r1[:] = 0.0
                    r2[:] = 0.0
                    r3[:] = 0.0
                    for k in range(k0, k1):
                        x0 = a[i0, k]
                        x1 = a[i0 + 1, k] if rows > 1 else np.float32(0)
                        x2 = a[i0 + 2, k] if rows > 2 else np.float32(0)
                        x3 = a[i0 + 3, k] if rows > 3 else np.float32(0)
                        brow = b[k, j0:j0 + w]
                        for j in range(w):
                            v = brow[j]
                            r0[j] += x0 * v
                            r1[j] += x1 * v
                            r2[j] += x2 * v
                            r3[j] += x3 * v
                    for r in range(rows):
                        crow = c[i0 + r, j0:j0 + w]
                        arow = acc[r, :w]
                        for j in range(w):
                            crow[j] += arow[j]


# --------------------------------------------------------------------------------------------
# Step 4: packing and a register micro-kernel (BLIS-style), and the CUDA twin beside it
# --------------------------------------------------------------------------------------------

@njit(parallel=True, cache=True)
def _pack_a(a, ap):
    """ap[p, i, :] = a[p*MR + i, :] (rows past the end are zeros): MR rows per panel, k contiguous."""
    m, kk = a.shape
    for p in prange(ap.shape[0]):   # ap.shape[2] >= kk: the padding past kk is never read
        for i in range(MR):
            r = p * MR + i
            dst = ap[p, i]
            if r < m:
                src = a[r]
                for k in range(kk):
                    dst[k] = src[k]
            else:
                for k in range(kk):
                    dst[k] = np.float32(0.0)


#: Padding of each packed row, float32 (one 64-byte cache line): with k = 1024 the 7 rows a step reads
#: would otherwise lie exactly 4 KiB apart, in the same L1 set (4K aliasing); the pad staggers them.
_PAD = 16

#: Columns of b transposed per packing task (16 panels of NR) and rows of b per tile: a 48 x 64 tile
#: (12 KiB) is read and written within L1.
_PACK_COLS, _PACK_ROWS = 16 * NR, 64


@njit(parallel=True, cache=True)
def _pack_b(b, bp):
    """bp[p, j, :] = b[:, p*NR + j] (columns past the end are zeros): NR columns per panel, k contiguous."""
    kk, m = b.shape
    n_panels = bp.shape[0]
    for g in prange((n_panels + 15) // 16):
        p_lo = g * 16
        p_hi = min(p_lo + 16, n_panels)
        for k0 in range(0, kk, _PACK_ROWS):
            k1 = min(k0 + _PACK_ROWS, kk)
            for k in range(k0, k1):
                row = b[k]
                for p in range(p_lo, p_hi):
                    for j in range(NR):
                        col = p * NR + j
                        bp[p, j, k] = row[col] if col < m else np.float32(0.0)


@njit(fastmath=True, cache=True, inline="always")
def _micro_kernel(ap, bp, k0, k1, c, i0, j0, mr, nr):
    """c[i0:i0+mr, j0:j0+nr] += the 4 x 3 tile of panel ap times panel bp over k0..k1.

    The loop over k is what LLVM vectorizes: each of the 12 sums becomes one ymm register of 8
    partial sums, and a step loads 8 values of k from each of the 4 + 3 panel rows (contiguous).
    fastmath lets the 8 partial sums of one element of c be added in a different order than
    one-by-one: a reassociation of the kind BLAS also makes, within float32 rounding of the result.
    """
    a0, a1, a2, a3 = ap[0, k0:k1], ap[1, k0:k1], ap[2, k0:k1], ap[3, k0:k1]
    b0, b1, b2 = bp[0, k0:k1], bp[1, k0:k1], bp[2, k0:k1]
    c00 = c01 = c02 = c10 = c11 = c12 = c20 = c21 = c22 = c30 = c31 = c32 = np.float32(0.0)
    for p in range(k1 - k0):       # from 0: no negative-index wraparound, so loads stay contiguous
        x0, x1, x2, x3 = a0[p], a1[p], a2[p], a3[p]
        y0, y1, y2 = b0[p], b1[p], b2[p]
        c00 += x0 * y0
        c01 += x0 * y1
        c02 += x0 * y2
        c10 += x1 * y0
        c11 += x1 * y1
        c12 += x1 * y2
        c20 += x2 * y0
        c21 += x2 * y1
        c22 += x2 * y2
        c30 += x3 * y0
        c31 += x3 * y1
        c32 += x3 * y2
    if mr == MR and nr == NR:
        r = c[i0]
        r[j0] += c00
        r[j0 + 1] += c01
        r[j0 + 2] += c02
        r = c[i0 + 1]
        r[j0] += c10
        r[j0 + 1] += c11
        r[j0 + 2] += c12
        r = c[i0 + 2]
        r[j0] += c20
        r[j0 + 1] += c21
        r[j0 + 2] += c22
        r = c[i0 + 3]
        r[j0] += c30
        r[j0 + 1] += c31
        r[j0 + 2] += c32
    else:                          # an edge tile: write only the rows and columns inside c
        t = (c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32)
        for i in range(mr):
            for j in range(nr):
                c[i0 + i, j0 + j] += t[NR * i + j]


@njit(parallel=True, fastmath=True, cache=True)
def _packed_kernel(ap, bp, c, kk):
    """c += A @ B from the packed panels: the BLIS loops around the micro-kernel.

    prange over tasks of MC rows -> jc (NC columns, the block of b in this core's L2) -> pc (KC of k)
    -> ir (a panel of a, in L1) -> jr (a panel of b, from L2) -> the micro-kernel (the tile of c in
    registers).
    """
    m, n = c.shape
    n_tasks = (m + MC - 1) // MC
    for t in prange(n_tasks):     # one parallel region per call: on a busy machine each region's
        for jc in range(0, n, NC):  # start and barrier can cost a time slice
            j_hi = min(jc + NC, n)
            for pc in range(0, kk, KC):
                p1 = min(pc + KC, kk)
                for ir in range(t * MC, min(t * MC + MC, m), MR):
                    app = ap[ir // MR]
                    mr = min(MR, m - ir)
                    for jr in range(jc, j_hi, NR):
                        _micro_kernel(app, bp[jr // NR], pc, p1, c, ir, jr, mr, min(NR, n - jr))


def _packed(a, b):
    """C = a @ b with the packed kernel: two packed buffers and C, allocated once per call."""
    m, kk = a.shape
    n = b.shape[1]
    row = kk + _PAD
    ap = np.empty(((m + MR - 1) // MR, MR, row), np.float32)
    bp = np.empty(((n + NR - 1) // NR, NR, row), np.float32)
    _pack_a(a, ap)
    _pack_b(b, bp)
    c = np.zeros((m, n), np.float32)
    _packed_kernel(ap, bp, c, kk)
    return c


# The CUDA twin: register tiling. A block of 16 x 16 threads computes a 128 x 128 tile of C; each
# thread keeps an 8 x 8 block of C in registers (rows ty + 16*p, columns tx + 16*q). Per step of k it
# loads 8 values of A and 8 of B from shared memory and does 64 multiply-adds: 0.25 shared loads per
# FMA, where one element of C per thread needed 2. The 128 x 16 tile of A and the 16 x 128 tile of B
# are read from global memory row by row (coalesced), and a warp's reads of shared memory are either
# one broadcast address or 16 consecutive words (no bank conflicts). Compiled for sm_90, the k-loop
# body is 16 ld.shared and 64 fma.rn.f32 with no local-memory traffic (the 8 x 8 accumulators stay
# in registers).
#
# How it maps onto the CPU kernel above:
#   tile        the block's 128 x 128 tile of C  <->  a task's MC rows x the NC-column block of b
#   micro-tile  a thread's 8 x 8 in registers    <->  the micro-kernel's MR x NR = 4 x 3 (x 8 lanes)
#   packing     the copy of a 128 x 16 tile of A and a 16 x 128 tile of B into shared memory, per
#               BLOCK_K step, by the whole block  <->  _pack_a / _pack_b, once per call, into panels
#               contiguous along k
#   shared mem  the staging buffer that all 256 threads of a block reuse  <->  the L1/L2 caches that
#               hold a panel of a (KC deep) and the NC-wide block of b, which the CPU cannot address
#               directly and keeps resident by the blocking alone
# The GPU reduces along k into each register one product at a time; the CPU kernel keeps 8 partial
# sums per register (SIMD lanes along k) and adds them once per KC.

TILE = 16            # threads per block along x and y
REG = 8              # C elements per thread along each axis
BLOCK_MN = TILE * REG  # 128: the tile of C a block computes
BLOCK_K = 16         # depth of the A and B tiles staged in shared memory


@cuda.jit(cache=True)
def _matmul_cuda(a, b, c):
    """c = a @ b (float32): 128 x 128 tiles of c per block, 8 x 8 per thread in registers."""
    sa = cuda.shared.array((BLOCK_MN, BLOCK_K), np.float32)
    sb = cuda.shared.array((BLOCK_K, BLOCK_MN), np.float32)
    acc = cuda.local.array((REG, REG), np.float32)
    ar = cuda.local.array(REG, np.float32)
    br = cuda.local.array(REG, np.float32)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    tid = ty * TILE + tx
    row0 = cuda.blockIdx.y * BLOCK_MN
    col0 = cuda.blockIdx.x * BLOCK_MN
    n, kk = a.shape
    m = b.shape[1]
    for p in range(REG):
        for q in range(REG):
            acc[p, q] = np.float32(0.0)
    for k0 in range(0, kk, BLOCK_K):
        for e in range(tid, BLOCK_MN * BLOCK_K, TILE * TILE):   # 8 elements of each tile per thread
            r, cc = e // BLOCK_K, e % BLOCK_K                    # A tile: 16 consecutive k per row
            gr, gk = row0 + r, k0 + cc
            sa[r, cc] = a[gr, gk] if gr < n and gk < kk else np.float32(0.0)
            r, cc = e // BLOCK_MN, e % BLOCK_MN                  # B tile: 128 consecutive columns per row
            gk, gc = k0 + r, col0 + cc
            sb[r, cc] = b[gk, gc] if gk < kk and gc < m else np.float32(0.0)
        cuda.syncthreads()
        for k in range(BLOCK_K):
            for p in range(REG):
                ar[p] = sa[ty + TILE * p, k]
            for q in range(REG):
                br[q] = sb[k, tx + TILE * q]
            for p in range(REG):
                for q in range(REG):
                    acc[p, q] += ar[p] * br[q]
        cuda.syncthreads()
    for p in range(REG):
        for q in range(REG):
            i, j = row0 + ty + TILE * p, col0 + tx + TILE * q
            if i < n and j < m:
                c[i, j] = acc[p, q]


def _matmul_grid(n_rows, n_cols):
    return ((n_cols + BLOCK_MN - 1) // BLOCK_MN, (n_rows + BLOCK_MN - 1) // BLOCK_MN), (TILE, TILE)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------

def _matrix(name, x):
    """Validate a float32 matrix before anything is allocated; a contiguous, writeable view or copy."""
    if not isinstance(x, np.ndarray) or x.dtype != np.float32 or x.ndim != 2:
        raise TypeError(f"{name} must be a 2-D float32 NumPy array, got "
                        f"{getattr(x, 'dtype', type(x).__name__)} with ndim {getattr(x, 'ndim', '-')}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    return x


def _finite(name, x):
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must contain only finite values (no NaN or infinity)")


def _check_pair(a, b, what, cap, rate):
    a, b = _matrix("a", a), _matrix("b", b)
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"a.shape[1] ({a.shape[1]}) must equal b.shape[0] ({b.shape[0]})")
    _checks.bound_work(what, 2.0 * a.shape[0] * a.shape[1] * b.shape[1], cap, per_second=rate,
                       bytes_needed=4.0 * a.shape[0] * b.shape[1], unit="FLOPs")
    _finite("a", a)       # after the work cap: the scan of a huge (e.g. broadcast) input is refused first
    _finite("b", b)
    if float(np.abs(a).max()) * float(np.abs(b).max()) * a.shape[1] > float(np.finfo(np.float32).max):
        raise ValueError("a @ b may overflow float32 (max|a| * max|b| * k exceeds 3.4e38): rescale a or b")
    # contiguous and writeable: one compiled signature per kernel (a read-only input would need another)
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return (a if a.flags.writeable else a.copy()), (b if b.flags.writeable else b.copy())


def _step(step):
    if not isinstance(step, str):
        raise TypeError(f"step must be one of {STEPS}, got {type(step).__name__}")
    if step not in STEPS:
        raise ValueError(f"step must be one of {STEPS}, got {step!r}")
    return step


def matmul(a: np.ndarray, b: np.ndarray, backend: str | None = None) -> np.ndarray:
    """``a @ b`` for float32 matrices with the packed CPU kernel or its CUDA twin.

    Parameters
    ----------
    a, b : numpy.ndarray
        2-D float32 arrays with ``a.shape[1] == b.shape[0]`` (any strides).
    backend : {"cpu", "cuda"}, optional
        Override :func:`infralab.backend.resolve` for this call.

    Returns
    -------
    numpy.ndarray
        The float32 product, shape ``(a.shape[0], b.shape[1])``.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> matmul(x, x.T, backend="cpu")
    array([[ 5., 14.],
           [14., 50.]], dtype=float32)

    Notes
    -----
    Limits: finite, non-empty inputs; ``2·m·n·k`` at most :data:`MAX_MATMUL_FLOPS` (about 30 s on 2
    cores; above it a ValueError gives the estimated time and memory); a product that overflows
    float32 raises ValueError. Nothing is allocated before these checks.
    """
    a, b = _check_pair(a, b, "matmul", MAX_MATMUL_FLOPS, 1.5e10)
    work = a.shape[0] * a.shape[1] * b.shape[1]
    if _backend.is_cuda(_backend.choose("chips.matmul", work, backend).backend):
        blocks, threads = _matmul_grid(a.shape[0], b.shape[1])
        d_c = cuda.device_array((a.shape[0], b.shape[1]), np.float32)   # every element is written
        _backend.launch(_matmul_cuda, None, a, b, d_c, blocks=blocks, threads_per_block=threads)
        return d_c.copy_to_host()
    return _packed(a, b)


def matmul_step(a: np.ndarray, b: np.ndarray, step: str = "packed") -> np.ndarray:
    """``a @ b`` (float32, CPU) with one step of the lesson's kernels (:data:`STEPS`).

    Parameters
    ----------
    a, b : numpy.ndarray
        2-D float32 arrays with ``a.shape[1] == b.shape[0]``.
    step : {"naive", "ikj", "blocked", "packed"}
        Which kernel: see the module docstring.

    Returns
    -------
    numpy.ndarray
        The float32 product; every step agrees with NumPy to float32 rounding.

    Examples
    --------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> [float(matmul_step(x, x.T, s)[1, 1]) for s in STEPS]
    [50.0, 50.0, 50.0, 50.0]

    Notes
    -----
    Limits as :func:`matmul`, with the work cap :data:`MAX_STEP_FLOPS` of the step (the naive loop's
    is 2e10 FLOPs: square n = 2048 is allowed, 2560 is refused).
    """
    step = _step(step)
    a, b = _check_pair(a, b, f"matmul_step({step!r})", MAX_STEP_FLOPS[step], _STEP_RATE[step])
    if step == "packed":
        return _packed(a, b)
    c = np.zeros((a.shape[0], b.shape[1]), np.float32)
    {"naive": _naive_kernel, "ikj": _ikj_kernel, "blocked": _blocked_kernel}[step](a, b, c)
    return c


def step_level(step: str) -> str:
    """The memory level whose bandwidth a step's traffic uses: "DRAM", "L2" or "registers".

    >>> step_level("packed")
    'registers'
    """
    return LEVELS[_step(step)]


def step_intensity(step: str, bytes_per_element: float = 4.0) -> float:
    """FLOPs per byte a step moves at its level (:func:`step_level`), for its point on a roofline.

    * ``"naive"`` (DRAM): each multiply-add (2 FLOPs) reads one element of ``a`` and one of ``b``
      from memory, nothing reused: ``2 / (2 s)``, with ``s`` bytes per element.
    * ``"ikj"`` (L2): each multiply-add reads ``b[k, j]`` and reads and writes ``c[i, j]``, streamed
      through the caches: ``2 / (3 s)``.
    * ``"blocked"`` (L2): each element of ``b`` read from the L2-resident block feeds the 4 rows of
      ``c`` that are updated together: ``2·4 / s``.
    * ``"packed"`` (registers): one micro-kernel step loads ``MR + NR`` values of ``k``-slices and does
      ``MR·NR`` multiply-adds on them: ``2·MR·NR / ((MR + NR)·s)`` (the SIMD width cancels).

    Parameters
    ----------
    step : str
        One of :data:`STEPS`.
    bytes_per_element : float
        4.0 for float32 (the kernels' type); 0.5..16.

    Returns
    -------
    float
        FLOP per byte.

    Examples
    --------
    >>> round(step_intensity("packed"), 3)      # 2·4·3 / (7·4) = 24/28
    0.857
    >>> step_intensity("naive")
    0.25
    """
    step = _step(step)
    s = _checks.positive("bytes_per_element", bytes_per_element)
    if not 0.5 <= s <= 16:
        raise ValueError(f"bytes_per_element must be >= 0.5 and <= 16, got {s}")
    return {"naive": 2.0 / (2 * s), "ikj": 2.0 / (3 * s), "blocked": 8.0 / s,
            "packed": 2.0 * MR * NR / ((MR + NR) * s)}[step]


def _cpu_facts() -> dict:
    flags, mhz, vendor, family = set(), None, "", None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            text = f.read(1 << 20)
        m = re.search(r"^flags\s*:\s*(.*)$", text, re.M)
        flags = set(m.group(1).split()) if m else set()
        m = re.search(r"^cpu MHz\s*:\s*([\d.]+)", text, re.M)
        mhz = float(m.group(1)) if m else None
        m = re.search(r"^vendor_id\s*:\s*(\S+)", text, re.M)
        vendor = m.group(1) if m else ""
        m = re.search(r"^cpu family\s*:\s*(\d+)", text, re.M)
        family = int(m.group(1)) if m else None
    except OSError:
        pass
    return {"flags": flags, "mhz": mhz, "vendor": vendor, "family": family}


def fma_lanes(flags: set, vendor: str = "", family: int | None = None) -> tuple[int, int]:
    """``(register lanes, lanes per FMA unit per cycle)`` for float32, from the CPU's flags.

    A register holds 16 float32 with ``avx512f``, 8 with ``avx``/``avx2``, else 4 (SSE). An FMA unit
    is as wide as the register, except on AMD family 25 (Zen 3 and Zen 4): Zen 4 executes each 512-bit
    instruction as two halves on its 256-bit units ("double pumping"; A. J. Yee, "Zen5's AVX512
    Teardown", numberworld.org, 2024), so it completes 8 float32 FMAs per unit per cycle, as with AVX2.

    Examples
    --------
    >>> fma_lanes({"avx2", "avx512f"}, "AuthenticAMD", 25)
    (16, 8)
    >>> fma_lanes({"avx2", "avx512f"}, "GenuineIntel", 6)
    (16, 16)
    >>> fma_lanes({"avx2"})
    (8, 8)
    """
    lanes = 16 if "avx512f" in flags else 8 if ("avx2" in flags or "avx" in flags) else 4
    if lanes == 16 and vendor == "AuthenticAMD" and family == 25:
        return lanes, 8
    return lanes, lanes


def machine_peak(cores: int | None = None, clock_GHz: float | None = None, fma_ports: int = 2) -> dict:
    """This machine's float32 compute ceiling: cores x FMA lanes x FMA ports x 2 FLOPs x clock.

    Parameters
    ----------
    cores : int, optional
        Cores used; default ``os.cpu_count()`` (read).
    clock_GHz : float, optional
        Clock; default the ``cpu MHz`` line of ``/proc/cpuinfo`` (read; under a hypervisor or with
        boost the real clock may be higher, which makes this peak an underestimate), else 2.5 GHz
        (assumed).
    fma_ports : int
        Vector FMA units per core, 1..4 (assumed 2: AMD Zen 2-4 and Intel Haswell and later have two).

    Returns
    -------
    dict
        ``peak_GFLOPs``, ``cores``, ``simd_lanes`` (float32 per register: 16 with avx512f, 8 with
        avx2 or avx, else 4; read from the CPU flags), ``fma_lanes`` (float32 lanes one FMA unit
        completes per cycle: ``simd_lanes``, or 8 on AMD Zen 4, see :func:`fma_lanes`),
        ``fma_ports``, ``clock_GHz``, ``assumed`` (the names of the inputs that were not read from
        this machine).

    Examples
    --------
    >>> machine_peak(cores=2, clock_GHz=2.5)["peak_GFLOPs"] in (80.0, 160.0, 320.0)
    True
    """
    assumed = ["fma_ports"]
    if cores is None:
        cores = os.cpu_count() or 1
    cores = _checks.integer("cores", cores, low=1, high=4096)
    fma_ports = _checks.integer("fma_ports", fma_ports, low=1, high=4)
    facts = _cpu_facts()
    if clock_GHz is None:
        if facts["mhz"]:
            clock_GHz = facts["mhz"] / 1000
        else:
            clock_GHz = 2.5
            assumed.append("clock_GHz")
    clock = _checks.positive("clock_GHz", clock_GHz)
    if clock > 10:
        raise ValueError(f"clock_GHz must be <= 10, got {clock}")
    flags = facts["flags"]
    lanes, per_fma = fma_lanes(flags, facts["vendor"], facts["family"])
    if not flags:
        assumed.append("simd_lanes")
    return {"peak_GFLOPs": cores * per_fma * fma_ports * 2 * clock, "cores": cores, "simd_lanes": lanes,
            "fma_lanes": per_fma, "fma_ports": fma_ports, "clock_GHz": clock, "assumed": assumed}


def _pair(n, seed):
    rng = np.random.default_rng(seed)
    return rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)


def measure_matmul(n: int = 1024, repeats: int = 3, seed: int = 0) -> dict:
    """GFLOP/s of the packed kernel and of NumPy's BLAS on the same float32 ``n x n`` matrices.

    Returns
    -------
    dict
        ``n``, ``numba_seconds``, ``blas_seconds``, ``numba_GFLOPs``, ``blas_GFLOPs``,
        ``fraction_of_blas``, ``max_rel_error``.

    Notes
    -----
    Limits: ``n`` 16..8192, ``repeats`` 1..100, ``seed`` 0..2**64-1, and the timed work
    ``2·n**3·(repeats + 1)`` of the numba kernel at most :data:`MAX_MATMUL_FLOPS` (ValueError with the
    estimated time above it): n = 2048 allows up to 28 repeats, n = 4096 up to 2, and n = 8192 is refused.
    """
    n = _checks.integer("n", n, low=16, high=8192)
    repeats = _checks.integer("repeats", repeats, low=1, high=100)
    seed = _checks.integer("seed", seed, low=0, high=2**64 - 1)
    _checks.bound_work("measure_matmul", 2.0 * n**3 * (repeats + 1), MAX_MATMUL_FLOPS, per_second=1.5e10,
                       bytes_needed=12.0 * n * n * 2, unit="FLOPs")
    a, b = _pair(n, seed)
    flops = 2.0 * n ** 3
    results = {}
    t_blas = best_time(lambda: results.update(ref=a @ b), repeats=repeats, warmup=1)
    t_nb = best_time(lambda: results.update(got=matmul(a, b, backend="cpu")), repeats=repeats, warmup=1)
    ref = results["ref"]
    err = float(np.abs(results["got"] - ref).max() / np.abs(ref).max())
    return {"n": n, "numba_seconds": t_nb, "blas_seconds": t_blas, "numba_GFLOPs": flops / t_nb / 1e9,
            "blas_GFLOPs": flops / t_blas / 1e9, "fraction_of_blas": t_blas / t_nb, "max_rel_error": err}


def measure_steps(n: int = 512, steps=STEPS, repeats: int = 3, seed: int = 0) -> list[dict]:
    """Each step's GFLOP/s on float32 ``n x n`` matrices, beside NumPy's BLAS and the compute peak.

    Parameters
    ----------
    n : int
        Matrix size, 16..4096; each step's work ``2·n**3·(repeats + 1)`` must be within its
        :data:`MAX_STEP_FLOPS` (n = 1024 allows up to 8 repeats of the naive loop).
    steps : sequence of str
        A non-empty subset of :data:`STEPS`, each at most once.
    repeats : int
        Timed calls per kernel, 1..20 (the best is kept); one untimed call first compiles and warms.
    seed : int
        Seed of the random matrices, 0..2**64-1.

    Returns
    -------
    list of dict
        One per step, in the order given: ``step``, ``level``, ``intensity`` (FLOP/byte at that
        level), ``seconds``, ``GFLOPs``, ``blas_GFLOPs``, ``fraction_of_blas``, ``peak_GFLOPs``,
        ``fraction_of_peak``, ``max_rel_error`` (against BLAS).
    """
    n = _checks.integer("n", n, low=16, high=4096)
    repeats = _checks.integer("repeats", repeats, low=1, high=20)
    seed = _checks.integer("seed", seed, low=0, high=2**64 - 1)
    if isinstance(steps, str) or not hasattr(steps, "__iter__"):
        raise TypeError(f"steps must be a sequence of names from {STEPS}, got {type(steps).__name__}")
    steps = [_step(s) for s in steps]
    if not steps or len(set(steps)) != len(steps):
        raise ValueError(f"steps must be a non-empty subset of {STEPS} without repeats, got {steps}")
    for s in steps:
        _checks.bound_work(f"measure_steps({s!r})", 2.0 * n**3 * (repeats + 1), MAX_STEP_FLOPS[s],
                           per_second=_STEP_RATE[s], bytes_needed=12.0 * n * n * 2, unit="FLOPs")
    a, b = _pair(n, seed)
    flops = 2.0 * n ** 3
    ref = a @ b
    t_blas = best_time(lambda: a @ b, repeats=repeats, warmup=1)
    peak = machine_peak()["peak_GFLOPs"]
    out = []
    for s in steps:
        got = {}
        t = best_time(lambda: got.update(c=matmul_step(a, b, s)), repeats=repeats, warmup=1)
        gf = flops / t / 1e9
        out.append({"step": s, "level": LEVELS[s], "intensity": step_intensity(s), "seconds": t,
                    "GFLOPs": gf, "blas_GFLOPs": flops / t_blas / 1e9, "fraction_of_blas": t_blas / t,
                    "peak_GFLOPs": peak, "fraction_of_peak": gf / peak,
                    "max_rel_error": float(np.abs(got["c"] - ref).max() / np.abs(ref).max())})
    return out


def measure_matmul_cuda(n: int = 4096, repeats: int = 5, seed: int = 0) -> dict:
    """FLOP/s of the CUDA twin on device-resident float32 ``n x n`` matrices, copies timed apart.

    Needs a CUDA GPU (``backend.resolve("cuda") == "cuda"``). Where CuPy is importable, cuBLAS SGEMM
    (``cupy.matmul``) is timed on the same device arrays.

    Returns
    -------
    dict
        ``n``, ``kernel_seconds`` (best run, arrays already on the device), ``kernel_TFLOPs``,
        ``copy_in_seconds`` (A and B host -> device), ``copy_out_seconds`` (C device -> host),
        ``end_to_end_TFLOPs`` (kernel plus both copies), ``max_rel_error`` against cuBLAS or NumPy,
        and, with CuPy, ``cublas_seconds``, ``cublas_TFLOPs`` and ``fraction_of_cublas``.
    """
    n = _checks.integer("n", n, low=64, high=16384)
    if _backend.resolve("cuda") != "cuda":
        raise ValueError("measure_matmul_cuda needs a CUDA GPU (the simulator is far too slow)")
    a, b = _pair(n, seed)
    flops = 2.0 * n ** 3
    d_a, d_b = _backend.to_device(a, b)
    d_c = cuda.device_array((n, n), np.float32)
    blocks, threads = _matmul_grid(n, n)

    def run():
        _backend.launch(_matmul_cuda, None, d_a, d_b, d_c, blocks=blocks, threads_per_block=threads)
        cuda.synchronize()
    t_k = best_time(run, repeats=repeats, warmup=1)
    t_in = best_time(lambda: (_backend.to_device(a, b), cuda.synchronize()), repeats=3)
    host_c = np.empty((n, n), np.float32)
    t_out = best_time(lambda: d_c.copy_to_host(host_c), repeats=3)
    out = {"n": n, "kernel_seconds": t_k, "kernel_TFLOPs": flops / t_k / 1e12, "copy_in_seconds": t_in,
           "copy_out_seconds": t_out, "end_to_end_TFLOPs": flops / (t_k + t_in + t_out) / 1e12}
    try:
        import cupy
    except Exception:       # not installed, or no matching CUDA runtime
        cupy = None
    if cupy is not None:
        c_a, c_b = cupy.asarray(d_a), cupy.asarray(d_b)

        def blas():
            c_a @ c_b
            cupy.cuda.Device().synchronize()
        t_blas = best_time(blas, repeats=repeats, warmup=1)
        ref = cupy.asnumpy(c_a @ c_b)
        out.update(cublas_seconds=t_blas, cublas_TFLOPs=flops / t_blas / 1e12, fraction_of_cublas=t_blas / t_k)
    else:
        ref = a[:256].astype(np.float64) @ b.astype(np.float64)
    got = host_c[: ref.shape[0]]
    out["max_rel_error"] = float(np.abs(got - ref).max() / np.abs(ref).max())
    return out
