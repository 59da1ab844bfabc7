"""Exercises of notebook 01 (networking): crossovers, buckets, ECMP, loss in the tail, OS bypass.

Each answer is computed by the function beside it, from the exercise's parameters and
:mod:`infralab.network`; :meth:`~infralab.exercises.Exercise.solution` prints that function's source.

Examples
--------
>>> import math
>>> from infralab import exercises
>>> ex = exercises.load("01")
>>> sorted(ex)
[1, 2, 3, 4, 5]

The answers agree with the analysis (not with numbers copied from the code's output):

>>> math.isclose(ex[1].answer(), 8 * 5e-6 * 50e9 / 1e6)        # ring crossover p·alpha·B, in MB
True
>>> gb, buckets = ex[2].answer()
>>> math.isclose(gb, 16_000 * 8e-6 * 50e9 / 1e9), buckets == math.ceil(70e9 * 2 / (gb * 1e9))
(True, True)
>>> loss, p99_hit = ex[4].answer()
>>> math.isclose((1 - loss) ** 1024, 0.5), p99_hit == (1 - (1 - loss) ** 4 > 0.01)
(True, True)
>>> ex[1].check(2.0)
Correct: 2 MB (answers within 2% of the expected value count as right).
True
"""

from __future__ import annotations

from .. import _checks
from .. import network as nw
from ._core import Boolean, Exercise, Number, Parts

__all__ = ["NOTEBOOK", "EXERCISES"]   # the answer functions are reached through Exercise, not API

NOTEBOOK = "01_network_latency"


# --- Exercise 1: where the ring stops being latency-bound -------------------------------------

def ring_crossover_MB(n_ranks: int = 8, latency_us: float = 5.0, bandwidth_GBps: float = 50.0) -> float:
    """Message size (MB) at which the ring all-reduce's latency and bandwidth terms are equal."""
    # 2(p-1)·alpha = 2((p-1)/p)·n/B  =>  n = p·alpha·B
    n_bytes = nw.crossover_bytes(n_ranks, latency_us * 1e-6, bandwidth_GBps * 1e9, "ring", efficiency=1.0)
    return n_bytes / 1e6


# --- Exercise 2: the bucket size that balances the two terms -----------------------------------

def balanced_bucket(n_ranks: int = 16_000, latency_us: float = 8.0, bandwidth_GBps: float = 50.0,
                    n_params: float = 70e9, bytes_per_param: float = 2.0) -> tuple[float, int]:
    """(bucket size in GB at which a ring bucket's two terms are equal, buckets for the gradients)."""
    bucket_bytes = nw.crossover_bytes(n_ranks, latency_us * 1e-6, bandwidth_GBps * 1e9, "ring", efficiency=1.0)
    step = nw.training_step(n_params=n_params, n_ranks=n_ranks, compute_s=0.0,
                            latency_s=latency_us * 1e-6, bandwidth_Bps=bandwidth_GBps * 1e9,
                            bytes_per_param=bytes_per_param, bucket_bytes=bucket_bytes,
                            algorithm="ring", efficiency=1.0)
    return bucket_bytes / 1e9, step["n_buckets"]     # n_buckets = ceil(gradient bytes / bucket)


# --- Exercise 3: ECMP with many flows per path -------------------------------------------------

def ecmp_flows_per_path(n_paths: int = 128, flows_per_path: int = 8,
                        target_slowdown: float = 1.5) -> tuple[float, int]:
    """(ECMP slowdown with ``flows_per_path`` flows per path, fewest flows per path for the target).

    Hashing ``k`` flows per path is balls into bins with mean ``k`` per bin, the same statistics as
    spraying ``k`` packets of one flow per path, so the closed form of spraying serves ECMP too.
    """
    slowdown = nw.spraying_slowdown(n_paths, flows_per_path)
    fewest = nw.packets_per_flow_needed(target_slowdown, n_paths, flows_per_path=1.0)
    return slowdown, fewest


# --- Exercise 4: the loss rate at which half of the steps hit a retransmit ---------------------

def loss_for_half_the_steps(messages_per_step: int = 64, packets_per_message: int = 16,
                            p99_packets: int = 4) -> tuple[float, bool]:
    """(per-packet loss at which half the steps lose a packet, does the p99 of a ``p99_packets``-packet message
    then include a retransmit?)."""
    messages_per_step = _checks.integer("messages_per_step", messages_per_step, low=1, high=10**6)
    packets = messages_per_step * packets_per_message          # packets in one step
    loss = nw.loss_reaching_quantile(0.5, packets)             # 1 - (1 - loss)^packets = 0.5
    p99_retransmits = loss > nw.loss_reaching_quantile(0.99, p99_packets)
    return loss, bool(p99_retransmits)


# --- Exercise 5: OS bypass in the time-to-train model ------------------------------------------

def bypass_saving_percent(n_gpus: int = 4000, before: str = "kernel TCP",
                          after: str = "EFA (OS bypass)", n_params: float = 7e9,
                          tokens_per_step: float = 4e6, peak_flops: float = 989e12, mfu: float = 0.40,
                          instance_Bps: float = 400e9, gpus_per_instance: int = 8,
                          nvlink_Bps: float = nw.NVLINK4_BPS, bucket_bytes: float = 25e6,
                          overlap: float = 0.8) -> tuple[float, float]:
    """Time-to-train saving (%) of alpha = kernel path -> OS-bypass path: (ring, halving_doubling)."""
    paths = tuple(nw.LATENCY_BUDGET_US)
    before = _checks.choice("before", before, paths)
    after = _checks.choice("after", after, paths)
    alpha_before = sum(nw.LATENCY_BUDGET_US[before].values()) * 1e-6     # us -> s
    alpha_after = sum(nw.LATENCY_BUDGET_US[after].values()) * 1e-6
    compute = nw.compute_time_per_step(n_params, tokens_per_step, n_gpus, peak_flops, mfu)
    savings = []
    for algorithm in ("ring", "halving_doubling"):
        saving = nw.time_to_train_saving(alpha_before, alpha_after, n_params=n_params, n_ranks=n_gpus,
                                         compute_s=compute, bandwidth_Bps=instance_Bps,
                                         gpus_per_instance=gpus_per_instance, nvlink_Bps=nvlink_Bps,
                                         bucket_bytes=bucket_bytes, overlap=overlap,
                                         algorithm=algorithm)
        savings.append(100.0 * saving)                            # fraction -> percent
    return savings[0], savings[1]


EXERCISES = [
    Exercise(
        number=1,
        title="the ring's crossover message size for p = 8, alpha = 5 us, B = 50 GB/s (textbook bound), in MB",
        kind=Number(unit="MB", rtol=0.02),
        compute=ring_crossover_MB,
        params={"n_ranks": 8, "latency_us": 5.0, "bandwidth_GBps": 50.0},
        hint_text=(
            "Which two terms of the ring row must be equal? Write both for a message of `n` bytes "
            "and look for the factor they share. Mind the units: alpha in seconds, B in bytes per "
            "second (GB/s, not Gb/s), and 1 MB = 1e6 bytes. The table is the textbook bound "
            "(efficiency 1)."),
        explanation=(
            "Set `2(p-1)·alpha = 2((p-1)/p)·n/B` and solve: `n = p·alpha·B = 8 × 5e-6 s × 50e9 B/s "
            "= 2e6 bytes`, 2 MB. Smaller messages spend more time in latency than in moving bytes. "
            "Reading B as 50 Gb/s instead of GB/s gives a crossover 8 times too small."),
    ),
    Exercise(
        number=2,
        title="the ring bucket whose latency and bandwidth terms are equal at 16,000 GPUs",
        kind=Parts((Number(unit="GB", rtol=0.02), Number(unit="buckets", rtol=0.001)),   # a whole number
                   labels=("bucket size", "buckets")),
        compute=balanced_bucket,
        params={"n_ranks": 16_000, "latency_us": 8.0, "bandwidth_GBps": 50.0, "n_params": 70e9,
                "bytes_per_param": 2.0},
        hint_text=(
            "(a) Which row of section 1's table prices one bucket's all-reduce, and which of its two "
            "terms grows with the bucket? Mind the units (GB, not MB). (b) How many bytes of bf16 "
            "gradients does a 70B model have, and how many whole buckets of size (a) hold them?"),
        explanation=(
            "The bucket must equal the crossover: `n = p·alpha·B = 16,000 × 8e-6 s × 50e9 B/s = 6.4e9 "
            "bytes`, 6.4 GB per bucket. A 70B model has 140 GB of bf16 gradients, 21.9 buckets' worth, "
            "so 22 buckets (DDP rounds up), far from the 25 MB default. Nobody runs a flat "
            "16,000-rank ring: hierarchical and tree algorithms exist for exactly this reason."),
    ),
    Exercise(
        number=3,
        title="ECMP with many flows per path on 128 paths",
        kind=Parts((Number(unit="", rtol=0.02), Number(unit="flows per path", rtol=0.01)),   # a whole number
                   labels=("slowdown at 8 flows per path", "fewest flows per path")),
        compute=ecmp_flows_per_path,
        params={"n_paths": 128, "flows_per_path": 8, "target_slowdown": 1.5},
        hint_text=(
            "(a) Section 3 showed that hashing `k` flows per path and spraying `k` packets per flow "
            "throw the same balls into the same bins: which of that section's closed forms or "
            "simulations gives the slowdown then? (b) The slowdown falls as `k` grows: how slowly? "
            "How large must `k` be for the slowdown to be at most the target?"),
        explanation=(
            "Hashing `k` flows onto each of {n_paths} paths is balls into bins with a mean of `k` per "
            "bin, the statistics of spraying `k` packets per flow, so the spraying closed form "
            "`nw.spraying_slowdown(n_paths, k)` gives ECMP's slowdown too. The fullest path exceeds "
            "the mean by about `E[max of n standard normals] × sqrt(k)` flows, so the slowdown falls "
            "only like `1 + c/sqrt(k)` (c grows slowly with the number of paths, a little higher at "
            "small `k`, where the counts are skewed): (a) is that slowdown at k = {flows_per_path}, and "
            "(b) the first `k` at which it is at most {target_slowdown}x. Only that whole number counts: "
            "one flow fewer per path is already above the target, whichever the simulation's seed. Collectives rarely have that many "
            "independent flows per path, which is the case for spraying."),
    ),
    Exercise(
        number=4,
        title="the per-packet loss at which half of all 64-message steps hit a retransmit",
        kind=Parts((Number(unit="", rtol=0.02), Boolean()),
                   labels=("loss", "message p99 retransmits")),
        compute=loss_for_half_the_steps,
        params={"messages_per_step": 64, "packets_per_message": 16, "p99_packets": 4},
        hint_text=(
            "(a) What is the probability that one packet gets through, and that all the packets of "
            "a step do? Which loss makes the second one half? (b) The p99 includes a retransmit when "
            "more than 1% of such messages lose a packet: what share of 4-packet messages does at "
            "your loss rate?"),
        explanation=(
            "A step has 64 × 16 = 1,024 packets. `P(step has a loss) = 1 - (1 - loss)^1024 = 0.5` "
            "gives `loss = 1 - 0.5^(1/1024) ≈ 6.77e-4` (about `ln 2 / 1024`). A 4-packet message "
            "then loses a packet with probability `1 - (1 - 6.77e-4)^4 ≈ 0.27%`, below 1%: its p99 "
            "does **not** include a retransmit (the loss would have to exceed `1 - 0.99^(1/4) ≈ "
            "2.51e-3`). A 16-packet message, with 1.08%, just does: the longer the message, the "
            "sooner its p99 lands on the timeout. On the tail slider, log10 "
            "loss -3.25 (5.6e-4) gives 43.8% of steps with a loss and -3 (1e-3) gives 64.1% "
            "(`nw.message_retransmit_probability(loss, 1024)`): between the two, the thick "
            "TCP-like step curve's median jumps to the timeout."),
    ),
    Exercise(
        number=5,
        title="alpha from the latency budget: kernel path against OS bypass at 4,000 GPUs",
        kind=Parts((Number(unit="%", rtol=0.02), Number(unit="%", rtol=0.02)),
                   labels=("ring", "halving_doubling")),
        compute=bypass_saving_percent,
        params={"n_gpus": 4000, "before": "kernel TCP", "after": "EFA (OS bypass)", "n_params": 7e9,
                "tokens_per_step": 4e6, "peak_flops": 989e12, "mfu": 0.40, "instance_Bps": 400e9,
                "gpus_per_instance": 8, "nvlink_Bps": nw.NVLINK4_BPS, "bucket_bytes": 25e6, "overlap": 0.8},
        hint_text=(
            "What is alpha on each bar of the latency budget, in seconds? Section 2's saving compares "
            "a latency before with one after, for one algorithm at a time. The answer is asked in "
            "percent, the model gives a fraction. The check uses your `A`: change an assumption "
            "there and the expected answer follows."),
        explanation=(
            "The kernel path sums to 11.0 us and the bypass path to 3.8 us, a 65% cut in alpha. At the "
            "notebook's default assumptions `A` (your `given` numbers move the figures below; the result "
            "printed under this explanation is computed on them): "
            "The ring (over the instances, in section 2's two-level model) is almost all latency "
            "(96.5% of its step at 11 us), so its step shrinks almost one for one: about 63.2%. With "
            "halving-doubling the latency is 33.1% of the step and the saving is bounded by "
            "`0.655 × 33.1%`: about 21.7%. A 65% cut in alpha passes 15%; the article's 25% cut "
            "(8 -> 6 us) does not, because the bound is the cut times the latency share. So on halving-doubling "
            "OS bypass alone clears the article's 15%, where section 2's latency cut does not."),
    ),
]
