"""Exercises of notebook 00 (start here): backends, the grid-stride loop, the triad's time floor, FMA.

Each answer is computed by the function beside it, from the exercise's parameters and ``infralab``;
:meth:`~infralab.exercises.Exercise.solution` prints that function's source.

Examples
--------
>>> from infralab import exercises
>>> ex = exercises.load("00")
>>> sorted(ex)
[2, 3, 4, 5]
>>> ex[4].check(120.0)
Correct: 120 ms (answers within 2% of the expected value count as right).
True
"""

from __future__ import annotations

import os
from unittest import mock

import numpy as np

from .. import _checks, backend, stream
from ._core import Boolean, Choice, Exercise, Number, Parts

__all__ = ["NOTEBOOK", "EXERCISES"]   # the answer functions are reached through Exercise, not API

NOTEBOOK = "00_start_here"


# --- Exercise 2: which backend without a GPU? -------------------------------------------------

def backend_without_gpu(env_value: str = "cuda") -> str:
    """What ``backend.resolve()`` gives with ``INFRALAB_BACKEND=env_value``, no GPU and no simulator."""
    env_value = _checks.choice("env_value", env_value, backend.ALLOWED)
    with mock.patch.dict(os.environ, {backend.ENV_VAR: env_value}), \
            mock.patch.object(backend, "_gpu_name", lambda: None), \
            mock.patch.object(backend, "simulator_enabled", lambda: False):
        try:
            return backend.resolve()
        except ValueError:
            return "ValueError"


# --- Exercise 3: the grid-stride loop ---------------------------------------------------------

def grid_stride_lesson(n_elements: int = 1000, threads_per_block: int = 8,
                       max_blocks: int = 4) -> tuple[bool, int, str]:
    """Replay the CUDA twin's loop bounds on the host, for a grid with fewer threads than elements.

    Returns (every element written exactly once?, element writes with the broken loop
    ``range(start, a.size)``, how that work grows when the thread count doubles).
    """
    n_elements = _checks.integer("n_elements", n_elements, low=1, high=100_000)
    threads_per_block = _checks.integer("threads_per_block", threads_per_block, low=1, high=1024)
    max_blocks = _checks.integer("max_blocks", max_blocks, low=1, high=64)
    blocks, threads = backend.launch_config(n_elements, threads_per_block, max_blocks)
    stride = blocks * threads                       # cuda.gridsize(1): threads in the grid
    writes = np.zeros(n_elements, dtype=np.int64)
    for start in range(stride):                     # start = cuda.grid(1) of each thread
        writes[start:n_elements:stride] += 1        # range(start, a.size, stride)
    covered_once = bool(np.all(writes == 1))

    def broken_writes(n_threads: int) -> int:       # range(start, a.size): each thread to the end
        return sum(max(0, n_elements - start) for start in range(n_threads))

    exponent = np.log2(broken_writes(2 * stride) / broken_writes(stride))   # work ~ threads**exponent
    growth = {0: "constant", 1: "linear", 2: "quadratic"}[int(round(exponent))]
    return covered_once, broken_writes(stride), growth


# --- Exercise 4: the fastest possible triad ---------------------------------------------------

def triad_time_ms(n_elements: int = 10_000_000, bandwidth_GBps: float = 20.0) -> float:
    """Lower bound on one triad's time: the bytes it must move over the memory bandwidth, in ms."""
    n_elements = _checks.integer("n_elements", n_elements, low=1, high=10**12)
    bandwidth_GBps = _checks.positive("bandwidth_GBps", bandwidth_GBps)
    _checks.real("bandwidth_GBps", bandwidth_GBps, low=1e-3, high=1e6)   # a disk .. beyond any HBM
    bytes_moved = n_elements * stream.TRIAD_BYTES_PER_ELEMENT   # read b[i] and c[i], write a[i]
    seconds = bytes_moved / (bandwidth_GBps * 1e9)              # GB/s = 1e9 bytes per second
    return seconds * 1e3


# --- Exercise 5: the twin test on a real GPU --------------------------------------------------

def twin_test_on_a_gpu(n_elements: int = 1000, s: float = 1.5, s_opposite: float = -1.5,
                       seed: int = 0) -> tuple[int, int, int]:
    """An exact-equality triad twin test's inputs, rounded twice (CPU) and once (GPU fused multiply-add).

    Returns (elements that differ with ``s``, elements that differ with ``s_opposite``, the largest
    difference in ulp with ``s_opposite``). With ``b`` and ``c`` in [0, 1), a negative ``s_opposite``
    gives ``b`` and ``s*c`` opposite signs, where the sum can cancel.
    """
    n_elements = _checks.integer("n_elements", n_elements, low=1, high=100_000)
    seed = _checks.integer("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    b, c = rng.random(n_elements), rng.random(n_elements)   # drawn as the exercise draws them
    same, opposite = stream.fma_differences(b, c, s), stream.fma_differences(b, c, s_opposite)
    return same["differ"], opposite["differ"], opposite["max_ulps"]


_COUNT_SLIPS = (
    (2.0, "did you count each differing element twice (once per array, or once for each of two "
          "comparisons)?"),
    (0.5, "did you count only the elements where one result is the larger, and not those where it "
          "is the smaller?"))

EXERCISES = [
    Exercise(
        number=2,
        title="which backend on a laptop without an NVIDIA GPU, with INFRALAB_BACKEND=cuda",
        kind=Choice(("cpu", "cuda", "cuda-sim", "ValueError")),
        compute=backend_without_gpu,
        params={"env_value": "cuda"},
        hint_text=("`INFRALAB_BACKEND` is a request. When a library cannot meet a request, it can run "
                   "something else, or stop: which of the four answers is each of those? "
                   "`help(backend.resolve)` says which one the course chose."),
        explanation=(
            "Asking for CUDA where none is usable is refused loudly (`backend.resolve` raises) rather "
            "than silently falling back to the CPU, and the message names the allowed values "
            "(`'cpu'`, `'cuda'`) and the simulator switch. Silent fallbacks make timing comparisons "
            "lie. The code below replays that laptop: it sets the variable and hides any GPU and the "
            "simulator for the duration of one call."),
    ),
    Exercise(
        number=3,
        title="fewer threads than elements, and the loop that forgets its stride",
        kind=Parts((Boolean(), Number(unit="writes", rtol=0.01),      # the exact count, not threads x n
                    Choice(("constant", "linear", "quadratic")))),
        compute=grid_stride_lesson,
        params={"n_elements": 1000, "threads_per_block": 8, "max_blocks": 4},
        hint_text=(
            "Answer with a tuple of three parts. (a) Thread `start` writes elements start, "
            "start + stride, start + 2*stride, ..., where stride is the number of threads in the grid "
            "(blocks x threads per block): does every index belong to exactly one thread? "
            "(b) Without the stride, where does each thread's loop stop, and so how many elements does "
            "the thread with index `start` write? Is treating every thread as writing all n elements "
            "close enough for a check within 1%? (c) What happens to the total of (b) when the grid "
            "has twice as many threads?"),
        explanation=(
            "(a) With fewer threads than elements the grid-stride loop still covers every element "
            "exactly once: element i belongs to thread i mod stride, and each thread simply does more "
            "elements. (b) With `range(start, a.size)` each thread runs from its start to the end of "
            "the array, so the total is the sum of (n - start) over all threads, "
            "threads x n - threads x (threads - 1) / 2, about threads x n. The result stays right "
            "(every write stores the same value) but threads race on the same addresses. "
            "(c) Doubling the threads about doubles that total: the wasted work grows **linearly** "
            "with the thread count (not with its square), about threads times the useful work. "
            "(Exactly, the -threads x (threads - 1) / 2 term makes it grow slightly slower than "
            "linearly; it matters only when the threads are not few compared with the elements.)"),
    ),
    Exercise(
        number=4,
        title="the fastest possible triad on 100 million elements, in ms",
        kind=Number(unit="ms", rtol=0.02),
        compute=triad_time_ms,
        params={"n_elements": 100_000_000, "bandwidth_GBps": 20.0},
        hint_text=(
            "The triad moves `stream.TRIAD_BYTES_PER_ELEMENT` bytes per element; no kernel can be "
            "faster than bytes moved divided by bytes per second. GB/s means 1e9 bytes per second, "
            "and the answer is asked in milliseconds. To use the bandwidth you measured, check with "
            "`ex[4].given(bandwidth_GBps=BW_GBPS).check(answer)`."),
        explanation=(
            "Bytes moved = 24 bytes per element times the number of elements (2.4e9 bytes for 100 "
            "million); the time is at least bytes moved over the bandwidth, converted from seconds "
            "to milliseconds. Ten times fewer elements give a ten times lower floor, which the cell "
            "after the exercise compares with the kernel's measured time `t_all`: a ratio near 1 "
            "means the kernel runs at this machine's memory bandwidth, which is why "
            "`python -m infralab.bench` reports each memory-bound kernel as a *fraction of the "
            "triad* (1.0: as fast as this machine moves bytes). The floor is only as good as the "
            "bandwidth measurement: other work can slow a run but never speed it up, so the best of "
            "several independent runs is the better estimate, and a ratio below 1 says the estimate "
            "was low."),
    ),
    Exercise(
        number=5,
        title="the triad on a real GPU against the CPU: how many elements differ, and by how much when the signs differ",
        kind=Parts((
            Number(unit="elements", rtol=0.01, slips=_COUNT_SLIPS),
            Number(unit="elements", rtol=0.01, slips=_COUNT_SLIPS),
            Number(unit="ulp", rtol=0.01, slips=(
                (0.5, "half an ulp bounds the error of one rounding; how many doubles apart can two "
                      "results be?"),)))),
        compute=twin_test_on_a_gpu,
        params={"n_elements": 1000, "s": 1.5, "s_opposite": -1.5, "seed": 0},
        hint_text=(
            "Answer with a tuple of three parts. Every part needs a computation on the CPU: draw `b` "
            "and `c` exactly as the question does (one generator, `b` first), and compare the two "
            "roundings of section 5, element by element; which function of `stream` does both? For "
            "(b) and (c): when `b` and `s*c` have opposite signs the sum can be far smaller than "
            "either term. What does that do to the size of one ulp of the result, compared with the "
            "rounding error of the product?"),
        explanation=(
            "(a) On a real GPU, NVVM turns `b[i] + s * c[i]` into one `fma.rn.f64`, which rounds once; "
            "the CPU kernel and the simulator round the product and then the sum. At `s = 1.5` about "
            "a tenth of the elements come out different, each by a single ulp, because with `b` and "
            "`s*c` both positive the two results are neighbouring doubles at most. (b) and (c) At "
            "`s = -1.5` the sum cancels where `b` is close to `1.5 c`: the result is small, its ulp is "
            "small, and the product's rounding error, which the CPU keeps and the fused result does "
            "not, is many of those small ulps. More elements differ, and the largest gap is tens of "
            "ulp, not one. The fused result is still the exact value rounded once; it is the CPU's "
            "that is farther off. So a bound in ulp that suits same-sign data fails once the data "
            "cancel: compare CPU and GPU results with a bound chosen for the data, and say why, or "
            "with a tolerance relative to the size of the terms rather than of the result."),
    ),
]
