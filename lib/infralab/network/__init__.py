"""Networking for training at scale: collective cost, ECMP versus packet spraying, tail latency.

Notebook 01 calls these functions. Four models, each small enough to read:

1. **Collectives (alpha-beta model).** :func:`allreduce_time` prices an all-reduce of ``n`` bytes on
   ``p`` ranks as latency steps times ``alpha`` plus bytes over bandwidth (Thakur, Rabenseifner &
   Gropp 2005). :func:`crossover_bytes` finds where the two terms are equal, :func:`bus_bandwidth`
   converts a measured time into nccl-tests' ``algbw``/``busbw``.
2. **Training step.** :func:`training_step` adds the all-reduce of the gradients (split into buckets)
   to the compute time, hiding part of it behind compute; :func:`time_to_train_saving` compares two
   latencies, as the article compares 8 us and 6 us.
3. **Flow hashing versus spraying.** ECMP hashes each flow onto one of ``n`` equal paths: balls into
   bins. :func:`ecmp_expected_used_paths` and :func:`ecmp_no_collision_probability` are the exact
   formulas; :func:`simulate_ecmp` and :func:`simulate_spraying` are Monte Carlo runs of one numba
   kernel (``_bins_cpu``) whose CUDA twins (``_bins_shared_cuda``, histograms in shared memory, and
   ``_bins_cuda`` for more than 64 bins) sit beside it.
4. **Tail latency under loss.** :func:`simulate_message_latency` draws per-packet queueing delays and
   losses, retransmitting after a timeout (kernel-TCP-like, milliseconds) or quickly (SRD-like,
   microseconds); a collective waits for its slowest message (:func:`collective_step_latency`).

The code lives in three modules, :mod:`~infralab.network.collectives` (1-2),
:mod:`~infralab.network.ecmp` (3) and :mod:`~infralab.network.tail` (4 and the latency budget); every name is
importable from :mod:`infralab.network` itself.

All Monte Carlo kernels draw from the counter-based generator in :mod:`infralab._rng`, so the
same seed gives the same numbers on the CPU and on the GPU.

References
----------
R. Thakur, R. Rabenseifner, W. Gropp, "Optimization of Collective Communication Operations in
MPICH", IJHPCA 19(1), 2005. L. Shalev et al., "A Cloud-Optimized Transport Protocol for Elastic
and Scalable HPC", IEEE Micro 40(6), 2020. M. Raab, A. Steger, "Balls into Bins -- A Simple and
Tight Analysis", RANDOM 1998. NVIDIA nccl-tests, doc/PERFORMANCE.md.
"""

from . import collectives
from .collectives import (  # noqa: F401
    ALGORITHMS,
    MAX_RANKS,
    COLLECTIVES,
    RING_EFFICIENCY,
    NVLS_EFFICIENCY,
    NIC_EFFICIENCY,
    NVLINK3_BPS,
    NVLINK4_BPS,
    _alpha_beta_terms,
    _efficiency,
    _check_link,
    _bytes_arg,
    allreduce_time,
    crossover_bytes,
    bus_bandwidth,
    two_level_allreduce_time,
    compute_time_per_step,
    training_step,
    time_to_train_saving,
    latency_saving_bound,
    latency_share_needed,
    achieved_mfu,
    cluster_throughput,
    message_latency_share,
)
from . import ecmp
from .ecmp import (  # noqa: F401
    MAX_FORMULA_FLOWS,
    ecmp_expected_used_paths,
    ecmp_no_collision_probability,
    _one_trial,
    _bins_cpu,
    SHARED_BINS,
    BINS_THREADS,
    SUM_THREADS,
    _bins_shared_cuda,
    _bins_cuda,
    _trial_sums_cuda,
    DEVICE_SUM_LIMIT,
    SCRATCH_BYTES,
    MAX_BINS,
    MAX_BALLS,
    MAX_TRIALS,
    MAX_BALL_WORK,
    _bins_on_device,
    _run_bins,
    _exact_sums,
    _summary,
    _mean_std,
    balls_into_bins,
    simulate_ecmp,
    simulate_spraying,
    spraying_slowdown,
    packets_per_flow_needed,
)
from . import tail
from .tail import (  # noqa: F401
    MAX_PACKET_WORK,
    _one_message,
    _latency_cpu,
    _latency_cuda,
    simulate_message_latency,
    message_retransmit_probability,
    loss_reaching_quantile,
    ecmp_vs_spray_latency,
    collective_step_latency,
    percentiles,
    LATENCY_BUDGET_US,
)
