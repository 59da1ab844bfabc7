"""Exercises of notebook 05 (design a cluster): what moves days and energy, scaling the workload,
encryption on the CPU, the tornado with a larger batch, and the bucket size behind claim 1.

Each answer is computed by the function beside it, from the exercise's parameters and
:mod:`infralab.cluster`; :meth:`~infralab.exercises.Exercise.solution` prints that function's source.

Examples
--------
>>> from infralab import exercises
>>> ex = exercises.load("05")
>>> sorted(ex)
[1, 2, 3, 4, 5]
>>> ex[2].check((100.0, False))
Correct, all parts:
  (a) Correct: 100 (answers within 1% of the expected value count as right).
  (b) Correct: False.
True

The answers against the analysis (not against the code's own output): energy scales exactly with
PUE; 6·N·D grows 10 x 10 = 100-fold; 3,200 Gb/s = 400 GB/s sent and 400 GB/s received at once, over
4 GB/s per core, needs 200 cores:

>>> ex[1].answer()[0], round(ex[1].answer()[1] / (1.58 / 1.15), 9)
('pue', 1.0)
>>> round(ex[2].answer()[0], 9)
100.0
>>> import math
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


# --- Exercise 1: which input changes only the energy? ------------------------------------------

def energy_only_input(instance: str, n_instances: int, changes: dict) -> tuple[str, float]:
    """Evaluate once as given and once per changed input; return the input that leaves the days
    exactly as they were while changing the energy, and the energy factor it causes."""
    import math
    base = {"mfu": 0.4, "pue": 1.15, "grid_g_per_kwh": 350.0, "latency_s": 6e-6}
    a = cl.evaluate(instance, n_instances, **WORKLOAD, **base)
    for name, value in changes.items():
        b = cl.evaluate(instance, n_instances, **WORKLOAD, **{**base, name: value})
        same_days = math.isclose(b["days"], a["days"], rel_tol=1e-12)
        if same_days and not math.isclose(b["energy_mwh"], a["energy_mwh"], rel_tol=1e-12):
            return name, b["energy_mwh"] / a["energy_mwh"]
    return "none", 1.0


# --- Exercise 2: ten times the model on ten times the tokens ------------------------------------

def scale_the_workload(factor: float = 10.0, latency_s: float = 6e-6) -> tuple[float, bool]:
    """Days factor and whether the exposed share of the step changes, for N and D both x ``factor``
    on 2,500 x p5.48xlarge (MFU 0.4)."""
    import math
    common = {"mfu": 0.4, "pue": 1.15, "grid_g_per_kwh": 350.0, "latency_s": latency_s}
    a = cl.evaluate("p5.48xlarge", 2500, **WORKLOAD, **common)
    b = cl.evaluate("p5.48xlarge", 2500, params=factor * WORKLOAD["params"],
                         tokens=factor * WORKLOAD["tokens"], **common)
    days_factor = b["days"] / a["days"]
    share_changes = not math.isclose(a["comm_fraction"], b["comm_fraction"], rel_tol=1e-6, abs_tol=1e-9)
    return days_factor, share_changes


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


# --- Exercise 5: the bucket size that makes claim 1 hold ----------------------------------------

BUCKETS_MB = (25.0, 10.0, 5.0, 1.0)


def bucket_for_claim_1(threshold: float = 0.15, small_bucket_mb: float = 1.0) -> tuple[str, float]:
    """(the largest bucket of :data:`BUCKETS_MB` whose 8 -> 6 us saving reaches ``threshold``, the
    saving with ``small_bucket_mb`` buckets as a fraction) on 2,500 x p5.48xlarge at the middle of the
    notebook's ranges (MFU 0.4, packet loss 5e-5)."""
    buckets_mb = (25.0, 10.0, 5.0, 1.0)
    def saving(bucket_mb):
        days = {}
        for lat in (8e-6, 6e-6):
            days[lat] = cl.evaluate("p5.48xlarge", 2500, **WORKLOAD, mfu=0.4, pue=1.15, grid_g_per_kwh=350.0,
                                         latency_s=lat, loss_prob=5e-5, bucket_bytes=bucket_mb * 1e6)["days"]
        return 1.0 - days[6e-6] / days[8e-6]

    largest = next((f"{b:g} MB" for b in buckets_mb if saving(b) >= threshold), "none")
    return largest, saving(small_bucket_mb)


EXERCISES = [
    Exercise(
        number=1,
        title="which input changes only the energy and carbon, never the days",
        kind=Parts((Choice(("mfu", "latency_s", "tokens_per_step", "pue")), Number(unit="", rtol=0.01))),
        compute=energy_only_input,
        params={"instance": "p5.48xlarge", "n_instances": 2500,
                "changes": {"mfu": 0.5, "latency_s": 8e-6, "tokens_per_step": 6.4e6, "pue": 1.58}},
        hint_text=(
            "Follow the chain of the model: which outputs come before the days, and which only after them? An "
            "input that enters only after the days cannot move them. For (b), which quantity multiplies the "
            "energy in proportion, and by how much did it change?"),
        explanation=(
            "The PUE (and, likewise, the grid intensity and the power assumptions `power_fraction` and "
            "`host_w_per_instance`) sits after the time in the chain `energy = IT power x days x 24 x PUE`, "
            "so it cannot move the days. MFU, latency and the batch all change the step time on this "
            "cluster, where part of each step is exposed communication. Energy scales exactly with PUE, so "
            "going from 1.15 to 1.58 multiplies it by 1.58 / 1.15."),
    ),
    Exercise(
        number=2,
        title="ten times the parameters on ten times the tokens on UltraCluster 2.0",
        kind=Parts((Number(unit="", rtol=0.01), Boolean())),
        compute=scale_the_workload,
        params={"factor": 10.0, "latency_s": 6e-6},
        hint_text=(
            "(a) Training compute is the 6ND rule: what happens to it when N and D both grow ten-fold? (b) Per "
            "step, which of compute and gradient bytes grows with N, and which with the batch?"),
        explanation=(
            "The days grow by the factor on N times the factor on D (6·N·D), and the exposed share of the "
            "step does not change: at a fixed batch of tokens per step, both the compute of a step and the "
            "gradients to all-reduce grow in proportion to N (the all-reduce's latency steps grow with the "
            "number of buckets, which also grows with N). What changes the share is the batch: more tokens "
            "per step add compute without adding gradients (Exercise 4)."),
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
            "jobs, and how much of the step was exposed communication to begin with? (c) Does p4d's link need more "
            "than 32 cores, and is its all-reduce hidden anyway?"),
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
            "Five times more tokens per step: what grows, the compute of a step or the gradient bytes? Which "
            "assumptions can move the days once the all-reduce hides behind compute?"),
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
        title="a bucket size for which 8 -> 6 us saves at least 15% on UltraCluster 2.0",
        kind=Parts((Choice(tuple(f"{b:g} MB" for b in BUCKETS_MB) + ("none",)), Number(unit="", rtol=0.02))),
        compute=bucket_for_claim_1,
        params={"threshold": 0.15, "small_bucket_mb": 1.0},
        hint_text=(
            "Which term of the all-reduce grows when the buckets shrink? Compare the time saving with the 25% "
            "latency cut: can it ever exceed it? Give (b) as a fraction."),
        explanation=(
            "Smaller buckets pay the latency more often, so the saving from 8 to 6 us grows as the buckets "
            "shrink; it passes 15% within the list, and it can never exceed the 25% cut in latency (even a "
            "step made only of latency would save just 25%). As in notebook 01, the article's \"at least "
            "15%\" describes latency-bound configurations."),
    ),
]
