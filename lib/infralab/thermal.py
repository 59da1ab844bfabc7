"""Cooling and energy: PUE, moving heat with air and water, junction temperature, a chip-package heat
solver, and placing servers in racks. Notebook 02 calls these functions.

* :func:`pue`, :func:`efficiency_ratio`, :func:`carbon_ratio`: where the energy goes, and which inputs
  give a claimed "4.1x more efficient" or "99% less carbon" (the split of those claims is not public).
* :func:`required_flow`: ``Q = rho·Vdot·c_p·dT`` solved for the flow.
* :func:`junction_temperature`: the thermal-resistance chain from junction to coolant.
* :func:`solve_heat_2d`: the explicit (FTCS) heat equation on a uniform grid, numba kernel
  ``_ftcs_cpu`` with its CUDA twin ``_ftcs_cuda``.
* :func:`package_model` and :func:`simulate_package`: a 2-D cross-section of a chip package (die,
  TIM, lid, TIM, heat-sink base or cold plate) with per-cell conductivity, a heat source and a
  convective (Robin) boundary; finite volumes, kernel ``_fv_cpu`` with CUDA twin ``_fv_cuda``.
* :func:`place_servers`: first-fit decreasing under a power cap and a cooling cap per rack.

References
----------
Y. A. Cengel, *Heat and Mass Transfer*, ch. 1 and 5 (convection coefficients, explicit methods).
F. P. Incropera et al., *Fundamentals of Heat and Mass Transfer*, 6th ed., table 5.3 (stability).
The Green Grid / ISO/IEC 30134-2 (PUE). Schneider Electric white paper 135 (containment).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numba import cuda, njit, prange
from numba.core.extending import register_jitable

from . import _checks
from . import backend as _backend

#: Fluid properties from docs/references.md section 2: air at 20 C, water at 25 C.
FLUIDS = {
    "air": {"rho_kg_m3": 1.20, "cp_J_kgK": 1006.0},
    "water": {"rho_kg_m3": 997.0, "cp_J_kgK": 4180.0},
}

#: Convective heat transfer coefficient ranges, W/(m^2 K) (Cengel, via docs/references.md section 2).
H_RANGES = {"forced air": (25.0, 250.0), "forced liquid": (50.0, 20_000.0), "boiling": (2_500.0, 100_000.0)}

#: Most time steps of one solver call (the per-step overhead of a parallel sweep or a GPU launch is
#: ~5-20 us, so 10**7 steps of even a tiny grid take about a minute).
MAX_STEPS = 10**7
#: Most cell updates (cells x steps) of one solver call: ~2.5e8 updates/s on a busy 2-core machine,
#: so about 40 s at the cap.
MAX_CELL_UPDATES = 10**10
#: Most cells of a grid (8 bytes each, several copies: ~1 GiB per copy at the cap).
MAX_CELLS = 1 << 27


# --------------------------------------------------------------------------------------------
# Energy
# --------------------------------------------------------------------------------------------

def pue(total_facility_w: float, it_w: float) -> float:
    """Power usage effectiveness: total facility power / IT equipment power (>= 1).

    Raises
    ------
    ValueError
        When ``it_w`` is not positive, or exceeds ``total_facility_w``.

    Limits: finite positive inputs; a ratio that overflows raises ValueError.

    Examples
    --------
    >>> pue(1150.0, 1000.0)
    1.15
    """
    it = _checks.positive("it_w", it_w)
    total = _checks.positive("total_facility_w", total_facility_w)
    if it > total:
        raise ValueError(f"it_w ({it:g} W) must not exceed total_facility_w ({total:g} W): PUE >= 1")
    return _checks.derived("PUE", total / it, "total_facility_w and it_w")


#: Idle power of a typical server as a fraction of its peak power: Barroso & Hoelzle (2007) report that
#: servers draw about half of their peak power when idle. An ASSUMPTION the reader can change.
IDLE_FRACTION_TYPICAL = 0.5


def efficiency_ratio(pue_onprem: float, pue_cloud: float, util_onprem: float, util_cloud: float,
                     server_efficiency_gain: float = 1.0, *,
                     idle_fraction: float = 1.0) -> float:
    """How many times less energy the cloud uses for the same useful work, in a simple model.

    Energy per unit of work = PUE x (server power / work done). A server at utilization ``u`` draws
    ``peak x (idle_fraction + (1 - idle_fraction) x u)`` and does ``u`` of its peak work; a newer
    server does ``server_efficiency_gain`` times more work per joule at peak. So::

        ratio = (pue_onprem / pue_cloud) x server_efficiency_gain
                x [(f + (1-f) u_on) / u_on] / [(f + (1-f) u_cl) / u_cl],   f = idle_fraction

    ``idle_fraction = 1`` (a server draws peak power whatever it does) is the case most favourable
    to the side with the higher utilization: the ratio is then the utilization ratio itself.
    ``idle_fraction = 0`` (perfectly energy-proportional servers) removes utilization from the ratio.

    The default is 1.0, the upper bound, chosen because the claims this function checks are "up to"
    claims and because it keeps the results of existing callers (the earlier model was exactly this
    case). It is NOT a typical server: pass ``idle_fraction`` explicitly, e.g.
    :data:`IDLE_FRACTION_TYPICAL` (0.5, after Barroso & Hoelzle), to see a realistic ratio.

    Parameters
    ----------
    pue_onprem, pue_cloud : float
        PUE of each side (>= 1).
    util_onprem, util_cloud : float
        Average server utilization, 0 < u <= 1.
    server_efficiency_gain : float
        Work per joule at peak of the cloud's servers over the on-premises servers' (> 0).
    idle_fraction : float
        Idle power as a fraction of peak power, 0..1 (keyword only; default 1.0, the upper bound).

    Returns
    -------
    float
        Energy per unit of work on premises divided by that in the cloud.

    References
    ----------
    L. A. Barroso, U. Hoelzle, "The Case for Energy-Proportional Computing", IEEE Computer 40(12),
    2007, https://doi.org/10.1109/MC.2007.443

    Notes
    -----
    Limits: finite inputs; a ratio that overflows or underflows to 0 raises ValueError.

    Examples
    --------
    >>> round(efficiency_ratio(1.58, 1.15, 0.18, 0.5, 1.07, idle_fraction=1.0), 2)
    4.08
    >>> round(efficiency_ratio(1.58, 1.15, 0.18, 0.5, 1.07, idle_fraction=0.3), 2)
    2.68
    """
    p_on = _checks.real("pue_onprem", pue_onprem, low=1.0)
    p_cl = _checks.real("pue_cloud", pue_cloud, low=1.0)
    u_on = _checks.real("util_onprem", util_onprem, low=0.0, high=1.0, low_open=True)
    u_cl = _checks.real("util_cloud", util_cloud, low=0.0, high=1.0, low_open=True)
    gain = _checks.positive("server_efficiency_gain", server_efficiency_gain)
    f = _checks.real("idle_fraction", idle_fraction, low=0.0, high=1.0)
    per_work_on = (f + (1.0 - f) * u_on) / u_on
    per_work_cl = (f + (1.0 - f) * u_cl) / u_cl
    return _checks.derived("the efficiency ratio", (p_on / p_cl) * gain * per_work_on / per_work_cl,
                           "pue_onprem, pue_cloud, util_onprem, util_cloud, server_efficiency_gain and idle_fraction",
                           positive=True)


def combined_reduction(*reductions: float) -> float:
    """Total reduction of successive cuts: ``1 - prod(1 - r_i)``.

    The Accenture study gives its "99% less carbon" as about 94% from moving to AWS times about 81%
    more from optimizing for AWS silicon (docs/references.md section 2).

    Examples
    --------
    >>> round(combined_reduction(0.94, 0.81), 4)
    0.9886

    Limits: 1..1000 reductions, each 0..1.
    """
    if not 1 <= len(reductions) <= 1000:
        raise ValueError("combined_reduction needs 1..1000 reductions")
    keep = 1.0
    for i, r in enumerate(reductions):
        keep *= 1.0 - _checks.real(f"reductions[{i}]", r, low=0.0, high=1.0)
    return 1.0 - keep


def carbon_ratio(energy_ratio: float, grid_g_per_kwh_onprem: float, grid_g_per_kwh_cloud: float) -> float:
    """Fraction of carbon saved: ``1 - (1/energy_ratio) x (cloud grid intensity / on-prem intensity)``.

    Grid intensities in gCO2e/kWh (the cloud's may be lowered by renewable purchases; that is an
    accounting assumption the reader should see, not a physical one).

    Limits: finite inputs; a ratio that overflows raises ValueError.
    """
    r = _checks.positive("energy_ratio", energy_ratio)
    g_on = _checks.positive("grid_g_per_kwh_onprem", grid_g_per_kwh_onprem)
    g_cl = _checks.nonnegative("grid_g_per_kwh_cloud", grid_g_per_kwh_cloud)
    return _checks.derived("the carbon ratio", 1.0 - (g_cl / g_on) / r,
                           "energy_ratio, grid_g_per_kwh_onprem and grid_g_per_kwh_cloud")


def pue_with_containment(pue_base: float, cooling_share_of_overhead: float,
                         cooling_energy_cut: float = 0.43) -> float:
    """PUE after cutting the cooling energy by ``cooling_energy_cut``.

    The overhead ``pue_base - 1`` is split into cooling (``cooling_share_of_overhead``) and the rest
    (power distribution, lighting). Schneider Electric white paper 135 reports hot-aisle containment
    using 43% less cooling energy than cold-aisle containment; the split of the overhead is an
    assumption.

    Limits: finite inputs in the stated ranges; O(1).
    """
    p = _checks.real("pue_base", pue_base, low=1.0)
    share = _checks.real("cooling_share_of_overhead", cooling_share_of_overhead, low=0.0, high=1.0)
    cut = _checks.real("cooling_energy_cut", cooling_energy_cut, low=0.0, high=1.0)
    return 1.0 + (p - 1.0) * (1.0 - share * cut)


# --------------------------------------------------------------------------------------------
# Moving heat
# --------------------------------------------------------------------------------------------

def required_flow(power_w: float, delta_t_k: float, fluid: str = "air") -> float:
    """Volumetric flow (m^3/s) that carries ``power_w`` away at a temperature rise ``delta_t_k``.

    ``Vdot = P / (rho · c_p · dT)`` with the property values of :data:`FLUIDS` (docs/references.md section 2).

    Limits: finite inputs; a flow that overflows, or underflows to 0 for a positive power, raises ValueError.

    Examples
    --------
    One kilowatt at 10 K needs about 0.083 m^3/s of air (175 CFM):

    >>> round(required_flow(1000, 10, "air"), 4)
    0.0828
    """
    p = _checks.nonnegative("power_w", power_w)
    dt = _checks.positive("delta_t_k", delta_t_k)
    props = FLUIDS[_checks.choice("fluid", fluid, tuple(FLUIDS))]
    return _checks.derived("the flow", p / (props["rho_kg_m3"] * props["cp_J_kgK"] * dt), "power_w and delta_t_k",
                           positive=p > 0)


def pipe_diameter(flow_m3_s: float, velocity_m_s: float) -> float:
    """Inner diameter (m) of a round pipe that carries ``flow_m3_s`` at mean velocity ``velocity_m_s``.

    ``d = sqrt(4·Vdot / (pi·v))``. Water loops are usually designed for about 1-3 m/s (faster erodes
    pipes and costs pumping power; an assumption the caller states).

    Examples
    --------
    2.9 L/s at 2 m/s needs a pipe of about 43 mm:

    >>> round(pipe_diameter(2.9e-3, 2.0) * 1e3, 1)
    43.0

    Limits: finite positive inputs; a diameter that overflows or underflows to 0 raises ValueError.
    """
    q = _checks.positive("flow_m3_s", flow_m3_s)
    v = _checks.positive("velocity_m_s", velocity_m_s)
    with np.errstate(all="ignore"):
        out = np.sqrt(4.0 * np.float64(q) / (math.pi * v))
    return float(_checks.derived("the diameter", out, "flow_m3_s and velocity_m_s", positive=True))


def pipe_velocity(flow_m3_s: float, diameter_m: float) -> float:
    """Mean velocity (m/s) of ``flow_m3_s`` through a round pipe of inner diameter ``diameter_m``.

    Examples
    --------
    >>> round(pipe_velocity(2.9e-3, 0.016), 1)
    14.4

    Limits: finite positive inputs; a velocity that overflows or underflows to 0 raises ValueError.
    """
    q = _checks.positive("flow_m3_s", flow_m3_s)
    d = _checks.positive("diameter_m", diameter_m)
    with np.errstate(all="ignore"):
        out = 4.0 * np.float64(q) / (math.pi * np.float64(d) * d)
    return float(_checks.derived("the velocity", out, "flow_m3_s and diameter_m", positive=True))


def junction_temperature(power_w: float, coolant_c: float, r_jc: float, r_tim: float,
                         h_w_m2k: float, area_m2: float) -> float:
    """Junction temperature (C) through the resistance chain junction -> case -> TIM -> sink -> coolant.

    ``T_j = T_coolant + P · (R_jc + R_TIM + 1/(h·A))``.

    Limits: finite inputs; a temperature that overflows raises ValueError.

    Parameters
    ----------
    power_w : float
        Chip power, W (>= 0).
    coolant_c : float
        Coolant (inlet air or water) temperature, C.
    r_jc, r_tim : float
        Junction-to-case and interface resistances, K/W (>= 0).
    h_w_m2k : float
        Convective coefficient at the sink or cold plate, W/(m^2 K) (> 0).
    area_m2 : float
        Wetted area of the sink (fins included) or plate, m^2 (> 0).
    """
    p = _checks.nonnegative("power_w", power_w)
    t = _checks.real("coolant_c", coolant_c, low=-273.15)
    rjc = _checks.nonnegative("r_jc", r_jc)
    rtim = _checks.nonnegative("r_tim", r_tim)
    h = _checks.positive("h_w_m2k", h_w_m2k)
    a = _checks.positive("area_m2", area_m2)
    with np.errstate(over="ignore", divide="ignore"):
        out = np.float64(t) + p * (rjc + rtim + np.float64(1.0) / (np.float64(h) * a))
    return float(_checks.derived("the junction temperature", out, "power_w, r_jc, r_tim, h_w_m2k and area_m2"))


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


#: Materials of the package model: conductivity W/(m K), volumetric heat capacity J/(m^3 K)
#: (textbook values: copper 401 W/(m K) and 8933 kg/m^3 x 385 J/(kg K); silicon 148 and 2330 x 712).
MATERIALS = {
    "silicon": (148.0, 2330.0 * 712.0),
    "copper": (401.0, 8933.0 * 385.0),
    "mold": (1.0, 1.8e6),       # epoxy mold compound beside the die (assumption)
}


@dataclass(frozen=True)
class PackageModel:
    """A 2-D cross-section of a chip package, built by :func:`package_model`.

    Limits: a plain record (no checks of its own); :func:`simulate_package` validates its fields.
    """
    k: np.ndarray
    rho_c: np.ndarray
    source_w_m3: np.ndarray
    h_top: float
    t_inf_c: float
    dx: float
    depth_m: float
    die_rows: slice
    die_cols: slice
    layers: tuple


#: An accelerator die of 814 mm^2, the size NVIDIA gives for the H100 (Hopper whitepaper, 2022); used
#: as an ASSUMPTION for a 1,000 W die (no B200 die size is cited in docs/references.md).
DIE_AREA_M2 = 814e-6

#: ONE table of cooling assumptions for one accelerator, used by notebook 02's resistance chain
#: (section 3) and its package simulation (section 4) alike:
#: ``h`` convective coefficient at the wetted surface, W/(m^2 K) (inside Cengel's ranges, docs/references.md
#: section 2); ``wetted_area_m2`` the surface that touches the coolant (fins for air, channels for a cold
#: plate); ``t_inf_c`` coolant inlet temperature, C (air: a little under the top of ASHRAE's recommended
#: 18-27 C band; water: warm-water cooling at 30 C, an assumption); ``r_jc`` and ``r_tim``
#: junction-to-case and interface resistances, K/W.
#:
#: Liquid row, calibrated (all uncertain: NVIDIA publishes no R_jc for the H100 and no cold-plate figure):
#: ``r_jc = 0.01`` K/W is conduction through a bare 1 mm silicon die, 1 mm / (148 W/(m K) x 814 mm^2)
#: = 0.0083 K/W, rounded up; ``r_tim = 0.006`` K/W is a TIM of 5 mm^2 K/W (the package model's
#: ``tim_r_m2k_w``) over 814 mm^2; the cold plate's ``1/(hA) = 0.01`` K/W is inside the "less than
#: 0.03 C/W" that a cold-plate vendor gives as the GB200 target (Kenfa Tech, secondary and uncertain,
#: https://www.kenfatech.com/gb200-liquid-cooling-plate-design). With these, a 700 W H100 runs at
#: 48 C, inside the 41-50 C that Latif et al. (2025, https://arxiv.org/abs/2507.16781) measured on
#: liquid-cooled HGX H100 systems (``data/measurements.csv`` row ``h100_gpu_temp_liquid``).
#: Air row: ``r_jc + r_tim = 0.05`` K/W lumps the die, its TIM and the spreading resistance of the
#: large heat sink's base (heat spreads from 8 cm^2 of die to 0.5 m^2 of fins), an assumption; a 700 W
#: H100 then runs at 74 C against the 54-72 C measured air-cooled (row ``h100_gpu_temp_air``). The
#: ideal chain is a parameter away: ``r_jc=0, r_tim=0`` leaves the convective step alone.
COOLING = {
    "air": {"h": 100.0, "wetted_area_m2": 0.5, "t_inf_c": 25.0, "r_jc": 0.03, "r_tim": 0.02},
    "liquid": {"h": 10_000.0, "wetted_area_m2": 0.01, "t_inf_c": 30.0, "r_jc": 0.01, "r_tim": 0.006},
}


def chain_temperature(power_w: float, cooling: str = "air", **override) -> float:
    """Junction temperature (C) of one chip through the resistance chain with a :data:`COOLING` row.

    ``override`` replaces entries of the row (``h``, ``wetted_area_m2``, ``t_inf_c``, ``r_jc``, ``r_tim``).

    Examples
    --------
    >>> round(chain_temperature(1000, "air"), 1)    # 25 + 1000 * (0.03 + 0.02 + 1/(100 * 0.5))
    95.0
    >>> round(chain_temperature(700, "liquid"), 1)  # 30 + 700 * (0.01 + 0.006 + 1/(10000 * 0.01))
    48.2

    Limits: those of :func:`junction_temperature`; ``override`` keys of a :data:`COOLING` row only.
    """
    row = dict(COOLING[_checks.choice("cooling", cooling, tuple(COOLING))])
    for key, val in override.items():
        if key not in row:
            raise ValueError(f"unknown cooling parameter {key!r}; allowed: {tuple(row)}")
        if key in ("h", "wetted_area_m2"):
            val = _checks.positive(key, val)
        elif key in ("r_jc", "r_tim"):
            val = _checks.nonnegative(key, val)
        row[key] = val
    return junction_temperature(power_w, row["t_inf_c"], row["r_jc"], row["r_tim"], row["h"],
                                row["wetted_area_m2"])


#: Geometry of :func:`package_model` per cooling type (assumptions): the air heat sink's base is
#: 100 mm wide and sits on a 3 mm copper lid; the liquid cold plate is 40 mm wide and sits on the
#: bare die (SXM modules have no lid, an assumption), through one TIM.
PACKAGE = {
    "air": {"width_m": 0.1, "lid_m": 3e-3},
    "liquid": {"width_m": 0.04, "lid_m": 0.0},
}


def package_model(power_w: float, cooling: str = "air", *, dx: float = 0.5e-3, width_m: float | None = None,
                  die_width_m: float = 0.0285, depth_m: float = 0.0285, tim_r_m2k_w: float = 5e-6,
                  h: float | None = None, area_factor: float | None = None,
                  t_inf_c: float | None = None, lid_m: float | None = None) -> PackageModel:
    """Build the cross-section: die (with mold beside it), TIM, copper lid, TIM, copper base/cold plate.

    Layers from the cooled face (row 0) down: base 5 mm, TIM (1 cell), lid 3 mm and a second TIM
    (under air; a bare die under liquid, see :data:`PACKAGE`), die 1 mm. A TIM is one cell thick, so
    its conductivity is set to give ``tim_r_m2k_w`` of thermal resistance per area (5 mm²·K/W, an assumption). The model is 2-D: the package is assumed
    ``depth_m`` deep with the die's power spread along that depth, so spreading in the third
    dimension and the die's real hot spots are ignored (an assumption the notebook states). The
    defaults make the die 28.5 mm x 28.5 mm, about :data:`DIE_AREA_M2`, and take the coolant side
    from :data:`COOLING`: the wetted area is spread over the base (``area_factor = wetted_area_m2 /
    (width_m x depth_m)``), so the chain of section 3 and this model see the same ``h·A``.

    Parameters
    ----------
    power_w : float
        Chip power, W (>= 0).
    cooling : {"air", "liquid"}
        Picks defaults from :data:`COOLING`; ``h``, ``area_factor`` (wetted area over base area) and
        ``t_inf_c`` override them.
    dx : float
        Cell size, m (0.1 mm to 2 mm).
    width_m, die_width_m, depth_m : float
        Package width (default from :data:`PACKAGE`), die width and depth of the extruded
        cross-section, m.
    lid_m : float, optional
        Thickness of the copper lid (integrated heat spreader), m, 0..10 mm (default from
        :data:`PACKAGE`). ``0`` models a bare
        die (as on SXM modules, an assumption): the base or cold plate then sits on the die through
        one TIM, and the lid and its second TIM are left out.

    Notes
    -----
    Limits: ``dx`` 0.1..2 mm and ``width_m`` 0.01..0.5 m bound the grid (at most ~5000 x 100 cells);
    a heat source, TIM conductance or ``h·area_factor`` that overflows raises ValueError.
    """
    p = _checks.nonnegative("power_w", power_w)
    opts = dict(COOLING[_checks.choice("cooling", cooling, tuple(COOLING))])
    geometry = PACKAGE[cooling]
    width_m = geometry["width_m"] if width_m is None else width_m
    lid_m = geometry["lid_m"] if lid_m is None else lid_m
    d = _checks.real("dx", dx, low=1e-4, high=2e-3)
    w = _checks.real("width_m", width_m, low=0.01, high=0.5)
    dw = _checks.real("die_width_m", die_width_m, low=d, high=w)
    depth = _checks.real("depth_m", depth_m, low=1e-3, high=0.5)
    opts["area_factor"] = opts["wetted_area_m2"] / (w * depth)
    for name, val in (("h", h), ("area_factor", area_factor), ("t_inf_c", t_inf_c)):
        if val is not None:
            opts[name] = val
    hh = _checks.positive("h", opts["h"])
    af = _checks.positive("area_factor", opts["area_factor"])
    tinf = _checks.real("t_inf_c", opts["t_inf_c"], low=-50, high=150)
    tim = _checks.positive("tim_r_m2k_w", tim_r_m2k_w)
    lid = _checks.real("lid_m", lid_m, low=0.0, high=1e-2)

    def cells(thickness):
        return max(1, int(round(thickness / d)))
    layers = [("base / cold plate (copper)", cells(5e-3), "copper")]
    if lid > 0:
        layers += [("TIM2", 1, "tim"), ("lid (copper)", cells(lid), "copper")]
    layers += [("TIM1", 1, "tim"), ("die (silicon)", cells(1e-3), "die")]
    ny = sum(n for _, n, _ in layers)
    nx = int(round(w / d))
    k = np.empty((ny, nx))
    rc = np.empty((ny, nx))
    q = np.zeros((ny, nx))
    c0 = (nx - int(round(dw / d))) // 2
    die_cols = slice(c0, c0 + int(round(dw / d)))
    row = 0
    die_rows = slice(0, 0)
    for _, n, mat in layers:
        rows = slice(row, row + n)
        if mat == "tim":
            k[rows], rc[rows] = d / tim, 2.0e6
        elif mat == "die":
            k[rows], rc[rows] = MATERIALS["mold"]
            k[rows, die_cols], rc[rows, die_cols] = MATERIALS["silicon"]
            die_rows = rows
            volume = (die_cols.stop - die_cols.start) * d * n * d * depth
            q[rows, die_cols] = p / volume
        else:
            k[rows], rc[rows] = MATERIALS[mat]
        row += n
    _checks.derived("the heat source, TIM conductivity or h*area_factor", [q.max(), k.max(), hh * af],
                    "power_w, tim_r_m2k_w, h and area_factor")
    return PackageModel(k=k, rho_c=rc, source_w_m3=q, h_top=hh * af, t_inf_c=tinf, dx=d, depth_m=depth,
                        die_rows=die_rows, die_cols=die_cols, layers=tuple((n, c) for n, c, _ in layers))


def simulate_package(model: PackageModel, t_end_s: float, *, n_frames: int = 50,
                     dt: float | None = None, backend: str | None = None) -> dict:
    """Run the package from the coolant temperature for ``t_end_s`` seconds.

    ``dt`` defaults to 90% of the stability limit; a larger ``dt`` is clamped to the limit and the
    result says so (``dt_clamped``).

    Returns
    -------
    dict
        ``field_c`` (final temperature, C), ``times_s`` and ``peak_c`` (hottest cell over time),
        ``dt_s``, ``dt_limit_s``, ``dt_clamped`` (bool) and ``n_steps``.

    Notes
    -----
    Limits: ``n_frames`` 1..10000; the step count ``t_end_s / dt`` is bounded by
    :func:`solve_heat_fv`'s caps (:data:`MAX_STEPS` steps, :data:`MAX_CELL_UPDATES` cell updates);
    above them a ValueError gives the estimated time before anything runs.
    """
    if not isinstance(model, PackageModel):
        raise TypeError("model must be a PackageModel from package_model()")
    t_end = _checks.positive("t_end_s", t_end_s)
    frames = _checks.integer("n_frames", n_frames, low=1, high=10_000)
    _checks.positive("model.dx", model.dx)
    _checks.real("model.t_inf_c", model.t_inf_c)
    limit = fv_stability_limit(model.k, model.rho_c, model.dx, model.h_top)
    step = 0.9 * limit if dt is None else _checks.positive("dt", dt)
    clamped = step > limit
    step = min(step, limit)
    with np.errstate(over="ignore"):
        est_steps = t_end / step + frames
    _checks.real("the number of steps t_end_s/dt", est_steps, high=MAX_STEPS)
    _checks.bound_work("simulate_package", est_steps * model.k.size, MAX_CELL_UPDATES, per_second=2.5e8,
                       bytes_needed=56.0 * model.k.size, unit="cell updates")
    every = max(1, math.ceil(t_end / step / frames))
    n = every * frames
    step = t_end / n
    t0 = np.full(model.k.shape, model.t_inf_c)
    field, peaks = solve_heat_fv(t0, model.k, model.rho_c, model.dx, step, n, source_w_m3=model.source_w_m3,
                                 h_top=model.h_top, t_inf=model.t_inf_c, record_every=every, backend=backend)
    return {"field_c": field, "times_s": np.arange(1, frames + 1) * every * step, "peak_c": peaks,
            "dt_s": step, "dt_limit_s": limit, "dt_clamped": bool(clamped), "n_steps": n}


# --------------------------------------------------------------------------------------------
# Placing servers in racks
# --------------------------------------------------------------------------------------------

#: Work cap of :func:`place_servers`: servers x (racks + 1) tries of its Python loop.
MAX_PLACEMENT_WORK = 3 * 10**7


def place_servers(server_w, needs_liquid, n_air_racks: int, n_liquid_racks: int, *,
                  rack_power_w: float, air_cooling_w: float, liquid_cooling_w: float,
                  liquid_rack_power_w: float | None = None) -> dict:
    """First-fit decreasing placement of servers into racks with a power cap and a cooling cap.

    A server fits a rack when the rack's power stays within ``rack_power_w`` and within the rack's
    cooling capacity (``air_cooling_w`` or ``liquid_cooling_w``); a server that needs liquid fits
    only a liquid-cooled rack. Servers are placed largest first, each into the first rack it fits
    (Johnson's FFD, within 11/9 of optimal bins for bin packing).

    Parameters
    ----------
    server_w : array_like
        Power of each server, W (> 0).
    needs_liquid : array_like of bool
        Whether each server must be liquid-cooled.
    n_air_racks, n_liquid_racks : int
        Racks of each kind available (>= 0).
    rack_power_w : float
        Power provisioned per rack, W.
    liquid_rack_power_w : float, optional
        Power provisioned per liquid-cooled rack, W (default ``rack_power_w``).
    air_cooling_w, liquid_cooling_w : float
        Heat each kind of rack can remove, W.

    Returns
    -------
    dict
        ``rack_of`` (rack index per server, -1 if unplaced; air racks first), ``rack_load_w``,
        ``placed_w``, ``unplaced_w``, ``racks_used``, and, over EVERY provisioned rack (used or
        not, since an empty rack's power is provisioned too):

        * ``provisioned_w``: the sum of the power caps;
        * ``stranded_w = provisioned_w - placed_w``, split exactly into
        * ``cooling_stranded_w``: ``max(0, power cap - cooling cap)`` per rack, power that can never
          be used because the cooling runs out first, and
        * ``spare_w``: ``min(power cap, cooling cap) - load`` per rack, usable headroom left empty
          (packing loss and empty racks).

    Notes
    -----
    Limits: 1..10**6 servers; ``n_air_racks`` and ``n_liquid_racks`` 0..10**5 each; servers x
    racks at most :data:`MAX_PLACEMENT_WORK` (the placement is a Python loop, ~1e6 tries/s: about
    30 s at the cap; above it a ValueError gives the estimate). ``needs_liquid`` must be bool or 0/1
    (strings such as ``'no'`` are refused: they would all read as True). Total power that overflows
    raises ValueError.
    """
    p = _checks.float_array("server_w", server_w, ndim=1, max_size=10**6)
    if np.any(p <= 0):
        raise ValueError("server_w must be > 0 for every server")
    _checks.derived("the total server power", p.sum(), "server_w")
    liquid = _checks.bool_array("needs_liquid", needs_liquid)
    if liquid.shape != p.shape:
        raise ValueError(f"needs_liquid must have one entry per server ({p.size}), got {liquid.shape}")
    na = _checks.integer("n_air_racks", n_air_racks, low=0, high=10**5)
    nl = _checks.integer("n_liquid_racks", n_liquid_racks, low=0, high=10**5)
    _checks.bound_work("place_servers", float(p.size) * (na + nl + 1), MAX_PLACEMENT_WORK, per_second=1e6,
                       bytes_needed=8.0 * (p.size + na + nl), unit="server-rack tries")
    cap_air = _checks.positive("rack_power_w", rack_power_w)
    cap_liq = cap_air if liquid_rack_power_w is None else _checks.positive("liquid_rack_power_w", liquid_rack_power_w)
    cap = np.array([cap_air] * na + [cap_liq] * nl)
    _checks.derived("the provisioned power", (cap_air * na + cap_liq * nl) + p.sum(),
                    "rack_power_w, liquid_rack_power_w, the rack counts and server_w")
    cool = np.array([_checks.positive("air_cooling_w", air_cooling_w)] * na
                    + [_checks.positive("liquid_cooling_w", liquid_cooling_w)] * nl)
    is_liquid = np.array([False] * na + [True] * nl)
    limit = np.minimum(cap, cool) if cool.size else np.zeros(0)
    load = np.zeros(na + nl)
    rack_of = np.full(p.size, -1)
    for s in np.argsort(-p, kind="stable"):
        for r in range(na + nl):
            if (is_liquid[r] or not liquid[s]) and load[r] + p[s] <= limit[r] + 1e-9:
                load[r] += p[s]
                rack_of[s] = r
                break
    used = load > 0
    provisioned = float(cap.sum())
    cooling_stranded = float(np.maximum(cap - cool, 0.0).sum())
    spare = float((limit - load).sum())
    return {"rack_of": rack_of, "rack_load_w": load, "placed_w": float(load.sum()),
            "unplaced_w": float(p[rack_of < 0].sum()), "provisioned_w": provisioned,
            "stranded_w": provisioned - float(load.sum()), "cooling_stranded_w": cooling_stranded,
            "spare_w": spare, "racks_used": int(used.sum())}
