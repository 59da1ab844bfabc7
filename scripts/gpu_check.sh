#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU, in this order:
#   1. versions: NumPy, numba and numba-cuda must fit together (checked before anything imports them);
#   2. the CUDA twins' tests on the real GPU (tests/cudasim with INFRALAB_BACKEND=cuda, no simulator)
#      and the PTX checks of tests/gpu (FMA contraction, register tiling, no local-memory spills);
#   3. every notebook under nbval, with the backend chosen automatically as a reader's would be, and
#      a scan of every executed output for warnings or stderr text (a GPU machine must print none);
#   4. the benchmark, as JSON (bench.json) and as text (bench.txt).
# Results go to $OUT when set (the device tool), else /tmp/gpu_check; the exit status is 0 only when
# every stage passed, and summary.txt says which did not.
#
# Offline machines: when numba-cuda, nbval or a course requirement is missing, the script makes a
# virtual environment (/tmp/gpu_check_venv) and installs from ./.whl without the network. Fill .whl on
# a machine with internet, for the GPU machine's Python version (here 3.11) and platform:
#   pip download -d .whl --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 \
#       --platform manylinux_2_28_x86_64 -r requirements-dev.txt "numba-cuda[cu12]" "numpy<2.5"
# (cu12 for a CUDA 12 driver, cu13 for a CUDA 13 driver; add "cupy-cuda12x" to compare the matmul with
# cuBLAS). That is: numba, llvmlite, numba-cuda, cuda-bindings, cuda-core, cuda-pathfinder, the
# cuda-toolkit / nvidia-* runtime wheels (cudart with libcudadevrt.a for grid-wide sync, nvrtc, nvcc
# or nvvm, nvjitlink), numpy<2.5, and the course's requirements (matplotlib, ipywidgets, ipykernel,
# jupyterlab, nbval, pytest, hypothesis, cryptography, cbor2, ...). numba-cuda 0.30 fails at import
# on NumPy 2.5 (np.row_stack was removed), hence numpy<2.5.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-/tmp/gpu_check}"; mkdir -p "$out"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
unset NUMBA_ENABLE_CUDASIM INFRALAB_BACKEND
py=python3
status=0
summary() { echo "$1" | tee -a "$out/summary.txt"; }
: > "$out/summary.txt"

# --- 0. an environment with everything the checks import ----------------------------------------
need='import numba_cuda, numba, numpy, cbor2, cryptography, hypothesis, pytest, nbval, nbformat, nbconvert, ipykernel, ipywidgets, matplotlib'
if ! $py -c "$need" 2>/dev/null; then
  venv=/tmp/gpu_check_venv
  $py -m venv --system-site-packages "$venv" && . "$venv/bin/activate" && py=python
  # the course's requirements less the editable install (PYTHONPATH=lib below does its job, and
  # building it offline would need setuptools) and the browser tests' playwright
  # (the test tools live in requirements-dev.txt, whose own '-r requirements.txt' line is dropped here)
  cat requirements.txt requirements-dev.txt | grep -v -e '^-e' -e '^-r' -e '^playwright' > "$out/requirements-gpu.txt"
  echo nbconvert >> "$out/requirements-gpu.txt"
  if compgen -G ".whl/*.whl" >/dev/null; then
    $py -m pip install -q --no-index --find-links .whl -r "$out/requirements-gpu.txt" "numba-cuda[cu12]" "numpy<2.5" \
      || $py -m pip install -q --no-index --find-links .whl -r "$out/requirements-gpu.txt" numba-cuda "numpy<2.5"
  else
    $py -m pip install -q -r "$out/requirements-gpu.txt" "numba-cuda[cu12]" "numpy<2.5"
  fi
fi
export PYTHONPATH="$PWD/lib${PYTHONPATH:+:$PYTHONPATH}"

# --- 1. versions, before anything imports numba.cuda ---------------------------------------------
if ! $py - > "$out/versions.txt" 2>&1 <<'EOF'
import subprocess, sys
from importlib.metadata import PackageNotFoundError, version

def v(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None

def as_tuple(s):
    return tuple(int(p) for p in s.split(".")[:2] if p.isdigit())

found = {n: v(n) for n in ("numpy", "numba", "llvmlite", "numba-cuda", "cuda-bindings", "cupy-cuda12x", "cupy-cuda13x")}
print("python", sys.version.split()[0], found)
# NumPy releases each numba-cuda line is known to import with (exclusive upper bound)
NUMPY_BELOW = {(0, 30): (2, 5)}
problems = []
if not found["numba-cuda"]:
    problems.append("numba-cuda is not installed: put its wheels in .whl/ (see the top of this script)")
else:
    below = NUMPY_BELOW.get(as_tuple(found["numba-cuda"]))
    if below and found["numpy"] and as_tuple(found["numpy"]) >= below:
        problems.append(f"NumPy {found['numpy']} is too new for numba-cuda {found['numba-cuda']}: it needs "
                        f"numpy<{below[0]}.{below[1]}; put a numpy-{below[0]}.{below[1] - 1}.* wheel in .whl/ "
                        f"(pip download -d .whl --only-binary=:all: 'numpy<{below[0]}.{below[1]}') and rerun")
if not problems:   # import in a child: a mismatch shows up as an import error, caught here as a message
    proc = subprocess.run([sys.executable, "-c", "import numba; from numba import cuda; print(cuda.is_available())"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        problems.append(f"numba / numba-cuda do not import with NumPy {found['numpy']}: {last}. Install the "
                        "NumPy that this numba-cuda release supports (its release notes; for 0.30: numpy<2.5) "
                        "from .whl/")
    elif proc.stdout.strip() != "True":
        problems.append("numba-cuda imports but sees no usable GPU: check nvidia-smi, the driver, and that the "
                        "cuda-toolkit wheels match the driver's CUDA major version (numba-cuda[cu12] or [cu13])")
for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
EOF
then
  cat "$out/versions.txt"
  summary "versions: FAILED (see versions.txt); nothing else was run"
  exit 2
fi
cat "$out/versions.txt"
summary "versions: ok"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
$py -c "import infralab; print(infralab.backend.info())" | tee -a "$out/gpu.txt"

# --- 2. the twins on the GPU ----------------------------------------------------------------------
if INFRALAB_BACKEND=cuda $py -m pytest -q -p no:cacheprovider -o addopts= tests/cudasim tests/gpu > "$out/cuda_tests.txt" 2>&1; then
  summary "twin tests: ok ($(tail -1 "$out/cuda_tests.txt"))"
else
  summary "twin tests: FAILED ($(tail -1 "$out/cuda_tests.txt"))"; status=1
fi

# --- 3. every notebook under nbval, then no warning in any output ----------------------------------
if $py -m pytest -q -p no:cacheprovider -o addopts= --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg \
     notebooks > "$out/nbval.txt" 2>&1; then
  summary "notebooks under nbval: ok ($(tail -1 "$out/nbval.txt"))"
else
  summary "notebooks under nbval: FAILED ($(tail -1 "$out/nbval.txt"))"; status=1
fi
mkdir -p "$out/notebooks"
for nb in notebooks/*.ipynb; do
  $py -m jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 \
      --output-dir "$out/notebooks" "$nb" >> "$out/nbconvert.txt" 2>&1 || { summary "execute $nb: FAILED"; status=1; }
done
if $py - "$out/notebooks" > "$out/notebook_warnings.txt" 2>&1 <<'EOF'
import glob, re, sys
import nbformat
bad = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.ipynb")):
    for i, cell in enumerate(nbformat.read(path, 4).cells):
        for o in cell.get("outputs", []):
            text = o.get("text", "") if o.get("output_type") == "stream" else ""
            if o.get("name") == "stderr" or re.search(r"Warning\b", text):
                bad += 1
                print(f"{path} cell {i}: {text.strip()[:300]}")
print(f"{bad} output(s) with warnings or stderr text")
sys.exit(1 if bad else 0)
EOF
then
  summary "notebook outputs: no warnings"
else
  summary "notebook outputs: $(tail -1 "$out/notebook_warnings.txt") (see notebook_warnings.txt)"; status=1
fi

# --- 4. the benchmark: JSON, and the same records as text -----------------------------------------
if $py -m infralab.bench --json > "$out/bench.json" 2> "$out/bench_stderr.txt"; then
  $py - "$out/bench.json" <<'EOF' | tee "$out/bench.txt"
import json, sys
from infralab.bench.__main__ import _fmt
for rec in json.load(open(sys.argv[1])):
    print(_fmt(rec))
EOF
  summary "bench: ok (bench.json, bench.txt)"
else
  summary "bench: FAILED (see bench_stderr.txt)"; status=1
fi
cat "$out/summary.txt"
exit $status
