"""The benchmark runner's output format, and that its NumPy baselines compute what the kernels do."""

import contextlib
import io
import json
import math

import numpy as np
import pytest

from infralab import network
from infralab.bench import __main__ as bench_cli
from infralab.bench import _network


def test_json_records_have_the_documented_fields():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert bench_cli.main(["core", "--json"]) == 0
    records = json.loads(buf.getvalue())
    assert records and all(r["kernel"].startswith("core.") for r in records)
    for r in records:
        for key in ("kernel", "backend", "size", "seconds", "baseline_seconds", "speedup",
                    "items_per_second", "triad_GBps"):
            assert key in r, key
        if r["backend"] == "cpu":
            assert "effective_GBps" in r and "fraction_of_triad" in r
        elif "effective_GBps" in r:              # GPU records: against the GPU's own copy bandwidth
            assert "fraction_of_gpu_copy" in r and "speedup_vs_cpu_kernel" in r
        assert r["seconds"] > 0 and math.isfinite(r["speedup"])


def test_unknown_topic_is_refused():
    with pytest.raises(SystemExit):
        bench_cli.main(["no-such-topic"])


def test_ecmp_baseline_matches_the_formula():
    used, _ = _network.ecmp_numpy(8, 8, 100_000, seed=1)
    assert used == pytest.approx(network.ecmp_expected_used_paths(8, 8), abs=0.02)


def test_latency_baseline_matches_the_kernel_in_distribution():
    args = (200_000, 16, 8e-6, 2e-6, 1e-3, 4e-3)
    a = _network.latency_numpy(*args, seed=1)
    b = network.simulate_message_latency(*args, seed=1)
    for q in (50, 90, 99):
        assert np.percentile(a, q) == pytest.approx(np.percentile(b, q), rel=0.02)
    assert np.mean(a > 4e-3) == pytest.approx(np.mean(b > 4e-3), abs=0.003)


def test_record_compares_gpu_records_with_the_gpu_copy_bandwidth_and_the_cpu_kernel():
    from infralab.bench import record
    ctx = {"backend": "cuda", "triad_GBps": 50.0, "gpu_copy_GBps": 4000.0}
    r = record(ctx, "x.y", "n", 0.001, 0.01, bytes_moved=2e9, backend="cuda", cpu_seconds=0.004)
    assert r["effective_GBps"] == pytest.approx(2000.0)
    assert r["fraction_of_gpu_copy"] == pytest.approx(0.5) and "fraction_of_triad" not in r
    assert r["speedup_vs_cpu_kernel"] == pytest.approx(4.0)
    c = record(ctx, "x.y", "n", 0.04, 0.01, bytes_moved=1e9, backend="cpu")
    assert c["fraction_of_triad"] == pytest.approx(0.5) and "fraction_of_gpu_copy" not in c
