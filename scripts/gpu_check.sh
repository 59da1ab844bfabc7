#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU: install the CUDA runtime wheels, run the CUDA twins'
# tests on the real GPU (INFRALAB_BACKEND=cuda, no simulator), then the benchmark with the GPU records.
# Usage: bash scripts/gpu_check.sh [cu12|cu13]   (writes logs to $OUT when that is set)
set -uo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-cu12}"
out="${OUT:-/tmp/gpu_check}"; mkdir -p "$out"
export PYTHONUNBUFFERED=1
python3 -m venv /tmp/gpuvenv && . /tmp/gpuvenv/bin/activate
pip install -q -r requirements.txt "numba-cuda[$flavour]" 2>&1 | tail -3
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
python -c "import infralab; print(infralab.backend.info())" | tee -a "$out/gpu.txt"
unset NUMBA_ENABLE_CUDASIM
INFRALAB_BACKEND=cuda python -m pytest -q -p no:cacheprovider -o addopts= tests/cudasim 2>&1 | tee "$out/cuda_tests.txt"
python -m infralab.bench --json > "$out/bench.json"; python -m infralab.bench | tee "$out/bench.txt"
