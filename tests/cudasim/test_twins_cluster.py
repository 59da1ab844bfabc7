"""The CUDA twin of infralab.cluster's Monte Carlo against the CPU kernel (simulator or real GPU).

Both kernels draw assumption j of sample i from draw 6i + j of the same counter-based stream and run
the same closed form, so under the simulator the arrays are equal bit for bit. On a real GPU the
compiler may fuse multiply-adds, so there the comparison allows a few units in the last place.
"""

import numpy as np

from infralab import backend
from infralab import cluster as cl

N, D = 174.6e9, 300e9


def _compare(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if backend.simulator_enabled():
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-12, err_msg=k)


def test_sample_twin_equals_cpu_kernel():
    kw = dict(n_samples=37, seed=11, latency_s=(4e-6, 9e-6), loss_prob=(0.0, 1e-3))
    _compare(cl.sample("p5.48xlarge", 2500, N, D, backend="cpu", **kw),
             cl.sample("p5.48xlarge", 2500, N, D, backend="cuda", **kw))


def test_sample_twin_with_ecmp_and_cpu_encryption():
    kw = dict(n_samples=19, seed=2, usd_per_hour=(50.0, 80.0), network="ecmp", encryption="cpu")
    _compare(cl.sample("trn2.48xlarge", 700, N, D, backend="cpu", **kw),
             cl.sample("trn2.48xlarge", 700, N, D, backend="cuda", **kw))
