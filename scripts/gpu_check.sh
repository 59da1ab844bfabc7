#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: the CUDA twins' tests on the real GPU
# (INFRALAB_BACKEND=cuda, no simulator), then the benchmark, which adds GPU records.
#
# The machine may have no internet: if numba-cuda (with its CUDA runtime wheels) is not importable,
# the script installs wheels from ./.whl (carry them there: numba, llvmlite, numba-cuda,
# cuda-bindings, cuda-core, cuda-pathfinder, the cuda-toolkit/nvidia-* runtime wheels, cryptography,
# cbor2, hypothesis, pytest, sortedcontainers) and falls back to PyPI only when it is reachable.
# Logs go to $OUT when that is set (the device tool), else /tmp/gpu_check.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-/tmp/gpu_check}"; mkdir -p "$out"
export PYTHONUNBUFFERED=1
unset NUMBA_ENABLE_CUDASIM
if ! python3 -c "import numba_cuda, numba, cbor2, cryptography, hypothesis, pytest" 2>/dev/null; then
  if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl && export PYTHONPATH="/tmp/site:$PWD/lib"
  else
    python3 -m pip install -q -e . "numba-cuda[cu12]" cbor2 cryptography hypothesis pytest
  fi
fi
export PYTHONPATH="${PYTHONPATH:-}:$PWD/lib"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
python3 -c "import infralab; print(infralab.backend.info())" | tee -a "$out/gpu.txt"
INFRALAB_BACKEND=cuda python3 -m pytest -q -p no:cacheprovider -o addopts= tests/cudasim 2>&1 | tee "$out/cuda_tests.txt"
python3 -m infralab.bench --json > "$out/bench.json"
python3 -m infralab.bench | tee "$out/bench.txt"
