"""Where the energy goes: PUE, the energy ratio behind "4.1x more efficient", combined reductions, the
carbon ratio and hot-aisle containment (notebook 02, section 1).

References
----------
The Green Grid / ISO/IEC 30134-2 (PUE). Schneider Electric white paper 135 (containment).
L. A. Barroso, U. Hoelzle, "The Case for Energy-Proportional Computing", IEEE Computer 40(12), 2007.
"""

from __future__ import annotations

from .. import _checks

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
