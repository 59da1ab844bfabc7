"""Exercises of notebook 02 (cooling and energy): the 4.1x, airflow, fin area, the TIM, rack placement.

Each answer is computed by the function beside it, from the exercise's parameters and ``infralab``
(mostly :mod:`infralab.thermal`); :meth:`~infralab.exercises.Exercise.solution` prints that
function's source. Every function is quick: exercise 4 runs two small package simulations (10 s of
simulated time on the notebook's 20 x 200 grid), the others are arithmetic.

Examples
--------
>>> from infralab import exercises
>>> ex = exercises.load("02")
>>> sorted(ex)
[1, 2, 3, 4, 5]
>>> [round(u, 1) for u in ex[1].answer()]        # cloud utilization (%) giving 4.1x, f = 1 and 0.5
[53.7, 83.6]
>>> round(ex[2].answer())                         # CFM for 10 kW at 12 K
1463
>>> [round(a, 3) for a in ex[3].answer()]         # m^2 of fins at 30 C and 32 C inlet
[0.667, 0.769]
>>> ex[5].answer()[0], round(ex[5].answer()[1], 1), ex[5].answer()[2]   # racks in all, kW, kind
(7, 75.7, 'both')
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from .. import thermal as th
from ._core import Choice, Exercise, Number, Parts

__all__ = ["NOTEBOOK", "EXERCISES"]   # the answer functions are reached through Exercise, not API

NOTEBOOK = "02_cooling_energy"


# --- Exercise 1: how busy must the cloud be for 4.1x? ----------------------------------------

def cloud_utilization_for_ratio(target_ratio: float = 4.1, pue_onprem: float = 1.58,
                                pue_cloud: float = 1.15, util_onprem: float = 0.18,
                                server_efficiency_gain: float = 1.0,
                                idle_fractions: tuple[float, ...] = (1.0, 0.5)) -> tuple[float, ...]:
    """Cloud utilization (%) at which ``th.efficiency_ratio`` equals ``target_ratio``, per idle fraction.

    The ratio rises as the cloud's utilization rises (for an idle fraction > 0), so bisection on
    ``util_cloud`` in (0, 1] finds the one utilization that gives the target.
    """
    target = _checks.positive("target_ratio", target_ratio)
    found = []
    for f in idle_fractions:
        def ratio(u):
            return th.efficiency_ratio(pue_onprem, pue_cloud, util_onprem, u, server_efficiency_gain,
                                       idle_fraction=f)
        lo, hi = 1e-6, 1.0                       # ratio(lo) is the smallest, ratio(hi) the largest
        if not ratio(lo) <= target <= ratio(hi):
            raise ValueError(f"no cloud utilization in (0, 1] gives {target:g}x with idle_fraction={f:g} "
                             f"(the ratio spans {ratio(lo):.3g}x to {ratio(hi):.3g}x)")
        for _ in range(60):                      # halves the bracket 60 times: far below 1e-9
            mid = 0.5 * (lo + hi)
            if ratio(mid) < target:
                lo = mid                         # the cloud is not busy enough yet: go higher
            else:
                hi = mid
        found.append(100.0 * 0.5 * (lo + hi))    # as a percentage
    return tuple(found)


# --- Exercise 2: the airflow of a typical rack ------------------------------------------------

#: One cubic foot per minute, in m^3/s.
CFM_M3_S = 0.3048**3 / 60.0


def rack_airflow_cfm(power_w: float = 10_000.0, delta_t_k: float = 12.0) -> float:
    """Air flow (CFM) that carries ``power_w`` away at an air temperature rise of ``delta_t_k``."""
    flow_m3_s = th.required_flow(power_w, delta_t_k, "air")   # V = P / (rho c_p dT)
    return flow_m3_s / CFM_M3_S


# --- Exercise 3: how much fin area at a warmer inlet? -----------------------------------------

def fin_area_for_limit(power_w: float = 1000.0, limit_c: float = 95.0,
                       inlet_c: tuple[float, ...] = (30.0, 32.0), cooling: str = "air") -> tuple[float, ...]:
    """Wetted area (m^2) that keeps the junction at ``limit_c`` for each inlet temperature.

    From ``T_j = T_in + P (R_jc + R_TIM + 1/(h A))`` with the other entries of ``th.COOLING[cooling]``:
    ``A = 1 / (h ((T_lim - T_in)/P - R_jc - R_TIM))``, checked against ``th.chain_temperature``.
    """
    p = _checks.positive("power_w", power_w)
    row = th.COOLING[_checks.choice("cooling", cooling, tuple(th.COOLING))]
    areas = []
    for t_in in inlet_c:
        r_left = (limit_c - t_in) / p - row["r_jc"] - row["r_tim"]   # K/W left for 1/(hA)
        if r_left <= 0:
            raise ValueError(f"at {t_in:g} C inlet no fin area keeps {p:g} W under {limit_c:g} C: "
                             "R_jc + R_TIM alone exceed the budget")
        area = 1.0 / (row["h"] * r_left)
        assert abs(th.chain_temperature(p, cooling, t_inf_c=t_in, wetted_area_m2=area) - limit_c) < 1e-6
        areas.append(area)
    return tuple(areas)


# --- Exercise 4: halve the TIM resistance -----------------------------------------------------

def tim_halved(cooling: str = "liquid", tim_r_m2k_w: float = 5e-6, limit_c: float = 95.0,
               t_end_s: float = 10.0) -> tuple[float, str]:
    """(a) How many watts the simulated package's power limit gains when the TIMs are halved;
    (b) under which row of ``th.COOLING`` the same cut raises the resistance chain's limit more, in watts.

    (a) The package is linear in the power, so one 1 W run gives the peak rise per watt ``R``
    (K/W) and the limit is ``(limit_c - T_coolant) / R``; 10 s of simulated time settles the liquid
    case to a few parts in 10^5. (b) The chain: ``R = (T_j at 1 W) - T_coolant``, with ``r_tim``
    halved. ``limit_c`` is a junction limit in degC, -273.15 .. 1000.
    """
    t_end = _checks.positive("t_end_s", t_end_s)
    limit_c = _checks.real("limit_c", limit_c, low=-273.15, high=1000.0)

    def package_limit(tim):
        model = th.package_model(1.0, cooling, tim_r_m2k_w=tim)         # 1 W
        run = th.simulate_package(model, t_end, n_frames=10)
        k_per_w = run["peak_c"][-1] - model.t_inf_c                        # steady peak rise, K/W
        return (limit_c - model.t_inf_c) / k_per_w

    gain_w = package_limit(tim_r_m2k_w / 2) - package_limit(tim_r_m2k_w)

    chain_gain = {}
    for name, row in th.COOLING.items():
        def chain_limit(r_tim):
            k_per_w = th.chain_temperature(1.0, name, r_tim=r_tim) - row["t_inf_c"]
            return (limit_c - row["t_inf_c"]) / k_per_w
        chain_gain[name] = chain_limit(row["r_tim"] / 2) - chain_limit(row["r_tim"])
    return float(gain_w), max(chain_gain, key=chain_gain.get)


# --- Exercise 5: raise the air cooling cap ----------------------------------------------------

def rack_mix_with_air_cap(air_cooling_w: float = 30_000.0, rack_power_w: float = 40_000.0,
                          liquid_rack_power_w: float = 120_000.0, liquid_cooling_w: float = 120_000.0,
                          n_liquid_racks: int = 1, air_servers: tuple = (12, 10_200.0),
                          liquid_servers: tuple = (8, 14_300.0),
                          small_servers: tuple = (60, 400.0, 1_200.0),
                          seed: int = 7) -> tuple[int, float, str]:
    """(a) The racks in all (the fewest air racks that, with the liquid racks, place section 5's
    server mix, plus the liquid racks); (b) the stranded power then, kW; (c) what it is: 'cooling'
    (behind a cooling cap), 'spare' or 'both'.

    The mix is section 5's: ``air_servers`` = (count, W) of air-cooled GPU servers,
    ``liquid_servers`` = (count, W) of liquid-only ones, ``small_servers`` = (count, low W, high W)
    of CPU and storage servers drawn uniformly with ``np.random.default_rng(seed)``.
    """
    n_small, lo, hi = small_servers
    rng = np.random.default_rng(seed)
    servers = np.concatenate([np.full(air_servers[0], float(air_servers[1])),
                              np.full(liquid_servers[0], float(liquid_servers[1])),
                              rng.uniform(lo, hi, n_small)])
    liquid_only = np.r_[np.zeros(air_servers[0], bool), np.ones(liquid_servers[0], bool),
                        np.zeros(n_small, bool)]
    caps = dict(rack_power_w=rack_power_w, air_cooling_w=air_cooling_w,
                liquid_rack_power_w=liquid_rack_power_w, liquid_cooling_w=liquid_cooling_w)
    for n_air in range(0, 60):                   # the fewest air racks that place every server
        r = th.place_servers(servers, liquid_only, n_air, n_liquid_racks, **caps)
        if r["unplaced_w"] == 0:
            break
    else:
        raise ValueError("60 air racks do not place every server with these caps")
    cooling, spare = r["cooling_stranded_w"] > 0, r["spare_w"] > 0
    kind = "both" if cooling and spare else ("cooling" if cooling else "spare")
    return n_air + n_liquid_racks, r["stranded_w"] / 1e3, kind


EXERCISES = [
    Exercise(
        number=1,
        title="the cloud utilization that gives 4.1x against 18% on premises, with idle power at 100% and 50% of peak",
        kind=Parts((Number(unit="%", rtol=0.02), Number(unit="%", rtol=0.02)),
                   labels=("a: f = 1", "b: f = 0.5")),
        compute=cloud_utilization_for_ratio,
        params={"target_ratio": 4.1, "pue_onprem": 1.58, "pue_cloud": 1.15, "util_onprem": 0.18,
                "server_efficiency_gain": 1.0, "idle_fractions": (1.0, 0.5)},
        hint_text=(
            "Which bracket of the model's ratio holds the cloud's utilization, and does the ratio rise "
            "or fall as that utilization grows? Fix everything else (server gain 1, on premises at "
            "18%), set the ratio equal to 4.1 and solve for the cloud's utilization; at `f = 1` each "
            "bracket is just one over its utilization. Answer in percent."),
        explanation=(
            "At `f = 1` the ratio is `(1.58/1.15) x u_cl / 0.18`, so `u_cl = 4.1 x 0.18 / 1.374`, "
            "about 53.7%: a little above the 50% the course assumes for the cloud. At `f = 0.5` the "
            "on-premises bracket is `(0.5 + 0.5 x 0.18)/0.18 = 3.28`, so the cloud's bracket must be "
            "`1.374 x 3.28 / 4.1 = 1.10`: `(0.5 + 0.5 u)/u = 1.10`, `0.5/u = 0.60` and `u_cl` is about "
            "83.6%. Once idle servers draw half their peak, the cloud must keep its servers more than "
            "four fifths busy, with no server gain, for the same 4.1x. The claim is consistent with "
            "such assumptions; it is not a measurement of them. The code solves it by bisection on "
            "`th.efficiency_ratio` itself, so a change in the model changes this answer."),
    ),
    Exercise(
        number=2,
        title="the airflow of a typical 10 kW air-cooled rack, in CFM",
        kind=Number(unit="CFM", rtol=0.02),
        compute=rack_airflow_cfm,
        params={"power_w": 10_000.0, "delta_t_k": 12.0},
        hint_text=(
            "Which formula of section 2 turns a power and a temperature rise into a volume flow, and "
            "in what unit does the course's function return it? Then: how many cubic metres are in a "
            "cubic foot, and how many seconds in the minute that CFM counts?"),
        explanation=(
            "`V = 10,000 / (1.20 x 1006 x 12)`, about 0.69 m³/s; divided by 0.3048³ m³ per cubic foot "
            "and times 60 s per minute, about 1,460 CFM. That is about 8.3 times the 175.5 CFM of one "
            "kilowatt at 10 K (docs/references.md, section 2): ten times the power at 1.2 times the temperature rise."),
    ),
    Exercise(
        number=3,
        title="the fin area that keeps a 1,000 W chip at 95 °C with 30 °C and 32 °C inlet air",
        kind=Parts((Number(unit="m²", rtol=0.02), Number(unit="m²", rtol=0.02)),
                   labels=("a: 30 °C", "b: 32 °C")),
        compute=fin_area_for_limit,
        params={"power_w": 1000.0, "limit_c": 95.0, "inlet_c": (30.0, 32.0), "cooling": "air"},
        hint_text=(
            "Which step of the resistance chain does the fin area change? With a warmer inlet, how "
            "many K/W does the 95 °C limit leave for that step once the package's own resistances are "
            "paid, and what area gives it? The chain's function can check your area."),
        explanation=(
            "`95 = 30 + 1000 (0.05 + 1/(100 A))` leaves `1/(100 A) = 0.015` K/W, so `A` is two thirds "
            "of a square metre: a third more fin area than the table's 0.5 m² for 5 K warmer air. At "
            "32 °C, the top of ASHRAE class A1 (docs/references.md, section 2), only 0.013 K/W is left and the area grows to "
            "about 0.77 m². Each kelvin of inlet takes 1 K/1000 W = 0.001 K/W out of the sink's budget, "
            "and the area goes as one over what is left, so it grows ever faster as the margin shrinks; "
            "at 45 °C no fin area suffices (R_jc + R_TIM alone would use the whole budget). Air can "
            "close the gap at 1,000 W, but only with heat sinks that grow quickly as the margin "
            "shrinks: one reason dense 1,000 W servers move to cold plates."),
    ),
    Exercise(
        number=4,
        title="halve the TIM resistance: the liquid-cooled package's gain, and which chain's limit gains more watts",
        kind=Parts((Number(unit="W", rtol=0.02), Choice(("air", "liquid")))),
        compute=tim_halved,
        params={"cooling": "liquid", "tim_r_m2k_w": 5e-6, "limit_c": 95.0, "t_end_s": 10.0},
        hint_text=(
            "(a) The package is linear in the power: what does one simulation at 1 W give you, and "
            "how does a steady peak rise per watt turn into the power that reaches 95 °C? Compare that "
            "power with the default TIM and with half of it. (b) In the chain the limit is the "
            "allowed rise over the total resistance: by how many K/W does halving the TIM shrink each "
            "row's total, and how many watts does that add to each row's limit?"),
        explanation=(
            "(a) Halving the TIM lowers the liquid package's peak rise per watt by a few thousandths "
            "of a K/W, and its limit rises by about a tenth, about 157 W. (b) In watts, liquid's chain "
            "gains more (relative to its own limit, air's gains more: half of air's larger TIM is a larger share of its chain). "
            "The limit is "
            "`dT_allowed / R`, and a cut `dR` raises it by about `dT_allowed x dR / R²`: the same cut "
            "counts for more where the total resistance `R` is smaller. Under liquid the convective "
            "step `1/(hA)` is small (0.010 K/W in `th.COOLING` against 0.020 K/W for air's large heat "
            "sink), so the conduction resistances (TIM, die, lid) are a larger share of the chain and "
            "improving one of them moves the limit more. The chain says so for the table's rows, and "
            "the simulation agrees: `ex[4].given(cooling=\"air\", t_end_s=30.0).answer()` reruns (a) "
            "under air (which settles more slowly) and its limit gains only about 75 W."),
    ),
    Exercise(
        number=5,
        title="raise the air cooling cap to 30 kW: racks needed, stranded power and its kind",
        kind=Parts((Number(unit="racks", rtol=0.01, mistakes=()),
                    Number(unit="kW", rtol=0.02, mistakes=("x1e3",)),
                    Choice(("cooling", "spare", "both")))),
        compute=rack_mix_with_air_cap,
        params={"air_cooling_w": 30_000.0, "rack_power_w": 40_000.0, "liquid_rack_power_w": 120_000.0,
                "liquid_cooling_w": 120_000.0, "n_liquid_racks": 1, "air_servers": (12, 10_200.0),
                "liquid_servers": (8, 14_300.0), "small_servers": (60, 400.0, 1_200.0), "seed": 7},
        hint_text=(
            "How much of an air rack's 40 kW can it hold once its cooling says 30 kW, and how many "
            "such racks do the servers that do not go to the liquid rack need? Stranded power is "
            "provisioned minus placed, over every provisioned rack: is any rack's power cap still above "
            "its cooling cap, and is any rack left part-empty? Answer with a tuple (racks in all, air "
            "and liquid; stranded kW; one of the three words)."),
        explanation=(
            "With a 30 kW cooling cap an air rack holds 30 kW instead of 25 kW. The liquid rack takes "
            "the 114.4 kW of liquid-only servers; the other 169.9 kW need six air racks (five full ones "
            "hold about 150 kW), seven racks in all, from 360 kW provisioned. The 75.7 kW stranded is "
            "both kinds: 60 kW behind the cooling cap (10 kW of each of the six air racks' 40 kW power "
            "caps) and 15.7 kW of spare room, mostly in the sixth air rack, which is only about two "
            "thirds full. Against 115.7 kW with the 25 kW cap (eight racks) that saves 40 kW of "
            "stranded power and one rack; the full retrofit to 40 kW (section 5's verdict) strands "
            "35.7 kW, all spare room. Each step of cooling moves power out of the cooling-stranded "
            "column, but the spare room left by packing stays."),
    ),
]
