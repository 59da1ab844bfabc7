"""The public contract of every function of ``infralab``, checked on hostile input (issue 14).

Every public function and class is DISCOVERED from the package (``__all__`` where a module has
one, else its public names, recursing into subpackages), so a function added later is covered
without editing this file. Each one is called with valid example arguments in which one parameter
at a time is replaced by every value of :data:`HOSTILE` (NaN, infinities, 0, negatives, huge
ints, ``10**400``, wrong types, wrong dtypes, empty, non-contiguous and read-only arrays...), and
must:

* raise only a documented exception type: ValueError, TypeError, an exception class that its own
  (sub)package defines (AttestationError, KMSAccessDenied, ChipDataError...), or a built-in
  exception named in its docstring's ``Raises`` section;
* return within :data:`PER_CALL_LIMIT_S` seconds (a Python-level hang is interrupted);
* never return NaN or infinity (except where :data:`DOCUMENTED_NAN` says the docstring promises it);
* never modify an input array other than ``out``.

Classes are driven through their constructors (exception classes are collected as allowed errors,
NamedTuple records are skipped: they have no code). Valid example arguments come from :data:`EXAMPLES` (by parameter name, or by function and name),
else from the parameter's default, else from its type hint. A function whose example call is not
valid is still fuzzed, but only its first checks are reached; ``test_example_call_reaches_the_body``
reports it as skipped with the reason, so adding an example value is visible work, not a silent gap.
"""

from __future__ import annotations

import faulthandler
import importlib
import inspect
import math
import pkgutil
import re
import signal
import time
import builtins
import datetime as _dt

import numpy as np
import pytest

import infralab

#: Longest a single call may take. Every hostile value is refused by a check (microseconds) or runs
#: the small example (milliseconds); only a missing cap would take longer.
PER_CALL_LIMIT_S = 10.0
#: (The margin covers a first call that compiles or loads a numba kernel on a busy machine.)
#: A call stuck inside compiled code cannot be interrupted: after this long the whole run is
#: aborted with a traceback naming the call (better than a CI job that hangs for hours).
HARD_ABORT_S = 300.0

#: Public callables that cannot sensibly be driven with hostile arguments, with the reason.
#: Keep this short and honest.
_NEEDS_GPU = ("a CUDA launch helper: it needs a CUDA device (without one numba raises CudaSupportError at "
              "driver init) and device arrays; the CUDA paths are tested under the simulator in tests/cudasim")
EXEMPT: dict[str, str] = {
    "infralab.backend.to_device": _NEEDS_GPU,
    "infralab.backend.device_copy": _NEEDS_GPU,
    "infralab.backend.device_scratch": _NEEDS_GPU,
    "infralab.backend.launch": _NEEDS_GPU,
    "infralab.bench.gpu_time": _NEEDS_GPU,
}

#: Callables whose docstring promises NaN in the output, with the reason.
DOCUMENTED_NAN = {
    "infralab.stream.time_versions": "the 'python' timings are NaN, as documented, for sizes above python_up_to",
}


# --------------------------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------------------------

def _modules():
    """infralab and every public submodule (private modules and ``__main__`` are skipped:
    ``python -m infralab.bench`` is tested by tests/test_bench.py)."""
    mods = [infralab]
    for info in pkgutil.walk_packages(infralab.__path__, "infralab."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        mods.append(importlib.import_module(info.name))
    return mods


def _public_names(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in vars(mod) if not n.startswith("_")]
    return [n for n in names if not n.startswith("_")]


def _discover():
    """(callables by qualified name, exception classes by qualified name)."""
    funcs, errors = {}, {}
    for mod in _modules():
        for name in _public_names(mod):
            obj = getattr(mod, name, None)
            home = getattr(obj, "__module__", "") or ""
            if not home.startswith("infralab") or inspect.ismodule(obj):
                continue
            qual = f"{home}.{getattr(obj, '__qualname__', name)}"
            if inspect.isclass(obj):
                if issubclass(obj, BaseException):
                    errors[qual] = obj
                elif issubclass(obj, tuple) and hasattr(obj, "_fields"):
                    continue                    # a NamedTuple record: no code of its own to drive
                elif not inspect.isabstract(obj):
                    funcs[qual] = obj           # a class is driven through its constructor
            elif callable(obj):
                funcs[qual] = obj
    return funcs, errors


FUNCS, ERRORS = _discover()


def _allowed(qual: str, fn) -> tuple:
    """ValueError, TypeError, the exceptions defined in the callable's own (sub)package, and
    built-in exceptions named in its docstring's Raises section."""
    parts = qual.split(".")
    package = ".".join(parts[:2])              # e.g. infralab.enclave, infralab.chips
    own = [e for q, e in ERRORS.items() if q.startswith(package + ".")]
    doc = inspect.getdoc(fn) or ""
    documented = []
    m = re.search(r"^Raises\n-+\n(.*?)(?:\n\S[^\n]*\n-+\n|\Z)", doc, re.S | re.M)
    if m:
        for line in m.group(1).splitlines():
            word = line.strip()
            exc = getattr(builtins, word, None) if re.fullmatch(r"[A-Z]\w*", word) and line == line.lstrip() else None
            if inspect.isclass(exc) and issubclass(exc, Exception):
                documented.append(exc)
    return (ValueError, TypeError, *own, *documented)


# --------------------------------------------------------------------------------------------
# Hostile values (one table for every parameter: each kind's wrong values are the others' wrong types)
# --------------------------------------------------------------------------------------------

def _readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def _hostile():
    nan, inf = float("nan"), float("inf")
    values = {
        # numbers
        "nan": nan, "inf": inf, "-inf": -inf, "zero": 0, "zero.0": 0.0, "-1": -1, "-1.0": -1.0,
        "1.5": 1.5, "1e308": 1e308, "-1e308": -1e308, "denormal": 5e-324, "2**31": 2**31, "2**63": 2**63,
        "2**64": 2**64, "10**400": 10**400, "-10**400": -(10**400), "True": True, "complex": 1j,
        "np.float32(nan)": np.float32("nan"), "np.int64(-1)": np.int64(-1), "np.uint64(max)": np.uint64(2**64 - 1),
        "np.float64(inf)": np.float64(inf),
        # wrong types
        "None": None, "empty str": "", "bogus": "bogus", "'nan'": "nan", "'3'": "3", "empty bytes": b"",
        "bytes(33)": bytes(33), "bytearray(32)": bytearray(32), "list": [1.0, 2.0], "list[nan]": [nan],
        "list['no']": ["no", "no", "no"], "dict": {}, "object": object(), "tuple": (),
        # arrays: empty, non-finite, wrong dtype, wrong shape, non-contiguous, read-only, huge values
        "array[]": np.array([]), "array[0x0]": np.empty((0, 0)), "array[nan]": np.full(4, nan),
        "array[inf] 2-D": np.full((4, 4), inf), "array int": np.arange(4), "array bool": np.ones(4, bool),
        "array complex": np.ones(4, complex), "array str": np.array(["no", "no", "no"]),
        "array object": np.array([1.0, None, 2.0, 3.0], dtype=object), "array 0-d nan": np.array(nan),
        "array float32": np.ones(4, np.float32), "array 3-D": np.ones((2, 2, 2)),
        "array non-contiguous": np.ones(8)[::2], "array 2-D non-contiguous": np.ones((8, 8))[::2, ::2],
        "array read-only": _readonly(np.ones(4)), "array 2-D read-only": _readonly(np.ones((4, 4))),
        "array 1e308": np.full(4, 1e308), "array 2-D 1e308": np.full((4, 4), 1e308),
        "array negative": -np.ones(4), "array wrong length": np.ones(5),
        "array float32 2-D nan": np.full((4, 4), np.float32("nan"), dtype=np.float32),
        "array float32 2-D non-contiguous": np.ones((8, 8), np.float32)[::2, ::2],
        "array float32 2-D read-only": _readonly(np.ones((4, 4), np.float32)),
    }
    return values


HOSTILE = _hostile()


# --------------------------------------------------------------------------------------------
# Valid example arguments
# --------------------------------------------------------------------------------------------

def _examples():
    """Valid example values by parameter name, and ``function qualname:param`` for the ambiguous ones."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.use("Agg")
    ax = Figure().add_subplot()
    ex = {
        # infralab, backend, bench
        "name": "chips.csv", "requested": None, "n_items": 100, "topic": "t",
        "ctx": {"backend": "cpu", "triad_GBps": 10.0}, "kernel": "k", "size": "s", "seconds": 1e-3,
        "baseline_seconds": 2e-3, "fn": lambda: None, "warmup": 0,
        # stream
        "infralab.stream.triad:b": np.ones(4), "infralab.stream.triad:c": np.arange(4.0),
        "infralab.stream.triad_numpy:b": np.ones(4), "infralab.stream.triad_numpy:c": np.arange(4.0),
        "infralab.stream.triad_python:b": [1.0, 2.0, 3.0, 4.0], "infralab.stream.triad_python:c": [1.0, 0.0, 1.0, 0.0],
        "s": 2.0, "infralab.stream.measure_triad_bandwidth:n": 1000, "repeats": 1, "sizes": [8, 16],
        "python_up_to": 8,
        # network
        "nbytes": 1e6, "n_ranks": 8, "latency_s": 5e-6, "bandwidth_Bps": 50e9, "n_params": 1e9,
        "tokens_per_step": 1e6, "n_gpus": 8, "peak_flops": 1e15, "mfu": 0.4, "compute_s": 0.1,
        "n_paths": 8, "n_flows": 8, "n_bins": 8, "n_balls": 8, "n_trials": 64, "packets_per_flow": 4, "seed": 0,
        "n_messages": 64, "packets_per_message": 4, "base_latency_s": 1e-6, "mean_queue_s": 1e-6,
        "loss_prob": 0.01, "rto_s": 1e-3, "latencies": np.linspace(1.0, 2.0, 8), "messages_per_step": 2,
        "samples": np.linspace(0.0, 1.0, 8), "utilization": 0.5, "quantile": 0.99, "target_slowdown": 1.5,
        "infralab.thermal.energy.combined_reduction:*": (0.5, 0.5), "latency_before_s": 8e-6, "latency_after_s": 6e-6,
        "infralab.network.collectives.time_to_train_saving:**": dict(n_params=1e9, n_ranks=64, compute_s=0.1, bandwidth_Bps=50e9),
        # thermal
        "total_facility_w": 1150.0, "it_w": 1000.0, "pue_onprem": 1.5, "pue_cloud": 1.15, "util_onprem": 0.3,
        "util_cloud": 0.6, "energy_ratio": 3.0, "grid_g_per_kwh_onprem": 400.0, "grid_g_per_kwh_cloud": 100.0,
        "pue_base": 1.5, "cooling_share_of_overhead": 0.5, "power_w": 100.0, "delta_t_k": 10.0,
        "coolant_c": 25.0, "r_jc": 0.1, "r_tim": 0.05, "h_w_m2k": 100.0, "area_m2": 0.5, "alpha": 1.0,
        "dx": 1.0, "u0": np.zeros((5, 5)), "dt": 0.1, "n_steps": 3, "r": 0.2,
        "infralab.thermal.solvers.fv_stability_limit:k": np.ones((4, 4)), "infralab.thermal.solvers.solve_heat_fv:k": np.ones((4, 4)),
        "rho_c": 1.0, "h_top": 1.0, "t0": np.zeros((4, 4)), "source_w_m3": 1.0, "t_inf": 0.0, "record_every": 1,
        "infralab.thermal.package.package_model:dx": 2e-3, "t_end_s": 0.05, "n_frames": 1,
        "infralab.thermal.package.simulate_package:dt": 1e-2,
        "server_w": [100.0, 200.0, 300.0], "needs_liquid": [False, True, False], "n_air_racks": 2,
        "n_liquid_racks": 1, "rack_power_w": 1000.0, "air_cooling_w": 1000.0, "liquid_cooling_w": 1000.0,
        # chips
        "intensity": 10.0, "infralab.chips.matmul_intensity:m": 64, "infralab.chips.matmul_intensity:n": 64,
        "infralab.chips.matmul_intensity:k": 64, "batch": 1, "bytes_per_element": 2.0, "flops_per_element": 1.0,
        "n_tokens": 1e12, "n_chips": 8, "costs": [1.0, 2.0, 3.0], "times": [3.0, 2.0, 1.0], "usd_per_hour": 10.0,
        "tokens_per_second": 100.0, "infralab.gemm.matmul:a": np.ones((4, 4), np.float32),
        "infralab.gemm.matmul:b": np.ones((4, 4), np.float32), "infralab.gemm.measure_matmul:n": 16,
        "infralab.gemm.matmul_step:a": np.ones((4, 4), np.float32), "infralab.gemm.matmul_step:b": np.ones((4, 4), np.float32),
        "step": "packed", "infralab.gemm.measure_steps:n": 16, "steps": ("ikj", "packed"), "cores": 2,
        "clock_GHz": 2.5, "fma_ports": 2, "infralab.gemm.step_intensity:bytes_per_element": 4.0,
        "chips_per_instance": 8.0, "peak_tflops": 1000.0, "cost_a": 1.0, "cost_b": 2.0, "saving": 0.3,
        # enclave
        "key": bytes(32), "counter": 0, "nonce": bytes(12), "known_key": bytes(32), "unknown_bits": 8, "infralab.enclave.chacha.measure_search_rate:bits": 20,
        "plaintext": bytes(64), "ciphertext": bytes(64), "value": 5, "n_keys": 10, "n_blocks": 16,
        "bits": 64.0, "keys_per_second": 1e9, "message_bytes": 1024, "link_gbps": 400.0,
        "bytes_per_second_per_core": 1e9, "pcr": bytes(48), "measurement": bytes(48), "data": b"x",
        "infralab.enclave.measure.measure_image:kernel": b"kernel", "init": b"init", "application": b"app",
        "kek": bytes(range(32)), "old_kek": bytes(range(32)), "new_kek": bytes(range(1, 33)), "kek_id": "kek-1",
        "new_kek_id": "kek-2", "aad": b"",
        "infralab.enclave.gcm_misuse.gf128_inv:x": 0x66E94BD4EF8A2C3B884CFA59CA342B2E,
        "infralab.enclave.gcm_misuse.gf128_mul:x": 1 << 127, "infralab.enclave.gcm_misuse.gf128_mul:y": 12345,
        "infralab.backend.launch_config:shape": 1000,
        **{f"infralab.enclave.gcm_misuse.forge_after_nonce_reuse:{k}": v for k, v in dict(
            c1=bytes(16), t1=bytes(range(16)), c2=b"\x01" * 16, t2=bytes(range(1, 17)), known_plain1=b"a" * 16,
            new_plain=b"b" * 16).items()},
        # cluster
        "instance": "p5.48xlarge", "n_instances": 4, "params": 7e9, "tokens": 1e12, "pue": 1.15,
        "grid_g_per_kwh": 400.0, "n_samples": 64,
        # plotting
        "ax": ax, "i": 1, "title": "t", "xlabel": "x (s)", "ylabel": "y (m)", "groups": {"a": {"x": 1.0, "y": 2.0}},
        "unit": "W", "x": 1.0, "text": "t", "values": [1e3, 2e6],
    }
    from infralab import thermal
    from infralab.enclave import attestation, envelope

    ex["model"] = thermal.package_model(100.0, "air", dx=2e-3)
    start = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(hours=1)
    pki = attestation.TestPKI(start)
    ex.update({
        "start": start, "pki": pki, "pcrs": {0: bytes(48)}, "root_certificate": pki.root_pem,
        "trusted_root_pem": pki.root_pem, "clock": None, "infralab.enclave.kms.ToyEnclave:kernel": b"kernel",
        "document": attestation.mint_attestation(pki, {0: bytes(48)}, timestamp=_dt.datetime.now(_dt.timezone.utc)),
        "infralab.enclave.attestation.load_document:path": str(infralab.data_path("nitro_attestation_2022-07-26.b64")),
        "infralab.enclave.attestation.pcr_value:name": "pcr0", "infralab.enclave.attestation.pcr_value:value": bytes(48),
    })
    env = envelope.envelope_encrypt(b"object", bytes(range(32)))
    ex["env"] = env
    for field in ("wrapped_key", "key_nonce", "nonce", "ciphertext", "kek_id"):
        ex[f"infralab.enclave.envelope.Envelope:{field}"] = getattr(env, field)
    try:   # the self-checking exercises (infralab.exercises), when present
        from infralab import exercises as exs

        core = "infralab.exercises._core"
        one = exs.Exercise(number=1, title="t", kind=exs.Boolean(), compute=lambda: True, hint_text="h",
                           explanation="e")
        ex.update({f"{core}.Choice:options": ("a", "b"), f"{core}.Parts:kinds": (exs.Boolean(), exs.Boolean()),
                   f"{core}.Exercise:number": 1, f"{core}.Exercise:title": "t", f"{core}.Exercise:kind": exs.Boolean(),
                   f"{core}.Exercise:compute": lambda: True, f"{core}.Exercise:hint_text": "h",
                   f"{core}.Exercise:explanation": "e", f"{core}.Exercises:notebook": "00",
                   f"{core}.Exercises:exercises": [one], "infralab.exercises.load:notebook": "00"})
    except (ImportError, AttributeError, TypeError, ValueError):
        pass
    return ex


EXAMPLES = _examples()
_NO_VALUE = object()


def _example(qual: str, p: inspect.Parameter):
    if f"{qual}:{p.name}" in EXAMPLES:
        return EXAMPLES[f"{qual}:{p.name}"]
    if p.default is not inspect.Parameter.empty:
        return p.default
    if p.name in EXAMPLES:
        return EXAMPLES[p.name]
    hint = str(p.annotation)
    for key, value in (("ndarray", np.ones(4)), ("bytes", bytes(32)), ("bool", True), ("int", 4),
                       ("float", 1.0), ("str", "x"), ("dict", {}), ("list", [1.0])):
        if key in hint:
            return value
    return 1.0


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _base_call(qual, fn):
    """(positional args, keyword args, names of the fuzzable parameters) of the example call."""
    sig = _signature(fn)
    args, kwargs, names = [], {}, []
    if sig is None:
        return args, kwargs, names
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            names.append(f"*{len(args)}")        # fuzzed as a single hostile extra argument
            args.extend(EXAMPLES.get(f"{qual}:*", ()))
            continue
        if p.kind is p.VAR_KEYWORD:
            kwargs.update(EXAMPLES.get(f"{qual}:**", {}))
            continue
        names.append(p.name)
        value = _example(qual, p)
        if p.kind is p.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[p.name] = value
    return args, kwargs, names


# --------------------------------------------------------------------------------------------
# Running one call under the contract
# --------------------------------------------------------------------------------------------

class _Timeout(BaseException):
    """Raised by the alarm inside a call that runs too long (a BaseException: no ``except
    Exception`` in the library can swallow it)."""


def _on_alarm(signum, frame):
    raise _Timeout()


def _floats_ok(value, depth=0) -> bool:
    """False if ``value`` holds NaN or infinity anywhere (numbers, arrays, dicts, sequences)."""
    if depth > 4:
        return True
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, (float, np.floating, complex, np.complexfloating)):
        return bool(np.isfinite(value))
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.all(np.isfinite(value)))
    if isinstance(value, dict):
        return all(_floats_ok(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_floats_ok(v, depth + 1) for v in value[:10_000])
    return True


def _snapshot(args, kwargs):
    arrays = [(f"arg{i}", a) for i, a in enumerate(args)] + list(kwargs.items())
    return [(n, a, a.copy()) for n, a in arrays if isinstance(a, np.ndarray) and n != "out"]


def _call(qual, fn, args, kwargs, allowed):
    """Run one call; return None when it kept the contract, else a description of the breach."""
    before = _snapshot(args, kwargs)
    t0 = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, PER_CALL_LIMIT_S)
    try:
        result = fn(*args, **kwargs)
    except _Timeout:
        return f"still running after {PER_CALL_LIMIT_S} s (interrupted)"
    except allowed:
        result = _NO_VALUE
    except BaseException as exc:  # noqa: BLE001  (the point is to see any type that leaks)
        return f"raised {type(exc).__name__}: {str(exc)[:160]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    elapsed = time.perf_counter() - t0
    if elapsed > PER_CALL_LIMIT_S:
        return f"took {elapsed:.1f} s (limit {PER_CALL_LIMIT_S} s)"
    for name, arr, copy in before:
        if arr.shape != copy.shape or not np.array_equal(arr, copy, equal_nan=arr.dtype.kind in "fc"):
            return f"modified its input array {name}"
    if result is not _NO_VALUE and qual not in DOCUMENTED_NAN and not _floats_ok(result):
        return "returned NaN or infinity"
    return None


@pytest.fixture(scope="module", autouse=True)
def _alarm_handler():
    old = signal.signal(signal.SIGALRM, _on_alarm)
    faulthandler.dump_traceback_later(HARD_ABORT_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
    signal.signal(signal.SIGALRM, old)


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------

def test_discovery_finds_the_public_api():
    """Discovery works: the known entry points of every topic module are found (a smoke test of
    the walker, not a list to keep up to date: new functions need no entry here)."""
    for qual in ("infralab.stream.triad", "infralab.network.ecmp.balls_into_bins", "infralab.thermal.solvers.solve_heat_fv",
                 "infralab.gemm.matmul", "infralab.enclave.chacha.search_key", "infralab.enclave.wire.cores_for_line_rate",
                 "infralab.enclave.measure.pcr_extend", "infralab.plotting.stacked_bars", "infralab.backend.resolve",
                 "infralab.data_path", "infralab.bench.record"):
        assert qual in FUNCS, qual
    assert not any(q.split(".")[-1].startswith("_") for q in FUNCS)
    assert set(EXEMPT) <= set(FUNCS)   # no stale entries
    assert "infralab.chips.ChipDataError" in ERRORS
    assert len(FUNCS) >= 70


@pytest.mark.parametrize("qual", sorted(FUNCS))
def test_example_call_reaches_the_body(qual):
    """The example call is valid, so the hostile values below reach every check, not only the first."""
    fn = FUNCS[qual]
    if qual in EXEMPT:
        pytest.skip(EXEMPT[qual])
    args, kwargs, _ = _base_call(qual, fn)
    try:
        fn(*args, **kwargs)
    except _allowed(qual, fn) as exc:
        pytest.skip(f"no valid example arguments (add them to EXAMPLES): {type(exc).__name__}: {exc}")


@pytest.mark.parametrize("qual", sorted(FUNCS))
def test_hostile_inputs_keep_the_contract(qual):
    fn = FUNCS[qual]
    if qual in EXEMPT:
        pytest.skip(EXEMPT[qual])
    allowed = _allowed(qual, fn)
    args, kwargs, names = _base_call(qual, fn)
    breaches = []
    for name in names:
        for label, value in HOSTILE.items():
            a, kw = list(args), dict(kwargs)
            if name.startswith("*"):
                a = a[:int(name[1:])] + [value]
            elif name in kw:
                kw[name] = value
            else:
                sig_names = [n for n in names if n not in kwargs and not n.startswith("*")]
                a[sig_names.index(name)] = value
            problem = _call(qual, fn, a, kw, allowed)
            if problem:
                breaches.append(f"{name}={label} ({_short(value)}): {problem}")
    assert not breaches, f"{qual} broke its contract {len(breaches)} time(s):\n" + "\n".join(breaches[:40])


# --------------------------------------------------------------------------------------------
# The examples of issue 14's "Why", one by one
# --------------------------------------------------------------------------------------------

from hypothesis import given, strategies as st  # noqa: E402

from infralab import _checks, chips, network, plotting, stream, thermal  # noqa: E402
from infralab.enclave import chacha, wire  # noqa: E402


@pytest.mark.parametrize("n_steps", [2**63, 2**64 + 1, 10**400, thermal.MAX_STEPS + 1])
def test_huge_step_counts_are_refused_not_run_as_zero_steps(n_steps):
    u = np.zeros((5, 5))
    u[2, 2] = 1.0
    with pytest.raises(ValueError, match="n_steps"):
        thermal.solve_heat_2d(u, 1.0, 1.0, 0.25, n_steps)
    with pytest.raises(ValueError, match="n_steps"):
        thermal.solve_heat_fv(u, np.ones((5, 5)), 1.0, 1.0, 0.2, n_steps)
    assert u[2, 2] == 1.0


def test_work_cap_of_the_solvers_gives_time_and_memory():
    u = np.zeros((1000, 1000))
    with pytest.raises(ValueError, match=r"estimated .* s on 2 cores and .* GiB") as exc:
        thermal.solve_heat_2d(u, 1.0, 1.0, 0.25, 100_000)          # 1e11 cell updates
    assert "solve_heat_2d" in str(exc.value)


@pytest.mark.parametrize("k", [1e308, 1.7e308])
def test_a_nan_stability_limit_is_an_error_not_a_pass(k):
    """k=1e308: 2k1k2/(k1+k2) is inf/inf = NaN, and ``dt > NaN`` is False: the old check passed."""
    with pytest.raises(ValueError, match="stability limit"):
        thermal.solve_heat_fv(np.zeros((4, 4)), np.full((4, 4), k), 1.0, 1.0, 1e-300, 1)
    with pytest.raises(ValueError, match="stability limit"):
        thermal.fv_stability_limit(np.full((4, 4), k), 1.0, 1.0, 0.0)


@pytest.mark.parametrize("alpha, dx", [(1e308, 1e-200), (1e-300, 1e300), (1.0, 1e308)])
def test_stability_limit_overflow_and_underflow(alpha, dx):
    with pytest.raises(ValueError, match="dx and alpha"):
        thermal.stability_limit(alpha, dx)


@pytest.mark.parametrize("call", [
    lambda: network.compute_time_per_step(1e308, 1e308, 1, 1.0, 1.0),       # overflow (was inf)
    lambda: network.compute_time_per_step(1e-300, 1e-300, 1, 1e300, 1.0),   # underflow to 0
    lambda: network.bus_bandwidth(1e308, 5e-324, 8),                        # inf bandwidth
    lambda: network.allreduce_time(1e308, 8, 0.0, 5e-324),
    lambda: network.crossover_bytes(8, 1e308, 1e308),
    lambda: network.training_step(1e308, 8, 0.1, 1e-6, 1e9, bytes_per_param=1e308),
    lambda: thermal.pue(1e308, 5e-324),
    lambda: thermal.junction_temperature(1e308, 25.0, 1e308, 0.0, 1.0, 1.0),
    lambda: chips.training_flops(1e308, 1e308),
    lambda: chips.ridge_point(5e-324, 1e308),
    lambda: chips.usd_per_pflop_hour(1e308, 1e-300, 1e-300),
    lambda: chips.required_efficiency_ratio(1e308, 1e-300, 0.5),
    lambda: chacha.years_to_search(1023, 5e-324),
    lambda: wire.cores_for_line_rate(1e9, 5e-324),                            # was OverflowError
])
def test_overflow_and_underflow_in_derived_quantities_are_value_errors(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("call", [
    lambda: network.percentiles([]),
    lambda: network.collective_step_latency(np.array([]), 1),
    lambda: network.allreduce_time(np.array([]), 8, 1e-6, 1e9),
    lambda: chips.pareto_front([], []),
    lambda: chips.attainable_flops(1e15, 1e12, np.array([])),
    lambda: thermal.place_servers([], [], 1, 1, rack_power_w=1, air_cooling_w=1, liquid_cooling_w=1),
    lambda: thermal.solve_heat_fv(np.empty((0, 4)), np.empty((0, 4)), 1.0, 1.0, 0.1, 1),
    lambda: stream.triad(np.array([]), np.array([]), 1.0),
    lambda: plotting.sizes_label([]),
])
def test_empty_arrays_are_value_errors(call):
    with pytest.raises(ValueError, match="empty"):
        call()


@pytest.mark.parametrize("fn", [stream.triad, stream.triad_numpy])
def test_read_only_out_is_refused_and_left_alone(fn):
    out = np.zeros(4)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        fn(np.ones(4), np.ones(4), 2.0, out=out)
    assert np.all(out == 0)


@pytest.mark.parametrize("b", [np.array([1.0, np.nan, 2.0]), np.array([np.inf, 0.0, 0.0])])
def test_non_finite_input_arrays_are_refused(b):
    with pytest.raises(ValueError, match="finite"):
        stream.triad(b, np.ones(3), 1.0)
    with pytest.raises(ValueError, match="finite"):
        chips.matmul(b.astype(np.float32).reshape(1, 3), np.ones((3, 1), np.float32))


def test_triad_that_would_overflow_is_refused():
    with pytest.raises(ValueError, match="b, c and s"):
        stream.triad(np.full(4, 1e308), np.full(4, 1e308), 1.0)


@pytest.mark.parametrize("mask", [["no", "no", "no"], ["yes", "no", "yes"], [0.0, 1.0, 0.0], [None, 1, 0]])
def test_needs_liquid_must_be_a_boolean_mask(mask):
    with pytest.raises(TypeError, match="needs_liquid"):
        thermal.place_servers([1.0, 2.0, 3.0], mask, 1, 1, rack_power_w=10, air_cooling_w=10,
                              liquid_cooling_w=10)


def test_needs_liquid_accepts_0_1_integers_like_booleans():
    kw = dict(rack_power_w=10, air_cooling_w=10, liquid_cooling_w=10)
    a = thermal.place_servers([1.0, 2.0, 3.0], [0, 1, 0], 1, 1, **kw)
    b = thermal.place_servers([1.0, 2.0, 3.0], [False, True, False], 1, 1, **kw)
    assert list(a["rack_of"]) == list(b["rack_of"]) == [0, 1, 0]
    with pytest.raises(ValueError, match="needs_liquid"):
        thermal.place_servers([1.0, 2.0, 3.0], [0, 2, 0], 1, 1, **kw)


def test_unbounded_work_examples_are_refused_with_an_estimate():
    with pytest.raises(ValueError, match="n_trials"):
        network.balls_into_bins(8, 8, 2**31)                 # was the documented maximum: 16 GiB
    with pytest.raises(ValueError, match=r"estimated .* s on 2 cores"):
        network.balls_into_bins(65536, 2**24, 10**4)
    with pytest.raises(ValueError, match=r"search_key on the CPU.*estimated"):
        chacha.search_key(bytes(32), 32, bytes(12), bytes(64), bytes(64), backend="cpu")
    for call in (lambda: chips.measure_matmul(64, repeats=10**12),
                 lambda: stream.measure_triad_bandwidth(1000, repeats=10**12),
                 lambda: stream.time_versions([8], repeats=10**12),
                 lambda: chacha.bulk_blocks_per_second(16, repeats=10**12),
                 lambda: wire.aesgcm_bytes_per_second(16, repeats=10**12)):
        with pytest.raises(ValueError, match="repeats"):
            call()


def test_no_collision_probability_with_a_billion_flows_is_exact_and_instant():
    """(8, 10**9) looped a billion times; with more flows than paths a collision is certain."""
    t0 = time.perf_counter()
    assert network.ecmp_no_collision_probability(8, 10**9) == 0.0
    assert network.ecmp_no_collision_probability(8, 9) == 0.0
    assert network.ecmp_no_collision_probability(8, 8) == pytest.approx(math.factorial(8) / 8**8)
    assert time.perf_counter() - t0 < 1.0


def test_every_count_of_the_topic_modules_has_an_upper_bound():
    """10**400 for an int parameter is a ValueError naming it, never an OverflowError or a hang."""
    cases = [(network.balls_into_bins, (8, 8, 10**400)), (network.simulate_message_latency, (10**400, 4, 0, 0, 0, 0)),
             (network.allreduce_time, (1.0, 10**400, 0.0, 1.0)), (network.ecmp_expected_used_paths, (10**400, 1)),
             (chips.matmul_intensity, (10**400, 1, 1)), (chips.train_run, (1e9, 1e9, 10**400, 1e15, 0.5)),
             (thermal.place_servers, ([1.0], [True], 10**400, 0)), (plotting.color, (10**400,)),
             (stream.measure_triad_bandwidth, (10**400,)), (chacha.python_search_rate, (10**400,))]
    for fn, args in cases:
        kw = dict(rack_power_w=1, air_cooling_w=1, liquid_cooling_w=1) if fn is thermal.place_servers else {}
        with pytest.raises(ValueError, match="must be"):
            fn(*args, **kw)


@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.booleans())
def test_real_returns_a_finite_float_or_raises(x):
    try:
        v = _checks.real("x", x)
    except (ValueError, TypeError):
        return
    assert isinstance(v, float) and math.isfinite(v) and not isinstance(x, bool)


@given(st.integers(min_value=-(2**70), max_value=2**70), st.integers(0, 2**40), st.integers(0, 2**40))
def test_integer_keeps_its_bounds(x, low, span):
    high = low + span
    try:
        v = _checks.integer("n", x, low=low, high=high)
    except ValueError as exc:
        assert not low <= x <= high and "n must be" in str(exc)
        return
    assert v == x and low <= v <= high


def test_binomial_split_beyond_float_range_is_refused_not_overflowing():
    """ecmp_vs_spray_latency(n_flows=5000) raised OverflowError (C(4999, x) is beyond a float)."""
    with pytest.raises(ValueError, match="n_flows"):
        network.ecmp_vs_spray_latency(100, 4, 1e-6, 1e-6, 0.5, 8, 5000, 0.0, 1e-3, multipath=False)
    lat = network.ecmp_vs_spray_latency(100, 4, 1e-6, 1e-6, 0.5, 8, 1024, 0.0, 1e-3, multipath=False)
    assert lat.size > 0 and np.all(np.isfinite(lat))


def test_spraying_slowdown_caps_its_sum():
    with pytest.raises(ValueError, match="packets_per_path"):
        network.spraying_slowdown(64, 1e8)          # took over a minute and several GB
