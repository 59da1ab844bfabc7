"""Benchmark of infralab.cluster: the Monte Carlo over a training cluster's uncertain assumptions."""

from __future__ import annotations

import numpy as np

from .. import cluster
from . import best_time, record, register

#: The capstone's p5 design: GPT-3 (N = 174.6e9, D = 300e9) on 2,500 p5.48xlarge at about 6 us.
DESIGN = ("p5.48xlarge", 2500, 174.6e9, 300e9)
RANGES = {"latency_s": (4.5e-6, 7.5e-6)}


def sample_numpy(instance, n_instances, params, tokens, n_samples, seed=0, **ranges):
    """The same model vectorized with NumPy (its own generator, so equal in distribution, not per sample)."""
    rng = cluster.sample_ranges(instance, n_instances, **ranges)
    fixed = {k: v for k, v in ranges.items() if k not in cluster.SAMPLED}
    c = cluster._plan(instance, n_instances, params, tokens, {**fixed, "usd_per_hour": rng["usd_per_hour"][1]})["consts"]
    gen = np.random.default_rng(seed)
    x = {k: gen.uniform(lo, hi, n_samples) for k, (lo, hi) in rng.items()}
    compute = c[cluster._C_STEP1] / x["mfu"]
    alpha = x["latency_s"] + c[cluster._C_RTO] * (1.0 - (1.0 - x["loss_prob"]) ** c[cluster._C_NMSG])
    comm = c[cluster._C_COMM0] + c[cluster._C_LATK] * alpha
    step = compute + (comm - np.minimum(comm, c[cluster._C_OVERLAP] * compute))
    compute_days = c[cluster._C_DAYS1] / x["mfu"]
    days = compute_days * (step / compute)
    energy = c[cluster._C_ITKW] * days * 24.0 * x["pue"] / 1000.0
    return {"days": days, "compute_days": compute_days, "cost_usd": days * 24.0 * c[cluster._C_NINST] * x["usd_per_hour"],
            "energy_mwh": energy, "co2_t": energy * x["grid_g_per_kwh"] / 1000.0, **x}


@register("cluster")
def bench_sample(ctx: dict) -> list[dict]:
    n = 1_000_000
    t_np = best_time(lambda: sample_numpy(*DESIGN, n, **RANGES), repeats=3, warmup=1)
    t_k = best_time(lambda: cluster.sample(*DESIGN, n_samples=n, backend="cpu", **RANGES), repeats=5, warmup=1)
    size = "1e6 samples x 6 assumptions"
    out = [record(ctx, "cluster.sample", size, t_k, t_np, items=n, backend="cpu",
                  note="items = samples; includes building the plan (CSV reads, path simulation)")]
    if ctx["backend"] == "cuda":
        t_g = best_time(lambda: cluster.sample(*DESIGN, n_samples=n, backend="cuda", **RANGES), repeats=5, warmup=1)
        out.append(record(ctx, "cluster.sample", size, t_g, t_np, items=n, backend="cuda", cpu_seconds=t_k,
                          note="includes copying 11 arrays to the host"))
    return out
