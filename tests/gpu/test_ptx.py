"""What the compiler makes of the CUDA twins, read from their PTX (on a real GPU; NVVM needed).

They need a real GPU (and the NVVM that numba-cuda uses there), so they run under scripts/gpu_check.sh
and are skipped elsewhere (the simulator has no compiler). They pin the properties
the kernels were written for: the triad is contracted to one fused multiply-add (why its twin test
allows 2 ulp), the matmul's 8 x 8 accumulators stay in registers with 0.25 shared loads per FMA, and
no kernel spills to local memory.
"""

import re

import pytest
from numba import cuda
from numba import types as T

from infralab import backend, chips, network, stream, thermal, gemm
from infralab.enclave import chacha

pytestmark = pytest.mark.skipif(backend.simulator_enabled() or backend._gpu_name() is None,
                                reason="needs a CUDA GPU (the simulator compiles nothing)")

f8, i8, i4, u8, u4, f4 = T.float64, T.int64, T.int32, T.uint64, T.uint32, T.float32


def vec(t):
    return t[::1]


def mat(t):
    return t[:, ::1]


KERNELS = {
    "triad": (stream._triad_cuda, (vec(f8), vec(f8), vec(f8), f8)),
    "copy": (stream._copy_cuda, (vec(f8), vec(f8))),
    "bins_shared": (network._bins_shared_cuda, (i8, i8, u8, vec(i4), vec(i4))),
    "bins": (network._bins_cuda, (i8, i8, u8, vec(i4), vec(i4), mat(i4))),
    "trial_sums": (network._trial_sums_cuda, (vec(i4), vec(i4), vec(i8))),
    "latency": (network._latency_cuda, (u8, i8, f8, f8, f8, f8, i8, vec(f8))),
    "ftcs": (thermal._ftcs_cuda, (mat(f8), mat(f8), f8)),
    "ftcs_steps": (thermal._ftcs_steps_cuda, (mat(f8), mat(f8), f8, i8)),
    "fv": (thermal._fv_cuda, (mat(f8),) * 5 + (vec(f8), f8, f8)),
    "fv_steps": (thermal._fv_steps_cuda, (mat(f8),) * 5 + (vec(f8), f8, f8, i8, i8, vec(f8))),
    "max": (thermal._max_cuda, (mat(f8), vec(f8), i8)),
    "matmul": (gemm._matmul_cuda, (mat(f4), mat(f4), mat(f4))),
    "search": (chacha._search_cuda, (vec(u4), vec(u4), vec(u4), i8, vec(i8))),
}


def ptx(name):
    kernel, sig = KERNELS[name]
    return cuda.compile_ptx(kernel.py_func, sig, cc=(9, 0))[0]


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_compiles_without_local_memory(name):
    text = ptx(name)
    assert not re.search(r"\b(ld|st)\.local\b", text), f"{name} spills to local memory"


def test_triad_is_one_fused_multiply_add():
    text = ptx("triad")
    assert "fma.rn.f64" in text and "mul.rn.f64" not in text


def test_matmul_has_a_quarter_shared_load_per_fma():
    text = ptx("matmul")
    fma, lds = len(re.findall(r"fma\.rn\.f32", text)), len(re.findall(r"ld\.shared", text))
    assert fma == chips.REG * chips.REG and lds == 2 * chips.REG     # one k step, unrolled
