import os
import subprocess
import sys

import numpy as np
import pytest

from infralab import backend


def test_info_has_the_documented_keys():
    info = backend.info()
    for key in ("backend", "numba_version", "cpu_threads", "gpu_name"):
        assert key in info
    assert info["backend"] in ("cpu", "cuda", "cuda-sim")
    assert isinstance(info["cpu_threads"], int) and info["cpu_threads"] >= 1


def test_no_gpu_here_means_cpu_by_default(monkeypatch):
    monkeypatch.delenv("INFRALAB_BACKEND", raising=False)
    if backend.info()["gpu_name"] is None and not backend.simulator_enabled():
        assert backend.resolve() == "cpu"


def test_env_var_forces_cpu(monkeypatch):
    monkeypatch.setenv("INFRALAB_BACKEND", "cpu")
    assert backend.resolve() == "cpu"
    assert backend.info()["backend"] == "cpu"


@pytest.mark.parametrize("bad", ["gpu", "CUDA11", "tpu", "numpy"])
def test_unknown_backend_names_allowed_values(monkeypatch, bad):
    monkeypatch.setenv("INFRALAB_BACKEND", bad)
    with pytest.raises(ValueError, match="cpu.*cuda"):
        backend.resolve()
    monkeypatch.delenv("INFRALAB_BACKEND")
    with pytest.raises(ValueError, match="backend must be one of"):
        backend.resolve(bad)


def test_backend_argument_type():
    with pytest.raises(TypeError, match="backend"):
        backend.resolve(3)


def test_cuda_without_gpu_raises(monkeypatch):
    if backend.cuda_usable():
        pytest.skip("a GPU or the simulator is present")
    monkeypatch.setenv("INFRALAB_BACKEND", "cuda")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        backend.resolve()


def test_import_from_any_directory(tmp_path):
    out = subprocess.run([sys.executable, "-c", "import infralab; print(infralab.backend.info()['backend'])"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "INFRALAB_BACKEND"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() in ("cpu", "cuda", "cuda-sim")


def test_simulator_is_reported(tmp_path):
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    env.pop("INFRALAB_BACKEND", None)
    out = subprocess.run([sys.executable, "-c", "import infralab; print(infralab.backend.info()['backend'])"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert out.stdout.strip() == "cuda-sim", out.stderr


# --- choose(): small problems stay on the CPU only when the choice is automatic ---------------

def test_choose_obeys_an_explicit_request(monkeypatch):
    monkeypatch.delenv("INFRALAB_BACKEND", raising=False)
    c = backend.choose("thermal.fv", 10, "cpu")
    assert c == ("cpu", "requested: backend='cpu'")


def test_choose_reports_the_environment_variable(monkeypatch):
    monkeypatch.setenv("INFRALAB_BACKEND", "cpu")
    c = backend.choose("network.bins", 10**9)
    assert c.backend == "cpu" and "INFRALAB_BACKEND='cpu'" in c.reason


def test_automatic_choice_applies_the_per_kernel_threshold(monkeypatch):
    monkeypatch.delenv("INFRALAB_BACKEND", raising=False)
    monkeypatch.setattr(backend, "_auto", lambda: "cuda")      # pretend a GPU is present
    for kernel, (need, unit, _why) in backend.GPU_MIN_WORK.items():
        small = backend.choose(kernel, need - 1)
        assert small.backend == "cpu"
        assert "below the GPU threshold" in small.reason and unit in small.reason and kernel in small.reason
        assert backend.choose(kernel, need).backend == "cuda"


def test_the_chip_package_of_notebook_02_stays_on_the_cpu(monkeypatch):
    from infralab import thermal
    monkeypatch.delenv("INFRALAB_BACKEND", raising=False)
    monkeypatch.setattr(backend, "_auto", lambda: "cuda")
    cells = thermal.package_model(700, "air").k.size
    assert backend.choose("thermal.fv", cells).backend == "cpu"


def test_automatic_choice_without_a_gpu(monkeypatch):
    monkeypatch.delenv("INFRALAB_BACKEND", raising=False)
    monkeypatch.setattr(backend, "_auto", lambda: "cpu")
    c = backend.choose("stream.triad", 10**9)
    assert c.backend == "cpu" and "no CUDA GPU" in c.reason


def test_choose_refuses_unknown_kernels_and_names():
    with pytest.raises(KeyError):
        backend.choose("no.such.kernel", 1)
    with pytest.raises(ValueError, match="backend must be one of"):
        backend.choose("stream.triad", 1, "gpu")


def test_info_lists_the_thresholds():
    assert backend.info()["gpu_min_work"] == {k: v[0] for k, v in backend.GPU_MIN_WORK.items()}


# --- launch_config(), quiet(), ulp_distance() ---------------------------------------------------

def test_2d_grid_puts_x_along_the_columns():
    if backend.simulator_enabled():
        pytest.skip("the simulator shrinks blocks")
    blocks, threads = backend.launch_config((10, 100))
    assert threads == backend.BLOCK_2D == (32, 8)
    assert blocks == (4, 2)                  # ceil(100 / 32) blocks along x, ceil(10 / 8) along y


def test_1d_grid_is_capped_and_covers_small_problems():
    if backend.simulator_enabled():
        pytest.skip("the simulator shrinks blocks")
    assert backend.launch_config(1000, 256) == (4, 256)
    assert backend.launch_config(10**9, 128, max_blocks=4096) == (4096, 128)
    assert backend.launch_config(0) == (1, 128)


def test_quiet_silences_performance_warnings_only():
    import warnings

    from numba.core.errors import NumbaPerformanceWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with backend.quiet():
            warnings.warn(NumbaPerformanceWarning("Grid size 1 will likely result in GPU under-utilization"))
            warnings.warn(UserWarning("something else"))
    assert [type(w.message) for w in caught] == [UserWarning]


def test_quiet_silences_numba_cudas_own_warning_class():
    # numba-cuda raises its own NumbaPerformanceWarning, which is not numba's class nor a subclass of it
    import warnings
    errors = pytest.importorskip("numba.cuda.core.errors")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with backend.quiet():
            warnings.warn(errors.NumbaPerformanceWarning("Grid size 16 will likely result in GPU "
                                                         "under-utilization due to low occupancy."))
            warnings.warn(errors.NumbaPerformanceWarning("Host array used in CUDA kernel will incur copy "
                                                         "overhead to/from device."))
            warnings.warn(errors.NumbaPerformanceWarning("any other performance note, by class"))
    assert caught == []


def test_ulp_distance():
    one = np.float64(1.0)
    assert backend.ulp_distance(one, np.nextafter(one, 2.0)) == 1
    assert backend.ulp_distance(-0.0, 0.0) == 0
    tiny = np.nextafter(0.0, 1.0)
    assert backend.ulp_distance(-tiny, tiny) == 2          # across zero
    np.testing.assert_array_equal(backend.ulp_distance([1.0, 2.0], [1.0, 2.0]), [0, 0])
    big = np.finfo(np.float64).max        # bit pattern 0x7FEFFFFFFFFFFFFF: the int64 difference would wrap
    assert int(backend.ulp_distance(-big, big)) == 2 * 0x7FEFFFFFFFFFFFFF


@pytest.mark.parametrize("a", [np.nan, np.inf, 10**400, [], "x"])
def test_ulp_distance_refuses_what_is_not_a_finite_float(a):
    with pytest.raises((ValueError, TypeError), match="a "):
        backend.ulp_distance(a, 1.0)


@pytest.mark.parametrize("kw, name", [(dict(shape=float("inf")), "shape"), (dict(shape=1.0), "shape"),
                                      (dict(shape=2**60), "shape"), (dict(shape=10, threads_per_block=0), "threads"),
                                      (dict(shape=10, threads_per_block=2048), "threads"),
                                      (dict(shape=(4, 4), threads_per_block=(64, 64)), "threads"),
                                      (dict(shape=(4, 4, 4)), "shape"), (dict(shape=10, max_blocks=0), "max_blocks")])
def test_launch_config_refuses_impossible_grids(kw, name):
    with pytest.raises((ValueError, TypeError), match=name):
        backend.launch_config(**kw)


def test_device_helpers_need_a_gpu():
    from infralab import chips, stream
    if backend.cuda_usable():
        pytest.skip("a GPU or the simulator is present")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        stream.measure_gpu_copy_bandwidth()
    with pytest.raises(ValueError, match="no CUDA GPU"):
        chips.measure_matmul_cuda(256)


@pytest.mark.parametrize("work", [float("nan"), float("inf"), -1.0, "1000", None])
def test_choose_refuses_work_that_is_not_a_finite_count(work):
    with pytest.raises((ValueError, TypeError), match="work"):
        backend.choose("thermal.fv", work)
