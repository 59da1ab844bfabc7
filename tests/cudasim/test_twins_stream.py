import numpy as np

from infralab import stream


def test_triad_twin_equals_cpu_kernel():
    rng = np.random.default_rng(0)
    b, c = rng.random(1000), rng.random(1000)
    np.testing.assert_array_equal(stream.triad(b, c, 1.5, backend="cuda"), stream.triad(b, c, 1.5, backend="cpu"))
