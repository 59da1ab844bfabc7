"""Test configuration shared by the unit tests.

The CUDA twins are tested in ``tests/cudasim`` under numba's CUDA simulator, which must be switched
on before numba is imported; ``test_cuda_sim.py`` runs that folder in a subprocess with
``NUMBA_ENABLE_CUDASIM=1``, so the main session skips it here.
"""

import os

collect_ignore = [] if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1" else ["cudasim"]

from hypothesis import settings

# Fixed seeds: hypothesis draws the same examples on every run and machine (no example database).
settings.register_profile("course", derandomize=True, database=None, print_blob=True)
settings.load_profile("course")
