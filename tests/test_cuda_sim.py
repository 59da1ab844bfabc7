"""Run the CUDA twins' tests (tests/cudasim) under numba's CUDA simulator, in a subprocess.

The simulator is chosen when numba is first imported, so it cannot be switched on inside this
pytest session; a child pytest with ``NUMBA_ENABLE_CUDASIM=1`` runs the comparisons instead.
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_cuda_twins_match_cpu_kernels_under_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    env.pop("INFRALAB_BACKEND", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         str(HERE / "cudasim")],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and " skipped" not in proc.stdout, proc.stdout[-2000:]
