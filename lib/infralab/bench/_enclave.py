"""Benchmark of the brute-force lesson: keys per second of the numba key search."""

from __future__ import annotations

from ..enclave import chacha
from . import best_time, record, register


@register("enclave")
def bench_search(ctx: dict) -> list[dict]:
    bits = 24
    known, nonce, plain = bytes(32), bytes(12), bytes(64)
    cipher = bytes(64)                     # matches no key: the search must try all 2**24
    n = 1 << bits
    t_k = best_time(lambda: chacha.search_key(known, bits, nonce, plain, cipher), repeats=3, warmup=1)
    py_rate = chacha.python_search_rate(20_000)
    bulk = chacha.bulk_blocks_per_second()
    out = [record(ctx, "enclave.search_key", f"2^{bits} keys", t_k, n / py_rate,
                   baseline="python loop + cryptography", items=n,
                   python_keys_per_second=py_rate, bulk_blocks_per_second_1core=bulk,
                   fraction_of_bulk_1core=(n / t_k) / bulk,
                   note="baseline_seconds extrapolated from the Python loop's measured rate")]
    if ctx["backend"] == "cuda":
        gbits = 30
        t_g = best_time(lambda: chacha.search_key(known, gbits, nonce, plain, cipher, backend="cuda"),
                        repeats=3, warmup=1)
        out.append(record(ctx, "enclave.search_key", f"2^{gbits} keys", t_g, (1 << gbits) / py_rate,
                          baseline="python loop + cryptography", items=1 << gbits, backend="cuda",
                          cpu_seconds=t_k * (1 << (gbits - bits)),
                          note="cpu_kernel_seconds scaled from the 2^24-key CPU run"))
    return out
