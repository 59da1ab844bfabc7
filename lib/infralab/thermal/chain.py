"""Moving heat and the resistance chain: coolant flow, pipe sizes, the junction temperature through
junction -> case -> TIM -> sink -> coolant, and :data:`COOLING`, the course's one table of cooling
assumptions (notebook 02, sections 2 and 3; :mod:`infralab.cluster` reads it too).

References
----------
Y. A. Cengel, *Heat and Mass Transfer*, ch. 1 (convection coefficients).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks

#: Fluid properties from docs/references.md section 2: air at 20 C, water at 25 C.
FLUIDS = {
    "air": {"rho_kg_m3": 1.20, "cp_J_kgK": 1006.0},
    "water": {"rho_kg_m3": 997.0, "cp_J_kgK": 4180.0},
}

#: Convective heat transfer coefficient ranges, W/(m^2 K) (Cengel, via docs/references.md section 2).
H_RANGES = {"forced air": (25.0, 250.0), "forced liquid": (50.0, 20_000.0), "boiling": (2_500.0, 100_000.0)}


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
# One table of cooling assumptions, and the chain with it
# --------------------------------------------------------------------------------------------

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
