"""Command line: ``python -m infralab.bench [topic ...] [--json]`` (see :mod:`infralab.bench`).

Topics and ``--json`` may come in any order; a topic named twice runs once, in the order first
named. A bad environment value (``INFRALAB_BACKEND=bogus``) is a usage error: one line on stderr
and exit status 2, before anything runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time

from .. import backend, stream
from . import REGISTRY

TOPIC_MODULES = ("_core", "_network", "_thermal", "_enclave", "_chips", "_cluster")


def _load_topics() -> None:
    """Import each topic's benchmark module, which registers its benchmarks."""
    for name in TOPIC_MODULES:
        importlib.import_module(f"{__package__}.{name}")


def _fmt(rec: dict) -> str:
    parts = [f"{rec['kernel']:<24} {rec['backend']:<8} {rec['size']:<26} {rec['seconds']*1e3:10.2f} ms"]
    if rec.get("speedup") is not None:
        parts.append(f"x{rec['speedup']:7.1f} vs {rec['baseline']}")
    if "items_per_second" in rec:
        parts.append(f"{rec['items_per_second']:.3g} items/s")
    if "fraction_of_triad" in rec:
        parts.append(f"{rec['effective_GBps']:6.1f} GB/s = {rec['fraction_of_triad']:.2f} of triad")
    if "fraction_of_gpu_copy" in rec:
        parts.append(f"{rec['effective_GBps']:7.1f} GB/s = {rec['fraction_of_gpu_copy']:.2f} of GPU copy")
    if "speedup_vs_cpu_kernel" in rec:
        parts.append(f"x{rec['speedup_vs_cpu_kernel']:.1f} vs CPU kernel")
    if "fraction_of_cublas" in rec:
        parts.append(f"{rec['TFLOPs']:.1f} TFLOP/s = {rec['fraction_of_cublas']:.2f} of cuBLAS")
    if "fraction_of_blas" in rec:
        parts.append(f"{rec['GFLOPs']:.1f} GFLOP/s = {rec['fraction_of_blas']:.2f} of BLAS")
    if "fraction_of_bulk_1core" in rec:
        parts.append(f"= {rec['fraction_of_bulk_1core']:.2f} of 1-core bulk ChaCha20 "
                     f"({rec['bulk_blocks_per_second_1core']:.3g} blocks/s)")
    return "  ".join(parts)


PROG = "python -m infralab.bench"


def _environment_error() -> str | None:
    """The one-line complaint about the environment (INFRALAB_BACKEND), or None when it is usable."""
    try:
        backend.resolve(None)
    except (ValueError, TypeError) as exc:
        return " ".join(str(exc).split())
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; return the exit status (0, or 2 for a bad environment value).

    Unknown topics and bad options exit through argparse with status 2.
    """
    _load_topics()
    parser = argparse.ArgumentParser(prog=PROG,
                                     description="Time infralab's kernels against NumPy on this machine.")
    parser.add_argument("topics", nargs="*", metavar="topic",
                        help=f"topics to run (default all): {', '.join(sorted(REGISTRY))}")
    parser.add_argument("--json", action="store_true", help="print a JSON list of records")
    args = parser.parse_intermixed_args(argv)
    unknown = [t for t in args.topics if t not in REGISTRY]
    if unknown:
        parser.error(f"unknown topic(s) {unknown}; choose from {sorted(REGISTRY)}")
    topics = list(dict.fromkeys(args.topics)) or sorted(REGISTRY)
    problem = _environment_error()
    if problem:
        print(f"{PROG}: error: {problem}", file=sys.stderr)
        return 2

    info = backend.info()
    t0 = time.perf_counter()
    triad = stream.measure_triad_bandwidth()
    ctx = {"backend": info["backend"], "triad_GBps": triad["GBps"]}
    if info["backend"] == "cuda":
        ctx["gpu_copy_GBps"] = stream.measure_gpu_copy_bandwidth()["GBps"]
    records = []
    for topic in topics:
        for fn in REGISTRY[topic]:
            records.extend(fn(ctx))
    for rec in records:
        rec["triad_GBps"] = triad["GBps"]
        if "gpu_copy_GBps" in ctx:
            rec["gpu_copy_GBps"] = ctx["gpu_copy_GBps"]
    if args.json:
        json.dump(records, sys.stdout, indent=1)
        print()
    else:
        print(f"backend={info['backend']} cpu_threads={info['cpu_threads']} gpu={info['gpu_name']} "
              f"triad={triad['GBps']:.1f} GB/s"
              + (f" gpu_copy={ctx['gpu_copy_GBps']:.0f} GB/s" if "gpu_copy_GBps" in ctx else ""))
        for rec in records:
            print(_fmt(rec))
        print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
