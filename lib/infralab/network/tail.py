"""Tail latency under loss, hot paths against spraying, and the latency budget of one small message
(notebook 01, sections 4-5).

References
----------
L. Shalev et al., "A Cloud-Optimized Transport Protocol for Elastic and Scalable HPC", IEEE Micro 40(6), 2020.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, njit, prange
from numba.core.extending import register_jitable

from .. import _checks, _rng
from .. import backend as _backend
from .ecmp import MAX_BALLS, MAX_BINS


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
#: ILLUSTRATIVE ASSUMPTIONS of the right order of magnitude, not measurements: no public source
#: gives a per-component breakdown. Only the conclusion (the user-space path skips the system call, the
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
