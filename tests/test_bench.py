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


# --- the command line's contract (issue 14) ----------------------------------------------------

def test_bad_backend_environment_is_a_one_line_usage_error():
    """INFRALAB_BACKEND=bogus: exit status 2 and one line on stderr, no traceback (the issue's example)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "INFRALAB_BACKEND": "bogus"}
    proc = subprocess.run([sys.executable, "-m", "infralab.bench", "core"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "INFRALAB_BACKEND" in lines[0] and "bogus" in lines[0]
    assert proc.stdout == ""


@pytest.mark.parametrize("value", ["bogus", "cpu;rm", "CUDA-ish"])
def test_bad_backend_environment_in_process(monkeypatch, capsys, value):
    monkeypatch.setenv("INFRALAB_BACKEND", value)
    ran = []
    monkeypatch.setattr(bench_cli.stream, "measure_triad_bandwidth", lambda: ran.append(1))
    assert bench_cli.main(["core", "--json"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "INFRALAB_BACKEND" in err
    assert ran == []                       # refused before anything ran


@pytest.fixture
def fake_topics(monkeypatch):
    """Two cheap topics, and a fake triad measurement, so the runner's logic is tested quickly."""
    calls = []

    def make(topic):
        def bench(ctx):
            calls.append(topic)
            return [{"kernel": f"{topic}.k", "backend": ctx["backend"], "size": "1", "seconds": 1.0,
                     "baseline": "none", "baseline_seconds": None, "speedup": None}]
        return bench

    monkeypatch.setitem(bench_cli.REGISTRY, "zz_a", [make("zz_a")])
    monkeypatch.setitem(bench_cli.REGISTRY, "zz_b", [make("zz_b")])
    monkeypatch.setattr(bench_cli.stream, "measure_triad_bandwidth", lambda: {"GBps": 10.0})
    monkeypatch.delenv("INFRALAB_BACKEND", raising=False)
    return calls


@pytest.mark.parametrize("argv", [["zz_b", "zz_a", "--json"], ["--json", "zz_b", "zz_a"],
                                  ["zz_b", "--json", "zz_a"], ["zz_b", "zz_a", "zz_b", "--json", "zz_a"]])
def test_topics_in_any_order_with_json_and_each_once(fake_topics, capsys, argv):
    assert bench_cli.main(argv) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["kernel"] for r in records] == ["zz_b.k", "zz_a.k"]
    assert fake_topics == ["zz_b", "zz_a"]


def test_topic_named_twice_runs_once_in_text_mode(fake_topics, capsys):
    assert bench_cli.main(["zz_a", "zz_a"]) == 0
    assert fake_topics == ["zz_a"]
    assert capsys.readouterr().out.count("zz_a.k") == 1
