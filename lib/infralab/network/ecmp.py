"""ECMP as balls into bins, and packet spraying: exact formulas and a numba Monte Carlo kernel with its
CUDA twins (notebook 01, section 3).

References
----------
M. Raab, A. Steger, "Balls into Bins -- A Simple and Tight Analysis", RANDOM 1998.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from numba import cuda, njit, prange
from numba.core.extending import register_jitable

from .. import _checks, _rng
from .. import backend as _backend

#: Most flows the closed-form ECMP formulas accept (they cost O(1) and O(min(flows, paths))).
MAX_FORMULA_FLOWS = 10**12


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
