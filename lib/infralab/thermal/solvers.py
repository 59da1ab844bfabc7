"""Heat solvers, each numba CPU kernel beside its CUDA twin: the explicit (FTCS) heat equation on a
uniform grid (:func:`solve_heat_2d`, kernel ``_ftcs_cpu``, twins ``_ftcs_cuda`` and
``_ftcs_steps_cuda``), and finite volumes with per-cell properties, a heat source and a convective
(Robin) boundary (:func:`solve_heat_fv`, kernel ``_fv_cpu``, twins ``_fv_cuda`` and ``_fv_steps_cuda``).

References
----------
Y. A. Cengel, *Heat and Mass Transfer*, ch. 5 (explicit methods).
F. P. Incropera et al., *Fundamentals of Heat and Mass Transfer*, 6th ed., table 5.3 (stability).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import cuda, njit, prange
from numba.core.extending import register_jitable

from .. import _checks
from .. import backend as _backend

#: Most time steps of one solver call (the per-step overhead of a parallel sweep or a GPU launch is
#: ~5-20 us, so 10**7 steps of even a tiny grid take about a minute).
MAX_STEPS = 10**7
#: Most cell updates (cells x steps) of one solver call: ~2.5e8 updates/s on a busy 2-core machine,
#: so about 40 s at the cap.
MAX_CELL_UPDATES = 10**10
#: Most cells of a grid (8 bytes each, several copies: ~1 GiB per copy at the cap).
MAX_CELLS = 1 << 27


# --------------------------------------------------------------------------------------------
# The heat equation, explicit finite differences: kernel and CUDA twin
# --------------------------------------------------------------------------------------------

@register_jitable
def _ftcs_row(up, mid, down, out, r):
    """One FTCS update of one row's interior from the rows above and below (1-D views).

    Unit-stride 1-D views let LLVM vectorize the loop; indexing a 2-D array directly ran ~1.5x slower.
    """
    for j in range(1, mid.size - 1):
        out[j] = mid[j] + r * (up[j] + down[j] + mid[j - 1] + mid[j + 1] - 4.0 * mid[j])


@njit(parallel=True, cache=True)
def _ftcs_cpu(u, v, r, n_steps, ring):
    """n_steps FTCS updates; u and v hold the same fixed edges, the result is returned.

    Memory, not arithmetic, bounds this stencil, so it fuses two time steps into one sweep
    ("temporal blocking"): each band of rows computes the intermediate step into a ring of three
    rows that stays in cache, and writes only the second step to memory. Each grid value is then
    read and written once per two steps, halving the traffic. The arithmetic is exactly that of two
    single steps, so the result is bit-for-bit the same. ``ring`` is scratch (bands, 3, nx).
    """
    ny, nx = u.shape
    n_bands = ring.shape[0]
    band = (ny - 2 + n_bands - 1) // n_bands
    for _ in range(n_steps // 2):
        for b in prange(n_bands):
            lo = 1 + b * band
            hi = min(ny - 1, lo + band)
            buf = ring[b]
            for i in range(lo - 1, hi + 1):          # intermediate rows lo-1 .. hi
                row = buf[i % 3]
                if i == 0 or i == ny - 1:            # Dirichlet rows do not change
                    row[:] = u[i]
                else:
                    row[0], row[nx - 1] = u[i, 0], u[i, nx - 1]
                    _ftcs_row(u[i - 1], u[i], u[i + 1], row, r)
                if i - 1 >= lo:                      # rows i-2, i-1, i of the intermediate are ready
                    _ftcs_row(buf[(i - 2) % 3], buf[(i - 1) % 3], row, v[i - 1], r)
        u, v = v, u
    if n_steps % 2 == 1:
        for i in prange(1, ny - 1):
            _ftcs_row(u[i - 1], u[i], u[i + 1], v[i], r)
        u, v = v, u
    return u


# The CUDA twins. Thread x runs along the columns (the unit-stride axis), so the 32 threads of a warp
# read 32 neighbouring cells of one row: one 256-byte transaction instead of 32 rows far apart.
# `_ftcs_steps_cuda` runs the whole time loop in one cooperative launch: block b sweeps rows b,
# b + gridDim, ... with its threads striding along each row (no integer division per cell), then a
# grid-wide barrier before the next step. `_ftcs_cuda` (one step, 2-D grid of (32, 8) blocks) is the
# fallback when grid synchronization is unavailable and the single-step kernel the benchmark times.

#: Threads per block of the stepping kernels (a power of two: their reductions halve it).
STEP_THREADS = 256


def _step_threads():
    """Threads per block of the stepping kernels: 8 under the simulator, where each is a Python thread."""
    return 8 if _backend.simulator_enabled() else STEP_THREADS


@cuda.jit(cache=True)
def _ftcs_cuda(u, v, r):
    """One FTCS update of the interior, one thread per cell, ``j`` (x) along the row."""
    j, i = cuda.grid(2)
    ny, nx = u.shape
    if 0 < i < ny - 1 and 0 < j < nx - 1:
        v[i, j] = u[i, j] + r * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - 4.0 * u[i, j])


@cuda.jit(device=True, inline=True)
def _ftcs_sweep(u, v, r):
    """One step: this block's rows of the interior, its threads striding along each row (coalesced)."""
    ny, nx = u.shape
    for i in range(1 + cuda.blockIdx.x, ny - 1, cuda.gridDim.x):
        for j in range(1 + cuda.threadIdx.x, nx - 1, cuda.blockDim.x):
            v[i, j] = u[i, j] + r * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1] - 4.0 * u[i, j])


@cuda.jit(cache=True)
def _ftcs_steps_cuda(u, v, r, n_steps):
    """n_steps FTCS updates in one launch; the result is in u for even n_steps, else in v.

    The two buffers alternate by the step's parity rather than by swapping names, so the compiler
    keeps both as kernel parameters and issues global-memory loads.
    """
    grid = cuda.cg.this_grid()
    for s in range(n_steps):
        if s % 2 == 0:
            _ftcs_sweep(u, v, r)
        else:
            _ftcs_sweep(v, u, r)
        grid.sync()


def _ftcs_on_device(u, r, n):
    """The CUDA path of solve_heat_2d: copy in once, step on the device, copy the result out once."""
    d_u, = _backend.to_device(u)
    d_v = _backend.device_copy(d_u)           # v starts as a copy: it needs u's fixed edges
    if _backend.launch(_ftcs_steps_cuda, None, d_u, d_v, r, n, blocks=u.shape[0] - 2,
                       threads_per_block=_step_threads(), cooperative=True) is not None:
        return (d_u if n % 2 == 0 else d_v).copy_to_host()
    for _ in range(n):                        # no grid sync here: one launch per step, still no copies
        _backend.launch(_ftcs_cuda, u.shape, d_u, d_v, r)
        d_u, d_v = d_v, d_u
    return d_u.copy_to_host()


def stability_limit(alpha: float, dx: float) -> float:
    """Largest stable explicit time step on a square grid: ``dx**2 / (4·alpha)`` (seconds).

    Raises ValueError when the limit overflows or underflows to 0 (e.g. ``alpha=1e308`` with
    ``dx=1e-200``): a limit that is not a positive finite number is an error, never a pass.
    """
    h = _checks.positive("dx", dx)
    a = _checks.positive("alpha", alpha)
    with np.errstate(over="ignore", under="ignore"):
        limit = np.float64(h) * h / (4.0 * a)
    return float(_checks.derived("the stability limit dx**2/(4*alpha)", limit, "dx and alpha", positive=True))


def solve_heat_2d(u0, alpha: float, dx: float, dt: float, n_steps: int,
                  backend: str | None = None) -> np.ndarray:
    """Advance ``u_t = alpha·(u_xx + u_yy)`` by ``n_steps`` explicit (FTCS) steps.

    The grid is uniform with spacing ``dx`` on both axes; the edge cells keep their initial values
    (Dirichlet). ``u0`` is not modified.

    Parameters
    ----------
    u0 : array_like
        Initial field, 2-D, at least 3 x 3, finite.
    alpha : float
        Thermal diffusivity, m^2/s (> 0).
    dx : float
        Grid spacing, m (> 0).
    dt : float
        Time step, s (> 0), at most the stability limit ``dx**2 / (4·alpha)``.
    n_steps : int
        Number of steps, 0..:data:`MAX_STEPS`.
    backend : {"cpu", "cuda"}, optional
        Override :func:`infralab.backend.resolve` for this call.

    Returns
    -------
    numpy.ndarray
        The float64 field after ``n_steps`` steps.

    Raises
    ------
    ValueError
        ``dt`` above the stability limit (the message gives the limit), non-positive ``alpha`` or
        ``dx``, non-finite values, a grid smaller than 3 x 3, ``n_steps`` outside 0..MAX_STEPS, more
        than :data:`MAX_CELL_UPDATES` cell updates (the message gives the estimated time and memory),
        or a stability limit that overflows/underflows.

    Notes
    -----
    Limits: at most :data:`MAX_CELLS` cells, :data:`MAX_STEPS` steps and :data:`MAX_CELL_UPDATES`
    cells x steps (about 40 s on 2 cores).

    Examples
    --------
    >>> u = np.zeros((5, 5)); u[2, 2] = 1.0
    >>> out = solve_heat_2d(u, alpha=1.0, dx=1.0, dt=0.25, n_steps=1)
    >>> float(out[2, 2]), float(out[1, 2])
    (0.0, 0.25)
    """
    u = _checks.float_array("u0", u0, ndim=2, min_shape=3, max_size=MAX_CELLS)
    a = _checks.positive("alpha", alpha)
    h = _checks.positive("dx", dx)
    step = _checks.positive("dt", dt)
    n = _checks.integer("n_steps", n_steps, low=0, high=MAX_STEPS)
    _checks.bound_work("solve_heat_2d", float(u.size) * n, MAX_CELL_UPDATES, per_second=2.5e8,
                       bytes_needed=24.0 * u.size, unit="cell updates")
    with np.errstate(over="ignore"):
        _checks.derived("8*max|u0| (the stencil's intermediate sums)", 8.0 * np.abs(u).max(), "u0")
    limit = stability_limit(a, h)
    if step > limit:
        raise ValueError(f"dt = {step:.6g} s exceeds the stability limit dx**2/(4*alpha) = {limit:.6g} s")
    r = a * step / (h * h)
    where = _backend.choose("thermal.ftcs", u.size, backend).backend
    u = u.copy()
    if n == 0:
        return u
    if _backend.is_cuda(where):
        return _ftcs_on_device(u, r, n)
    v = np.empty_like(u)  # the second buffer needs only the fixed edges; the kernel fills the rest
    v[0], v[-1], v[:, 0], v[:, -1] = u[0], u[-1], u[:, 0], u[:, -1]
    n_bands = max(1, min(u.shape[0] - 2, 4 * numba.get_num_threads()))
    return _ftcs_cpu(u, v, r, n, np.empty((n_bands, 3, u.shape[1])))


def ftcs_numpy(u0: np.ndarray, r: float, n_steps: int) -> np.ndarray:
    """The same update with NumPy slicing (the baseline the benchmark compares against).

    Limits: ``u0`` finite, 2-D, at least 3 x 3; ``r = alpha·dt/dx**2`` in 0..0.25 (stability);
    ``n_steps`` 0..:data:`MAX_STEPS`, and cells x steps at most :data:`MAX_CELL_UPDATES` / 5 (NumPy
    makes five passes per step, ~5e7 updates/s: about 40 s at the cap).
    """
    u_checked = _checks.float_array("u0", u0, ndim=2, min_shape=3, max_size=MAX_CELLS)
    with np.errstate(over="ignore"):
        _checks.derived("8*max|u0| (the stencil's intermediate sums)", 8.0 * np.abs(u_checked).max(), "u0")
    r = _checks.real("r", r, low=0.0, high=0.25)
    n_steps = _checks.integer("n_steps", n_steps, low=0, high=MAX_STEPS)
    _checks.bound_work("ftcs_numpy", float(np.size(u0)) * n_steps, MAX_CELL_UPDATES / 5, per_second=5e7,
                       bytes_needed=48.0 * np.size(u0), unit="cell updates")
    u = np.array(u0, dtype=np.float64)
    for _ in range(n_steps):
        u[1:-1, 1:-1] = u[1:-1, 1:-1] + r * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]
                                             - 4.0 * u[1:-1, 1:-1])
    return u


# --------------------------------------------------------------------------------------------
# A chip package: finite volumes with per-cell properties, a source and a convective boundary
# --------------------------------------------------------------------------------------------
#
# Cell (i, j) has heat capacity C = rho_c·dx² (per metre of depth) and exchanges heat with each
# neighbour through the conductance of the shared face, the harmonic mean 2·k1·k2/(k1+k2) (per metre
# of depth, since the face is dx long and the centres dx apart). Row 0 is the cooled face: it loses
# heat to the coolant at T_inf through g_top = dx / (dx/(2k) + 1/h). Other edges are insulated.
#   T_new = T + dt/C · (sum_nb G·(T_nb - T) + g_top·(T_inf - T) [row 0] + q·dx²)

@register_jitable
def _face(k1, k2):
    """Conductance of the face between cells of conductivity k1 and k2 (harmonic mean)."""
    return 2.0 * k1 * k2 / (k1 + k2)


def _fv_update(t, k, inv_c, q_dx2, g_top, t_inf, dt, i, j):
    """The new temperature of cell (i, j): one explicit finite-volume step (shared by both twins)."""
    ny, nx = t.shape
    tc = t[i, j]
    flow = q_dx2[i, j]
    if i > 0:
        flow += _face(k[i, j], k[i - 1, j]) * (t[i - 1, j] - tc)
    else:
        flow += g_top[j] * (t_inf - tc)
    if i < ny - 1:
        flow += _face(k[i, j], k[i + 1, j]) * (t[i + 1, j] - tc)
    if j > 0:
        flow += _face(k[i, j], k[i, j - 1]) * (t[i, j - 1] - tc)
    if j < nx - 1:
        flow += _face(k[i, j], k[i, j + 1]) * (t[i, j + 1] - tc)
    return tc + dt * inv_c[i, j] * flow


# The same Python function compiled for each target: inlined into the CPU loop (a call per cell,
# passing five arrays, ran 13x slower), and as an ordinary device function on the GPU.
_fv_update_cpu = njit(inline="always")(_fv_update)
_fv_update_gpu = cuda.jit(device=True)(_fv_update)


#: Grids with fewer cells than this run the whole time loop on one thread: a step of a 20 x 200 grid
#: takes microseconds, less than waking the worker threads for a parallel region (milliseconds on a
#: busy machine), so threads only pay from about this size up.
FV_PARALLEL_MIN_CELLS = 250_000


@njit(parallel=True, cache=True)
def _fv_cpu(t, t_new, k, inv_c, q_dx2, g_top, t_inf, dt, n_steps, peak_every, peaks, use_threads):
    """n_steps steps in one call; every ``peak_every`` steps the hottest cell is recorded in ``peaks``.

    The whole time loop runs inside this one compiled call. With ``use_threads`` False (small grids)
    no parallel region is ever opened; with it True the rows of each step are split over threads
    (one region per step, which pays only on big grids). Each cell's update is the same arithmetic
    either way, so both paths give bit-for-bit the same field.
    """
    ny, nx = t.shape
    for s in range(n_steps):
        if use_threads:
            for i in prange(ny):
                for j in range(nx):
                    t_new[i, j] = _fv_update_cpu(t, k, inv_c, q_dx2, g_top, t_inf, dt, i, j)
        else:
            for i in range(ny):
                for j in range(nx):
                    t_new[i, j] = _fv_update_cpu(t, k, inv_c, q_dx2, g_top, t_inf, dt, i, j)
        t, t_new = t_new, t
        if (s + 1) % peak_every == 0:
            hottest = t[0, 0]
            for i in range(ny):          # a plain loop: t.max() would open a parallel region
                for j in range(nx):
                    if t[i, j] > hottest:
                        hottest = t[i, j]
            peaks[(s + 1) // peak_every - 1] = hottest
    return t


@cuda.jit(cache=True)
def _fv_cuda(t, t_new, k, inv_c, q_dx2, g_top, t_inf, dt):
    """One step, one thread per cell, ``j`` (x) along the row (coalesced)."""
    j, i = cuda.grid(2)
    if i < t.shape[0] and j < t.shape[1]:
        t_new[i, j] = _fv_update_gpu(t, k, inv_c, q_dx2, g_top, t_inf, dt, i, j)


@cuda.jit(device=True)
def _block_max_into(red, value, out, idx):
    """out[idx] = max(out[idx], the largest ``value`` of this block): a shared-memory tree, then one
    atomic per block. Every thread of the block must call it."""
    tx = cuda.threadIdx.x
    red[tx] = value
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if tx < step and red[tx + step] > red[tx]:
            red[tx] = red[tx + step]
        cuda.syncthreads()
        step //= 2
    if tx == 0:
        cuda.atomic.max(out, idx, red[0])
    cuda.syncthreads()


@cuda.jit(device=True, inline=True)
def _fv_sweep(t, t_new, k, inv_c, q_dx2, g_top, t_inf, dt):
    """One step over this block's rows, its threads striding along each row (coalesced); returns the
    hottest new temperature this thread computed."""
    ny, nx = t.shape
    hot = -math.inf
    for i in range(cuda.blockIdx.x, ny, cuda.gridDim.x):
        for j in range(cuda.threadIdx.x, nx, cuda.blockDim.x):
            val = _fv_update_gpu(t, k, inv_c, q_dx2, g_top, t_inf, dt, i, j)
            t_new[i, j] = val
            hot = max(hot, val)
    return hot


@cuda.jit(cache=True)
def _fv_steps_cuda(t, t_new, k, inv_c, q_dx2, g_top, t_inf, dt, n_steps, peak_every, peaks):
    """n_steps steps in one launch (grid-wide barrier between steps); every ``peak_every`` steps the
    hottest cell is reduced on the device into ``peaks`` (initialized to -inf). The result is in t
    for even n_steps, else in t_new."""
    grid = cuda.cg.this_grid()
    red = cuda.shared.array(STEP_THREADS, np.float64)
    for s in range(n_steps):
        if s % 2 == 0:
            hot = _fv_sweep(t, t_new, k, inv_c, q_dx2, g_top, t_inf, dt)
        else:
            hot = _fv_sweep(t_new, t, k, inv_c, q_dx2, g_top, t_inf, dt)
        if (s + 1) % peak_every == 0:
            _block_max_into(red, hot, peaks, (s + 1) // peak_every - 1)
        grid.sync()


@cuda.jit(cache=True)
def _max_cuda(t, peaks, idx):
    """peaks[idx] = max(peaks[idx], t.max()) on the device (the fallback path's recording)."""
    red = cuda.shared.array(STEP_THREADS, np.float64)
    ny, nx = t.shape
    hot = -math.inf
    for i in range(cuda.blockIdx.x, ny, cuda.gridDim.x):
        for j in range(cuda.threadIdx.x, nx, cuda.blockDim.x):
            hot = max(hot, t[i, j])
    _block_max_into(red, hot, peaks, idx)


def _fv_on_device(t, kk, inv_c, q_dx2, g_top, tinf, step, n, every, n_rec):
    """The CUDA path of solve_heat_fv: inputs copied once, the time loop and the recorded maxima on
    the device, two copies back at the end."""
    d_t, d_k, d_ic, d_q, d_g = _backend.to_device(t, kk, inv_c, q_dx2, g_top)
    d_n = _backend.device_copy(d_t)
    d_peaks = cuda.to_device(np.full(max(1, n_rec), -np.inf))
    peak_every = every if every else n + 1
    rows, threads = t.shape[0], _step_threads()
    if n > 0 and _backend.launch(_fv_steps_cuda, None, d_t, d_n, d_k, d_ic, d_q, d_g, tinf, step, n,
                                 peak_every, d_peaks, blocks=rows, threads_per_block=threads,
                                 cooperative=True) is not None:
        result = d_t if n % 2 == 0 else d_n
    else:                                     # no grid sync: one launch per step, still no copies
        for s in range(n):
            _backend.launch(_fv_cuda, t.shape, d_t, d_n, d_k, d_ic, d_q, d_g, tinf, step)
            d_t, d_n = d_n, d_t
            if (s + 1) % peak_every == 0:
                _backend.launch(_max_cuda, None, d_t, d_peaks, (s + 1) // peak_every - 1,
                                blocks=min(rows, 1024), threads_per_block=threads)
        result = d_t
    return result.copy_to_host(), d_peaks.copy_to_host()[:n_rec]


def fv_stability_limit(k, rho_c, dx: float, h_top) -> float:
    """Largest stable step of the finite-volume scheme: ``min over cells of C / (sum of conductances)``.

    This is the condition that keeps every new temperature a weighted average of old ones (so no
    oscillation and no new extremes). For a uniform interior it is ``dx**2/(4·alpha)``; at the
    convective face the extra conductance shrinks the step, as the textbook condition
    ``Fo·(2 + Bi) <= 1/2`` (Incropera, table 5.3) does for node-centred grids.

    Limits: ``k`` a finite 2-D array > 0 of at most :data:`MAX_CELLS` cells; ``rho_c`` > 0, scalar or
    of ``k``'s shape; ``dx`` > 0; ``h_top`` >= 0, scalar or one per column. A limit that overflows,
    is NaN (e.g. ``k=1e308``) or underflows to 0 raises ValueError.
    """
    k = _checks.float_array("k", k, ndim=2, max_size=MAX_CELLS)
    if np.any(k <= 0):
        raise ValueError("k (conductivity) must be > 0 in every cell")
    rho_c = _cell_field("rho_c", rho_c, k.shape)
    if np.any(rho_c <= 0):
        raise ValueError("rho_c (volumetric heat capacity) must be > 0 in every cell")
    dx = _checks.positive("dx", dx)
    h_top = _top_field(h_top, k.shape[1])
    g = np.zeros_like(k)
    with np.errstate(all="ignore"):   # overflow to inf or NaN is caught by the derived check below
        g[1:, :] += 2 * k[1:, :] * k[:-1, :] / (k[1:, :] + k[:-1, :])
        g[:-1, :] += 2 * k[:-1, :] * k[1:, :] / (k[:-1, :] + k[1:, :])
        g[:, 1:] += 2 * k[:, 1:] * k[:, :-1] / (k[:, 1:] + k[:, :-1])
        g[:, :-1] += 2 * k[:, :-1] * k[:, 1:] / (k[:, :-1] + k[:, 1:])
        g[0, :] += _top_conductance(k[0, :], dx, h_top)
        limit = np.min(np.asarray(rho_c) * dx * dx / g)
    return float(_checks.derived("the stability limit", limit, "k, rho_c, dx and h_top", positive=True))


def _top_field(h_top, nx):
    """h_top as one finite value >= 0 per column (a scalar is spread)."""
    if np.ndim(h_top) == 0:
        h = np.full(nx, _checks.nonnegative("h_top", h_top))
    else:
        h = _checks.float_array("h_top", h_top, ndim=1)
        if h.shape != (nx,):
            raise ValueError(f"h_top must be a scalar or have one value per column ({nx}), got shape {h.shape}")
    if np.any(h < 0):
        raise ValueError("h_top must be >= 0")
    return h


def _top_conductance(k_row, dx, h_top):
    h = np.broadcast_to(np.asarray(h_top, dtype=np.float64), k_row.shape)
    with np.errstate(divide="ignore", over="ignore"):
        return np.where(h > 0, dx / (dx / (2 * k_row) + 1.0 / np.where(h > 0, h, 1.0)), 0.0)


def solve_heat_fv(t0, k, rho_c, dx: float, dt: float, n_steps: int, *, source_w_m3=0.0,
                  h_top=0.0, t_inf: float = 0.0, record_every: int = 0,
                  backend: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Explicit finite-volume heat conduction with per-cell properties (the richer entry point).

    Row 0 of the grid is the cooled face (convection with coefficient ``h_top`` to a fluid at
    ``t_inf``; ``h_top = 0`` makes it insulated); the other three edges are insulated.

    Parameters
    ----------
    t0 : array_like
        Initial temperature, 2-D (ny, nx), any consistent unit (C or K).
    k : array_like
        Conductivity per cell, W/(m K), > 0, same shape.
    rho_c : array_like or float
        Volumetric heat capacity per cell, J/(m^3 K), > 0.
    dx : float
        Cell size, m (> 0).
    dt : float
        Time step, s; must not exceed :func:`fv_stability_limit` (the message gives the limit).
    n_steps : int
        Steps, 0..:data:`MAX_STEPS`.
    source_w_m3 : array_like or float
        Heat generated per cell volume, W/m^3.
    h_top : array_like or float
        Convective coefficient along row 0, W/(m^2 K) (>= 0), scalar or one per column.
    t_inf : float
        Coolant temperature, same unit as ``t0``.
    record_every : int
        When > 0, record the hottest temperature every this many steps (0..:data:`MAX_STEPS`).

    Notes
    -----
    Limits: at most :data:`MAX_CELLS` cells, :data:`MAX_STEPS` steps and :data:`MAX_CELL_UPDATES`
    cells x steps (about 40 s on 2 cores; above it a ValueError gives the estimated time and
    memory). A NaN, overflowing or zero stability limit (``k=1e308``), derived coefficients that
    overflow, or a field that overflows during the run raise ValueError.

    Returns
    -------
    field : numpy.ndarray
        Temperature after ``n_steps`` steps.
    peaks : numpy.ndarray
        The recorded maxima (empty when ``record_every`` is 0).
    """
    t = _checks.float_array("t0", t0, ndim=2, min_shape=1, max_size=MAX_CELLS)
    shape = t.shape
    kk = _cell_field("k", k, shape)
    if np.any(kk <= 0):
        raise ValueError("k (conductivity) must be > 0 in every cell")
    rc = _cell_field("rho_c", rho_c, shape)
    if np.any(rc <= 0):
        raise ValueError("rho_c (volumetric heat capacity) must be > 0 in every cell")
    q = _cell_field("source_w_m3", source_w_m3, shape)
    h = _top_field(h_top, shape[1])
    step_dx = _checks.positive("dx", dx)
    step = _checks.positive("dt", dt)
    n = _checks.integer("n_steps", n_steps, low=0, high=MAX_STEPS)
    every = _checks.integer("record_every", record_every, low=0, high=MAX_STEPS)
    tinf = _checks.real("t_inf", t_inf)
    _checks.bound_work("solve_heat_fv", float(t.size) * n, MAX_CELL_UPDATES, per_second=2.5e8,
                       bytes_needed=56.0 * t.size, unit="cell updates")
    limit = fv_stability_limit(kk, rc, step_dx, h)
    if step > limit * (1 + 1e-12):
        raise ValueError(f"dt = {step:.6g} s exceeds the stability limit min(C / sum of conductances) "
                         f"= {limit:.6g} s for this grid (dx**2/(4*alpha) in the interior)")
    where = _backend.choose("thermal.fv", t.size, backend).backend
    with np.errstate(all="ignore"):
        inv_c = 1.0 / (rc * step_dx * step_dx)
        q_dx2 = q * step_dx * step_dx
        g_top = _top_conductance(kk[0, :], step_dx, h)
    _checks.derived("1/(rho_c*dx**2), source_w_m3*dx**2 and the face conductance", [inv_c.max(), np.abs(q_dx2).max(),
                    g_top.max(), step * inv_c.max() * np.abs(q_dx2).max()], "rho_c, source_w_m3, dx, dt and h_top")
    n_rec = n // every if every else 0
    peaks = np.zeros(n_rec)
    if _backend.is_cuda(where):
        return _fv_result(*_fv_on_device(t, kk, inv_c, q_dx2, g_top, tinf, step, n, every, n_rec))
    # t may be the caller's array (float_array copies only when it must): never write into it
    use_threads = t.size >= FV_PARALLEL_MIN_CELLS and numba.get_num_threads() > 1
    field = _fv_cpu(t.copy(), np.empty_like(t), kk, inv_c, q_dx2, g_top, tinf, step, n,
                    every if every else n + 1, peaks, use_threads)
    return _fv_result(field, peaks)


def _fv_result(field, peaks):
    """The solver's output, refused when the temperatures overflowed during the run."""
    _checks.derived("the temperature field", [field.max(), field.min()] + ([peaks.max()] if peaks.size else []),
                    "t0, source_w_m3, t_inf and n_steps")
    return field, peaks


def _cell_field(name, value, shape):
    """A per-cell property: a scalar is spread over the grid; an array must have the grid's shape."""
    if np.ndim(value) == 0:
        value = np.full(shape, _checks.real(name, value))
    arr = _checks.float_array(name, value, ndim=2)
    if arr.shape != shape:
        raise ValueError(f"{name} must have the shape of t0 {shape}, got {arr.shape}")
    return arr
