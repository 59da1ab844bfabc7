"""Collectives and the training step: the alpha-beta model, measured link efficiency, the two-level
(NVLink inside, NICs across) all-reduce, and the time-to-train arithmetic of notebook 01, sections 1-2.

References
----------
R. Thakur, R. Rabenseifner, W. Gropp, "Optimization of Collective Communication Operations in
MPICH", IJHPCA 19(1), 2005. NVIDIA nccl-tests, doc/PERFORMANCE.md.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _checks

ALGORITHMS = ("ring", "halving_doubling", "tree")
#: Most ranks any function accepts (today's largest clusters have ~1e5-1e6 accelerators).
MAX_RANKS = 1 << 30
COLLECTIVES = ("allreduce", "allgather", "reducescatter")

#: Measured fraction of the nominal NVLink bandwidth that NCCL's ring all-reduce reaches: 367.6 GB/s
#: bus bandwidth on 8 x H200 SXM (NVLink 4, 450 GB/s per direction) with NVLS off, i.e.
#: 367.6 / 450 = 0.817 (stas00/ml-engineering, network/README.md, SHARP section; secondary source).
#: ``efficiency=1.0`` gives the textbook bound. Data: ``data/measurements.csv``, row
#: ``nccl_busbw_8xh200_nvls_off``.
RING_EFFICIENCY = 0.817
#: Measured fraction of the ideal in-switch-reduction (NVLS) all-reduce: 482.3 GB/s bus bandwidth on
#: the same 8 x H200 with NVLS on, against the ideal ``2(p-1)/p x 450`` = 787.5 GB/s, i.e. 0.612
#: (stas00/ml-engineering, network/benchmarks/results/all-reduce-8xH200.md; secondary source).
#: Row ``nccl_busbw_8xh200_nvls_on``.
NVLS_EFFICIENCY = 0.612
#: Fraction of an instance's nominal NIC bandwidth that NCCL's all-reduce reaches across instances,
#: fitted to 29.6 GB/s bus bandwidth on 4 x p4dn.24xlarge (8 A100, NVLink 3 at 300 GB/s per direction,
#: 4 x 100 Gb/s EFA = 50 GB/s per instance, 1 GiB messages; NVIDIA/nccl issue 527, a user's
#: nccl-tests run: secondary source, uncertain) with :func:`two_level_allreduce_time`. The same
#: thread's 3-instance run (31.8 GB/s) is not used for the fit and is reproduced within 3%.
#: Rows ``nccl_busbw_4xp4dn`` and ``nccl_busbw_3xp4dn``.
NIC_EFFICIENCY = 0.514
#: Nominal NVLink bandwidth per GPU and direction, bytes/s: NVLink 3 (A100) and NVLink 4 (H100/H200).
NVLINK3_BPS = 300e9
NVLINK4_BPS = 450e9


# --------------------------------------------------------------------------------------------
# 1. Collectives: the alpha-beta model
# --------------------------------------------------------------------------------------------

def _alpha_beta_terms(n_ranks: int, algorithm: str) -> tuple[float, float]:
    """(latency steps, bytes-over-bandwidth multiplier) of one all-reduce on ``n_ranks`` ranks."""
    p = n_ranks
    if p == 1:
        return 0.0, 0.0
    steps = math.ceil(math.log2(p))
    if algorithm == "ring":
        return 2.0 * (p - 1), 2.0 * (p - 1) / p
    if algorithm == "halving_doubling":
        return 2.0 * steps, 2.0 * (p - 1) / p
    return 2.0 * steps, 2.0  # tree


def _efficiency(name, value):
    return _checks.real(name, value, low=0.0, high=1.0, low_open=True)


def _check_link(n_ranks, latency_s, bandwidth_Bps, algorithm):
    return (_checks.integer("n_ranks", n_ranks, low=1, high=MAX_RANKS),
            _checks.nonnegative("latency_s", latency_s),
            _checks.positive("bandwidth_Bps", bandwidth_Bps),
            _checks.choice("algorithm", algorithm, ALGORITHMS))


def _bytes_arg(nbytes):
    if np.ndim(nbytes) == 0:
        return _checks.nonnegative("nbytes", nbytes), True
    arr = _checks.float_array("nbytes", nbytes, max_size=1 << 27)
    if np.any(arr < 0):
        raise ValueError("nbytes must be >= 0 everywhere")
    return arr, False


def allreduce_time(nbytes, n_ranks: int, latency_s: float, bandwidth_Bps: float,
                   algorithm: str = "ring", *, efficiency: float | None = None, nvls: bool = False):
    """Time of one all-reduce in the alpha-beta (Hockney) model, derated to measured link efficiency.

    Parameters
    ----------
    nbytes : float or array_like
        Message size per rank, bytes (>= 0). An array gives an array of times.
    n_ranks : int
        Number of ranks p (>= 1). One rank costs 0 s.
    latency_s : float
        Per-message latency alpha, seconds (>= 0).
    bandwidth_Bps : float
        Link bandwidth B per rank, bytes/s (> 0).
    algorithm : {"ring", "halving_doubling", "tree"}
        * ``"ring"``: ``2(p-1)·alpha + 2((p-1)/p)·n/B`` (reduce-scatter then all-gather around a ring).
        * ``"halving_doubling"``: Rabenseifner's recursive halving then doubling,
          ``2·ceil(log2 p)·alpha + 2((p-1)/p)·n/B``. For p not a power of two MPICH first folds
          the extra ranks into their neighbours, which adds steps; we count that as rounding
          ``log2 p`` up, and keep the bandwidth term (a slight underestimate for such p).
        * ``"tree"``: our model of a pipelined reduce then broadcast along NCCL's double binary
          tree, ``2·ceil(log2 p)·alpha + 2·n/B``: logarithmic latency, full bandwidth but without
          the ring's (p-1)/p saving. NCCL publishes no closed form; this is an assumption.
    efficiency : float, optional
        Fraction of ``bandwidth_Bps`` the collective achieves, 0 < efficiency <= 1. The default is
        :data:`RING_EFFICIENCY` (0.817, NCCL's measured ring on 8 x H200) or, with ``nvls``,
        :data:`NVLS_EFFICIENCY` (0.612); 1.0 gives the textbook bound.
    nvls : bool
        In-switch reduction (NVLink SHARP, "NVLS"): each rank sends its ``n`` bytes to the switch
        once and receives the reduced result once, ``2·alpha + n/(B·efficiency)``, whatever p and
        ``algorithm`` are (an assumption of this model: one push and one pull).

    Returns
    -------
    float or numpy.ndarray
        Seconds.

    Raises
    ------
    ValueError
        Negative bytes or latency, fewer than one rank, bandwidth <= 0, efficiency outside (0, 1],
        unknown algorithm, an empty or non-finite ``nbytes`` array, or a time that overflows.

    Notes
    -----
    Limits: ``n_ranks`` 1..:data:`MAX_RANKS`; an ``nbytes`` array has 1..2**27 elements.

    Examples
    --------
    The textbook check of docs/references.md, section 1: p = 8, n = 1 GB, B = 50 GB/s,
    alpha = 5 us gives 35.07 ms at efficiency 1.

    >>> round(allreduce_time(1e9, 8, 5e-6, 50e9, efficiency=1.0) * 1e3, 2)
    35.07

    At the measured ring efficiency the bandwidth term is 1/0.817 times longer:

    >>> round(allreduce_time(1e9, 8, 0.0, 50e9) * 1e3, 2)
    42.84
    """
    n, scalar = _bytes_arg(nbytes)
    p, alpha, bw, algo = _check_link(n_ranks, latency_s, bandwidth_Bps, algorithm)
    if not isinstance(nvls, (bool, np.bool_)):
        raise TypeError(f"nvls must be True or False, got {type(nvls).__name__}")
    eff = _efficiency("efficiency", (NVLS_EFFICIENCY if nvls else RING_EFFICIENCY)
                      if efficiency is None else efficiency)
    steps, mult = _alpha_beta_terms(p, algo)
    if nvls and p > 1:
        steps, mult = 2.0, 1.0
    with np.errstate(over="ignore"):
        t = steps * alpha + mult * n / (bw * eff)
    _checks.derived("the all-reduce time", t, "nbytes, latency_s and bandwidth_Bps")
    return float(t) if scalar else t


def crossover_bytes(n_ranks: int, latency_s: float, bandwidth_Bps: float,
                    algorithm: str = "ring", *, efficiency: float = RING_EFFICIENCY) -> float:
    """Message size (bytes) at which the latency and bandwidth terms of the all-reduce are equal.

    Below it the collective is latency-bound (alpha matters), above it bandwidth-bound. For the
    ring, ``p·alpha·B·efficiency``. ``efficiency`` is that of :func:`allreduce_time` (default
    :data:`RING_EFFICIENCY`, measured; 1.0 for the textbook bound), 0 < efficiency <= 1.
    Returns 0.0 for a single rank. Limits: ``n_ranks`` 1..:data:`MAX_RANKS`; a result
    that overflows raises ValueError.

    Examples
    --------
    >>> round(crossover_bytes(8, 5e-6, 50e9, efficiency=1.0) / 1e6, 3)   # p·alpha·B, MB
    2.0
    """
    p, alpha, bw, algo = _check_link(n_ranks, latency_s, bandwidth_Bps, algorithm)
    eff = _efficiency("efficiency", efficiency)
    steps, mult = _alpha_beta_terms(p, algo)
    out = 0.0 if mult == 0 else steps * alpha * bw * eff / mult
    return _checks.derived("the crossover size", out, "latency_s and bandwidth_Bps")


def bus_bandwidth(nbytes: float, seconds: float, n_ranks: int, collective: str = "allreduce") -> dict:
    """nccl-tests' algorithm and bus bandwidth of a measured collective.

    ``algbw = S/t``; ``busbw = algbw · 2(p-1)/p`` for all-reduce and ``· (p-1)/p`` for all-gather and
    reduce-scatter, so that busbw can be compared with the link's own bandwidth whatever p is.

    Returns
    -------
    dict
        ``algbw_Bps`` and ``busbw_Bps``, bytes/s.

    Notes
    -----
    Limits: ``n_ranks`` 1..:data:`MAX_RANKS`; a bandwidth that overflows raises ValueError.
    """
    s = _checks.nonnegative("nbytes", nbytes)
    t = _checks.positive("seconds", seconds)
    p = _checks.integer("n_ranks", n_ranks, low=1, high=MAX_RANKS)
    c = _checks.choice("collective", collective, COLLECTIVES)
    algbw = _checks.derived("algbw", s / t, "nbytes and seconds")
    factor = 2.0 * (p - 1) / p if c == "allreduce" else (p - 1) / p
    return {"algbw_Bps": algbw, "busbw_Bps": algbw * factor}


def two_level_allreduce_time(nbytes: float, n_instances: int, gpus_per_instance: int, latency_s: float,
                             instance_Bps: float, nvlink_Bps: float = NVLINK4_BPS,
                             algorithm: str = "ring", *, nic_efficiency: float = NIC_EFFICIENCY,
                             nvlink_efficiency: float = RING_EFFICIENCY) -> float:
    """All-reduce across instances with NVLink inside each instance and its NICs between them.

    The hierarchical schedule: a reduce-scatter over the instance's ``g`` GPUs on NVLink, an
    all-reduce of each GPU's ``n/g`` shard across the ``N`` instances (the ``g`` GPUs do it in
    parallel, sharing the instance's NICs), then an all-gather on NVLink::

        t = steps(N)·alpha + mult(N)·n / (B_inst·e_nic) + 2((g-1)/g)·n / (B_nvl·e_nvl)

    with ``steps`` and ``mult`` those of ``algorithm`` in :func:`allreduce_time`. So the bus
    bandwidth across instances follows the whole instance's NIC bandwidth ``B_inst``, not a per-GPU
    share of it. The NVLink stage's latency is left out (an assumption: NVLink hops take well under a
    microsecond, the network's alpha several).

    Parameters
    ----------
    nbytes : float
        Message size per GPU, bytes (>= 0).
    n_instances, gpus_per_instance : int
        Instances N (>= 1) and GPUs per instance g (>= 1); N·g <= :data:`MAX_RANKS`.
    latency_s : float
        Network latency alpha between instances, seconds (>= 0).
    instance_Bps : float
        Nominal NIC bandwidth of one instance, all its NICs together, bytes/s per direction (> 0):
        p4d/p4dn 400 Gb/s = 50e9, p5 3,200 Gb/s = 400e9.
    nvlink_Bps : float
        Nominal NVLink bandwidth per GPU and direction, bytes/s (> 0); :data:`NVLINK3_BPS` for A100,
        :data:`NVLINK4_BPS` (default) for H100/H200.
    algorithm : {"ring", "halving_doubling", "tree"}
        Algorithm of the stage across instances.
    nic_efficiency, nvlink_efficiency : float
        Achieved fractions, 0 < e <= 1. Defaults: :data:`NIC_EFFICIENCY` (fitted to 4 x p4dn,
        NVIDIA/nccl issue 527) and :data:`RING_EFFICIENCY` (8 x H200 ring). Both 1.0: the textbook bound.

    Returns
    -------
    float
        Seconds.

    Examples
    --------
    4 x p4dn.24xlarge, 1 GiB: the bus bandwidth ``2(p-1)/p · n/t`` is about 29.6 GB/s, as measured.

    >>> n = 2**30
    >>> t = two_level_allreduce_time(n, 4, 8, 0.0, 50e9, NVLINK3_BPS)
    >>> round(bus_bandwidth(n, t, 32)["busbw_Bps"] / 1e9, 1)
    29.6
    """
    n = _checks.nonnegative("nbytes", nbytes)
    N = _checks.integer("n_instances", n_instances, low=1, high=MAX_RANKS)
    g = _checks.integer("gpus_per_instance", gpus_per_instance, low=1, high=MAX_RANKS)
    if N * g > MAX_RANKS:
        raise ValueError(f"n_instances * gpus_per_instance must be <= {MAX_RANKS}, got {N * g}")
    _, alpha, b_inst, algo = _check_link(N, latency_s, instance_Bps, algorithm)
    b_nvl = _checks.positive("nvlink_Bps", nvlink_Bps)
    e_nic = _efficiency("nic_efficiency", nic_efficiency)
    e_nvl = _efficiency("nvlink_efficiency", nvlink_efficiency)
    steps, mult = _alpha_beta_terms(N, algo)
    with np.errstate(over="ignore"):
        t = steps * alpha + mult * n / (b_inst * e_nic) + 2.0 * (g - 1) / g * n / (b_nvl * e_nvl)
    return float(_checks.derived("the all-reduce time", t, "nbytes, latency_s and the bandwidths"))


# --------------------------------------------------------------------------------------------
# 2. From latency to time-to-train
# --------------------------------------------------------------------------------------------

def compute_time_per_step(n_params: float, tokens_per_step: float, n_gpus: int,
                          peak_flops: float, mfu: float) -> float:
    """Seconds of compute per training step: ``6·N·T / (gpus · peak · MFU)``.

    Parameters
    ----------
    n_params : float
        Model parameters N (> 0).
    tokens_per_step : float
        Global batch, tokens (> 0).
    n_gpus : int
        Accelerators sharing the step (>= 1).
    peak_flops : float
        Peak FLOP/s of one accelerator (> 0).
    mfu : float
        Model FLOPs utilization, 0 < mfu <= 1 (an assumption: 0.3-0.5 is typical of large runs).

    Notes
    -----
    Limits: ``n_gpus`` 1..:data:`MAX_RANKS`; a result that overflows or underflows to 0 raises ValueError.
    """
    n = _checks.positive("n_params", n_params)
    t = _checks.positive("tokens_per_step", tokens_per_step)
    g = _checks.integer("n_gpus", n_gpus, low=1, high=MAX_RANKS)
    peak = _checks.positive("peak_flops", peak_flops)
    u = _checks.real("mfu", mfu, low=0.0, high=1.0, low_open=True)
    with np.errstate(over="ignore", under="ignore"):
        out = np.float64(6.0) * n * t / (g * peak * u)
    return float(_checks.derived("the compute time", out, "n_params, tokens_per_step, n_gpus, peak_flops and mfu",
                                 positive=True))


def training_step(n_params: float, n_ranks: int, compute_s: float, latency_s: float,
                  bandwidth_Bps: float, *, bytes_per_param: float = 2.0, bucket_bytes: float = 25e6,
                  overlap: float = 0.8, algorithm: str = "ring", efficiency: float | None = None,
                  gpus_per_instance: int = 1, nvlink_Bps: float = NVLINK4_BPS,
                  nvlink_efficiency: float = RING_EFFICIENCY) -> dict:
    """One data-parallel training step: compute plus the gradient all-reduce that is not hidden.

    The gradients (``n_params · bytes_per_param`` bytes) are all-reduced in buckets of
    ``bucket_bytes`` (as PyTorch DDP does, 25 MB by default), so the latency term is paid once per
    bucket. Up to ``overlap · compute_s`` of communication hides behind the backward pass:
    ``exposed = comm - min(comm, overlap · compute_s)``.

    Parameters
    ----------
    n_params : float
        Model parameters (> 0).
    n_ranks : int
        Ranks in the data-parallel all-reduce (>= 1).
    compute_s : float
        Compute time of one step, seconds (>= 0); see :func:`compute_time_per_step`.
    latency_s, bandwidth_Bps : float
        Per-message latency (s, >= 0) and bandwidth (bytes/s, > 0): per rank in the flat model
        (``gpus_per_instance=1``), the whole instance's NIC bandwidth in the two-level model.
    bytes_per_param : float
        Gradient bytes per parameter (2 for bf16), > 0.
    bucket_bytes : float
        Bucket size, bytes (> 0).
    overlap : float
        Fraction of the compute time that communication can hide behind, 0..1.
    algorithm : {"ring", "halving_doubling", "tree"}
        See :func:`allreduce_time`.
    efficiency : float, optional
        Achieved fraction of ``bandwidth_Bps``, 0 < efficiency <= 1. Default: 1.0 in the flat model
        (the rate passed is taken as achieved; notebook 05's cluster model passes a derated rate) and
        :data:`NIC_EFFICIENCY` (measured, 4 x p4dn) in the two-level model.
    gpus_per_instance : int
        1 (default): one flat all-reduce over ``n_ranks``. More: the two-level model of
        :func:`two_level_allreduce_time` over ``n_ranks / gpus_per_instance`` instances, which must
        be whole.
    nvlink_Bps, nvlink_efficiency : float
        NVLink bandwidth per GPU and direction (bytes/s, default :data:`NVLINK4_BPS`) and its achieved
        fraction (default :data:`RING_EFFICIENCY`), used by the two-level model only.

    Returns
    -------
    dict
        ``compute_s``, ``comm_s`` (all buckets), ``latency_part_s`` (the alpha terms), ``exposed_s``,
        ``step_s``, ``n_buckets`` and ``latency_share`` (``latency_part_s / step_s``, the bound of
        :func:`latency_saving_bound`).

    Notes
    -----
    Limits: ``n_ranks`` 1..:data:`MAX_RANKS`; at most 10**12 buckets (gradient bytes / bucket bytes);
    gradient bytes and times that overflow raise ValueError.
    """
    n = _checks.positive("n_params", n_params)
    compute = _checks.nonnegative("compute_s", compute_s)
    bpp = _checks.positive("bytes_per_param", bytes_per_param)
    bucket = _checks.positive("bucket_bytes", bucket_bytes)
    ov = _checks.real("overlap", overlap, low=0.0, high=1.0)
    p, alpha, bw, algo = _check_link(n_ranks, latency_s, bandwidth_Bps, algorithm)
    g = _checks.integer("gpus_per_instance", gpus_per_instance, low=1, high=MAX_RANKS)
    if p % g:
        raise ValueError(f"n_ranks must be a whole number of instances of gpus_per_instance={g}, got {p}")
    eff = _efficiency("efficiency", (1.0 if g == 1 else NIC_EFFICIENCY) if efficiency is None else efficiency)
    grad_bytes = _checks.derived("n_params * bytes_per_param", n * bpp, "n_params and bytes_per_param",
                                 positive=True)
    _checks.real("the number of buckets (gradient bytes / bucket_bytes)", grad_bytes / bucket, high=1e12)
    n_buckets = max(1, math.ceil(grad_bytes / bucket))
    if g == 1:
        per_bucket = allreduce_time(grad_bytes / n_buckets, p, alpha, bw, algo, efficiency=eff)
        steps, _ = _alpha_beta_terms(p, algo)
    else:
        per_bucket = two_level_allreduce_time(grad_bytes / n_buckets, p // g, g, alpha, bw, nvlink_Bps, algo,
                                              nic_efficiency=eff, nvlink_efficiency=nvlink_efficiency)
        steps, _ = _alpha_beta_terms(p // g, algo)
    comm = n_buckets * per_bucket
    exposed = comm - min(comm, ov * compute)
    lat = n_buckets * steps * alpha
    step = compute + exposed
    _checks.derived("the step time", [comm, step, lat], "n_params, compute_s, latency_s and bandwidth_Bps")
    return {"compute_s": compute, "comm_s": comm, "latency_part_s": lat,
            "exposed_s": exposed, "step_s": step, "n_buckets": n_buckets,
            "latency_share": lat / step if step > 0 else 0.0}


def time_to_train_saving(latency_before_s: float, latency_after_s: float, **step_kwargs) -> float:
    """Fractional cut in time-to-train when the latency drops, all else equal.

    ``1 - step(after) / step(before)``, with both steps from :func:`training_step` and the same
    ``step_kwargs`` (``n_params``, ``n_ranks``, ``compute_s``, ``bandwidth_Bps``, ...). A fixed
    number of steps is assumed, so the step-time ratio is the time-to-train ratio.

    Examples
    --------
    >>> kw = dict(n_params=1e9, n_ranks=4000, compute_s=0.0, bandwidth_Bps=50e9, overlap=0.0)
    >>> round(time_to_train_saving(8e-6, 6e-6, **kw), 3) > 0
    True

    Limits: those of :func:`training_step`.
    """
    before = training_step(latency_s=latency_before_s, **step_kwargs)["step_s"]
    after = training_step(latency_s=latency_after_s, **step_kwargs)["step_s"]
    return 0.0 if before == 0 else 1.0 - after / before


def latency_saving_bound(latency_cut: float, latency_share: float) -> float:
    """Largest time-to-train saving a latency cut can give: ``latency_cut x latency_share``.

    Cutting alpha by a fraction ``c`` shortens the latency terms by ``c x latency_part``, and the
    step by at most that much, so ``saving <= c x (latency part / step)``. It is an equality while
    communication stays exposed after the cut (the notebook's configurations). Read backwards:
    a 25% latency cut saves 15% only if at least 60% of the step is latency (see
    :func:`latency_share_needed`).

    Examples
    --------
    >>> latency_saving_bound(0.25, 0.6)
    0.15

    Limits: both fractions 0..1; O(1).
    """
    c = _checks.real("latency_cut", latency_cut, low=0.0, high=1.0)
    share = _checks.real("latency_share", latency_share, low=0.0, high=1.0)
    return c * share


def latency_share_needed(saving: float, latency_cut: float) -> float:
    """Smallest latency share of the step for which a ``latency_cut`` can save ``saving``.

    ``saving / latency_cut``; a value above 1 means no configuration can reach the saving.

    Examples
    --------
    >>> round(latency_share_needed(0.15, 0.25), 10)
    0.6

    Limits: ``saving`` 0..1, ``latency_cut`` in (0, 1]; a ratio that overflows raises ValueError.
    """
    sv = _checks.real("saving", saving, low=0.0, high=1.0)
    c = _checks.real("latency_cut", latency_cut, low=0.0, high=1.0, low_open=True)
    return _checks.derived("saving / latency_cut", sv / c, "saving and latency_cut")


def achieved_mfu(n_params: float, tokens_per_step: float, n_gpus: int, peak_flops: float,
                 step_s: float) -> float:
    """Model FLOPs utilization actually achieved by a step: ``6·N·T / (step_s · gpus · peak)``.

    PaLM's definition (Chowdhery et al. 2022, appendix B), without the attention term. A step that
    waits on communication lowers it below the compute-only MFU.

    Examples
    --------
    >>> round(achieved_mfu(7e9, 4e6, 4000, 989e12, 1.0), 6)
    0.042467

    Limits: ``n_gpus`` 1..:data:`MAX_RANKS`; a result that overflows or underflows to 0 raises ValueError.
    """
    n = _checks.positive("n_params", n_params)
    t = _checks.positive("tokens_per_step", tokens_per_step)
    g = _checks.integer("n_gpus", n_gpus, low=1, high=MAX_RANKS)
    peak = _checks.positive("peak_flops", peak_flops)
    step = _checks.positive("step_s", step_s)
    with np.errstate(all="ignore"):
        out = np.float64(6.0) * n * t / (np.float64(step) * g * peak)
    return float(_checks.derived("the achieved MFU", out, "n_params, tokens_per_step, n_gpus, peak_flops and step_s",
                                 positive=True))


def cluster_throughput(n_gpus: int, gpus_per_instance: int, instance_bps: float) -> dict:
    """Aggregate network throughput of a cluster: instances x per-instance bandwidth.

    Returns
    -------
    dict
        ``instances``, ``per_direction_bps`` (every instance sending at once) and
        ``both_directions_bps`` (sending plus receiving, the way "tens of petabits" can be counted).

    Examples
    --------
    20,000 GPUs as p5.48xlarge (8 GPUs, 3,200 Gb/s of EFA each):

    >>> r = cluster_throughput(20000, 8, 3.2e12)
    >>> r["instances"], r["per_direction_bps"] / 1e15, r["both_directions_bps"] / 1e15
    (2500, 8.0, 16.0)

    Limits: ``n_gpus`` 1..:data:`MAX_RANKS`, ``gpus_per_instance`` 1..1024; a total that overflows
    raises ValueError.
    """
    g = _checks.integer("n_gpus", n_gpus, low=1, high=MAX_RANKS)
    per = _checks.integer("gpus_per_instance", gpus_per_instance, low=1, high=1024)
    bw = _checks.positive("instance_bps", instance_bps)
    _checks.derived("the cluster's throughput", 2.0 * math.ceil(g / per) * bw, "n_gpus, gpus_per_instance and instance_bps")
    inst = math.ceil(g / per)
    return {"instances": inst, "per_direction_bps": inst * bw, "both_directions_bps": 2 * inst * bw}


def message_latency_share(nbytes: float, latency_s: float, bandwidth_Bps: float) -> float:
    """Share of one point-to-point message's time that is latency: ``alpha / (alpha + n/B)``.

    Examples
    --------
    >>> message_latency_share(400e3, 8e-6, 50e9)
    0.5

    Limits: finite inputs, ``bandwidth_Bps`` > 0; O(1).
    """
    n = _checks.nonnegative("nbytes", nbytes)
    a = _checks.nonnegative("latency_s", latency_s)
    b = _checks.positive("bandwidth_Bps", bandwidth_Bps)
    total = a + n / b
    return 0.0 if total == 0 else a / total
