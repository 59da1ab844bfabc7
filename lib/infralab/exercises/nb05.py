"""Exercises of notebook 05 (design a cluster): what moves days and energy, scaling the workload,
encryption on the CPU, the tornado with a larger batch, and small buckets behind claim 1.

Each answer is computed by the function beside it, from the exercise's parameters and
:mod:`infralab.cluster`; :meth:`~infralab.exercises.Exercise.solution` prints that function's source.

Examples
--------
>>> from infralab import exercises
>>> ex = exercises.load("05")
>>> sorted(ex)
[1, 2, 3, 4, 5]
>>> ex[2].check((64, 53.4, True))
Correct, all parts:
  (a) Correct: 64 instances (answers within 0.1% of the expected value count as right).
  (b) Correct: 53.4 (answers within 1% of the expected value count as right).
  (c) Correct: True.
True

The answers against the analysis (not against the code's own output): a higher MFU saves energy,
but less than in proportion; a replica of the ten times larger model is the power of two of p5 instances
whose 8 x 80 GB hold 16 bytes per parameter; 3,200 Gb/s = 400 GB/s sent and 400 GB/s received at once, over
4 GB/s per core, needs 200 cores:

>>> import math
>>> 0.4 / 0.5 < ex[1].answer()[0] < 1.0        # a higher MFU saves energy, but less than 0.4 / 0.5
True
>>> ex[2].answer()[0] == 2 ** math.ceil(math.log2(16 * 1.746e12 / (8 * 80e9)))
True
>>> ex[3].answer()[0] == math.ceil(2 * 3200e9 / 8 / 4e9)
True
"""

from __future__ import annotations

import math

from .. import cluster as cl
from ._core import Boolean, Choice, Exercise, Number, Parts

__all__ = ["NOTEBOOK", "EXERCISES"]   # the answer functions are reached through Exercise, not API

NOTEBOOK = "05_design_a_cluster"

#: GPT-3, the notebook's workload, as its ``WORKLOAD`` (docs/references.md section 4).
WORKLOAD = {"params": 174.6e9, "tokens": 300e9}


# --- Exercise 1: what a higher MFU and a larger batch do to energy and days -------------------

def mfu_and_batch_factors(instance: str, n_instances: int, mfu: float, tokens_per_step: float) -> tuple[float, float]:
    """(energy with ``mfu`` / energy at MFU 0.4, days with ``tokens_per_step`` / days at 3.2e6 tokens per
    step) for GPT-3 on ``n_instances`` x ``instance`` at PUE 1.15, 350 gCO2e/kWh and 6 us."""
    base = {"mfu": 0.4, "pue": 1.15, "grid_g_per_kwh": 350.0, "latency_s": 6e-6}
    a = cl.evaluate(instance, n_instances, **WORKLOAD, **base)
    faster_chips = cl.evaluate(instance, n_instances, **WORKLOAD, **{**base, "mfu": mfu})
    bigger_batch = cl.evaluate(instance, n_instances, **WORKLOAD, **base, tokens_per_step=tokens_per_step)
    return faster_chips["energy_mwh"] / a["energy_mwh"], bigger_batch["days"] / a["days"]


# --- Exercise 2: ten times the model on ten times the tokens ------------------------------------

def scale_the_workload(factor: float = 10.0, latency_s: float = 6e-6) -> tuple[float, float, bool]:
    """(instances per replica for the larger model, days factor, does the exposed share of the step
    change?) for N and D both x ``factor`` on 2,500 x p5.48xlarge (MFU 0.4), the replica sized by the
    model's memory rule."""
    import math
    common = {"mfu": 0.4, "pue": 1.15, "grid_g_per_kwh": 350.0, "latency_s": latency_s}
    a = cl.evaluate("p5.48xlarge", 2500, **WORKLOAD, **common)
    b = cl.evaluate("p5.48xlarge", 2500, params=factor * WORKLOAD["params"],
                    tokens=factor * WORKLOAD["tokens"], **common)
    days_factor = b["days"] / a["days"]
    share_changes = not math.isclose(a["comm_fraction"], b["comm_fraction"], rel_tol=1e-6, abs_tol=1e-9)
    return float(b["derived"]["instances_per_replica"]), days_factor, share_changes


# --- Exercise 3: encryption on the host CPU instead of the NIC ----------------------------------

def cpu_encryption(p5_latency_s: float = 6e-6, p4d_latency_s: float = 8e-6,
                   crypto_cores: int = 32) -> tuple[float, float, bool]:
    """(cores per p5 instance to encrypt and decrypt at line rate, days factor CPU/NIC on 2,500 x p5,
    does the same switch change the days of 500 x p4d?)."""
    import math
    common = {"mfu": 0.4, "pue": 1.15, "grid_g_per_kwh": 350.0, "crypto_cores": crypto_cores}
    p5_nic = cl.evaluate("p5.48xlarge", 2500, **WORKLOAD, **common, latency_s=p5_latency_s)
    p5_cpu = cl.evaluate("p5.48xlarge", 2500, **WORKLOAD, **common, latency_s=p5_latency_s, encryption="cpu")
    p4d_nic = cl.evaluate("p4d.24xlarge", 500, **WORKLOAD, **common, latency_s=p4d_latency_s)
    p4d_cpu = cl.evaluate("p4d.24xlarge", 500, **WORKLOAD, **common, latency_s=p4d_latency_s,
                               encryption="cpu")
    cores = float(p5_cpu["encryption_cores_per_node"])   # enclave.cores_for_line_rate(2 x 3200 Gb/s, 4 GB/s)
    p4d_moves = not math.isclose(p4d_cpu["days"], p4d_nic["days"], rel_tol=1e-9)
    return cores, p5_cpu["days"] / p5_nic["days"], p4d_moves


# --- Exercise 4: the tornado with a five times larger batch -------------------------------------

def tornado_with_big_batch(tokens_per_step: float = 16e6) -> tuple[str, bool]:
    """(the assumption that moves the days most, does any network or security assumption still
    move the days?) for 2,500 x p5.48xlarge at 5-7 us with a global batch of ``tokens_per_step``."""
    rows = cl.tornado("p5.48xlarge", 2500, **WORKLOAD, latency_s=(5e-6, 7e-6),
                           tokens_per_step=tokens_per_step)       # sorted, largest days swing first
    top = rows[0]["name"]
    still_moves = any(r["days_swing"] > 1e-9 * r["days"][0]
                      for r in rows if r["name"] in ("latency_s", "loss_prob", "network", "encryption"))
    return top, still_moves


# --- Exercise 5: small buckets and the limit of the saving behind claim 1 ------------------------

#: Bucket sizes searched for a saving above the latency cut, MB (down to 1 kB).
BUCKETS_MB = (25.0, 10.0, 5.0, 1.0, 0.1, 0.01, 0.001)


def bucket_for_claim_1(small_bucket_mb: float = 1.0, latency_cut: float = 0.25) -> tuple[float, bool]:
    """(the 8 -> 6 us saving with ``small_bucket_mb`` buckets as a fraction, does any bucket of
    :data:`BUCKETS_MB` save more than ``latency_cut``?) on 2,500 x p5.48xlarge at the middle of the
    notebook's ranges (MFU 0.4, packet loss 5e-5)."""
    def saving(bucket_mb):
        days = {}
        for lat in (8e-6, 6e-6):
            days[lat] = cl.evaluate("p5.48xlarge", 2500, **WORKLOAD, mfu=0.4, pue=1.15, grid_g_per_kwh=350.0,
                                    latency_s=lat, loss_prob=5e-5, bucket_bytes=bucket_mb * 1e6)["days"]
        return 1.0 - days[6e-6] / days[8e-6]

    return saving(small_bucket_mb), any(saving(b) > latency_cut for b in BUCKETS_MB)


EXERCISES = [
    Exercise(
        number=1,
        title="what a higher MFU and a larger batch do to the energy and the days of UltraCluster 2.0",
        kind=Parts((Number(unit="", rtol=0.01), Number(unit="", rtol=0.01))),
        compute=mfu_and_batch_factors,
        params={"instance": "p5.48xlarge", "n_instances": 2500, "mfu": 0.5, "tokens_per_step": 6.4e6},
        hint_text=(
            "Energy is IT power times time times PUE: which of these does the MFU change? Which part of a step "
            "does a higher MFU shorten, and which part does it leave as it was? For (b), what does a larger "
            "batch add to each step, and what does it leave unchanged?"),
        explanation=(
            "The IT power does not depend on the MFU, so the energy moves exactly with the days. A higher MFU "
            "shortens only the compute of each step; on this cluster about half of each step is exposed "
            "communication, which the MFU does not touch, and a shorter compute hides less of the all-reduce, "
            "so the days (and the energy) fall far less than 0.4 / 0.5. Twice the tokens per step halves the "
            "number of steps and doubles each step's compute, but the gradients to all-reduce per step stay the "
            "same, so more of them hide behind compute: the days fall by almost half. Whether the run still "
            "converges in as many tokens with twice the batch is not in the model (the critical batch size)."),
    ),
    Exercise(
        number=2,
        title="ten times the parameters on ten times the tokens on UltraCluster 2.0",
        kind=Parts((Number(unit="instances", rtol=0.001), Number(unit="", rtol=0.01), Boolean())),
        compute=scale_the_workload,
        params={"factor": 10.0, "latency_s": 6e-6},
        hint_text=(
            "(a) How many bytes of state does the larger model need, how much HBM does one p5.48xlarge hold, "
            "and what is the model's rule for growing a replica? (b) and (c) With larger replicas, how many "
            "replicas are left to all-reduce, and how large is each instance's share of the gradients? Compare "
            "the exposed share of the two runs before you compare their days."),
        explanation=(
            "Ten times the parameters need ten times the state, 16 bytes per parameter: 28 TB, against 0.64 TB "
            "of HBM per p5.48xlarge (8 x 80 GB). The replica doubles from 8 until it holds the state: 16 and 32 "
            "instances are too few, 64 hold 41 TB. The compute, 6ND, grows 100-fold. Each instance now holds a "
            "64th of a model ten times larger, so its gradient share grows only 10 x 8 / 64 = 1.25-fold while "
            "the compute of each step grows ten-fold, and the all-reduce runs across fewer replicas: the "
            "communication that was about half of each step now hides behind compute. So the exposed share "
            "changes (to none) and the days grow by much less than 100. With the replica held at 8 instances "
            "(which the model refuses, since it cannot hold the state) the share would not change and the days "
            "would grow exactly 100-fold: a bigger model needs bigger replicas, and that changes the network's "
            "share."),
    ),
    Exercise(
        number=3,
        title="encrypting on 32 host cores instead of the NIC, on p5 and on p4d",
        kind=Parts((Number(unit="cores", rtol=0.01), Number(unit="", rtol=0.02), Boolean())),
        compute=cpu_encryption,
        params={"p5_latency_s": 6e-6, "p4d_latency_s": 8e-6, "crypto_cores": 32},
        hint_text=(
            "(a) An all-reduce sends and receives at once: how many bytes per second must the host encrypt and "
            "decrypt, and how much does one core do? (b) What bandwidth is left each way when 32 cores share both "
            "jobs, and how much of the step was exposed communication to begin with? (c) How many cores would p4d's "
            "400 Gb/s need, counting both directions, against the 32 the model spares?"),
        explanation=(
            "An all-reduce sends and receives at line rate at once, so at 3,200 Gb/s (400 GB/s each way) "
            "the CPU must encrypt 400 GB/s and decrypt 400 GB/s: `cores_for_line_rate(2 * 3200, 4e9)` = 200 "
            "cores per instance, more than the 96 physical cores of a p5.48xlarge's two host CPUs (the model's assumption `crypto_directions=2`: decryption costs about as "
            "much as encryption). The model lets 32 cores do both (an assumption), which caps each "
            "direction at 32 x 4 / 2 = 64 GB/s, a sixth of the link, so the exposed share of the step grows "
            "several-fold and so do the days (the worked numbers above). On "
            "p4d, 400 Gb/s (50 GB/s each way) needs (50 + 50) / 4 = 25 cores, fewer than 32, so the link "
            "speed is kept (64 GB/s each way is more than 50), and the all-reduce is hidden behind compute "
            "anyway: the days do not move. This is the case for encryption in the Nitro card."),
    ),
    Exercise(
        number=4,
        title="the tornado of UltraCluster 2.0 with a five times larger batch",
        kind=Parts((Choice(("mfu", "usd_per_hour", "pue", "grid_g_per_kwh", "latency_s", "loss_prob",
                            "network", "encryption")), Boolean())),
        compute=tornado_with_big_batch,
        params={"tokens_per_step": 16e6},
        hint_text=(
            "Five times more tokens per step: what grows, the compute of a step or the gradient bytes? Does the "
            "all-reduce then hide under every setting of the network and security assumptions, or can one "
            "setting still cut the bandwidth it gets?"),
        explanation=(
            "The ranking flips: MFU (the chips pillar) now moves the days most. Five "
            "times more compute per step hides the whole all-reduce at the link rate, even over ECMP's "
            "fullest path, so latency, packet loss and flow hashing no longer move the days. Encryption on "
            "32 host cores still does, though far less than at the smaller batch: the "
            "cores share encryption and decryption, so they leave 64 GB/s each way, too little to hide "
            "even this step's all-reduce. Sensitivities are properties of a configuration (and of its "
            "batch size, which convergence limits), not of a pillar."),
    ),
    Exercise(
        number=5,
        title="how much 8 -> 6 us saves with small gradient buckets on UltraCluster 2.0, and its limit",
        kind=Parts((Number(unit="", rtol=0.02), Boolean())),
        compute=bucket_for_claim_1,
        params={"small_bucket_mb": 1.0, "latency_cut": 0.25},
        hint_text=(
            "Which term of the all-reduce grows when the buckets shrink? For (b), which part of a step does the "
            "latency cut shorten, and by how much at most? Give (a) as a fraction."),
        explanation=(
            "Smaller buckets pay the latency more often, so the saving from 8 to 6 us grows as the buckets "
            "shrink, and the run grows longer with it. It can never exceed the 25% cut in latency: even a step "
            "made only of latency would save just 25%, and with packet loss the retransmit timeout, which the "
            "cut does not shorten, is part of each latency step, so the saving stays below that. As in notebook "
            "01, the article's \"at least 15%\" describes latency-bound configurations, which are slower overall."),
    ),
]
