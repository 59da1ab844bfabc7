"""Benchmarks of the course's first kernel, the STREAM triad (``core.triad``)."""

from __future__ import annotations

import numpy as np

from .. import stream
from . import best_time, record, register


@register("core")
def bench_triad(ctx: dict) -> list[dict]:
    n = 20_000_000
    b, c, a = np.full(n, 1.0), np.full(n, 2.0), np.empty(n)
    out = []
    t_np = best_time(lambda: stream.triad_numpy(b, c, 3.0, out=a), repeats=3)
    t_cpu = best_time(lambda: stream.triad(b, c, 3.0, out=a, backend="cpu"), repeats=5)
    out.append(record(ctx, "core.triad", f"n={n}", t_cpu, t_np, items=n,
                      bytes_moved=stream.TRIAD_BYTES_PER_ELEMENT * n, backend="cpu"))
    if ctx["backend"] == "cuda":
        from numba import cuda
        d_a, d_b, d_c = cuda.to_device(a), cuda.to_device(b), cuda.to_device(c)
        blocks, threads = 1024, 256

        def run():
            stream._triad_cuda[blocks, threads](d_a, d_b, d_c, 3.0)
            cuda.synchronize()
        t_gpu = best_time(run, repeats=10)
        out.append(record(ctx, "core.triad", f"n={n}", t_gpu, t_np, items=n,
                          bytes_moved=stream.TRIAD_BYTES_PER_ELEMENT * n, backend="cuda",
                          gpu_GBps=stream.TRIAD_BYTES_PER_ELEMENT * n / t_gpu / 1e9,
                          note="device arrays, transfers excluded"))
    return out
