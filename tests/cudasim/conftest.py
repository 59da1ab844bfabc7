import os

import pytest


def pytest_collection_modifyitems(config, items):
    # Under a real GPU (scripts/gpu_check.sh) the same tests run without the simulator.
    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1" and os.environ.get("INFRALAB_BACKEND") != "cuda":
        skip = pytest.mark.skip(reason="run via tests/test_cuda_sim.py (simulator) or scripts/gpu_check.sh (GPU)")
        for item in items:
            item.add_marker(skip)
