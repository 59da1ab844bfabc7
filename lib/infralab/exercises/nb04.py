"""Exercises of notebook 04 (AI chips and price-performance): ridge points, this machine's roofs,
cost to train, cost per token and a claim with its verdict.

Each answer is computed by the function beside it, from the exercise's parameters, the data tables
(``data/chips.csv``, ``data/instances.csv``) and :mod:`infralab.chips` / :mod:`infralab.claims`;
:meth:`~infralab.exercises.Exercise.solution` prints that function's source.

Examples
--------
>>> import math
>>> from infralab import exercises
>>> ex = exercises.load("04")
>>> sorted(ex)
[1, 2, 3, 4, 5, 6]

The answers agree with the analysis (vendor figures and prices as in docs/references.md, section 4, not numbers copied
from the code's output):

>>> 1.5 * 1299e12 / 2.9e12 <= ex[1].answer() < 1.5 * 1299e12 / 2.9e12 + 1   # fp8 square matmul: I = 2n/3
True
>>> math.isclose(ex[2].answer(), 6 * 174.6e9 * 300e9 / (20e9 * 0.5) / (365.25 * 86400))
True
>>> flops, days, musd = ex[3].answer()
>>> math.isclose(flops, 6 * 70e9 * 1.4e12), math.isclose(days, flops / (1024 * 989e12 * 0.4) / 86400)
(True, True)
>>> math.isclose(musd, days * 24 * 1024 * 55.04 / 8 / 1e6)
True
>>> chip, usd = ex[4].answer()
>>> chip, math.isclose(usd, 0.758 / 3600 / (820e9 / 14e9) * 1e6)
('inf2.xlarge', True)
>>> pct, verdict = ex[5].answer()
>>> math.isclose(pct, 100 * (1 - (21.50 / (16 * 190 * 0.50)) / (55.04 / (8 * 989 * 0.35)))), verdict
(True, 'holds only if')
>>> ex[6].answer() == 2 * 6 * 4 * 16 / ((6 + 4) * 16 * 4)   # 768 FLOPs per 10 loads of 64 bytes
True
>>> ex[5].check((-28.8, "holds only if"))
Not all parts are right:
  (saving) Not quite: -28.8 % has the wrong sign (answers within 2% of the expected value count as right).
  (verdict) Correct: 'holds only if'.
False
"""

from __future__ import annotations

from .. import _checks, chips, claims
from ._core import Choice, Exercise, Number, Parts

__all__ = ["NOTEBOOK", "EXERCISES"]   # the answer functions are reached through Exercise, not API

NOTEBOOK = "04_chip_price_performance"


def _chip(name: str) -> dict:
    """The ``data/chips.csv`` row of one chip (ValueError naming the valid chips)."""
    table = {r["chip"]: r for r in chips.load_chips()}
    if name not in table:
        raise ValueError(f"chip must be one of {sorted(table)}, got {name!r}")
    return table[name]


def _instance(name: str, period: str) -> dict:
    """The ``data/instances.csv`` row of one instance priced in ``period`` (never mixing periods)."""
    rows = {r["instance"]: r for r in chips.instances_for_period(chips.load_instances(), period)}
    if name not in rows:
        raise ValueError(f"instance must be one priced in {period}: {sorted(rows)}, got {name!r}")
    return rows[name]


# --- Exercise 1: the matrix size at a chip's ridge point ---------------------------------------

def ridge_matmul_size(chip: str = "Trainium2", precision: str = "bf16") -> int:
    """Smallest square matrix size n whose multiply reaches the chip's ridge point (compute-bound)."""
    precision = _checks.choice("precision", precision, ("bf16", "fp8"))
    row = _chip(chip)
    peak_tflops = row[f"{precision}_dense_TFLOPs"]
    if peak_tflops is None:
        raise ValueError(f"{chip} has no published {precision} figure")
    ridge = chips.ridge_point(peak_tflops * 1e12, row["hbm_bandwidth_GBps"] * 1e9)
    bytes_per_element = 2.0 if precision == "bf16" else 1.0
    lo, hi = 1, 1 << 24                      # intensity grows with n: bisect for the first n at the ridge
    while lo < hi:
        n = (lo + hi) // 2
        if chips.matmul_intensity(n, n, n, bytes_per_element) >= ridge:
            hi = n
        else:
            lo = n + 1
    return lo


# --- Exercise 2: GPT-3 on this machine ---------------------------------------------------------

def gpt3_years_here(blas_GFLOPs: float = 20.0, mfu: float = 0.5, n_params: float = 174.6e9,
                    n_tokens: float = 300e9) -> float:
    """Years to train GPT-3 (6·N·D FLOPs) on one machine at ``blas_GFLOPs`` x ``mfu``."""
    blas_GFLOPs = _checks.positive("blas_GFLOPs", blas_GFLOPs)
    run = chips.train_run(n_params, n_tokens, n_chips=1, peak_flops=blas_GFLOPs * 1e9, mfu=mfu)
    return run["days"] / 365.25                  # Julian years


# --- Exercise 3: a Chinchilla-optimal 70B run on H100s -----------------------------------------

def chinchilla_run(n_params: float = 70e9, tokens_per_param: float = 20.0, n_chips: int = 1024,
                   chip: str = "H100 SXM", mfu: float = 0.4, instance: str = "p5.48xlarge",
                   period: str = "2025-06") -> tuple[float, float, float]:
    """(training FLOPs, days, on-demand cost in million USD) of a compute-optimal run."""
    tokens = n_params * _checks.positive("tokens_per_param", tokens_per_param)   # Hoffmann et al. 2022
    inst = _instance(instance, period)
    if inst["chip"] != chip:
        raise ValueError(f"{instance} carries {inst['chip']}, not {chip}")
    per_chip_hour = inst["on_demand_USD_per_hour"] / inst["chips_per_instance"]
    run = chips.train_run(n_params, tokens, n_chips, _chip(chip)["bf16_dense_TFLOPs"] * 1e12, mfu,
                          usd_per_chip_hour=per_chip_hour)
    return run["flops"], run["days"], run["usd"] / 1e6


# --- Exercise 4: the cheapest token at batch 1 -------------------------------------------------

def cheapest_token_batch1(n_params: float = 7e9, period: str = "2025-06", mfu: float = 0.5,
                          instances: dict | None = None,
                          bandwidth_fraction: float = 1.0) -> tuple[str, float]:
    """(chip with the lowest price per token at batch 1, its on-demand USD per million generated tokens).

    ``bandwidth_fraction`` is the share of peak HBM bandwidth reached: 1.0 is the ideal roofline bound
    that the exercise asks for; :data:`infralab.chips.DECODE_BANDWIDTH_FRACTION` is the measured one.

    ``instances`` maps each candidate chip to the instance that carries it; the model runs split
    over the whole instance (at batch 1 and without a KV cache the price per token is the same
    per chip or per instance: both scale with the chip count).
    """
    instances = instances or {"H100": "p5.48xlarge", "Trainium": "trn1.32xlarge",
                              "Inferentia2": "inf2.48xlarge"}
    usd = {}
    for label, name in instances.items():
        inst = _instance(name, period)
        c, n = _chip(inst["chip"]), inst["chips_per_instance"]
        r = chips.decode_throughput(n_params, c["hbm_bandwidth_GBps"] * 1e9 * n,
                                    c["bf16_dense_TFLOPs"] * 1e12 * n, batch=1, mfu=mfu,
                                    bandwidth_fraction=bandwidth_fraction)
        usd[label] = chips.usd_per_million_tokens(inst["on_demand_USD_per_hour"], r["tokens_per_s"])
    best = min(usd, key=usd.get)
    return best, usd[best]


# --- Exercise 5: claim 4 under another MFU assumption ------------------------------------------

def saving_with_mfu(mine: str = "trn1.32xlarge", theirs: str = "p5.48xlarge", period: str = "2025-06",
                    mfu_mine: float = 0.35, mfu_theirs: float = 0.45,
                    claimed: float = 0.5) -> tuple[float, str]:
    """(saving of ``mine`` against ``theirs`` in percent, the verdict on an "up to ``claimed``" claim)."""
    cost = {}
    for name, mfu in ((mine, mfu_mine), (theirs, mfu_theirs)):
        inst = _instance(name, period)
        cost[name] = chips.usd_per_pflop_hour(inst["on_demand_USD_per_hour"], inst["chips_per_instance"],
                                              _chip(inst["chip"])["bf16_dense_TFLOPs"], mfu=mfu)
    saving = 1.0 - cost[mine] / cost[theirs]        # a fraction; negative means it costs more
    return 100.0 * saving, claims.saving_verdict(saving, claimed)


# --- Exercise 6: the intensity of a register micro-kernel --------------------------------------

def micro_kernel_intensity(mr: int = 4, nr: int = 3, lanes: int = 8, bytes_per_element: float = 4.0) -> float:
    """FLOPs per byte loaded into registers by one step of an ``mr x nr`` micro-kernel whose
    registers hold ``lanes`` values along k: ``mr + nr`` vector loads feed ``mr·nr`` vector FMAs."""
    mr = _checks.integer("mr", mr, low=1, high=64)
    nr = _checks.integer("nr", nr, low=1, high=64)
    lanes = _checks.integer("lanes", lanes, low=1, high=64)
    s = _checks.positive("bytes_per_element", bytes_per_element)
    return 2.0 * mr * nr * lanes / ((mr + nr) * lanes * s)


#: The instances exercise 4 compares (each name is also its answer's label).
FIVE_INSTANCES = ("p5.48xlarge", "trn1.32xlarge", "inf2.48xlarge", "inf2.xlarge", "g5.xlarge")

EXERCISES = [
    Exercise(
        number=1,
        title="the square fp8 matrix size at Trainium2's fp8 ridge point",
        kind=Number(unit="", rtol=0.02, mistakes=("x2", "x8", "x1e3")),
        compute=ridge_matmul_size,
        params={"chip": "Trainium2", "precision": "fp8"},
        hint_text=(
            "Two quantities have to meet. Which two of Trainium2's figures give its fp8 ridge point? "
            "And how does a square multiply's arithmetic intensity grow with n when each element is "
            "one byte: count its FLOPs and the bytes of its three matrices. At which n are the two "
            "equal?"),
        explanation=(
            "In fp8 an element is 1 byte: intensity 2n³ / (1 byte x 3n²) = 2n/3 FLOP/byte. "
            "Trainium2's fp8 ridge is 1,299e12 / 2.9e12 = 448 FLOP/byte, so n = 1.5 x 448 = 672. "
            "Halving the bytes doubles the intensity, and doubling the peak doubles the ridge, so the "
            "size changes little from bf16's n = 3 x 230 = 690. Smaller square multiplies are "
            "memory-bound on Trainium2 and waste part of its peak."),
    ),
    Exercise(
        number=2,
        title="GPT-3 on this machine at 50% of the measured BLAS rate, in years",
        kind=Number(unit="years", rtol=0.02),
        compute=gpt3_years_here,
        params={"blas_GFLOPs": 20.0, "mfu": 0.5, "n_params": 174.6e9, "n_tokens": 300e9},
        hint_text=(
            "Which rule of thumb gives a training run's FLOPs (6ND)? What rate does this machine "
            "sustain at half of its measured BLAS figure, once GFLOP/s are turned into FLOP/s? Work "
            "over rate is a time: in which unit, and how many of those are in a year of 365.25 days?"),
        explanation=(
            "6 x 174.6e9 x 300e9 = 3.14e23 FLOPs; at half of B GFLOP/s the run takes "
            "3.14e23 / (0.5 x B x 1e9) seconds. At B = 20 GFLOP/s (this exercise's default; the "
            "check uses your measurement) that is about a million years (996,000). An H100's "
            "BF16 peak (989 TFLOP/s) is about 50,000 times 20 GFLOP/s, and a training cluster has "
            "thousands of them."),
    ),
    Exercise(
        number=3,
        title="a Chinchilla-optimal 70B run on 1,024 H100s: FLOPs, days and cost",
        kind=Parts((Number(unit="FLOPs", rtol=0.02), Number(unit="days", rtol=0.02),
                    Number(unit="million USD", rtol=0.02)),
                   labels=("FLOPs", "days", "cost")),
        compute=chinchilla_run,
        params={"n_params": 70e9, "tokens_per_param": 20.0, "n_chips": 1024, "chip": "H100 SXM",
                "mfu": 0.4, "instance": "p5.48xlarge", "period": "2025-06"},
        hint_text=(
            "Three steps, one formula each. How many tokens does 20 per parameter give, and what does "
            "6ND make of them? What rate do 1,024 chips deliver at 40% of that peak, and "
            "so how long does the work take? What does one H100 cost per hour when an instance that "
            "holds eight of them has the June 2025 price in `INSTANCES`? Does the number of chips "
            "change the cost?"),
        explanation=(
            "D = 20 x 70e9 = 1.4e12 tokens, so C = 6 x 70e9 x 1.4e12 = 5.88e23 FLOPs. 1,024 H100s "
            "at 40% of 989 TFLOP/s deliver 4.05e17 FLOP/s: 1.45e6 s, about 16.8 days. That is "
            "413,000 chip-hours at 55.04 / 8 = 6.88 USD each: about 2.84 million USD at the June "
            "2025 price (about 5.07 million at May's). The chip count changes the days, not the "
            "cost."),
    ),
    Exercise(
        number=4,
        title=("at batch 1, ideal roofline bound (weights read at 100% of peak HBM bandwidth, no KV "
               "cache): the instance with the lowest on-demand price per million generated tokens for "
               "a model of 7.0e9 parameters in bf16 (14 GB of weights) at June 2025 prices, and that price"),
        kind=Parts((Choice(FIVE_INSTANCES),
                    Number(unit="USD per million tokens", rtol=0.02)),
                   labels=("instance", "price")),
        compute=cheapest_token_batch1,
        params={"n_params": 7e9, "period": "2025-06", "mfu": 0.5,
                "instances": {name: name for name in FIVE_INSTANCES}, "bandwidth_fraction": 1.0},
        hint_text=(
            "At batch 1 with no KV cache, what does every generated token have to read from "
            "memory, and so which of the two roofs sets the tokens per second? How do tokens per "
            "second and dollars per hour combine into dollars per million tokens? Which instance "
            "figures do you need, and where in the data tables are they?"),
        explanation=(
            "At batch 1, tokens/s = bandwidth / (2 bytes x 7e9), so USD per token = (price / "
            "bandwidth) x a constant: the ranking by price per token *is* the ranking by price "
            "per GB/s. Per hour at June 2025 prices: inf2.xlarge 0.758 USD for 820 GB/s (one chip), "
            "inf2.48xlarge 12.98 USD for 12 x 820 GB/s (1.08 per chip), trn1.32xlarge 21.50 USD for "
            "16 x 820 GB/s (1.34 per chip), g5.xlarge 1.006 USD for 600 GB/s, p5.48xlarge 55.04 USD "
            "for 8 x 3,350 GB/s (6.88 per chip). The single-chip inf2.xlarge is the cheapest, at about "
            "3.59 USD per million tokens (inf2.48xlarge about 5.13, g5.xlarge 6.52, trn1.32xlarge "
            "6.37, p5.48xlarge 7.99; the chart's batch-1 figures are higher because the chart reads "
            "HBM at the measured fraction and each sequence there also reads a 4,096-token KV cache). "
            "The Inferentia2 and Trainium prices are dated only to 2025 and the g5.xlarge price to "
            "June 2026; all are assumed to hold in June 2025 (see `data/README.md`). "
            "Once the batch grows the weight reads are shared, and the KV caches and memory "
            "capacity decide: the chart after this exercise shows where each instance stops. Real decoding reads "
            "HBM at about 78% of its peak (`chips.DECODE_BANDWIDTH_FRACTION`): every price rises by "
            "1 / 0.78, about 28%, and the ranking does not change."),
    ),
    Exercise(
        number=5,
        title="claim 4 with Trainium at 50% MFU and the H100 at 35%, June 2025 prices",
        kind=Parts((Number(unit="%", rtol=0.02), Choice(claims.VERDICTS)),
                   labels=("saving", "verdict")),
        compute=saving_with_mfu,
        params={"mine": "trn1.32xlarge", "theirs": "p5.48xlarge", "period": "2025-06",
                "mfu_mine": 0.50, "mfu_theirs": 0.35, "claimed": 0.5},
        hint_text=(
            "Cost to train follows the price per *delivered* FLOP: how does MFU enter it? Compare "
            "the two instances on that measure at June 2025 prices; a saving is one minus the ratio "
            "of the two (negative when Trainium costs more). Where does that saving fall on the "
            "course's verdict scale for an \"up to 50%\" claim?"),
        explanation=(
            "trn1.32xlarge: 21.50 USD / (16 x 190 TFLOP/s x 0.50) = 14.1 USD per delivered "
            "PFLOP-hour; p5.48xlarge: 55.04 / (8 x 989 x 0.35) = 19.9. The saving is 1 - 14.1 / "
            "19.9 = +29%: a saving, but less than 50%, so against p5 the claim **holds only if** "
            "Trainium's MFU rises further (50% needs 2.03 x 0.35 = 0.71). At equal MFU the same pair "
            "gave no saving (-2%): the verdict moved because the MFU ratio did. Claim 4's verdict "
            "turns on the MFU ratio and the price period, "
            "which no public methodology fixes (and the Trainium price is dated only to 2025, "
            "assumed to hold in June)."),
    ),
    Exercise(
        number=6,
        title="the arithmetic intensity of one step of a 6 x 4 micro-kernel with AVX-512 registers",
        kind=Number(unit="FLOP/byte", rtol=0.02, mistakes=("x2", "x8")),
        compute=micro_kernel_intensity,
        params={"mr": 6, "nr": 4, "lanes": 16, "bytes_per_element": 4.0},
        hint_text=(
            "Count one step of the loop over k: what comes into "
            "registers, how many vector FMAs the tile of C needs, and how many FLOPs and bytes each "
            "of those is with 16 float32 lanes. Does the lane count change the ratio?"),
        explanation=(
            "A step loads 6 + 4 = 10 vectors of 16 float32 (10 x 64 = 640 bytes) and issues 6 x 4 = 24 "
            "vector FMAs (24 x 16 x 2 = 768 FLOPs): 768 / 640 = 1.2 FLOP per byte moved from L1 into "
            "registers, against 0.86 for the 4 x 3 tile. The lane count cancels: "
            "2·MR·NR / ((MR + NR)·4 bytes), so only the tile's shape matters. The 6 x 4 tile needs 24 "
            "accumulators plus 6 rows of A, 30 registers: it fits AVX-512's 32 but not AVX2's 16, "
            "which is why the course's kernel, written to fit both, uses 4 x 3."),
    ),
]
