"""Benchmarks of infralab.network: the ECMP Monte Carlo and the tail-latency kernel."""

from __future__ import annotations

import numpy as np

from .. import network
from . import best_time, record, register


def ecmp_numpy(n_paths: int, n_flows: int, n_trials: int, seed: int = 0) -> tuple[float, float]:
    """The straightforward vectorized NumPy version: random integers, then a per-trial bincount
    (one ``bincount`` over trial-offset path indices, which is the fast way to count per trial)."""
    rng = np.random.default_rng(seed)
    paths = rng.integers(0, n_paths, size=(n_trials, n_flows))
    paths += (np.arange(n_trials) * n_paths)[:, None]
    counts = np.bincount(paths.ravel(), minlength=n_trials * n_paths).reshape(n_trials, n_paths)
    return float((counts > 0).sum(axis=1).mean()), float(counts.max(axis=1).mean())


@register("network")
def bench_ecmp(ctx: dict) -> list[dict]:
    n, m, trials = 64, 64, 1_000_000
    t_np = best_time(lambda: ecmp_numpy(n, m, trials), repeats=1)
    t_k = best_time(lambda: network.simulate_ecmp(n, m, trials, seed=0, backend="cpu"), repeats=3, warmup=1)
    out = [record(ctx, "network.simulate_ecmp", f"{n} paths x {m} flows x {trials} trials", t_k, t_np,
                  items=m * trials, backend="cpu", note="items = flows hashed")]
    if ctx["backend"] == "cuda":
        t_g = best_time(lambda: network.simulate_ecmp(n, m, trials, seed=0, backend="cuda"), repeats=3, warmup=1)
        out.append(record(ctx, "network.simulate_ecmp", f"{n} paths x {m} flows x {trials} trials", t_g, t_np,
                          items=m * trials, backend="cuda", cpu_seconds=t_k,
                          note="end to end; histograms in shared memory, statistics reduced on the device"))
    return out


def latency_numpy(n_messages, k, base, mean_q, loss, rto, seed=0):
    """NumPy version of the tail-latency model (geometric number of losses per packet)."""
    rng = np.random.default_rng(seed)
    losses = rng.geometric(1.0 - loss, size=(n_messages, k)) - 1
    queue = rng.exponential(mean_q, size=(n_messages, k))
    # each retry has its own queueing delay: the sum of (losses + 1) exponentials is a gamma draw
    extra = rng.gamma(np.maximum(losses, 1), mean_q) * (losses > 0)
    return base + (queue + extra + losses * rto).max(axis=1)


@register("network")
def bench_latency(ctx: dict) -> list[dict]:
    args = (1_000_000, 16, 8e-6, 2e-6, 1e-4, 4e-3)
    t_np = best_time(lambda: latency_numpy(*args), repeats=1)
    t_k = best_time(lambda: network.simulate_message_latency(*args, seed=0, backend="cpu"), repeats=3, warmup=1)
    out = [record(ctx, "network.message_latency", "1e6 messages x 16 packets", t_k, t_np,
                  items=args[0] * args[1], backend="cpu", note="items = packets")]
    if ctx["backend"] == "cuda":
        t_g = best_time(lambda: network.simulate_message_latency(*args, seed=0, backend="cuda"),
                        repeats=3, warmup=1)
        out.append(record(ctx, "network.message_latency", "1e6 messages x 16 packets", t_g, t_np,
                          items=args[0] * args[1], backend="cuda", cpu_seconds=t_k,
                          note="end to end, including the 8 MB copy of the latencies back"))
    return out
