"""Benchmarks: ``python -m infralab.bench [topic ...] [--json]``.

Speed in this course is measured here, never asserted in timed tests. Each registered benchmark
times one heavy kernel on the current backend against its NumPy baseline, in the same run as a
STREAM-style triad that measures this machine's memory bandwidth, and returns one record:

``kernel`` (``topic.kernel``), ``backend``, ``size``, ``seconds``, ``baseline_seconds``,
``speedup`` (baseline / kernel), and where meaningful ``items_per_second``, ``effective_GBps``
and ``fraction_of_triad``, plus free-form ``notes``. Ratios measured in one run are what to
compare across machines: absolute seconds on a shared 2-core machine are noisy.

On a CUDA backend the run also measures the GPU's device-to-device copy bandwidth
(:func:`infralab.stream.measure_gpu_copy_bandwidth`, ``gpu_copy_GBps`` in every record), and GPU
records carry ``fraction_of_gpu_copy`` for memory-bound kernels (bytes moved on the device / time,
over that bandwidth) and ``speedup_vs_cpu_kernel``: the same work on this machine's CPU kernel
(all its cores) over the GPU time.

Topic modules register with :func:`register`; see ``_core.py`` for the smallest example.
"""

from __future__ import annotations

from typing import Callable

from .._timing import best_time  # noqa: F401  (re-exported for topic benchmarks)

#: topic -> list of benchmark functions; each takes the context dict and returns a list of records.
REGISTRY: dict[str, list[Callable[[dict], list[dict]]]] = {}


def register(topic: str):
    """Decorator: add a benchmark function to ``topic``'s list. Limits: ``topic`` a non-empty str."""
    if not isinstance(topic, str) or not topic or topic.startswith("-"):
        raise TypeError(f"topic must be a non-empty string not starting with '-', got {topic!r:.80}")
    def deco(fn):
        REGISTRY.setdefault(topic, []).append(fn)
        return fn
    return deco


def record(ctx: dict, kernel: str, size: str, seconds: float, baseline_seconds: float | None,
           *, baseline: str = "numpy", items: float | None = None, bytes_moved: float | None = None,
           backend: str | None = None, cpu_seconds: float | None = None, **notes) -> dict:
    """Build one benchmark record (see the module docstring for the fields).

    Limits: ``ctx`` a dict with ``backend`` (and ``triad_GBps`` > 0 when ``bytes_moved`` is given);
    ``seconds`` > 0 and the optional ``baseline_seconds``, ``items`` and ``bytes_moved`` finite, >= 0.
    """
    from .. import _checks

    if not isinstance(ctx, dict) or "backend" not in ctx:
        raise TypeError("ctx must be the runner's context dict (with 'backend')")
    for name, value in (("kernel", kernel), ("size", size), ("baseline", baseline)):
        _checks.text(name, value, max_len=200)
    seconds = _checks.positive("seconds", seconds)
    for name, value in (("baseline_seconds", baseline_seconds), ("items", items), ("bytes_moved", bytes_moved),
                        ("cpu_seconds", cpu_seconds)):
        if value is not None:
            _checks.nonnegative(name, value)
    if bytes_moved is not None:
        _checks.positive("ctx['triad_GBps']", ctx.get("triad_GBps"))
    if backend is not None:
        _checks.text("backend", backend, max_len=20)
    rec = {
        "kernel": kernel,
        "backend": backend or ctx["backend"],
        "size": size,
        "seconds": seconds,
        "baseline": baseline,
        "baseline_seconds": baseline_seconds,
        "speedup": (baseline_seconds / seconds) if baseline_seconds else None,
    }
    if items is not None:
        rec["items_per_second"] = items / seconds
    if bytes_moved is not None:
        rec["effective_GBps"] = bytes_moved / seconds / 1e9
        if rec["backend"] == "cuda" and ctx.get("gpu_copy_GBps"):
            rec["fraction_of_gpu_copy"] = rec["effective_GBps"] / ctx["gpu_copy_GBps"]
        else:
            rec["fraction_of_triad"] = rec["effective_GBps"] / ctx["triad_GBps"]
    if cpu_seconds is not None:
        rec["cpu_kernel_seconds"] = cpu_seconds
        rec["speedup_vs_cpu_kernel"] = cpu_seconds / seconds
    rec.update(notes)
    _checks.derived("the record's rates", [v for v in rec.values() if isinstance(v, float)],
                    "seconds, baseline_seconds, items and bytes_moved")
    return rec


def gpu_time(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Best seconds of ``fn`` on the GPU: each timed call ends with ``cuda.synchronize()``."""
    from numba import cuda

    def run():
        fn()
        cuda.synchronize()
    return best_time(run, repeats=repeats, warmup=warmup)
