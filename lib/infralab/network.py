"""Networking for training at scale: collective cost, ECMP versus packet spraying, tail latency.

Notebook 01 calls these functions. Four models, each small enough to read:

1. **Collectives (alpha-beta model).** :func:`allreduce_time` prices an all-reduce of ``n`` bytes on
   ``p`` ranks as latency steps times ``alpha`` plus bytes over bandwidth (Thakur, Rabenseifner &
   Gropp 2005). :func:`crossover_bytes` finds where the two terms are equal, :func:`bus_bandwidth`
   converts a measured time into nccl-tests' ``algbw``/``busbw``.
2. **Training step.** :func:`training_step` adds the all-reduce of the gradients (split into buckets)
   to the compute time, hiding part of it behind compute; :func:`time_to_train_saving` compares two
   latencies, as the article compares 8 us and 6 us.
3. **Flow hashing versus spraying.** ECMP hashes each flow onto one of ``n`` equal paths: balls into
   bins. :func:`ecmp_expected_used_paths` and :func:`ecmp_no_collision_probability` are the exact
   formulas; :func:`simulate_ecmp` and :func:`simulate_spraying` are Monte Carlo runs of one numba
   kernel (``_bins_cpu``) whose CUDA twins (``_bins_shared_cuda``, histograms in shared memory, and
   ``_bins_cuda`` for more than 64 bins) sit beside it.
4. **Tail latency under loss.** :func:`simulate_message_latency` draws per-packet queueing delays and
   losses, retransmitting after a timeout (kernel-TCP-like, milliseconds) or quickly (SRD-like,
   microseconds); a collective waits for its slowest message (:func:`collective_step_latency`).

All Monte Carlo kernels draw from the counter-based generator in :mod:`infralab._rng`, so the
same seed gives the same numbers on the CPU and on the GPU.

References
----------
R. Thakur, R. Rabenseifner, W. Gropp, "Optimization of Collective Communication Operations in
MPICH", IJHPCA 19(1), 2005. L. Shalev et al., "A Cloud-Optimized Transport Protocol for Elastic
and Scalable HPC", IEEE Micro 40(6), 2020. M. Raab, A. Steger, "Balls into Bins -- A Simple and
Tight Analysis", RANDOM 1998. NVIDIA nccl-tests, doc/PERFORMANCE.md.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from numba import cuda, njit, prange
from numba.core.extending import register_jitable

from . import _checks, _rng
from . import backend as _backend

ALGORITHMS = ("ring", "halving_doubling", "tree")
#: Most ranks any function accepts (today's largest clusters have ~1e5-1e6 accelerators).
MAX_RANKS = 1 << 30
#: Most flows the closed-form ECMP formulas accept (they cost O(1) and O(min(flows, paths))).
MAX_FORMULA_FLOWS = 10**12
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


# --------------------------------------------------------------------------------------------
# 3. ECMP as balls into bins, and packet spraying
# --------------------------------------------------------------------------------------------

def ecmp_expected_used_paths(n_paths: int, n_flows: int) -> float:
    """Expected number of paths carrying at least one flow: ``n·(1 - (1 - 1/n)^m)``.

    Examples
    --------
    >>> round(ecmp_expected_used_paths(8, 8), 4)
    5.2511

    Limits: ``n_paths`` 1..:data:`MAX_BINS`, ``n_flows`` 0..:data:`MAX_FORMULA_FLOWS`.
    """
    n = _checks.integer("n_paths", n_paths, low=1, high=MAX_BINS)
    m = _checks.integer("n_flows", n_flows, low=0, high=MAX_FORMULA_FLOWS)
    return n * (1.0 - (1.0 - 1.0 / n) ** m)


def ecmp_no_collision_probability(n_paths: int, n_flows: int) -> float:
    """Probability that no two of ``m`` flows share a path: ``prod_{i<m} (1 - i/n)``.

    Examples
    --------
    >>> round(ecmp_no_collision_probability(8, 4), 6)
    0.410156

    Limits: ``n_paths`` 1..:data:`MAX_BINS`, ``n_flows`` 0..:data:`MAX_FORMULA_FLOWS`; more flows than
    paths is 0 by the pigeonhole principle, so the product has at most ``n_paths`` factors.
    """
    n = _checks.integer("n_paths", n_paths, low=1, high=MAX_BINS)
    m = _checks.integer("n_flows", n_flows, low=0, high=MAX_FORMULA_FLOWS)
    if m > n:
        return 0.0
    prob = 1.0
    for i in range(m):
        prob *= max(0.0, 1.0 - i / n)
    return prob


# The kernel and its CUDA twin share the body of one trial (`_one_trial`): trial t throws n_balls balls
# into n_bins bins, drawing two bin indices from each 64-bit draw number t*half + j of the stream
# `key`, counts the balls per bin in a scratch row that was allocated once outside the kernel, and
# returns the number of used bins and the fullest bin. The twins differ only in how trials are
# spread: contiguous chunks over CPU threads, or a grid-stride loop over GPU threads.

@register_jitable
def _one_trial(n_bins, n_balls, key, t, counts):
    for b in range(n_bins):
        counts[b] = 0
    base = np.uint64(t) * np.uint64((n_balls + 1) // 2)
    for j in range(n_balls // 2):
        x = _rng.draw(key, base + np.uint64(j))
        counts[_rng.lo_index(x, n_bins)] += 1
        counts[_rng.hi_index(x, n_bins)] += 1
    if n_balls % 2 == 1:
        x = _rng.draw(key, base + np.uint64(n_balls // 2))
        counts[_rng.lo_index(x, n_bins)] += 1
    used = 0
    most = 0
    for b in range(n_bins):
        c = counts[b]
        if c > 0:
            used += 1
        if c > most:
            most = c
    return used, most


@njit(parallel=True, cache=True)
def _bins_cpu(n_bins, n_balls, key, used_out, max_out, scratch):
    n_trials = used_out.size
    n_chunks = scratch.shape[0]
    per_chunk = (n_trials + n_chunks - 1) // n_chunks
    for ch in prange(n_chunks):
        for t in range(ch * per_chunk, min(n_trials, (ch + 1) * per_chunk)):
            used_out[t], max_out[t] = _one_trial(n_bins, n_balls, key, t, scratch[ch])


# On the GPU each thread needs its own histogram of n_bins counters. Up to SHARED_BINS bins they live
# in shared memory, laid out [bin, thread]: thread tx's counter for bin b is at b*BINS_THREADS + tx,
# so the 32 threads of a warp always hit 32 different banks, whichever bins their balls fall in.
# Larger histograms use a device scratch array laid out the same way, [bin, thread], reused across
# calls (backend.device_scratch). Per-trial results stay on the device; _trial_sums_cuda reduces them
# there, so simulate_ecmp copies back four integers instead of two arrays of n_trials.

SHARED_BINS = 64
BINS_THREADS = 128
SUM_THREADS = 256


@cuda.jit(cache=True)
def _bins_shared_cuda(n_bins, n_balls, key, used_out, max_out):
    counts = cuda.shared.array((SHARED_BINS, BINS_THREADS), np.int32)
    mine = counts[:, cuda.threadIdx.x]
    for t in range(cuda.grid(1), used_out.size, cuda.gridsize(1)):
        used_out[t], max_out[t] = _one_trial(n_bins, n_balls, key, t, mine)


@cuda.jit(cache=True)
def _bins_cuda(n_bins, n_balls, key, used_out, max_out, scratch):
    tid = cuda.grid(1)
    mine = scratch[:, tid]
    for t in range(tid, used_out.size, cuda.gridsize(1)):
        used_out[t], max_out[t] = _one_trial(n_bins, n_balls, key, t, mine)


@cuda.jit(cache=True)
def _trial_sums_cuda(used, most, sums):
    """sums += (sum of used, sum of most, sum of most**2, trials with most <= 1), exact int64."""
    part = cuda.shared.array((4, SUM_THREADS), np.int64)
    tx = cuda.threadIdx.x
    s0 = np.int64(0)
    s1 = np.int64(0)
    s2 = np.int64(0)
    s3 = np.int64(0)
    for t in range(cuda.grid(1), used.size, cuda.gridsize(1)):
        m = np.int64(most[t])
        s0 += np.int64(used[t])
        s1 += m
        s2 += m * m
        if m <= 1:
            s3 += 1
    part[0, tx] = s0
    part[1, tx] = s1
    part[2, tx] = s2
    part[3, tx] = s3
    cuda.syncthreads()
    step = cuda.blockDim.x // 2            # a power of two
    while step > 0:
        if tx < step:
            for q in range(4):
                part[q, tx] += part[q, tx + step]
        cuda.syncthreads()
        step //= 2
    if tx == 0:
        for q in range(4):
            cuda.atomic.add(sums, q, part[q, 0])


#: The device reduction sums most**2 in int64; beyond this bound on n_trials * n_balls**2 it could
#: overflow, and the per-trial arrays come back for exact sums on the host instead.
DEVICE_SUM_LIMIT = 2**62

#: Device scratch kept below this size (bytes) for histograms too large for shared memory.
SCRATCH_BYTES = 64 << 20

MAX_BINS = 1 << 16
MAX_BALLS = 1 << 24
#: Most trials of one Monte Carlo call (8 bytes of results per trial: 1 GiB at the cap).
MAX_TRIALS = 1 << 27
#: Work cap of :func:`balls_into_bins`: ``n_trials · (n_balls + n_bins / 8)`` (a ball is one half of a
#: 64-bit draw plus a count, ~8e8/s on 2 cores; clearing a bin costs ~1/8 of a ball): ~40 s at the cap.
MAX_BALL_WORK = 3 * 10**10


def _bins_on_device(n_bins, n_balls, n_trials, key):
    """Launch the GPU twin; returns the per-trial (used, fullest) as device arrays, which are reused
    scratch: the caller copies or reduces them before the next call."""
    d_used = _backend.device_scratch("network.bins.used", (n_trials,), np.int32)
    d_most = _backend.device_scratch("network.bins.most", (n_trials,), np.int32)
    if n_bins <= SHARED_BINS:
        _backend.launch(_bins_shared_cuda, n_trials, n_bins, n_balls, key, d_used, d_most,
                        threads_per_block=BINS_THREADS, max_blocks=8192)
        return d_used, d_most
    blocks, threads = _backend.launch_config(n_trials, BINS_THREADS, 8192)
    blocks = max(1, min(blocks, SCRATCH_BYTES // (4 * n_bins * threads)))
    scratch = _backend.device_scratch("network.bins", (n_bins, blocks * threads), np.int32)
    _backend.launch(_bins_cuda, n_trials, n_bins, n_balls, key, d_used, d_most, scratch,
                    blocks=blocks, threads_per_block=threads)
    return d_used, d_most


def _run_bins(n_bins, n_balls, n_trials, seed, backend, summarize):
    n_bins = _checks.integer("n_bins", n_bins, low=1, high=MAX_BINS)
    n_balls = _checks.integer("n_balls", n_balls, low=0, high=MAX_BALLS)
    n_trials = _checks.integer("n_trials", n_trials, low=1, high=MAX_TRIALS)
    seed = _checks.integer("seed", seed, low=0, high=2**64 - 1)
    _checks.bound_work("balls_into_bins", n_trials * (n_balls + n_bins / 8), MAX_BALL_WORK, per_second=8e8,
                       bytes_needed=8.0 * n_trials + 4.0 * 64 * n_bins, unit="ball throws")
    where = _backend.choose("network.bins", n_trials * max(1, n_balls), backend).backend
    key = _rng.stream_key(seed, salt=0xB1A5)
    if _backend.is_cuda(where):
        d_used, d_most = _bins_on_device(n_bins, n_balls, n_trials, key)
        # the device sums are int64: reduce there unless the sum of most**2 could overflow
        if summarize and n_trials * max(1, n_balls) ** 2 < DEVICE_SUM_LIMIT:
            d_sums = cuda.to_device(np.zeros(4, np.int64))
            _backend.launch(_trial_sums_cuda, n_trials, d_used, d_most, d_sums,
                            threads_per_block=SUM_THREADS, max_blocks=1024)
            return tuple(int(x) for x in d_sums.copy_to_host())
        used, most = d_used.copy_to_host(), d_most.copy_to_host()
    else:
        used = np.empty(n_trials, np.int32)
        most = np.empty(n_trials, np.int32)
        n_chunks = min(n_trials, 64)
        scratch = np.empty((n_chunks, n_bins), np.int32)
        _bins_cpu(n_bins, n_balls, key, used, most, scratch)
    return _exact_sums(used, most) if summarize else (used, most)


def _exact_sums(used, most):
    """(sum of used, sum of most, sum of most**2, trials with most <= 1) as exact Python ints: the
    squares are summed over the histogram of ``most`` (few distinct values), so nothing overflows."""
    hist = np.bincount(most)
    values = np.nonzero(hist)[0]
    s2 = sum(int(v) * int(v) * int(hist[v]) for v in values)
    return int(used.sum(dtype=np.int64)), int(most.sum(dtype=np.int64)), s2, int(hist[:2].sum())


def _summary(n_bins, n_balls, n_trials, seed, backend, samples):
    """(exact sums, per-trial fullest bins or None): reduced on the device unless the samples are wanted."""
    if samples:
        used, most = _run_bins(n_bins, n_balls, n_trials, seed, backend, summarize=False)
        return _exact_sums(used, most), most
    return _run_bins(n_bins, n_balls, n_trials, seed, backend, summarize=True), None


def _mean_std(total, total_sq, n):
    """Mean and population standard deviation from exact integer sums (the same on every backend)."""
    var = Fraction(n * total_sq - total * total, n * n)
    return total / n, math.sqrt(var)


def balls_into_bins(n_bins: int, n_balls: int, n_trials: int, seed: int = 0,
                    backend: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial used bins and fullest-bin count of ``n_balls`` balls thrown uniformly into ``n_bins``.

    The Monte Carlo engine under :func:`simulate_ecmp` and :func:`simulate_spraying`.

    Parameters
    ----------
    n_bins : int
        Bins (paths), 1..65536.
    n_balls : int
        Balls (flows or packets) per trial, 0..2**24.
    n_trials : int
        Independent trials, 1..2**27.
    seed : int
        Seed, 0..2**64-1; the same seed gives the same arrays on every backend.
    backend : {"cpu", "cuda"}, optional
        Override the backend for this call (automatic: the GPU from 2**20 balls thrown, see
        :data:`infralab.backend.GPU_MIN_WORK`).

    Returns
    -------
    used, fullest : numpy.ndarray
        int32 arrays of length ``n_trials``.

    Notes
    -----
    Limits: ``n_trials · (n_balls + n_bins/8)`` at most :data:`MAX_BALL_WORK` (about 40 s on 2 cores);
    above it a ValueError gives the estimated time and memory. So ``balls_into_bins(65536, 2**24, 10**4)``
    is refused, and ``n_trials = 2**31`` (16 GiB of results) too.
    """
    return _run_bins(n_bins, n_balls, n_trials, seed, backend, summarize=False)


def simulate_ecmp(n_paths: int, n_flows: int, n_trials: int, seed: int = 0,
                  backend: str | None = None, *, return_samples: bool = False) -> dict:
    """Monte Carlo of ECMP: each of ``n_flows`` flows is hashed to one of ``n_paths`` equal paths.

    A collective that sends one flow per path-worth of data finishes when its most loaded path
    does, so the slowdown against perfect balance is ``E[fullest] / (m/n)`` (perfect balance of
    whole flows would be ``ceil(m/n)``; spraying approaches ``m/n``).

    Limits: ``n_flows`` 1..2**24 and those of :func:`balls_into_bins` (work cap, 2**27 trials).

    Parameters
    ----------
    n_paths : int
        Equal-cost paths, 1..65536.
    n_flows : int
        Flows hashed per trial, 1..2**24.
    n_trials : int
        Trials, 1..2**27 (and the work cap of :func:`balls_into_bins`).
    seed : int
        The same seed gives the same dict.
    backend : {"cpu", "cuda"}, optional
        Override the backend for this call.

    Returns
    -------
    dict of float
        ``mean_used_paths``, ``mean_max_load`` (flows on the fullest path), ``std_max_load``,
        ``p_no_collision`` (fraction of trials with at most one flow per path), ``ideal_load``
        (``m/n``) and ``slowdown`` (``mean_max_load / ideal_load``); with ``return_samples`` also
        ``max_load`` (the fullest path of every trial, an array).

    Examples
    --------
    >>> r = simulate_ecmp(8, 8, 20000, seed=1)
    >>> abs(r["mean_used_paths"] - ecmp_expected_used_paths(8, 8)) < 0.05
    True
    """
    _checks.integer("n_paths", n_paths, low=1, high=MAX_BINS)
    _checks.integer("n_flows", n_flows, low=1, high=MAX_BALLS)
    (s_used, s_most, s_most2, n_single), most = _summary(n_paths, n_flows, n_trials, seed, backend, return_samples)
    ideal = n_flows / n_paths
    mean_max, std_max = _mean_std(s_most, s_most2, n_trials)
    out = {"mean_used_paths": s_used / n_trials, "mean_max_load": mean_max,
           "std_max_load": std_max, "p_no_collision": n_single / n_trials,
           "ideal_load": float(ideal), "slowdown": float(mean_max / ideal)}
    if return_samples:
        out["max_load"] = most.astype(np.float64)
    return out


def simulate_spraying(n_paths: int, n_flows: int, packets_per_flow: int, n_trials: int,
                      seed: int = 0, backend: str | None = None, *, return_samples: bool = False) -> dict:
    """Monte Carlo of SRD-style spraying: every packet of every flow picks a path at random.

    Each flow is split into ``packets_per_flow`` equal packets; load is counted in flows
    (packets / packets_per_flow), so the numbers compare directly with :func:`simulate_ecmp`.
    Random spraying is a pessimistic model of SRD, which also steers away from congested paths.
    Limits: ``n_flows · packets_per_flow`` at most 2**24, and those of :func:`balls_into_bins`.

    **Equivalence.** Spraying ``m`` flows of ``k`` packets is exactly ECMP with ``m·k`` flows: each
    packet is a ball thrown into a bin. So the slowdown of spraying ``k`` packets per flow equals that
    of ECMP with ``k`` times more flows per path (same seed, same numbers), and
    :func:`spraying_slowdown` gives it in closed form.

    Returns
    -------
    dict of float
        ``mean_max_load``, ``std_max_load``, ``ideal_load`` and ``slowdown`` as in
        :func:`simulate_ecmp`, plus ``mean_used_paths``; with ``return_samples`` also ``max_load``
        (the fullest path's load, in flows, of every trial).
    """
    _checks.integer("n_paths", n_paths, low=1, high=MAX_BINS)
    k = _checks.integer("packets_per_flow", packets_per_flow, low=1, high=MAX_BALLS)
    m = _checks.integer("n_flows", n_flows, low=1, high=MAX_BALLS)
    if m * k > MAX_BALLS:
        raise ValueError(f"n_flows * packets_per_flow must be <= {MAX_BALLS}, got {m * k}")
    (s_used, s_most, s_most2, _), most = _summary(n_paths, m * k, n_trials, seed, backend, return_samples)
    mean_most, std_most = _mean_std(s_most, s_most2, n_trials)
    ideal = m / n_paths
    out = {"mean_used_paths": s_used / n_trials, "mean_max_load": mean_most / k,
           "std_max_load": std_most / k, "ideal_load": float(ideal),
           "slowdown": float(mean_most / k / ideal)}
    if return_samples:
        out["max_load"] = most / k
    return out


def spraying_slowdown(n_paths: int, packets_per_path: float) -> float:
    """Expected fullest-path load over the mean when ``n_paths·packets_per_path`` packets are sprayed.

    Poisson approximation of balls into bins: each path's count is Poisson with mean
    ``lambda = packets_per_path`` and independent, so ``E[max] = sum_x (1 - F(x)^n)`` and the slowdown
    is ``E[max] / lambda``. Accurate to about a percent for 8 paths or more; it applies to ECMP too
    with flows instead of packets. For large ``lambda`` it behaves like ``1 + E[max of n standard
    normals] / sqrt(lambda)`` (about ``1 + 2.34 / sqrt(lambda)`` for 64 paths, where that
    expectation is 2.34; a little more at small ``lambda``, where the Poisson counts are skewed).

    Examples
    --------
    >>> round(spraying_slowdown(64, 64), 2)
    1.3

    Limits: ``n_paths`` 1..:data:`MAX_BINS`, ``packets_per_path`` in (0, 1e7]: the sum has about
    ``lambda + 12·sqrt(lambda)`` terms, ~7 s and ~0.5 GB at the cap (1e8 took over a minute and GBs).
    """
    n = _checks.integer("n_paths", n_paths, low=1, high=MAX_BINS)
    lam = _checks.real("packets_per_path", packets_per_path, low=0.0, high=1e7, low_open=True)
    if n == 1:
        return 1.0
    hi = int(lam + 12.0 * math.sqrt(lam) + 30.0)
    x = np.arange(hi + 1, dtype=np.float64)
    logpmf = x * math.log(lam) - lam - np.array([math.lgamma(v + 1.0) for v in x])
    cdf = np.minimum(np.cumsum(np.exp(logpmf)), 1.0)
    return float(np.sum(1.0 - cdf ** n) / lam)


def packets_per_flow_needed(target_slowdown: float, n_paths: int, flows_per_path: float = 1.0) -> int:
    """Fewest packets per flow for which random spraying's slowdown is at most ``target_slowdown``.

    Uses :func:`spraying_slowdown` with ``packets_per_path = k · flows_per_path`` (doubling, then
    bisection; at most 2**22 packets per flow).

    Examples
    --------
    >>> packets_per_flow_needed(1.5, 64) <= 32
    True

    Limits: ``n_paths`` 1..:data:`MAX_BINS`; the search (doubling, then bisection) stops at 2**22
    packets per flow, and each step is bounded by :func:`spraying_slowdown`'s cap.
    """
    target = _checks.real("target_slowdown", target_slowdown, low=1.0, low_open=True)
    n = _checks.integer("n_paths", n_paths, low=1, high=MAX_BINS)
    f = _checks.positive("flows_per_path", flows_per_path)

    def ok(k):
        return spraying_slowdown(n, k * f) <= target
    hi = 1
    while not ok(hi):
        hi *= 2
        if hi > 1 << 22:
            raise ValueError(f"target_slowdown {target:g} needs more than 2**22 packets per flow")
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


# --------------------------------------------------------------------------------------------
# 4. Tail latency under loss
# --------------------------------------------------------------------------------------------

# Message i has its own sub-stream draw(key, i); packet j's queueing delay is an exponential draw,
# and each loss adds one retransmit timeout plus a fresh queueing delay. The message completes when
# its slowest packet arrives. Both twins call `_one_message`; only the loop over messages differs.

#: Work cap of :func:`simulate_message_latency`, in expected packet tries.
MAX_PACKET_WORK = 5 * 10**9


@register_jitable
def _one_message(key, i, n_packets, base_s, mean_queue_s, loss_prob, rto_s, max_tries):
    sub = _rng.draw(key, np.uint64(i))
    k = np.uint64(0)
    worst = 0.0
    for _ in range(n_packets):
        delay = 0.0
        for _try in range(max_tries):
            delay += -mean_queue_s * math.log(1.0 - _rng.unit(_rng.draw(sub, k)))
            lost = _rng.unit(_rng.draw(sub, k + np.uint64(1))) < loss_prob
            k += np.uint64(2)
            if not lost or _try == max_tries - 1:
                break
            delay += rto_s
        if delay > worst:
            worst = delay
    return base_s + worst


@njit(parallel=True, cache=True)
def _latency_cpu(key, n_packets, base_s, mean_queue_s, loss_prob, rto_s, max_tries, out):
    for i in prange(out.size):
        out[i] = _one_message(key, i, n_packets, base_s, mean_queue_s, loss_prob, rto_s, max_tries)


@cuda.jit(cache=True)
def _latency_cuda(key, n_packets, base_s, mean_queue_s, loss_prob, rto_s, max_tries, out):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = _one_message(key, i, n_packets, base_s, mean_queue_s, loss_prob, rto_s, max_tries)


def simulate_message_latency(n_messages: int, packets_per_message: int, base_latency_s: float,
                             mean_queue_s: float, loss_prob: float, rto_s: float, seed: int = 0,
                             max_tries: int = 16, backend: str | None = None) -> np.ndarray:
    """Latency of each of ``n_messages`` messages under random queueing and packet loss.

    Every packet waits an exponential queueing delay (mean ``mean_queue_s``); with probability
    ``loss_prob`` it is lost and resent after ``rto_s`` (with a fresh queueing delay), up to
    ``max_tries`` tries. A message is complete when its slowest packet arrives:
    ``latency = base_latency_s + max over packets``. Kernel TCP waits for a retransmit timeout of
    milliseconds (Linux's minimum RTO is 200 ms by default); SRD retransmits within microseconds.

    Parameters
    ----------
    n_messages : int
        Messages to simulate, 1..2**27.
    packets_per_message : int
        Packets per message, 1..100000.
    base_latency_s : float
        Fixed one-way latency (wire, switches, stack), seconds, >= 0.
    mean_queue_s : float
        Mean queueing delay per packet, seconds, >= 0.
    loss_prob : float
        Per-packet loss probability, 0 <= p <= 0.5.
    rto_s : float
        Retransmit timeout, seconds, >= 0.
    seed : int
        The same seed gives the same latencies on every backend.
    max_tries : int
        Tries per packet, 1..64 (the last try always arrives).
    backend : {"cpu", "cuda"}, optional
        Override the backend for this call.

    Returns
    -------
    numpy.ndarray
        float64 latencies in seconds, length ``n_messages``.

    Notes
    -----
    Limits: ``n_messages · packets_per_message / (1 - loss_prob)`` (expected packet tries) at most
    :data:`MAX_PACKET_WORK` (~1.3e8 tries/s on 2 cores: about 40 s); above it a ValueError gives the
    estimated time and memory. A latency sum that overflows raises ValueError.
    """
    n = _checks.integer("n_messages", n_messages, low=1, high=1 << 27)
    k = _checks.integer("packets_per_message", packets_per_message, low=1, high=100_000)
    base = _checks.nonnegative("base_latency_s", base_latency_s)
    q = _checks.nonnegative("mean_queue_s", mean_queue_s)
    loss = _checks.real("loss_prob", loss_prob, low=0.0, high=0.5)
    rto = _checks.nonnegative("rto_s", rto_s)
    tries = _checks.integer("max_tries", max_tries, low=1, high=64)
    seed = _checks.integer("seed", seed, low=0, high=2**64 - 1)
    _checks.bound_work("simulate_message_latency", n * k / (1.0 - loss), MAX_PACKET_WORK, per_second=1.3e8,
                       bytes_needed=8.0 * n, unit="packet tries")
    _checks.derived("the worst-case latency", base + tries * (rto + 40.0 * q), "base_latency_s, rto_s and mean_queue_s")
    where = _backend.choose("network.latency", n * k, backend).backend
    key = _rng.stream_key(seed, salt=0x7A11)
    if _backend.is_cuda(where):
        d_out = cuda.device_array(n)
        _backend.launch(_latency_cuda, n, key, k, base, q, loss, rto, tries, d_out, threads_per_block=128)
        return d_out.copy_to_host()
    out = np.empty(n)
    _latency_cpu(key, k, base, q, loss, rto, tries, out)
    return out


def message_retransmit_probability(loss_prob: float, packets_per_message: int) -> float:
    """Probability that a message of ``k`` packets loses at least one: ``1 - (1 - loss)^k``.

    Examples
    --------
    >>> round(message_retransmit_probability(1e-4, 1024), 4)
    0.0973

    Limits: ``loss_prob`` 0..1, ``packets_per_message`` 1..2**53; O(1).
    """
    loss = _checks.real("loss_prob", loss_prob, low=0.0, high=1.0)
    k = _checks.integer("packets_per_message", packets_per_message, low=1, high=2**53)
    return 1.0 - (1.0 - loss) ** k


def loss_reaching_quantile(quantile: float, packets_per_message: int) -> float:
    """Per-packet loss above which the ``quantile`` of message latency includes a retransmit.

    The q-quantile of the latency moves to the retransmit timeout once more than ``1 - q`` of the
    messages lose a packet: ``loss > 1 - q^(1/k)``. Below it a retransmit timeout cannot change
    that quantile, however long it is.

    Examples
    --------
    >>> round(loss_reaching_quantile(0.99, 16), 6)
    0.000628

    Limits: ``quantile`` in (0, 1), ``packets_per_message`` 1..2**53; O(1).
    """
    q = _checks.real("quantile", quantile, low=0.0, high=1.0, low_open=True, high_open=True)
    k = _checks.integer("packets_per_message", packets_per_message, low=1, high=2**53)
    return 1.0 - q ** (1.0 / k)


def ecmp_vs_spray_latency(n_messages: int, packets_per_message: int, base_latency_s: float,
                          service_s: float, utilization: float, n_paths: int, n_flows: int,
                          loss_prob: float, rto_s: float, *, multipath: bool, max_utilization: float = 0.95,
                          seed: int = 0, backend: str | None = None) -> np.ndarray:
    """Message latencies when flows are hashed onto paths (ECMP) or sprayed over all of them.

    Each path is a queue whose sojourn time is exponential with mean ``service_s / (1 - rho)``
    (an M/M/1 queue). The fabric's mean path utilization is ``utilization``. With ``multipath``
    (SRD-like spraying) every packet sees that mean. Without it (a TCP flow hashed by ECMP) a flow
    shares its path with ``X ~ Binomial(n_flows - 1, 1/n_paths)`` other flows, so its path runs at
    ``rho = utilization · (1 + X) · n_paths / n_flows``, capped at ``max_utilization`` (rate control
    and back-pressure keep real queues finite: an assumption). Messages are split among the load
    classes in proportion to their probabilities and simulated with :func:`simulate_message_latency`
    (losses resent after ``rto_s``). The result is sorted by load class, not shuffled.

    Returns
    -------
    numpy.ndarray
        Latencies in seconds, length ``n_messages`` (rounding may change it by a few).

    Notes
    -----
    Limits: ``n_messages`` 1..2**27; ``n_flows`` 1..1024 (the binomial split is computed term by
    term in floating point: C(n_flows - 1, x) overflows a float beyond that); the expected packet
    tries ``n_messages · packets_per_message / (1 - loss_prob)`` at most :data:`MAX_PACKET_WORK`,
    as in :func:`simulate_message_latency` (ValueError with the estimated time above it).
    """
    n = _checks.integer("n_messages", n_messages, low=1, high=1 << 27)
    _checks.integer("n_flows", n_flows, low=1, high=1024)
    k_ = _checks.integer("packets_per_message", packets_per_message, low=1, high=100_000)
    loss_ = _checks.real("loss_prob", loss_prob, low=0.0, high=0.5)
    _checks.bound_work("ecmp_vs_spray_latency", n * k_ / (1.0 - loss_), MAX_PACKET_WORK, per_second=1.3e8,
                       bytes_needed=16.0 * n, unit="packet tries")
    srv = _checks.positive("service_s", service_s)
    u = _checks.real("utilization", utilization, low=0.0, high=1.0, high_open=True)
    paths = _checks.integer("n_paths", n_paths, low=1, high=MAX_BINS)
    flows = _checks.integer("n_flows", n_flows, low=1, high=MAX_BALLS)
    cap = _checks.real("max_utilization", max_utilization, low=0.0, high=1.0, high_open=True)
    if not isinstance(multipath, bool):
        raise TypeError("multipath must be a bool")
    common = dict(packets_per_message=packets_per_message, base_latency_s=base_latency_s,
                  loss_prob=loss_prob, rto_s=rto_s, backend=backend)
    if multipath:
        return simulate_message_latency(n, mean_queue_s=srv / (1.0 - min(u, cap)), seed=seed, **common)
    pr = 1.0 / paths
    parts = []
    for x in range(0, flows):
        pmf = math.comb(flows - 1, x) * pr ** x * (1.0 - pr) ** (flows - 1 - x)
        count = int(round(n * pmf))
        if count == 0:
            if x > flows * pr:
                break
            continue
        rho = min(u * (1 + x) * paths / flows, cap)
        parts.append(simulate_message_latency(count, mean_queue_s=srv / (1.0 - rho), seed=seed + 7919 * x,
                                              **common))
    return np.concatenate(parts)


def collective_step_latency(latencies: np.ndarray, messages_per_step: int) -> np.ndarray:
    """Group message latencies into steps of ``messages_per_step`` and take each step's maximum.

    A collective step completes when its slowest message does, so its latency lives in the tail of
    the message distribution: with ``k`` messages per step the median step sees about the
    ``1 - 0.5**(1/k)`` quantile of a message. Leftover messages that do not fill a step are dropped.

    Limits: ``latencies`` a non-empty finite 1-D array of at most 2**28 values;
    ``messages_per_step`` 1..2**28.
    """
    lat = _checks.float_array("latencies", latencies, ndim=1, max_size=1 << 28)
    k = _checks.integer("messages_per_step", messages_per_step, low=1, high=1 << 28)
    n_steps = lat.size // k
    if n_steps == 0:
        raise ValueError(f"need at least messages_per_step={k} latencies, got {lat.size}")
    return lat[: n_steps * k].reshape(n_steps, k).max(axis=1)


def percentiles(samples: np.ndarray, qs=(50.0, 99.0, 99.9)) -> dict:
    """``{"p50": ..., "p99": ..., "p99.9": ...}`` of ``samples`` (NumPy's linear interpolation).

    Limits: ``samples`` a non-empty finite 1-D array of at most 2**28 values; ``qs`` 1..1000
    percentages, each 0..100.
    """
    arr = _checks.float_array("samples", samples, ndim=1, max_size=1 << 28)
    qs = [_checks.real("q", q, low=0.0, high=100.0)
          for q in _checks.float_array("qs", qs, ndim=1, max_size=1000)]
    return {f"p{q:g}": float(np.percentile(arr, q)) for q in qs}


# --------------------------------------------------------------------------------------------
# 5. OS bypass: a latency budget of one small message
# --------------------------------------------------------------------------------------------

#: One small message's one-way latency, component by component, in microseconds. These values are
#: ILLUSTRATIVE ASSUMPTIONS of the right order of magnitude, not measurements: the facts file has
#: no per-component breakdown. Only the conclusion (the user-space path skips the system call, the
#: kernel's protocol stack and interrupt handling) follows from how OS bypass works.
LATENCY_BUDGET_US = {
    "kernel TCP": {
        "system call + copy": 1.0,
        "kernel TCP/IP stack (send)": 2.0,
        "NIC + wire + switches": 3.0,
        "interrupt + kernel stack (receive)": 3.0,
        "wake-up of the receiving thread": 2.0,
    },
    "EFA (OS bypass)": {
        "user-space library posts to NIC queue": 0.3,
        "NIC + wire + switches": 3.0,
        "NIC writes to user memory, app polls": 0.5,
    },
}
