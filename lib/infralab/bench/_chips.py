"""Benchmarks of this machine's roofline: the numba float32 matrix multiply against NumPy's BLAS,
and each step of notebook 04's road from three loops to BLAS (:mod:`infralab.gemm`)."""

from __future__ import annotations

from .. import chips, gemm
from . import record, register

#: Size of the per-step comparison: the naive loop takes about a second at 512 on 2 busy cores.
STEP_N = 512


@register("chips")
def bench_matmul(ctx: dict) -> list[dict]:
    out = []
    for r in gemm.measure_steps(STEP_N, repeats=2):
        t_blas = 2.0 * STEP_N ** 3 / r["blas_GFLOPs"] / 1e9
        out.append(record(ctx, f"gemm.{r['step']}", f"{STEP_N}x{STEP_N} float32", r["seconds"], t_blas,
                          baseline="numpy BLAS", items=2.0 * STEP_N ** 3, backend="cpu", GFLOPs=r["GFLOPs"],
                          blas_GFLOPs=r["blas_GFLOPs"], fraction_of_blas=r["fraction_of_blas"],
                          fraction_of_peak=r["fraction_of_peak"], peak_GFLOPs=r["peak_GFLOPs"],
                          level=r["level"], intensity=r["intensity"],
                          note="a step of the lesson; items = FLOPs"))
    for n in (1024, 2048):
        m = chips.measure_matmul(n, repeats=3)
        t_blas, flops = m["blas_seconds"], 2.0 * n ** 3
        out.append(record(ctx, "chips.matmul", f"{n}x{n} float32", m["numba_seconds"], t_blas,
                          baseline="numpy BLAS", items=flops, backend="cpu", GFLOPs=m["numba_GFLOPs"],
                          blas_GFLOPs=m["blas_GFLOPs"], fraction_of_blas=m["fraction_of_blas"],
                          note="items = FLOPs; speedup < 1 means slower than BLAS"))
    if ctx["backend"] == "cuda":
        for n in (2048, 4096):
            g = chips.measure_matmul_cuda(n)
            flops = 2.0 * n ** 3
            cpu = next((r["seconds"] for r in out if r["kernel"] == "chips.matmul" and r["size"].startswith(f"{n}x")),
                       None)
            if cpu is None:       # the same machine's CPU kernel, all cores, once (it takes seconds)
                cpu = chips.measure_matmul(n, repeats=1)["numba_seconds"]
            extra = {k: g[k] for k in ("cublas_seconds", "cublas_TFLOPs", "fraction_of_cublas") if k in g}
            out.append(record(ctx, "chips.matmul", f"{n}x{n} float32", g["kernel_seconds"], None,
                              baseline="none", items=flops, backend="cuda", cpu_seconds=cpu,
                              TFLOPs=g["kernel_TFLOPs"], copy_in_seconds=g["copy_in_seconds"],
                              copy_out_seconds=g["copy_out_seconds"], end_to_end_TFLOPs=g["end_to_end_TFLOPs"],
                              max_rel_error=g["max_rel_error"], **extra,
                              note="register-tiled kernel on device-resident arrays; copies reported apart"))
    return out
