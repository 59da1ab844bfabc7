"""Benchmarks of this machine's roofline: the numba float32 matrix multiply against NumPy's BLAS."""

from __future__ import annotations

import numpy as np

from .. import chips
from . import best_time, record, register


@register("chips")
def bench_matmul(ctx: dict) -> list[dict]:
    out = []
    for n in (1024, 2048):
        m = chips.measure_matmul(n, repeats=3)
        t_blas, flops = m["blas_seconds"], 2.0 * n ** 3
        out.append(record(ctx, "chips.matmul", f"{n}x{n} float32", m["numba_seconds"], t_blas,
                          baseline="numpy BLAS", items=flops, backend="cpu", GFLOPs=m["numba_GFLOPs"],
                          blas_GFLOPs=m["blas_GFLOPs"], fraction_of_blas=m["fraction_of_blas"],
                          note="items = FLOPs; speedup < 1 means slower than BLAS"))
        if ctx["backend"] == "cuda":
            rng = np.random.default_rng(0)
            a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
            t_g = best_time(lambda: chips.matmul(a, b, backend="cuda"), repeats=3, warmup=1)
            out.append(record(ctx, "chips.matmul", f"{n}x{n} float32", t_g, t_blas, baseline="numpy BLAS",
                              items=flops, backend="cuda", GFLOPs=flops / t_g / 1e9,
                              note="shared-memory tiles; includes host-device copies"))
    return out
