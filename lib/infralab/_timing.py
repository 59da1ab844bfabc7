"""Wall-clock timing shared by the benchmarks and the notebooks' timing widgets."""

from __future__ import annotations

import time
from typing import Callable


def best_time(fn: Callable[[], object], repeats: int = 3, warmup: int = 0) -> float:
    """Best wall-clock seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls.

    The minimum, as STREAM reports it: on a shared machine noise only ever adds time.

    Limits: ``fn`` callable; ``repeats`` 1..1000 and ``warmup`` 0..1000 (the caller bounds the cost
    of one ``fn`` call).
    """
    from . import _checks

    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    repeats = _checks.integer("repeats", repeats, low=1, high=1000)
    warmup = _checks.integer("warmup", warmup, low=0, high=1000)
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
