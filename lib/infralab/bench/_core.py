"""Benchmarks of the course's first kernel, the STREAM triad (``core.triad``)."""

from __future__ import annotations

import numpy as np

from .. import backend as _backend
from .. import stream
from . import best_time, gpu_time, record, register


@register("core")
def bench_triad(ctx: dict) -> list[dict]:
    n = 20_000_000
    b, c, a = np.full(n, 1.0), np.full(n, 2.0), np.empty(n)
    out = []
    # check_finite=False: time the kernels, not the public functions' extra read of b and c.
    t_np = best_time(lambda: stream.triad_numpy(b, c, 3.0, out=a, check_finite=False), repeats=3)
    t_cpu = best_time(lambda: stream.triad(b, c, 3.0, out=a, backend="cpu", check_finite=False), repeats=5)
    out.append(record(ctx, "core.triad", f"n={n}", t_cpu, t_np, items=n,
                      bytes_moved=stream.TRIAD_BYTES_PER_ELEMENT * n, backend="cpu"))
    if ctx["backend"] == "cuda":
        d_a, d_b, d_c = _backend.to_device(a, b, c)
        t_gpu = gpu_time(lambda: _backend.launch(stream._triad_cuda, n, d_a, d_b, d_c, 3.0,
                                                 threads_per_block=256), repeats=10)
        out.append(record(ctx, "core.triad", f"n={n}", t_gpu, t_np, items=n,
                          bytes_moved=stream.TRIAD_BYTES_PER_ELEMENT * n, backend="cuda", cpu_seconds=t_cpu,
                          note="device arrays, transfers excluded"))
        t_e2e = best_time(lambda: stream.triad(b, c, 3.0, out=a, backend="cuda"), repeats=3, warmup=1)
        out.append(record(ctx, "core.triad", f"n={n}, host arrays", t_e2e, t_np, items=n, backend="cuda",
                          cpu_seconds=t_cpu, note="stream.triad(backend='cuda'): includes both PCIe copies"))
    return out
