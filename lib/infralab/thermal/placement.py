"""Placing servers in racks: first-fit decreasing under a power cap and a cooling cap per rack, with
the stranded power counted (notebook 02, section 5; :mod:`infralab.cluster` uses it).
"""

from __future__ import annotations

import numpy as np

from .. import _checks

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
