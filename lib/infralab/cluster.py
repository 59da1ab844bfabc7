"""Design a training cluster end to end: chips, network, cooling and security in one model (notebook 05).

:func:`evaluate` composes the topic modules rather than re-deriving them:

* **chips** (:mod:`infralab.chips`): the instance row (chips per instance, dated on-demand price, EFA
  bandwidth) and the chip row (peak FLOP/s, TDP) from the data tables; training compute ``6·N·D``
  from :func:`~infralab.chips.training_flops`.
* **network** (:mod:`infralab.network`): the compute of one step from
  :func:`~infralab.network.compute_time_per_step` and the gradient all-reduce that compute cannot
  hide from :func:`~infralab.network.training_step`, at the whole instance's EFA bandwidth (the stage
  across instances of :func:`~infralab.network.two_level_allreduce_time`) times the measured NIC
  efficiency (``nic_efficiency``, default :data:`~infralab.network.NIC_EFFICIENCY`, fitted to 4 x p4dn
  NCCL bus bandwidth; 1.0 gives the textbook bound; ``nvlink_stage=True`` adds the NVLink stage), derated by the
  fullest path of :func:`~infralab.network.simulate_ecmp` (flow hashing) or
  :func:`~infralab.network.simulate_spraying` (SRD-style spraying).
* **cooling** (:mod:`infralab.thermal`): air or liquid from the junction-temperature chain
  :func:`~infralab.thermal.chain_temperature` with the course's one table of cooling assumptions,
  :data:`~infralab.thermal.COOLING` (notebook 02; its air heat sink is sized like the air-cooled
  700-1,000 W systems that exist), racks from a per-rack power and cooling cap (the
  first-fit-decreasing packing of :func:`~infralab.thermal.place_servers` for identical servers),
  with each server at its published whole-system maximum (:data:`SERVER_POWER`,
  ``data/measurements.csv``), or chips x TDP + host with ``server_power="tdp"`` and where nothing is
  published (Trainium: uncertain).
* **security** (:mod:`infralab.enclave`): CPU cores per node to encrypt and decrypt at line rate,
  :func:`~infralab.enclave.cores_for_line_rate` of both directions (an all-reduce sends and receives at
  line rate at once; the assumption ``crypto_directions=2``), at a fixed AES-GCM rate of 4 GB/s per
  core (an assumption rounded from 3.9 GB/s, 0.64 cycles/byte at an assumed 2.5 GHz: docs/references.md section 3; pass ``aesgcm_Bps_per_core=enclave.aesgcm_bytes_per_second()`` to use this
  machine's measured rate). Fixed by default so that :func:`evaluate` is deterministic. The
  ``crypto_cores`` the host spares share encryption and decryption, so they cap each direction at
  ``crypto_cores x rate / crypto_directions``.

:func:`sample` runs the same model over uncertain assumptions (MFU, price, PUE, grid intensity,
latency, packet loss) as a Monte Carlo numba kernel (``_sample_cpu``) with a CUDA twin
(``_sample_cuda``) beside it, drawing from the counter-based generator of :mod:`infralab._rng`, so
the same seed gives the same arrays on every backend. :func:`tornado` says which assumption moves
time and cost the most.

The model of one training step (data parallelism across replicas of ``instances_per_replica``
instances; within a replica, tensor and pipeline parallelism are assumed free):

* ``compute = 6·N·T / (chips · peak · MFU)`` for a global batch of ``T`` tokens;
* the replica must hold the model and its optimizer state (``state_bytes_per_param`` x N, 16 bytes by
  default) in its HBM: by default it is 8 instances, doubled until it does; a replica or a cluster that
  cannot hold it raises ``ValueError`` rather than giving a time for a run that cannot start;
* the gradient shard of one instance, ``N · bytes_per_param / instances_per_replica`` bytes, is
  all-reduced across the ``n_instances // instances_per_replica`` replicas in buckets;
* a lost packet costs one retransmit timeout: the per-message latency becomes
  ``latency + rto · P(some rank's message in that step is lost)`` (:func:`effective_latency`);
* ``step = compute + exposed communication``; ``days = compute_days · step / compute``.

References
----------
T. Brown et al., "Language Models are Few-Shot Learners", 2020 (GPT-3, table D.1). A. Chowdhery et
al., "PaLM", 2022 (MFU). R. Thakur, R. Rabenseifner, W. Gropp, IJHPCA 19(1), 2005. L. Shalev et al.,
IEEE Micro 40(6), 2020 (SRD). The Green Grid, PUE.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import cuda, njit, prange
from numba.core.extending import register_jitable

from . import _checks, _rng, chips, network, thermal
from . import measurements as _measurements
from . import backend as _backend
from .enclave import wire as _wire

#: The assumptions :func:`sample` draws, in the order of the kernel's draws.
SAMPLED = ("mfu", "usd_per_hour", "pue", "grid_g_per_kwh", "latency_s", "loss_prob")
#: Outputs of :func:`sample` besides the sampled inputs.
OUTPUTS = ("days", "compute_days", "cost_usd", "energy_mwh", "co2_t")

#: Bound on the work of one :func:`sample` call.
MAX_SAMPLES = 10_000_000
#: Bound on the cluster size (about 16 million chips at 16 per instance).
MAX_INSTANCES = 1_000_000

#: Fixed assumptions of :func:`evaluate`, with where each comes from. Every one may be overridden by
#: keyword. ``None`` means "from the data tables".
DEFAULTS: dict[str, tuple[Any, str]] = {
    "price_date": (None, "data/instances.csv: latest price date of the instance"),
    "usd_per_hour": (None, "data/instances.csv: on-demand price, us-east-1"),
    "efa_gbps": (None, "data/instances.csv: EFA bandwidth (docs/references.md section 1)"),
    "chip_power_w": (None, "data/chips.csv: TDP"),
    "precision": ("bf16", "assumption: dense BF16 peak (data/chips.csv)"),
    "latency_s": (8e-6, "assumption: 8 us, UltraCluster 2020 (AWS article, docs/references.md section 1)"),
    "loss_prob": (0.0, "assumption: per-packet loss"),
    "rto_s": (30e-6, "assumption: SRD-like retransmit within microseconds (notebook 01)"),
    "network": ("spraying", "assumption: EFA/SRD sprays packets over paths (docs/references.md section 1)"),
    "n_paths": (16, "assumption: equal-cost paths between racks"),
    "flows_per_path": (1, "assumption: flows the all-reduce opens per equal-cost path (ECMP hashes "
                          "n_paths x flows_per_path flows onto n_paths paths; spraying splits each into 64 "
                          "packets); 1 = one flow per path. More flows even out hashing: Meta reports up to "
                          "40% from 16 flows per GPU pair (data/measurements.csv ecmp_16_flows_speedup)"),
    "encryption": ("nic", "assumption: the Nitro card encrypts at line rate, at no cost to the host (it rests on "
                          "AWS's description of its Nitro system, the article's security principle 3, which notebook "
                          "03 examines; cannot be checked: a customer cannot observe the link)"),
    "aesgcm_Bps_per_core": (4e9, "assumption: 4 GB/s, rounded from 3.9 GB/s = 0.64 cycles/byte (Drucker, "
                                 "Gueron, Krasnov 2018) at an assumed 2.5 GHz (docs/references.md section 3)"),
    "crypto_cores": (32, "assumption: host cores that can be spared for encryption and decryption together"),
    "crypto_directions": (2, "assumption: the all-reduce sends and receives at line rate at once (full duplex), "
                             "so CPU encryption needs cores to encrypt the outgoing and as many again to decrypt "
                             "the incoming traffic (AES-GCM costs about the same per byte both ways); the "
                             "crypto_cores share both, so they carry crypto_cores x rate / 2 each way; "
                             "1 counts sending only"),
    "tokens_per_step": (3.2e6, "assumption: global batch in tokens (GPT-3 used 3.2M)"),
    "instances_per_replica": (None, "assumption: instances holding one model replica (tensor x pipeline): 8, "
                                    "doubled until the replica's HBM holds the model and optimizer state "
                                    "(state_bytes_per_param); a value here is checked against that memory"),
    "state_bytes_per_param": (16.0, "Rajbhandari et al. 2020 (ZeRO), section 3: mixed-precision Adam keeps 16 "
                                    "bytes per parameter (2 bf16 weights, 2 gradients, 4 fp32 master weights, "
                                    "4 + 4 Adam moments) in the replica's HBM; activations not counted; a "
                                    "smaller value models state sharded across replicas, whose extra "
                                    "communication the model does not count"),
    "bytes_per_param": (2.0, "assumption: bf16 gradients"),
    "bucket_bytes": (25e6, "PyTorch DDP default bucket, 25 MB (notebook 01)"),
    "overlap": (0.8, "assumption: share of compute that hides communication (notebook 01)"),
    "algorithm": ("tree", "assumption: NCCL-style logarithmic all-reduce across replicas"),
    "nvlink_stage": (False, "assumption: the chips of an instance hold different parts of the model (tensor "
                            "parallelism inside a replica), so each chip's gradients cross the instance's NICs "
                            "without an NVLink reduction first: the stage across instances of "
                            "network.two_level_allreduce_time alone, at the whole instance's NIC bandwidth; "
                            "True adds its NVLink reduce-scatter and all-gather, as if every chip held the "
                            "instance's whole shard (data parallelism inside the instance)"),
    "nic_efficiency": (network.NIC_EFFICIENCY, "measured: achieved fraction of the instance's NIC bandwidth, "
                                               "fitted to 4 x p4dn NCCL bus bandwidth (network.NIC_EFFICIENCY, "
                                               "data/measurements.csv nccl_busbw_4xp4dn; secondary, uncertain); "
                                               "1.0 = the textbook bound"),
    "nvlink_efficiency": (network.RING_EFFICIENCY, "measured: achieved fraction of NVLink for NCCL's ring "
                                                   "(network.RING_EFFICIENCY, data/measurements.csv "
                                                   "nccl_busbw_8xh200_nvls_off); 1.0 = the textbook bound"),
    "intra_GBps": (None, "INTRA_INSTANCE: link bandwidth per chip and direction inside the instance, GB/s"),
    "server_power": ("measured", "assumption: 'measured' takes a server's maximum power from the closest "
                                 "published whole system (SERVER_POWER, data/measurements.csv), where one "
                                 "exists, and falls back to 'tdp' where none is published (Trainium: "
                                 "uncertain); 'tdp' builds it as chips x TDP + host_w_per_instance"),
    "server_kw": (None, "SERVER_POWER: whole-server maximum, kW (a value here overrides the table)"),
    "power_fraction": (0.8, "assumption: average power while training as a fraction of the maximum (of "
                            "the whole server's maximum when it is measured, of the chips' TDP in 'tdp')"),
    "host_w_per_instance": (2000.0, "assumption: CPUs, memory, NICs and fans per instance, W ('tdp' only)"),
    "unpublished_tdp_w": (500.0, "assumption: chip power where the vendor publishes no TDP"),
    "t_junction_max_c": (95.0, "assumption: junction throttling limit (notebook 02)"),
    "inlet_c": (None, "thermal.COOLING: coolant inlet, air row (liquid row: its own); a value here sets both"),
    "air_fin_area_m2": (None, "thermal.COOLING: air heat-sink (wetted) area per chip (notebook 02)"),
    "rack_kw_air": (25.0, "assumption: air rack cooling cap, above typical racks (8-12 kW) and below liquid-cooled AI "
                          "racks (40-130 kW), docs/references.md section 2; notebook 02"),
    "rack_kw_liquid": (120.0, "assumption: liquid rack cap (AI racks 40-130 kW, docs/references.md)"),
}


#: Bandwidth per chip and direction inside an instance (the two-level model's first stage), bytes/s,
#: with its source. Chips not listed use :data:`INTRA_FALLBACK_BPS` (an assumption, uncertain).
INTRA_INSTANCE: dict[str, tuple[float, str]] = {
    "A100 SXM 40GB": (network.NVLINK3_BPS, "NVLink 3, 300 GB/s per GPU and direction (network.NVLINK3_BPS)"),
    "H100 SXM": (network.NVLINK4_BPS, "NVLink 4, 450 GB/s per GPU and direction (network.NVLINK4_BPS)"),
    "H200 SXM": (network.NVLINK4_BPS, "NVLink 4, 450 GB/s per GPU and direction (network.NVLINK4_BPS)"),
}
INTRA_FALLBACK_BPS = network.NVLINK4_BPS

#: Whole-server maximum power of each instance, as the id of a row of ``data/measurements.csv``.
#: AWS publishes no server power for its instances, so each maps to NVIDIA's reference 8-GPU system
#: with the same GPU board (a proxy: the vendor's maximum system power, not a measured average).
#: Trainium servers have no published figure: they use chips x TDP + host and say so (uncertain).
SERVER_POWER: dict[str, str] = {
    "p4d.24xlarge": "dgx_a100_max_power",     # 8 x A100 SXM 40GB: DGX A100, 6.5 kW max
    "p5.48xlarge": "dgx_h100_max_power",      # 8 x H100 SXM: DGX H100, 10.2 kW max
    "p5en.48xlarge": "dgx_h200_max_power",    # 8 x H200 SXM: DGX H200, 10.2 kW max
}


def server_power_w(instance: str) -> tuple[float, str] | None:
    """Published whole-server maximum power of ``instance``, W, with its source; ``None`` if none is known.

    Parameters
    ----------
    instance : str
        An instance name (e.g. ``"p5.48xlarge"``).

    Returns
    -------
    tuple of (float, str) or None
        The maximum system power in watts and a sentence naming the system and source page, from
        :data:`SERVER_POWER` and ``data/measurements.csv``; ``None`` where nothing is published
        (Trainium servers), so that the caller must fall back to chips x TDP.

    Raises
    ------
    TypeError
        If ``instance`` is not a string.

    Examples
    --------
    >>> server_power_w("p5.48xlarge")[0]
    10200.0
    >>> server_power_w("trn1.32xlarge") is None
    True
    """
    if not isinstance(instance, str):
        raise TypeError(f"instance must be a string, got {type(instance).__name__}")
    key = SERVER_POWER.get(instance)
    if key is None:
        return None
    m = _measurements.load_measurements()[key]
    scale = {"kW": 1e3, "W": 1.0}[m.unit]
    return float(m.value) * scale, (f"data/measurements.csv {key}: {m.system}, {m.value:g} {m.unit} "
                                    f"maximum ({m.source}; {m.evidence}; a proxy for the AWS server)")


#: Default ranges of :func:`sample`, each (low, high) drawn uniformly, with their sources.
DEFAULT_RANGES: dict[str, tuple[tuple[float, float] | None, str]] = {
    "mfu": ((0.30, 0.50), "assumption: MFU of large runs (PaLM reports 46%)"),
    "usd_per_hour": (None, "assumption: 70-100% of the on-demand price (discounts up to 30%)"),
    "pue": ((1.10, 1.20), "assumption: around AWS's reported 1.15 (docs/references.md section 2)"),
    "grid_g_per_kwh": ((200.0, 500.0), "assumption: grid carbon intensity, gCO2e/kWh"),
    "latency_s": ((6e-6, 10e-6), "assumption: around 8 us (docs/references.md section 1)"),
    "loss_prob": ((0.0, 1e-4), "assumption: per-packet loss"),
}
PRICE_DISCOUNT_RANGE = (0.7, 1.0)

_SECONDS_PER_DAY = 86400.0


# --------------------------------------------------------------------------------------------
# The closed form shared by evaluate, the kernel and its CUDA twin
# --------------------------------------------------------------------------------------------

@register_jitable
def _effective_latency(latency_s, loss_prob, n_messages, rto_s):
    """:func:`effective_latency` without checks, for the kernels (the plan's values are checked)."""
    return latency_s + rto_s * (1.0 - (1.0 - loss_prob) ** n_messages)


#: Most messages per latency step :func:`effective_latency` accepts (a trillion; the formula is O(1)).
MAX_MESSAGES = 10**12


def effective_latency(latency_s: float, loss_prob: float, n_messages: int, rto_s: float) -> float:
    """Per-message latency with retransmits: ``latency + rto · (1 - (1 - loss)**n_messages)``.

    A latency step of a collective waits for all ``n_messages`` messages; one lost packet among them
    (probability ``1 - (1 - loss)**n``) adds one retransmit timeout ``rto_s``.

    Parameters
    ----------
    latency_s : float
        Latency of one message without loss, seconds (finite, >= 0).
    loss_prob : float
        Probability that a message is lost, 0 <= loss_prob <= 1.
    n_messages : int
        Messages the step waits for, 0 <= n_messages <= :data:`MAX_MESSAGES`.
    rto_s : float
        Retransmit timeout, seconds (finite, >= 0).

    Returns
    -------
    float
        The effective latency, seconds (finite).

    Raises
    ------
    TypeError
        For non-numbers (and a non-integer ``n_messages``).
    ValueError
        For values out of range, or a sum that overflows a float.

    Examples
    --------
    >>> effective_latency(8e-6, 0.0, 100, 30e-6)
    8e-06
    """
    lat = _checks.nonnegative("latency_s", latency_s)
    loss = _checks.real("loss_prob", loss_prob, low=0.0, high=1.0)
    n = _checks.integer("n_messages", n_messages, low=0, high=MAX_MESSAGES)
    rto = _checks.nonnegative("rto_s", rto_s)
    return _checks.derived("the effective latency", _effective_latency(lat, loss, float(n), rto),
                           "latency_s and rto_s")


# Index of each constant of the plan vector handed to the kernels.
_C_DAYS1, _C_STEP1, _C_COMM0, _C_LATK, _C_OVERLAP, _C_NMSG, _C_RTO, _C_NINST, _C_ITKW = range(9)


@register_jitable
def _outcome(c, mfu, price, pue, grid, latency, loss):
    """(days, compute_days, cost_usd, energy_mwh, co2_t) of one set of assumptions, given the plan c."""
    compute = c[_C_STEP1] / mfu
    alpha = _effective_latency(latency, loss, c[_C_NMSG], c[_C_RTO])
    comm = c[_C_COMM0] + c[_C_LATK] * alpha
    exposed = comm - min(comm, c[_C_OVERLAP] * compute)
    step = compute + exposed
    compute_days = c[_C_DAYS1] / mfu
    days = compute_days * (step / compute)
    cost = days * 24.0 * c[_C_NINST] * price
    energy = c[_C_ITKW] * days * 24.0 * pue / 1000.0
    return days, compute_days, cost, energy, energy * grid / 1000.0


@register_jitable
def _one_sample(key, i, c, lo, hi, out):
    base = np.uint64(i) * np.uint64(6)
    v0 = lo[0] + (hi[0] - lo[0]) * _rng.unit(_rng.draw(key, base))
    v1 = lo[1] + (hi[1] - lo[1]) * _rng.unit(_rng.draw(key, base + np.uint64(1)))
    v2 = lo[2] + (hi[2] - lo[2]) * _rng.unit(_rng.draw(key, base + np.uint64(2)))
    v3 = lo[3] + (hi[3] - lo[3]) * _rng.unit(_rng.draw(key, base + np.uint64(3)))
    v4 = lo[4] + (hi[4] - lo[4]) * _rng.unit(_rng.draw(key, base + np.uint64(4)))
    v5 = lo[5] + (hi[5] - lo[5]) * _rng.unit(_rng.draw(key, base + np.uint64(5)))
    days, cdays, cost, energy, co2 = _outcome(c, v0, v1, v2, v3, v4, v5)
    out[0, i] = days
    out[1, i] = cdays
    out[2, i] = cost
    out[3, i] = energy
    out[4, i] = co2
    out[5, i] = v0
    out[6, i] = v1
    out[7, i] = v2
    out[8, i] = v3
    out[9, i] = v4
    out[10, i] = v5


@njit(parallel=True, cache=True)
def _sample_cpu(key, c, lo, hi, out):
    for i in prange(out.shape[1]):
        _one_sample(key, i, c, lo, hi, out)


@cuda.jit(cache=True)
def _sample_cuda(key, c, lo, hi, out):
    for i in range(cuda.grid(1), out.shape[1], cuda.gridsize(1)):
        _one_sample(key, i, c, lo, hi, out)


# --------------------------------------------------------------------------------------------
# Inputs: the data tables and the assumptions
# --------------------------------------------------------------------------------------------

def _instance_row(name: str, price_date: str | None) -> dict:
    """The instance's row in force at ``price_date`` (default: its latest dated price).

    A month ``YYYY-MM`` is looked up with :func:`infralab.chips.instances_for_period`, so a row whose
    ``same_price_in`` column lists that month (a price the table assumes unchanged then) counts as in
    force, as everywhere else in the course; other strings (e.g. a year, ``"2025"``) must equal the
    row's ``price_date``.
    """
    rows = chips.load_instances()
    known = sorted({r["instance"] for r in rows})
    if not isinstance(name, str):
        raise TypeError(f"instance must be a string, one of {known}, got {type(name).__name__}")
    mine = [r for r in rows if r["instance"] == name]
    if not mine:
        raise ValueError(f"instance {name!r} is not in data/instances.csv; known instances: {known}")
    dates = sorted({r["price_date"] for r in mine if r["price_date"] is not None}
                   | {m for r in mine for m in (r["same_price_in"] or ())})
    if price_date is None:
        dated = [r for r in mine if r["price_date"] is not None]
        return max(dated, key=lambda r: r["price_date"]) if dated else mine[-1]
    if not isinstance(price_date, str):
        raise TypeError(f"price_date must be a string such as {dates[-1] if dates else '2025-06'!r}")
    hit = []
    if chips._MONTH.match(price_date):
        hit = chips.instances_for_period(mine, price_date)       # honours same_price_in
    if not hit:
        hit = [dict(r, assumed_in_period=False) for r in mine if r["price_date"] == price_date]
    if not hit:
        raise ValueError(f"price_date {price_date!r} is not in data/instances.csv for {name}; "
                         f"available dates: {dates or 'none (no price recorded)'}")
    return hit[-1]


def _chip_row(name: str) -> dict:
    for r in chips.load_chips():
        if r["chip"] == name:
            return r
    raise ValueError(f"chip {name!r} of data/instances.csv is missing from data/chips.csv")


def _assumptions(overrides: dict) -> dict:
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise TypeError(f"unknown assumption(s) {unknown}; allowed: {sorted(DEFAULTS)}")
    out = {}
    for key, (value, source) in DEFAULTS.items():
        if key in overrides and overrides[key] is not None:
            out[key] = {"value": overrides[key], "source": "assumption (set by caller)"}
        else:
            out[key] = {"value": value, "source": source}
    return out


def _plan(instance, n_instances, params, tokens, overrides):
    """Everything that does not depend on the sampled assumptions: a dict of named inputs and results."""
    n_inst = _checks.integer("n_instances", n_instances, low=1, high=MAX_INSTANCES)
    n_params = _checks.positive("params", params)
    n_tokens = _checks.positive("tokens", tokens)
    a = _assumptions(overrides)
    v = {k: d["value"] for k, d in a.items()}
    row = _instance_row(instance, v["price_date"])
    if v["price_date"] is None:
        a["price_date"] = {"value": row["price_date"], "source": a["price_date"]["source"]}
    elif row.get("assumed_in_period"):
        a["price_date"]["source"] += (f"; data/instances.csv dates the price {row['price_date']} and assumes it "
                                      f"unchanged in {', '.join(row['same_price_in'])} (same_price_in: "
                                      f"{row['notes']})")
    chip = _chip_row(row["chip"])
    per_inst = int(row["chips_per_instance"])
    n_chips = n_inst * per_inst

    # price (a missing price needs an explicit assumption)
    if v["usd_per_hour"] is None:
        if row["on_demand_USD_per_hour"] is None:
            raise ValueError(f"{instance} has no on-demand price in data/instances.csv ({row['notes']}); "
                             "it needs a price assumption: pass usd_per_hour=<USD per instance-hour>")
        price = row["on_demand_USD_per_hour"]
        held = (f", assumed unchanged in {v['price_date']} (same_price_in)" if row.get("assumed_in_period")
                else "")
        a["usd_per_hour"] = {"value": price, "source": f"data/instances.csv: on-demand, {row['price_region']}, "
                                                        f"{row['price_date']}{held} ({row['source']})"}
    else:
        price = _checks.positive("usd_per_hour", v["usd_per_hour"])

    # network inputs
    if v["efa_gbps"] is None:
        if row["efa_Gbps"] is None:
            raise ValueError(f"{instance} has no EFA bandwidth in data/instances.csv; "
                             "pass efa_gbps=<Gb/s per instance> as an assumption")
        efa = row["efa_Gbps"]
        a["efa_gbps"]["value"] = efa
    else:
        efa = _checks.positive("efa_gbps", v["efa_gbps"])
    precision = _checks.choice("precision", v["precision"], ("bf16", "fp8"))
    tflops = chip["bf16_dense_TFLOPs"] if precision == "bf16" else chip["fp8_dense_TFLOPs"]
    if tflops is None:
        raise ValueError(f"{row['chip']} has no {precision} peak in data/chips.csv; use precision='bf16'")
    peak = tflops * 1e12
    a["peak_flops_per_chip"] = {"value": peak, "source": f"data/chips.csv: {row['chip']} dense {precision} "
                                                         f"({chip['source']})"}
    latency = _checks.nonnegative("latency_s", v["latency_s"])
    loss = _checks.real("loss_prob", v["loss_prob"], low=0.0, high=0.5)
    rto = _checks.nonnegative("rto_s", v["rto_s"])
    mode = _checks.choice("network", v["network"], ("spraying", "ecmp"))
    n_paths = _checks.integer("n_paths", v["n_paths"], low=1, high=1024)
    fpp = _checks.integer("flows_per_path", v["flows_per_path"], low=1, high=1024)
    if n_paths * fpp > 1024:
        raise ValueError(f"n_paths x flows_per_path must be <= 1024 flows, got {n_paths} x {fpp} = {n_paths * fpp}")
    enc = _checks.choice("encryption", v["encryption"], ("nic", "cpu"))
    aes = _checks.positive("aesgcm_Bps_per_core", v["aesgcm_Bps_per_core"])
    crypto_cores = _checks.integer("crypto_cores", v["crypto_cores"], low=1, high=4096)
    directions = _checks.integer("crypto_directions", v["crypto_directions"], low=1, high=2)
    tps = _checks.positive("tokens_per_step", v["tokens_per_step"])
    state_bpp = _checks.positive("state_bytes_per_param", v["state_bytes_per_param"])
    state_bytes = _checks.derived("state_bytes_per_param x params", state_bpp * n_params,
                                  "params and state_bytes_per_param", positive=True)
    hbm_inst = chip["hbm_capacity_GB"] * 1e9 * per_inst if chip.get("hbm_capacity_GB") else None
    if v["instances_per_replica"] is None:
        per_replica = 8
        while hbm_inst is not None and per_replica * hbm_inst < state_bytes and per_replica < MAX_INSTANCES:
            per_replica *= 2
        a["instances_per_replica"]["value"] = per_replica
        if hbm_inst is not None and per_replica > 8:
            a["instances_per_replica"]["source"] = (
                f"derived: 8 instances (tensor x pipeline, an assumption) hold {8 * hbm_inst / 1e12:.2f} TB of HBM, "
                f"less than the {state_bytes / 1e12:.2f} TB of model and optimizer state, so the replica is doubled "
                f"to the smallest power of two that holds it ({per_replica * hbm_inst / 1e12:.2f} TB)")
    else:
        per_replica = _checks.integer("instances_per_replica", v["instances_per_replica"], low=1,
                                      high=MAX_INSTANCES)
    if hbm_inst is not None:
        held = min(n_inst, per_replica) * hbm_inst
        if held < state_bytes:
            need = math.ceil(state_bytes / hbm_inst)
            where = (f"a replica of {per_replica} {instance}" if n_inst >= per_replica
                     else f"the whole cluster of {n_inst} {instance}")
            raise ValueError(
                f"{where} holds {held / 1e12:.3g} TB of HBM, less than the {state_bytes / 1e12:.3g} TB of model and "
                f"optimizer state ({state_bpp:g} B x {n_params:.4g} parameters, state_bytes_per_param): a replica "
                f"needs at least {need} instances (instances_per_replica, and n_instances at least that), or "
                f"state sharded across replicas (a smaller state_bytes_per_param)")
    bpp = _checks.positive("bytes_per_param", v["bytes_per_param"])
    bucket = _checks.positive("bucket_bytes", v["bucket_bytes"])
    overlap = _checks.real("overlap", v["overlap"], low=0.0, high=1.0)
    algo = _checks.choice("algorithm", v["algorithm"], network.ALGORITHMS)
    nvlink_stage = v["nvlink_stage"]
    if not isinstance(nvlink_stage, (bool, np.bool_)):
        raise TypeError(f"nvlink_stage must be True or False, got {type(nvlink_stage).__name__}")
    nic_eff = _checks.real("nic_efficiency", v["nic_efficiency"], low=0.0, high=1.0, low_open=True)
    nvl_eff = _checks.real("nvlink_efficiency", v["nvlink_efficiency"], low=0.0, high=1.0, low_open=True)
    if v["intra_GBps"] is not None:
        intra_Bps = _checks.positive("intra_GBps", v["intra_GBps"]) * 1e9
    elif row["chip"] in INTRA_INSTANCE:
        intra_Bps, intra_src = INTRA_INSTANCE[row["chip"]]
        a["intra_GBps"] = {"value": intra_Bps / 1e9, "source": intra_src}
    else:
        intra_Bps = INTRA_FALLBACK_BPS
        a["intra_GBps"] = {"value": intra_Bps / 1e9,
                           "source": f"uncertain: no published per-chip link bandwidth inside {instance} was "
                                     f"found; assumed equal to NVLink 4 (450 GB/s per chip and direction)"}

    # power and cooling inputs
    if v["chip_power_w"] is not None:
        chip_w = _checks.positive("chip_power_w", v["chip_power_w"])
    elif chip["tdp_W"] is not None:
        chip_w = chip["tdp_W"]
        a["chip_power_w"] = {"value": chip_w, "source": f"data/chips.csv: {row['chip']} TDP ({chip['source']})"}
    else:
        chip_w = _checks.positive("unpublished_tdp_w", v["unpublished_tdp_w"])
        a["chip_power_w"] = {"value": chip_w, "source": f"assumption: {row['chip']} TDP not published"}
    frac = _checks.real("power_fraction", v["power_fraction"], low=0.0, high=1.0, low_open=True)
    host_w = _checks.nonnegative("host_w_per_instance", v["host_w_per_instance"])
    power_mode = _checks.choice("server_power", v["server_power"], ("measured", "tdp"))
    server_max_w, server_source = None, None
    if v["server_kw"] is not None:
        server_max_w = _checks.positive("server_kw", v["server_kw"]) * 1e3
        server_source = "assumption (set by caller)"
        power_mode = "measured"
    elif power_mode == "measured":
        published = server_power_w(instance)
        if published is not None:
            server_max_w, server_source = published
        else:
            power_mode = "tdp"
            server_source = (f"uncertain: no published whole-server power for {instance}; chips x TDP + "
                             f"host_w_per_instance")
    if power_mode == "tdp":
        server_max_w = per_inst * chip_w + host_w
        server_source = server_source or "server_power='tdp': chips x TDP + host_w_per_instance"
    a["server_power"]["value"] = power_mode
    a["server_kw"] = {"value": server_max_w / 1e3, "source": server_source}
    tj_max = _checks.real("t_junction_max_c", v["t_junction_max_c"], low=0.0, high=200.0)
    # coolant inlet and air heat sink: thermal.COOLING unless the caller sets them
    inlets = {kind: thermal.COOLING[kind]["t_inf_c"] for kind in ("air", "liquid")}
    if v["inlet_c"] is not None:
        inlets = dict.fromkeys(inlets, _checks.real("inlet_c", v["inlet_c"], low=-50.0, high=tj_max,
                                                    high_open=True))
    elif max(inlets.values()) >= tj_max:
        raise ValueError(f"t_junction_max_c must be above the coolant inlets of thermal.COOLING {inlets}, "
                         f"got {tj_max:g}")
    a["inlet_c"]["value"] = inlets["air"]
    if v["air_fin_area_m2"] is None:
        fin = thermal.COOLING["air"]["wetted_area_m2"]
        a["air_fin_area_m2"]["value"] = fin
    else:
        fin = _checks.positive("air_fin_area_m2", v["air_fin_area_m2"])
    rack_air = _checks.positive("rack_kw_air", v["rack_kw_air"])
    rack_liq = _checks.positive("rack_kw_liquid", v["rack_kw_liquid"])

    # --- network: compute per step, the derated bandwidth, the all-reduce across replicas ---------
    step1 = network.compute_time_per_step(n_params, tps, n_chips, peak, 1.0)
    if mode == "ecmp":
        path_slowdown = network.simulate_ecmp(n_paths, n_paths * fpp, 2000, seed=0, backend="cpu")["slowdown"]
    else:
        path_slowdown = network.simulate_spraying(n_paths, n_paths * fpp, 64, 2000, seed=0,
                                                  backend="cpu")["slowdown"]
    # the achieved NIC rate (measured efficiency); host encryption can cap it further
    link_Bps = efa * 1e9 / 8.0 * nic_eff
    if enc == "cpu":
        # the all-reduce sends and receives link_Bps at once: encrypting the outgoing and decrypting the
        # incoming bytes both fall on the host's cores, which share one pool (crypto_directions = 2)
        cores = _wire.cores_for_line_rate(directions * efa, aes)
        link_Bps = min(link_Bps, crypto_cores * aes / directions)
    else:
        cores = 0
    bw = link_Bps / path_slowdown
    ranks = max(1, n_inst // per_replica)
    shard = n_params / per_replica
    kw = dict(n_params=shard, n_ranks=ranks, compute_s=0.0, bandwidth_Bps=bw, bytes_per_param=bpp,
              bucket_bytes=bucket, overlap=overlap, algorithm=algo, efficiency=1.0)
    if nvlink_stage:
        # every chip holds the instance's shard: NVLink reduce-scatter, the NICs across replicas, NVLink all-gather
        kw.update(n_ranks=ranks * per_inst, gpus_per_instance=per_inst, nvlink_Bps=intra_Bps,
                  nvlink_efficiency=nvl_eff)
    comm0 = network.training_step(latency_s=0.0, **kw)["comm_s"]
    lat_coeff = network.training_step(latency_s=1.0, **kw)["latency_part_s"]

    # --- power, cooling and racks -----------------------------------------------------------------
    def max_chip_w(kind, **override):
        # the chain is linear in power: the limit is the allowed rise over the rise of one watt
        t_in = inlets[kind]
        rise_per_w = thermal.chain_temperature(1.0, kind, t_inf_c=t_in, **override) - t_in
        return (tj_max - t_in) / rise_per_w
    air_limit = max_chip_w("air", wetted_area_m2=fin)
    liquid_limit = max_chip_w("liquid")
    cooling = "air" if chip_w <= air_limit else "liquid"
    rack_kw = rack_air if cooling == "air" else rack_liq
    server_peak_w = server_max_w
    per_rack = int(rack_kw * 1000.0 // server_peak_w)
    if per_rack < 1:
        raise ValueError(f"one {instance} server draws {server_peak_w / 1e3:.1f} kW, more than a {cooling} "
                         f"rack's {rack_kw:g} kW (rack_kw_{cooling}); raise the rack cap")
    racks = math.ceil(n_inst / per_rack)
    if power_mode == "tdp":
        server_avg_w = per_inst * chip_w * frac + host_w
    else:
        server_avg_w = server_max_w * frac
    it_kw = n_inst * server_avg_w / 1000.0

    compute_days1 = chips.training_flops(n_params, n_tokens) / (n_chips * peak) / _SECONDS_PER_DAY
    consts = np.zeros(9)
    consts[[_C_DAYS1, _C_STEP1, _C_COMM0, _C_LATK, _C_OVERLAP, _C_NMSG, _C_RTO, _C_NINST, _C_ITKW]] = (
        compute_days1, step1, comm0, lat_coeff, overlap, ranks, rto, n_inst, it_kw)
    return {
        "assumptions": a, "consts": consts, "price": price, "latency_s": latency, "loss_prob": loss,
        "n_chips": n_chips, "peak": peak, "n_params": n_params, "n_tokens": n_tokens, "tps": tps,
        "step_kw": kw, "rto": rto, "ranks": ranks,
        "derived": {
            "n_chips": n_chips, "chip": row["chip"], "efa_gbps": efa, "path_slowdown": path_slowdown,
            "allreduce_ranks": ranks, "allreduce_bandwidth_Bps": bw,
            "encryption_cores_per_node": cores, "it_power_kw": it_kw, "chip_power_w": chip_w,
            "air_limit_w": air_limit, "liquid_limit_w": liquid_limit, "cooling": cooling,
            "cooling_within_limit": chip_w <= liquid_limit, "servers_per_rack": per_rack, "racks": racks,
            "server_peak_w": server_peak_w, "server_average_w": server_avg_w, "server_power": power_mode,
            "flows_per_path": fpp, "nvlink_stage": bool(nvlink_stage), "nic_efficiency": nic_eff,
            "nvlink_efficiency": nvl_eff, "intra_Bps": intra_Bps,
            "replicas": ranks, "replicas_exact": n_inst / per_replica, "instances_per_replica": per_replica,
            "state_bytes": state_bytes, "replica_hbm_bytes": None if hbm_inst is None else per_replica * hbm_inst,
            "idle_instances": n_inst - ranks * per_replica if n_inst >= per_replica else 0,
        },
    }


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------

def evaluate(instance: str, n_instances: int, params: float, tokens: float, *, mfu: float, pue: float,
             grid_g_per_kwh: float, **assumptions) -> dict:
    """Time, cost, energy and carbon of training ``params`` parameters on ``tokens`` tokens.

    Parameters
    ----------
    instance : str
        An instance name of ``data/instances.csv`` (e.g. ``"p5.48xlarge"``).
    n_instances : int
        Instances in the cluster, 1 .. 1,000,000.
    params : float
        Model parameters N (> 0).
    tokens : float
        Training tokens D (> 0).
    mfu : float
        Model FLOPs utilization, 0 < mfu <= 1.
    pue : float
        Facility PUE, 1..10 (10 is far worse than any reported facility).
    grid_g_per_kwh : float
        Grid carbon intensity, gCO2e/kWh, 0..2000 (coal is about 1000).
    **assumptions
        Any key of :data:`DEFAULTS` (price date, price, latency, loss, ``network`` = ``"spraying"`` or
        ``"ecmp"``, ``flows_per_path``, ``encryption`` = ``"nic"`` or ``"cpu"``, batch, parallelism,
        ``server_power`` = ``"measured"`` or ``"tdp"``, ``server_kw``, power, cooling and rack caps). ``price_date`` is a month ``YYYY-MM`` (a row counts when dated that month or when
        its ``same_price_in`` column lists it, as in :func:`infralab.chips.instances_for_period`) or
        the row's own date. An instance without a price in the table (``trn2.48xlarge``) needs
        ``usd_per_hour``; one without EFA bandwidth needs ``efa_gbps``.

    Returns
    -------
    dict
        ``days`` (wall clock), ``compute_days`` (``6·N·D`` over the cluster's peak times MFU),
        ``comm_fraction`` (share of the step spent in communication that compute does not hide),
        ``step_s``, ``compute_s``, ``comm_s`` (all-reduce time per step, hidden or not), ``n_steps``,
        ``cost_usd`` (``days·24·n_instances·price``), ``energy_mwh`` (IT power x wall-clock time x PUE),
        ``co2_t`` (``energy_mwh · grid / 1000`` tonnes), ``it_power_kw``, ``racks``, ``cooling``
        (``"air"`` or ``"liquid"``), ``encryption_cores_per_node`` (cores to encrypt outgoing and
        decrypt incoming traffic at line rate, both directions by default; 0 when the NIC encrypts),
        ``derived`` (intermediate results) and ``assumptions`` (every input used: name -> value and
        source, ``"assumption"`` where no source gives it).

    Raises
    ------
    ValueError
        An unknown instance (the message lists the known ones), a price date the table lacks (the
        message names the available dates), a missing price or EFA bandwidth without an assumption,
        MFU outside (0, 1], PUE < 1, a count < 1, or any other value out of range (named).
    TypeError
        An unknown assumption name, or a value of the wrong type.

    Examples
    --------
    GPT-3 (N = 174.6e9, D = 300e9) on 500 p4d.24xlarge (4,000 A100) at 40% MFU:

    >>> r = evaluate("p4d.24xlarge", 500, 174.6e9, 300e9, mfu=0.4, pue=1.15, grid_g_per_kwh=400)
    >>> r["days"] >= r["compute_days"], r["cooling"]
    (True, 'air')
    """
    u = _checks.real("mfu", mfu, low=0.0, high=1.0, low_open=True)
    p = _checks.real("pue", pue, low=1.0, high=10.0)
    g = _checks.real("grid_g_per_kwh", grid_g_per_kwh, low=0.0, high=2000.0)
    plan = _plan(instance, n_instances, params, tokens, assumptions)
    d = plan["derived"]
    compute_s = network.compute_time_per_step(plan["n_params"], plan["tps"], plan["n_chips"], plan["peak"], u)
    alpha = _effective_latency(plan["latency_s"], plan["loss_prob"], float(plan["ranks"]), plan["rto"])
    step = network.training_step(latency_s=alpha, **{**plan["step_kw"], "compute_s": compute_s})
    compute_days = chips.training_flops(plan["n_params"], plan["n_tokens"]) / (plan["n_chips"] * plan["peak"] * u) \
        / _SECONDS_PER_DAY
    days = compute_days * (step["step_s"] / compute_s)
    price = plan["price"]
    n_inst = int(n_instances)
    cost = days * 24.0 * n_inst * price
    energy = d["it_power_kw"] * days * 24.0 * p / 1000.0
    a = plan["assumptions"]
    a["mfu"] = {"value": u, "source": "assumption (set by caller)"}
    a["pue"] = {"value": p, "source": "assumption (set by caller)"}
    a["grid_g_per_kwh"] = {"value": g, "source": "assumption (set by caller)"}
    a["params"] = {"value": plan["n_params"], "source": "workload (set by caller)"}
    a["tokens"] = {"value": plan["n_tokens"], "source": "workload (set by caller)"}
    return {
        "days": days, "compute_days": compute_days,
        "comm_fraction": step["exposed_s"] / step["step_s"] if step["step_s"] > 0 else 0.0,
        "step_s": step["step_s"], "compute_s": compute_s, "comm_s": step["comm_s"],
        "n_steps": plan["n_tokens"] / plan["tps"],
        "cost_usd": cost, "energy_mwh": energy, "co2_t": energy * g / 1000.0,
        "it_power_kw": d["it_power_kw"], "racks": d["racks"], "cooling": d["cooling"],
        "encryption_cores_per_node": d["encryption_cores_per_node"],
        "effective_latency_s": alpha, "derived": d, "assumptions": a,
    }


def _range(name, value, low, high, *, low_open=False):
    """A (low, high) pair, from a scalar (fixed) or a 2-sequence, checked against the allowed domain."""
    if np.ndim(value) == 0:
        x = _checks.real(name, value, low=low, high=high, low_open=low_open)
        return x, x
    if len(value) != 2:
        raise ValueError(f"{name} must be a number or a (low, high) pair, got {value!r}")
    lo = _checks.real(f"{name} low", value[0], low=low, high=high, low_open=low_open)
    hi = _checks.real(f"{name} high", value[1], low=low, high=high, low_open=low_open)
    if lo > hi:
        raise ValueError(f"{name} must have low <= high, got ({lo:g}, {hi:g})")
    return lo, hi


def sample_ranges(instance: str, n_instances: int = 1, **ranges) -> dict[str, tuple[float, float]]:
    """The (low, high) range of each sampled assumption that :func:`sample` would use.

    ``usd_per_hour`` defaults to 70-100% of the table price (an assumption); the others to
    :data:`DEFAULT_RANGES`. A scalar fixes a value; a ``(low, high)`` pair is drawn uniformly.
    """
    out = {}
    domains = {"mfu": (0.0, 1.0, True), "usd_per_hour": (0.0, None, True), "pue": (1.0, None, False),
               "grid_g_per_kwh": (0.0, None, False), "latency_s": (0.0, None, False),
               "loss_prob": (0.0, 0.5, False)}
    for name in SAMPLED:
        value = ranges.get(name, DEFAULT_RANGES[name][0])
        if name == "usd_per_hour" and value is None:
            row = _instance_row(instance, ranges.get("price_date"))
            if row["on_demand_USD_per_hour"] is None:
                raise ValueError(f"{instance} has no on-demand price in data/instances.csv ({row['notes']}); "
                                 "it needs a price assumption: pass usd_per_hour=<price> or (low, high)")
            p = row["on_demand_USD_per_hour"]
            value = (PRICE_DISCOUNT_RANGE[0] * p, PRICE_DISCOUNT_RANGE[1] * p)
        lo, hi, lo_open = domains[name]
        out[name] = _range(name, value, lo, hi, low_open=lo_open)
    return out


def sample(instance: str, n_instances: int, params: float, tokens: float, *, n_samples: int, seed: int = 0,
           backend: str | None = None, **ranges) -> dict[str, np.ndarray]:
    """Monte Carlo of :func:`evaluate` over the uncertain assumptions.

    Each of :data:`SAMPLED` (``mfu``, ``usd_per_hour``, ``pue``, ``grid_g_per_kwh``, ``latency_s``,
    ``loss_prob``) is drawn uniformly from its range (:func:`sample_ranges`); every other keyword is a
    fixed assumption passed to :func:`evaluate` (e.g. ``network="ecmp"``, ``encryption="cpu"``).
    Draw ``6i + j`` of the counter-based stream ``seed`` gives assumption ``j`` of sample ``i``, so the
    same seed gives the same arrays on every backend, and a sample does not depend on ``n_samples``.

    Parameters
    ----------
    instance, n_instances, params, tokens
        As :func:`evaluate`.
    n_samples : int
        Samples, 1 .. 10,000,000 (:data:`MAX_SAMPLES`; 10^6 takes well under a second on 2 cores).
    seed : int
        Seed of the stream.
    backend : {"cpu", "cuda"}, optional
        Override :func:`infralab.backend.resolve` for this call.
    **ranges
        A number (fixed) or a ``(low, high)`` pair for each sampled assumption; other assumptions
        of :func:`evaluate` as fixed values.

    Returns
    -------
    dict of numpy.ndarray
        float64 arrays of length ``n_samples``: ``days``, ``compute_days``, ``cost_usd``,
        ``energy_mwh``, ``co2_t`` and the sampled inputs under their names.

    Examples
    --------
    >>> s = sample("p5.48xlarge", 2500, 174.6e9, 300e9, n_samples=1001, latency_s=6e-6)
    >>> bool((s["days"] >= s["compute_days"]).all()), s["days"].shape
    (True, (1001,))
    """
    n = _checks.integer("n_samples", n_samples, low=1, high=MAX_SAMPLES)
    seed = _checks.integer("seed", seed, low=0, high=2**64 - 1)
    rng = sample_ranges(instance, n_instances, **ranges)
    fixed = {k: v for k, v in ranges.items() if k not in SAMPLED}
    plan = _plan(instance, n_instances, params, tokens, {**fixed, "usd_per_hour": rng["usd_per_hour"][1]})
    where = _backend.choose("cluster.sample", n, backend).backend
    lo = np.array([rng[k][0] for k in SAMPLED])
    hi = np.array([rng[k][1] for k in SAMPLED])
    key = _rng.stream_key(seed, salt=0xC105)
    if _backend.is_cuda(where):
        d_out = cuda.device_array((len(OUTPUTS) + len(SAMPLED), n))
        _backend.launch(_sample_cuda, n, key, plan["consts"], lo, hi, d_out, threads_per_block=128)
        out = d_out.copy_to_host()
    else:
        out = np.empty((len(OUTPUTS) + len(SAMPLED), n))
        _sample_cpu(key, plan["consts"], lo, hi, out)
    return dict(zip(OUTPUTS + SAMPLED, out))


def summarize(samples: dict, qs=(10.0, 50.0, 90.0)) -> dict[str, dict[str, float]]:
    """P10/P50/P90 (by default) of each output of :func:`sample`: ``{"days": {"p10": ...}, ...}``."""
    return {k: network.percentiles(samples[k], qs) for k in OUTPUTS if k in samples}


def tornado(instance: str, n_instances: int, params: float, tokens: float, **ranges) -> list[dict]:
    """How far each assumption alone moves ``days`` and ``cost_usd`` across its range.

    Every sampled assumption sits at the middle of its range (:func:`sample_ranges`) while one moves
    to its low and its high end; the discrete choices (``network`` ECMP vs spraying, ``encryption``
    CPU vs NIC) are swung the same way. Returns one dict per assumption, largest swing in days first:
    ``name``, ``low`` and ``high`` (the values), ``days`` and ``cost_usd`` (pairs at low and high),
    ``co2_t`` likewise, and ``days_swing``, ``cost_swing`` and ``co2_swing`` (absolute differences).
    """
    rng = sample_ranges(instance, n_instances, **ranges)
    fixed = {k: v for k, v in ranges.items() if k not in SAMPLED}
    mid = {k: (lo + hi) / 2.0 for k, (lo, hi) in rng.items()}

    def run(**over):
        x = {**mid, **fixed, **over}
        r = evaluate(instance, n_instances, params, tokens, mfu=x.pop("mfu"), pue=x.pop("pue"),
                     grid_g_per_kwh=x.pop("grid_g_per_kwh"), **x)
        return r["days"], r["cost_usd"], r["co2_t"]

    rows = []
    swings = [(k, rng[k][0], rng[k][1]) for k in SAMPLED]
    swings += [("network", "spraying", "ecmp"), ("encryption", "nic", "cpu")]
    for name, lo, hi in swings:
        a, b = run(**{name: lo}), run(**{name: hi})
        rows.append({"name": name, "low": lo, "high": hi, "days": (a[0], b[0]), "cost_usd": (a[1], b[1]),
                     "co2_t": (a[2], b[2]), "days_swing": abs(b[0] - a[0]), "cost_swing": abs(b[1] - a[1]),
                     "co2_swing": abs(b[2] - a[2])})
    return sorted(rows, key=lambda r: -r["days_swing"])
