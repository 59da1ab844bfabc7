"""A 2-D cross-section of a chip package (die, TIM, lid, TIM, heat-sink base or cold plate), built
from :data:`~infralab.thermal.chain.COOLING` and simulated with
:func:`~infralab.thermal.solvers.solve_heat_fv` (notebook 02, section 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _checks
from .chain import COOLING, DIE_AREA_M2  # noqa: F401  (DIE_AREA_M2 is named in the docstrings)
from .solvers import MAX_CELL_UPDATES, MAX_STEPS, fv_stability_limit, solve_heat_fv

# --------------------------------------------------------------------------------------------
# A chip package
# --------------------------------------------------------------------------------------------

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
