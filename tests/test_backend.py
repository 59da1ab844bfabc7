import os
import subprocess
import sys

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
